import { describe, expect, it } from 'vitest';
import {
  checkUploadContentType,
  checkUploadFileName,
  contentTypeFromName,
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

describe('a clerk upload without a type of its own (issue 15)', () => {
  const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

  it('is typed by its extension, whatever its case', () => {
    expect(contentTypeFromName('Báo cáo.DOCX')).toBe(DOCX);
    expect(contentTypeFromName('scan.jpeg')).toBe('image/jpeg');
    expect(contentTypeFromName('ghi-chu.txt')).toBeNull();
    expect(contentTypeFromName('no-extension')).toBeNull();
    for (const none of ['', undefined, 'application/octet-stream', ' Application/Octet-Stream ']) {
      expect(checkUploadContentType(none, 'Báo cáo.docx'), String(none)).toEqual({ ok: true, value: DOCX });
    }
  });

  it('a given type on the allow-list wins over the extension; one off the list is refused whatever the extension', () => {
    expect(checkUploadContentType('application/pdf', 'a.docx')).toEqual({ ok: true, value: 'application/pdf' });
    const html = checkUploadContentType('text/html', 'a.pdf');
    expect(html).toMatchObject({ ok: false, problem: expect.stringContaining('"text/html", which is not accepted') });
  });

  it('refuses an extension that names no accepted type, in a few words and in Vietnamese too', () => {
    const refused = checkUploadContentType('', 'ghi-chu.txt');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problem).toMatch(/^was not given, and the extension \.txt names none of the accepted types: send PDF \(\.pdf\), Word/);
    expect(refused.vi).toMatch(/^chưa được khai báo, và phần mở rộng \.txt không ứng với kiểu tệp nào được chấp nhận/);
    expect(refused.problem.length).toBeLessThan(200);
    expect(checkUploadContentType('application/octet-stream', 'README')).toMatchObject({ ok: false, problem: expect.stringContaining('the file name names none') });
  });

  it('says why a file name is refused in Vietnamese too', () => {
    expect(checkUploadFileName('thu-muc/van-ban.pdf')).toMatchObject({ ok: false, vi: 'phải là tên tệp đơn thuần, không có / hoặc \\' });
  });
});
