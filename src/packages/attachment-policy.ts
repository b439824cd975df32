/**
 * What a file carried in a package may be called and typed as: the one place that decides, for a
 * clerk's upload (JSON or multipart), a package the agency's own software signed, and a package a
 * partner pushed or the axis handed us.
 *
 * Decision (issue 11, "Normalise what comes in"):
 * - A clerk's upload is **refused** (422 with the field's path) when its name would have to be changed
 *   to be safe — control characters, `/` or `\`, a leading dot, more than MAX_FILE_NAME_BYTES — or
 *   when its content type is not on ATTACHMENT_TYPES: the clerk can fix it, and silently renaming or
 *   retyping an official document's file would surprise the signer and every recipient.
 * - A received package (a partner's, or one the agency's software signed) is **never refused** for a
 *   file's name or type: its bytes are signed and cannot be changed. The name and type are normalised
 *   where the file is listed and served here (normaliseFileName, servedContentType): anything off
 *   the allow-list is served as `application/octet-stream`, so a partner's `text/html` or
 *   `image/svg+xml` cannot run as a page on this node's origin (stored XSS).
 */
import { stripNonXmlChars } from '../edxml/xml-chars.js';

/** The types a file may be served as: PDF, Word, Excel, OpenDocument, ZIP, images (never HTML, SVG or script). */
export const ATTACHMENT_TYPES = [
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/zip',
  'application/x-zip-compressed',
  'image/jpeg',
  'image/png',
  'image/tiff',
] as const;

/** What a file whose type is not on ATTACHMENT_TYPES is served as: the browser downloads it, never renders it. */
export const OPAQUE_CONTENT_TYPE = 'application/octet-stream';

/** A file name's limit in UTF-8 bytes: what common file systems (ext4, ZIP readers) hold. */
export const MAX_FILE_NAME_BYTES = 255;

/** The name given to a file whose name is nothing once cleaned. */
export const FALLBACK_FILE_NAME = 'attachment';

/** `type/subtype` of RFC 6838 §4.2 (restricted-name characters), lower case. */
const MEDIA_TYPE_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * Controls a file name must not carry besides what XML cannot: TAB, LF, CR, DEL and C1 controls,
 * the line/paragraph separators, and the bidirectional overrides that make `fdp.exe` read `exe.pdf`.
 */
