import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { xmlText } from './xml-text.js';

describe('xmlText', () => {
  const schema = z.object({ subject: xmlText().trim().min(1).max(50), places: z.array(xmlText()).optional() });

  it('accepts Vietnamese text, TAB, LF, CR and characters beyond the BMP', () => {
    expect(schema.parse({ subject: ' Về việc\ttriển khai\r\n𝒜 ', places: ['Lưu: VT'] })).toEqual({ subject: 'Về việc\ttriển khai\r\n𝒜', places: ['Lưu: VT'] });
  });

  it.each([
    ['U+0001', 'a\u0001b', 'U+0001 at character 2'],
    ['NUL', '\u0000', 'U+0000 at character 1'],
    ['U+FFFE', 'x\uFFFE', 'U+FFFE'],
    ['U+FFFF', '\uFFFF', 'U+FFFF'],
    ['an unpaired high surrogate', 'a\uD800', 'U+D800'],
    ['an unpaired low surrogate', '\uDC00a', 'U+DC00'],
  ])('refuses %s with the field path', (_what, value, message) => {
    const result = schema.safeParse({ subject: 'ok', places: ['fine', value] });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['places', 1], message: expect.stringContaining(message) })]);
  });
});
