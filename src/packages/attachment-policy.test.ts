import { describe, expect, it } from 'vitest';
import {
  checkUploadContentType,
  checkUploadFileName,
  MAX_FILE_NAME_BYTES,
  normaliseFileName,
  OPAQUE_CONTENT_TYPE,
  parseContentType,
  servedContentType,
} from './attachment-policy.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('file names of received packages (normalised, never refused)', () => {
  it('keeps an ordinary Vietnamese name, in NFC', () => {
    const decomposed = 'Quyết định số 15.pdf'.normalize('NFD');
    expect(normaliseFileName(decomposed)).toBe('Quyết định số 15.pdf'.normalize('NFC'));
  });

  it('turns separators into _ and drops leading dots, so no name climbs out of a folder', () => {
    expect(normaliseFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(normaliseFileName('..\\..\\boot.ini')).toBe('_.._boot.ini');
    expect(normaliseFileName('15/QĐ-UBND.pdf')).toBe('15_QĐ-UBND.pdf');
    expect(normaliseFileName('.htaccess')).toBe('htaccess');
    expect(normaliseFileName('  báo cáo.pdf. ')).toBe('báo cáo.pdf');
  });

  it('strips control characters, what XML cannot carry and bidirectional overrides', () => {
    expect(normaliseFileName('a\u0000b\r\nc\u0085d\uFFFEe.pdf')).toBe('abcde.pdf');
    expect(normaliseFileName('hoa-don\u202Efdp.exe')).toBe('hoa-donfdp.exe');
    expect(normaliseFileName('x\uD800y.pdf')).toBe('xy.pdf');
  });

  it(`caps the name at ${MAX_FILE_NAME_BYTES} UTF-8 bytes and keeps the extension`, () => {
    const long = `${'đ'.repeat(12_000)}.pdf`;
    const name = normaliseFileName(long);
    expect(bytes(name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(name.endsWith('.pdf')).toBe(true);
    expect(name.startsWith('đđđ')).toBe(true);
    // Cut between characters, never inside one.
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
    const noExtension = normaliseFileName('a'.repeat(1000));
    expect(noExtension).toBe('a'.repeat(MAX_FILE_NAME_BYTES));
  });

  it('falls back to a safe name when nothing is left', () => {
    expect(normaliseFileName('')).toBe('attachment');
    expect(normaliseFileName('...')).toBe('attachment');
    expect(normaliseFileName('\u0001\u0002', 'attachment-3')).toBe('attachment-3');
    expect(normaliseFileName(undefined)).toBe('attachment');
  });

  it('is idempotent', () => {
    for (const raw of ['../a/b.pdf', `${'x'.repeat(300)}.docx`, ' .ẩn. ', 'a\u202Eb', '']) {
      const once = normaliseFileName(raw);
      expect(normaliseFileName(once)).toBe(once);
    }
  });
});

describe('file names of a clerk upload (refused when they would change)', () => {
  it('accepts a plain name, trimmed and in NFC', () => {
    expect(checkUploadFileName(' Kế hoạch.pdf '.normalize('NFD'))).toEqual({ ok: true, value: 'Kế hoạch.pdf' });
  });

  it.each([
    ['a 12,000-character name', `${'a'.repeat(12_000)}.pdf`, `at most ${MAX_FILE_NAME_BYTES} bytes`],
    ['a path', 'thu-muc/van-ban.pdf', 'without / or \\'],
    ['a control character', 'van\u0001ban.pdf', 'control characters'],
    ['a leading dot', '.an.pdf', 'must not start or end with a dot'],
    ['nothing but spaces', '   ', 'must not be empty'],
  ])('refuses %s', (_what, raw, problem) => {
    const result = checkUploadFileName(raw);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toContain(problem);
  });

  it('accepts exactly the byte limit', () => {
    const name = `${'ệ'.repeat(84)}.pdf`; // 84 × 3 + 4 = 256 bytes: one too many
    expect(checkUploadFileName(name).ok).toBe(false);
    expect(checkUploadFileName(name.slice(1)).ok).toBe(true);
  });
});

describe('content types', () => {
  it('parses to the bare lower-case type, or null', () => {
    expect(parseContentType('Application/PDF; charset=binary')).toBe('application/pdf');
    expect(parseContentType(' image/png ')).toBe('image/png');
    expect(parseContentType('text/html\r\nX-Injected: 1')).toBeNull();
    expect(parseContentType('pdf')).toBeNull();
    expect(parseContentType('')).toBeNull();
    expect(parseContentType(undefined)).toBeNull();
  });

  it('serves what is on the allow-list as itself and anything else as application/octet-stream', () => {
    expect(servedContentType('application/pdf')).toBe('application/pdf');
    expect(servedContentType('IMAGE/JPEG;q=1')).toBe('image/jpeg');
    for (const hostile of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/javascript', 'text/html\r\nSet-Cookie: a=b', 'application/pdf\r\nX: 1', undefined]) {
      expect(servedContentType(hostile)).toBe(OPAQUE_CONTENT_TYPE);
    }
  });

  it('a clerk upload must carry an allowed type', () => {
    expect(checkUploadContentType('Application/PDF')).toEqual({ ok: true, value: 'application/pdf' });
    const refused = checkUploadContentType('text/html');
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.problem).toContain('is not accepted');
  });
});