const NAME_CONTROL_RE = /[\t\n\r\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const SEPARATORS_RE = /[\\/]+/g;
/** An extension kept when a long name is shortened: a dot and up to 15 letters or digits. */
const EXTENSION_RE = /\.[\p{L}\p{N}]{1,15}$/u;

/** The bare `type/subtype` of a Content-Type value in lower case, without parameters; null when it is not one. */
export function parseContentType(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  // None of the allowed types takes a parameter, so all of them (charset included) are dropped.
  const type = raw.split(';', 1)[0]!.trim().toLowerCase();
  return MEDIA_TYPE_RE.test(type) ? type : null;
}

/** True when `type` (already parsed) is on ATTACHMENT_TYPES. */
export const isAllowedContentType = (type: string | null): type is (typeof ATTACHMENT_TYPES)[number] =>
  type !== null && (ATTACHMENT_TYPES as readonly string[]).includes(type);

/** The type a received file is stored and served as: its own when allowed, else application/octet-stream. */
export function servedContentType(raw: string | null | undefined): string {
  const type = parseContentType(raw);
  return isAllowedContentType(type) ? type : OPAQUE_CONTENT_TYPE;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` within `maxBytes` UTF-8 bytes, cut between code points. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    bytes += utf8Length(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/** Leading dots and spaces, trailing dots and spaces (Windows drops those; `..` then means nothing). */
const trimName = (s: string): string => s.trim().replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');

/** Why a name or type is refused, in English and Vietnamese: said after the field's name ("File name of attachment 1 …"). */
interface Problem {
  en: string;
  vi: string;
}

interface Cleaned {
  name: string;
  /** Why the name had to change, beyond trimming white space; empty when it did not. */
  problems: Problem[];
}

function clean(raw: string, fallback: string): Cleaned {
  const problems: Problem[] = [];
  const nfc = raw.normalize('NFC');
  const noControls = stripNonXmlChars(nfc).replace(NAME_CONTROL_RE, '');
  if (noControls !== nfc) problems.push({ en: 'must not contain control characters', vi: 'không được chứa ký tự điều khiển' });
  const noSeparators = noControls.replace(SEPARATORS_RE, '_');
  if (noSeparators !== noControls) problems.push({ en: 'must be a plain file name, without / or \\', vi: 'phải là tên tệp đơn thuần, không có / hoặc \\' });
  let name = trimName(noSeparators);
  if (name !== noSeparators.trim()) problems.push({ en: 'must not start or end with a dot', vi: 'không được bắt đầu hoặc kết thúc bằng dấu chấm' });
  const bytes = utf8Length(name);
  if (bytes > MAX_FILE_NAME_BYTES) {
    problems.push({
      en: `must be at most ${MAX_FILE_NAME_BYTES} bytes in UTF-8 (this one has ${bytes})`,
      vi: `không được dài quá ${MAX_FILE_NAME_BYTES} byte theo UTF-8 (tên này dài ${bytes} byte)`,
    });
    const extension = EXTENSION_RE.exec(name)?.[0] ?? '';
    const stem = trimName(truncateUtf8(name.slice(0, name.length - extension.length), MAX_FILE_NAME_BYTES - utf8Length(extension)));
    name = `${stem || fallback}${extension}`;
  }
  if (name === '') {
    problems.push({ en: 'must not be empty', vi: 'không được để trống' });
    name = fallback;
  }
  return { name, problems };
}

/**
 * A safe name for a received file: NFC, no control characters, `/` and `\` made `_`, no leading or
 * trailing dots or spaces, at most MAX_FILE_NAME_BYTES UTF-8 bytes (the extension kept), `fallback`
 * when nothing is left. Idempotent.
 */
export function normaliseFileName(raw: string | null | undefined, fallback: string = FALLBACK_FILE_NAME): string {
  return clean(raw ?? '', fallback).name;
}

/** The result of checking what a clerk uploads: the value to store, or why it is refused (in English and Vietnamese). */
export type UploadCheck = { ok: true; value: string } | { ok: false; problem: string; vi: string };

const refused = (problems: Problem[]): UploadCheck => ({ ok: false, problem: problems.map((p) => p.en).join('; '), vi: problems.map((p) => p.vi).join('; ') });

/** A clerk's file name: accepted (NFC, trimmed) when normaliseFileName would keep it, else the reason. */
export function checkUploadFileName(raw: string): UploadCheck {
  const { name, problems } = clean(raw, FALLBACK_FILE_NAME);
  return problems.length === 0 ? { ok: true, value: name } : refused(problems);
}

/** The allowed types by file extension (lower case): what an upload that names no type is read as. */
const TYPE_BY_EXTENSION: Readonly<Record<string, (typeof ATTACHMENT_TYPES)[number]>> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  zip: 'application/zip',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  tif: 'image/tiff',
  tiff: 'image/tiff',
};

/** What a clerk may send, in words rather than the twelve media types of ATTACHMENT_TYPES. */
const ACCEPTED: Problem = {
  en: 'PDF (.pdf), Word (.doc, .docx), Excel (.xls, .xlsx), OpenDocument (.odt, .ods), ZIP (.zip) or an image (.jpg, .png, .tif)',
  vi: 'PDF (.pdf), Word (.doc, .docx), Excel (.xls, .xlsx), OpenDocument (.odt, .ods), ZIP (.zip) hoặc ảnh (.jpg, .png, .tif)',
};

/** A file name's extension in lower case, without the dot; '' when it has none. */
const extensionOf = (name: string): string => /\.([\p{L}\p{N}]{1,15})$/u.exec(name.normalize('NFC').trim())?.[1]?.toLowerCase() ?? '';

/** The allowed type a file name's extension names (`Báo cáo.DOCX` → Word), or null. */
export function contentTypeFromName(name: string): (typeof ATTACHMENT_TYPES)[number] | null {
  return TYPE_BY_EXTENSION[extensionOf(name)] ?? null;
}

/** Declared types that say nothing about the file: none at all, or the generic byte stream. */
const SAYS_NOTHING = new Set(['', OPAQUE_CONTENT_TYPE]);

/**
 * A clerk's content type: the bare allowed type to store, else the reason. Where the client gave
 * none (or application/octet-stream, what curl and browsers send for a .docx they do not know), the
 * type is read from the file name's extension (`name`), and the allow-list decides as for any other.
 */
export function checkUploadContentType(raw: string | null | undefined, name?: string): UploadCheck {
  const declared = (raw ?? '').trim();
  const type = parseContentType(declared);
  if (isAllowedContentType(type)) return { ok: true, value: type };
  if (SAYS_NOTHING.has(type ?? declared)) {
    const inferred = name === undefined ? null : contentTypeFromName(name);
    if (inferred) return { ok: true, value: inferred };
    const extension = name === undefined ? '' : extensionOf(name);
    return refused([
      {
        en: `${declared ? `is ${OPAQUE_CONTENT_TYPE}, which does not say what the file is` : 'was not given'}, and ${extension ? `the extension .${extension}` : 'the file name'} names none of the accepted types: send ${ACCEPTED.en}`,
        vi: `${declared ? `là ${OPAQUE_CONTENT_TYPE}, không cho biết đó là tệp gì` : 'chưa được khai báo'}, và ${extension ? `phần mở rộng .${extension}` : 'tên tệp'} không ứng với kiểu tệp nào được chấp nhận: hãy gửi ${ACCEPTED.vi}`,
      },
    ]);
  }
  const shown = JSON.stringify(declared.length > 80 ? `${declared.slice(0, 80)}…` : declared);
  return refused([{ en: `is ${shown}, which is not accepted: send ${ACCEPTED.en}`, vi: `là ${shown}, kiểu tệp không được chấp nhận: hãy gửi ${ACCEPTED.vi}` }]);
}
