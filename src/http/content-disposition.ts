import { normaliseFileName } from '../packages/attachment-policy.js';

/** What may stand in the quoted ASCII `filename=`: no quote, backslash, separator, `%` or control. */
const UNSAFE_ASCII_RE = /[^A-Za-z0-9 ._()+-]/g;

/**
 * RFC 6266 `Content-Disposition` for a download, whoever named the file: the name goes through the
 * attachment policy first (no `/`, `\`, control characters or leading dots, bounded length), then
 * becomes an ASCII fallback of safe characters only (Vietnamese letters lose their marks) and the
 * exact UTF-8 name as RFC 8187 `filename*=UTF-8''…`, percent-encoded, so no quote, CR or LF can
 * reach the header and no client can be led to write outside its download folder.
 */
export function contentDisposition(filename: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const name = normaliseFileName(filename);
  const ascii =
    name
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/đ/g, 'd')
      .replace(/Đ/g, 'D')
      .replace(UNSAFE_ASCII_RE, '_')
      .replace(/^[.\s]+/, '') || 'attachment';
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/** RFC 8187 attr-chars only: encodeURIComponent leaves `'()*` as they are, and a `'` would end the charset part. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A download: the bytes with their type and length, `contentDisposition(filename)`, and nosniff (never rendered as another type). */
export function downloadResponse(bytes: Uint8Array, contentType: string, filename: string): Response {
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-length': String(bytes.length),
      'content-disposition': contentDisposition(filename),
      'x-content-type-options': 'nosniff',
    },
  });
}
