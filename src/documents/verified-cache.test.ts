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
});
