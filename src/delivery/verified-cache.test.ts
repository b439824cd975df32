import { describe, expect, it } from 'vitest';
import type { VerifiedPackage } from '../edxml/verify-package.js';
import { VerifiedCache } from './verified-cache.js';

const pkg = (sha256: string) => ({ sha256 }) as unknown as VerifiedPackage;

describe('VerifiedCache', () => {
  it('returns a result within its time to live, and forgets it after', () => {
    const cache = new VerifiedCache(1_000);
    cache.set(pkg('a'), 0);
    expect(cache.get('a', 999)?.sha256).toBe('a');
    expect(cache.get('a', 1_001)).toBeUndefined();
    expect(cache.get('a', 10)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const cache = new VerifiedCache(60_000, 2);
    cache.set(pkg('a'), 0);
    cache.set(pkg('b'), 0);
    cache.set(pkg('c'), 0);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)?.sha256).toBe('b');
    expect(cache.get('c', 1)?.sha256).toBe('c');
  });

  it('lets callers wait for a verification of the same bytes that is running, and keeps its result', async () => {
    const cache = new VerifiedCache();
    let finish: (p: VerifiedPackage) => void = () => undefined;
    const running = new Promise<VerifiedPackage>((resolve) => (finish = resolve));
    cache.track('a', running);
    expect(cache.inFlight('a')).toBe(running);
    expect(cache.get('a')).toBeUndefined();
    finish(pkg('a'));
    expect((await cache.inFlight('a'))?.sha256).toBe('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.inFlight('a')).toBeUndefined();
    expect(cache.get('a')?.sha256).toBe('a');
  });

  it('forgets a verification that failed (the next caller verifies again)', async () => {
    const cache = new VerifiedCache();
    const failing = Promise.reject(new Error('SIGNATURE_INVALID'));
    cache.track('b', failing);
    await expect(cache.inFlight('b')).rejects.toThrow('SIGNATURE_INVALID');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.inFlight('b')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });
});
