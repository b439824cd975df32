import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeaders, verifyWebhookSignature, webhookSignature } from './signature.js';

const body = JSON.stringify({ id: '7f0c6c1e-1111-4222-8333-944445555666', type: 'reminder.overdue', data: { title: 'Quá hạn xử lý: 12/CT-UBND — Về việc triển khai' } });

describe('webhook signatures: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">', () => {
  it('agree with an independent HMAC (openssl dgst -hmac) over the UTF-8 bytes', () => {
    const secret = 'whsec_test-vector';
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: Buffer.from(`1700000000.${body}`, 'utf8') })
      .toString()
      .trim()
      .split('= ')[1];
    expect(webhookSignature(secret, 1700000000, body)).toBe(`sha256=${openssl}`);
  });

  it('verify what they sign, within the tolerance', () => {
    const secret = newWebhookSecret();
    const at = new Date('2026-12-08T01:00:00Z');
    const headers = signatureHeaders(secret, body, at);
    expect(headers['x-lienthong-timestamp']).toBe(String(at.getTime() / 1000));
    const read = { timestamp: headers['x-lienthong-timestamp'], signature: headers['x-lienthong-signature'] };
    expect(verifyWebhookSignature(secret, body, read, new Date(at.getTime() + 60_000))).toBe(true);
  });

  it('refuse another body, another secret, an old or altered timestamp, a missing header', () => {
    const secret = newWebhookSecret();
    const at = new Date('2026-12-08T01:00:00Z');
    const h = signatureHeaders(secret, body, at);
    const read = { timestamp: h['x-lienthong-timestamp'], signature: h['x-lienthong-signature'] };
    expect(verifyWebhookSignature(secret, body.replace('12/CT', '13/CT'), read, at)).toBe(false);
    expect(verifyWebhookSignature(newWebhookSecret(), body, read, at)).toBe(false);
    expect(verifyWebhookSignature(secret, body, read, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifyWebhookSignature(secret, body, { ...read, timestamp: String(Number(read.timestamp) + 1) }, at)).toBe(false);
    expect(verifyWebhookSignature(secret, body, { ...read, signature: undefined }, at)).toBe(false);
  });

  it('secrets are 32 random bytes behind a prefix', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
