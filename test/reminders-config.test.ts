import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from '../src/config.js';

describe('reminder settings (issue 18)', () => {
  it('e-mail is off without an SMTP URL; LIENTHONG_SMTP_URL wins over SMTP_URL', () => {
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    const from = 'Hệ thống liên thông <lienthong@example.gov.vn>';
    expect(loadConfig({ SMTP_URL: 'smtp://a.example:25', LIENTHONG_MAIL_FROM: from }).smtpUrl).toBe('smtp://a.example:25');
    const both = loadConfig({ SMTP_URL: 'smtp://a.example:25', LIENTHONG_SMTP_URL: 'smtps://u:p@b.example:465', LIENTHONG_MAIL_FROM: from });
    expect(both).toMatchObject({ smtpUrl: 'smtps://u:p@b.example:465', mailFrom: from, webhookTimeoutMs: 10_000, reminderScanBudgetMs: 10_000 });
  });

  it('names every bad variable: an SMTP URL without a From, a URL of another scheme, a From that is no address', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ SMTP_URL: 'smtp://a.example:25' })).toEqual([expect.stringMatching(/^LIENTHONG_MAIL_FROM is required when SMTP_URL/)]);
    expect(problems({ LIENTHONG_SMTP_URL: 'http://a.example', LIENTHONG_MAIL_FROM: 'a@b.example' })[0]).toMatch(/^LIENTHONG_SMTP_URL must be a URL like smtp:/);
    expect(problems({ LIENTHONG_SMTP_URL: 'smtp://a.example', LIENTHONG_MAIL_FROM: 'nobody' })[0]).toMatch(/^LIENTHONG_MAIL_FROM must be an address/);
  });
});
