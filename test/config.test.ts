import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('config', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      trustDir: 'certs/trusted',
      databaseUrl: undefined,
      redisUrl: undefined,
      adminToken: undefined,
      logLevel: 'info',
      queuePrefix: '{lienthong}',
    });
  });

  it('rejects a bad DATABASE_URL with a message naming the variable', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x@y/z' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL must be a URL like postgres:\/\//);
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ DATABASE_URL: 'nope', PORT: 'eighty', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const name of ['DATABASE_URL', 'PORT', 'REDIS_URL', 'LOG_LEVEL']) expect(message).toContain(name);
    }
  });

  it('refuses production without the secrets and external services', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['LIENTHONG_ADMIN_TOKEN', 'LIENTHONG_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL']) {
        expect(problems).toContain(`${name} is required when NODE_ENV=production`);
      }
    }
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      LIENTHONG_ADMIN_TOKEN: 'a'.repeat(32),
      LIENTHONG_MASTER_KEY: 'b'.repeat(44),
      DATABASE_URL: 'postgres://u:p@db:5432/lienthong',
      REDIS_URL: 'redis://redis:6379',
      PORT: '8080',
    });
    expect(config.port).toBe(8080);
    expect(config.env).toBe('production');
  });

  it('refuses a short admin token or master key', () => {
    expect(() => loadConfig({ LIENTHONG_ADMIN_TOKEN: 'short' })).toThrow(/LIENTHONG_ADMIN_TOKEN must be at least 24/);
    expect(() => loadConfig({ LIENTHONG_MASTER_KEY: 'short' })).toThrow(/LIENTHONG_MASTER_KEY must be at least 32/);
  });
});
