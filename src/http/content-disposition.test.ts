import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content-disposition.js';

/** The two names a client may read: the quoted ASCII fallback and the RFC 8187 one. */
function names(header: string): { ascii: string; exact: string } {
  const ascii = /filename="([^"]*)"/.exec(header)?.[1];
  const exact = /filename\*=UTF-8''([^;\s]+)$/.exec(header)?.[1];
  if (ascii === undefined || exact === undefined) throw new Error(`unexpected header ${header}`);
  return { ascii, exact: decodeURIComponent(exact) };
}

describe('contentDisposition', () => {
  it('keeps a Vietnamese name exactly and gives an ASCII fallback without marks', () => {
    const header = contentDisposition('Quyết định số 15 (bản chính).pdf');
    expect(header.startsWith('attachment; ')).toBe(true);
    expect(names(header)).toEqual({ ascii: 'Quyet dinh so 15 (ban chinh).pdf', exact: 'Quyết định số 15 (bản chính).pdf' });
  });

  it('lets no separator, .. path, quote, CR or LF through, in either name', () => {
    for (const raw of ['../../etc/passwd', '..\\..\\win.ini', 'a"b.pdf', 'x\r\nSet-Cookie: a=b.pdf', '000.00.33.H33,2026/11/26,15/QĐ-UBND.edxml', "it's (1)*.pdf"]) {
      const header = contentDisposition(raw);
      expect(header).not.toMatch(/[\r\n]/);
      expect(header.split('"')).toHaveLength(3); // the two that quote the ASCII name, no more
      const { ascii, exact } = names(header);
      for (const name of [ascii, exact]) {
        expect(name).not.toMatch(/[/\\\r\n]/);
        expect(name.startsWith('.')).toBe(false);
      }
      expect(ascii).toMatch(/^[A-Za-z0-9 ._()+-]+$/);
      // RFC 8187 attr-chars and %XX only.
      expect(/filename\*=UTF-8''(\S+)$/.exec(header)?.[1]).toMatch(/^(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})+$/);
    }
    expect(names(contentDisposition('000.00.33.H33,2026/11/26,15/QĐ-UBND.edxml')).ascii).toBe('000.00.33.H33_2026_11_26_15_QD-UBND.edxml');
  });

  it('never gives an empty name', () => {
    expect(names(contentDisposition('/'))).toEqual({ ascii: '_', exact: '_' });
    expect(names(contentDisposition('...'))).toEqual({ ascii: 'attachment', exact: 'attachment' });
    expect(names(contentDisposition('ảnh'))).toEqual({ ascii: 'anh', exact: 'ảnh' });
    expect(names(contentDisposition('日本.pdf')).ascii).toBe('__.pdf');
  });

  it('can say inline', () => {
    expect(contentDisposition('a.pdf', 'inline').startsWith('inline; ')).toBe(true);
  });
});
