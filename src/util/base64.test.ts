import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { decodeBase64Run, isBase64, isBase64Run } from './base64.js';

describe('isBase64', () => {
  it.each(['', 'QQ==', 'QUI=', 'QUJD', Buffer.from('liên thông').toString('base64')])('accepts "%s"', (s) => {
    expect(isBase64(s)).toBe(true);
  });

  it.each(['Q', 'QQ=', 'Q===', '=QQQ', 'QQ==QUJD', 'QU=D', 'QUJD\n', 'QU JD', 'QUJ-', 'QUJ_'])('refuses "%s"', (s) => {
    expect(isBase64(s)).toBe(false);
  });

  it('checks a 40 MB payload without backtracking trouble', () => {
    const big = Buffer.alloc(30 * 1024 * 1024, 1).toString('base64');
    expect(isBase64(big)).toBe(true);
    expect(isBase64(`${big.slice(0, -4)}A=AA`)).toBe(false);
  });
});

describe('isBase64Run and decodeBase64Run (base64 held as bytes, read in slices)', () => {
  const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

  it.each([0, 1, 2, 3, 196_607, 196_608, 196_609, 700_001])('decode the base64 of %i bytes to those bytes', (n) => {
    const file = randomBytes(n);
    const run = ascii(file.toString('base64'));
    expect(isBase64Run(run)).toBe(true);
    expect(decodeBase64Run(run).equals(file)).toBe(true);
  });

  it('refuse what isBase64 refuses, wherever a slice boundary falls', () => {
    const run = ascii(randomBytes(600_000).toString('base64'));
    const at = 4 * 64 * 1024; // the first slice boundary
    for (const bad of [
      Buffer.concat([run, ascii('A')]), // length not a multiple of 4
      Buffer.concat([run.subarray(0, at - 2), ascii('=='), run.subarray(at)]), // padding that ends a slice, not the whole
      Buffer.concat([run.subarray(0, 10), ascii('-'), run.subarray(11)]),
      Buffer.concat([run.subarray(0, at + 5), ascii('\n'), run.subarray(at + 6)]),
    ]) {
      expect(isBase64Run(bad)).toBe(false);
      expect(isBase64(bad.toString('latin1'))).toBe(false);
    }
  });

  it('read views of shared memory', () => {
    const file = randomBytes(300_000);
    const text = file.toString('base64');
    const shared = Buffer.from(new SharedArrayBuffer(text.length + 10));
    shared.write(text, 5, 'latin1');
    const view = new Uint8Array(shared.buffer, 5, text.length);
    expect(isBase64Run(view)).toBe(true);
    expect(decodeBase64Run(view).equals(file)).toBe(true);
  });
});
