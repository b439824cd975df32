import { describe, expect, it } from 'vitest';
import { isBase64 } from './validate.js';

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
