/**
 * Base64 (RFC 4648 §4, padded, unwrapped) as the packages and the API carry files. A large file's
 * base64 is read and decoded here as bytes, slice by slice: a string of the whole would be 4/3 of the
 * file, twice that when it is joined to text with any non-Latin-1 letter (issue 16).
 */

import { randomBytes } from 'node:crypto';

const NOT_BASE64_RE = /[^A-Za-z0-9+/=]/;

/** True when `s` is canonical unwrapped base64 (RFC 4648 §4 alphabet, padded). Linear, no backtracking. */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0 || NOT_BASE64_RE.test(s)) return false;
  const pad = s.indexOf('=');
  return pad < 0 || (pad >= s.length - 2 && (pad === s.length - 1 || s[s.length - 1] === '='));
}

/** Base64 characters read per slice (a multiple of 4, so that slices decode on their own). */
const SLICE = 4 * 64 * 1024;

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** isBase64 for base64 held as bytes (ASCII), read in slices: no string of the whole is made. */
export function isBase64Run(bytes: Uint8Array): boolean {
  const run = asBuffer(bytes);
  if (run.length % 4 !== 0) return false;
  for (let at = 0; at < run.length; at += SLICE) {
    const slice = run.toString('latin1', at, Math.min(at + SLICE, run.length));
    // Padding ends the whole, never a slice before the last.
    if (!isBase64(slice) || (at + SLICE < run.length && slice.endsWith('='))) return false;
  }
  return true;
}

/** The bytes of base64 held as bytes, which must satisfy isBase64Run; decoded slice by slice. */
export function decodeBase64Run(bytes: Uint8Array): Buffer {
  const run = asBuffer(bytes);
  const padding = run.length === 0 ? 0 : run[run.length - 1] !== 0x3d ? 0 : run[run.length - 2] === 0x3d ? 2 : 1;
  const out = Buffer.allocUnsafe((run.length / 4) * 3 - padding);
  let written = 0;
  for (let at = 0; at < run.length; at += SLICE) written += out.write(run.toString('latin1', at, Math.min(at + SLICE, run.length)), written, 'base64');
  if (written !== out.length) throw new Error(`decodeBase64Run: decoded ${written} of ${out.length} bytes`);
  return out;
}

/** Bytes encoded per slice by base64Slices (a multiple of 3, so the slices' base64 concatenate to the whole's). */
const ENCODE_SLICE = 3 * 64 * 1024;

/** Calls `each` with the base64 of `content`, slice by slice, in order: no string of the whole is made. */
export function base64Slices(content: Uint8Array, each: (base64: string) => void): void {
  const bytes = asBuffer(content);
  for (let at = 0; at < bytes.length; at += ENCODE_SLICE) each(bytes.toString('base64', at, Math.min(at + ENCODE_SLICE, bytes.length)));
}

/** Length of the padded base64 of `bytes` bytes. */
export const base64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);

const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') ALPHABET[c.charCodeAt(0)] = 1;

/** A run of base64 characters cut out of some bytes, and the placeholder that stands in its place. */
export interface CutRun {
  readonly start: number;
  readonly end: number;
  /** 32 random base64 characters, found nowhere in the bytes and once in the reduced bytes. */
  readonly placeholder: string;
}

/** At most this many runs are cut out of one input (a document has at most 50 files); more: none. */
export const MAX_CUT_RUNS = 256;

/**
 * Cuts each run of at least `min` base64 characters that lies directly between a byte `open` and a
 * byte `close` out of `bytes`, and puts a placeholder in its place (the large files of a package,
 * between `>` and `<`, or of a JSON body, between quotes). Returns the runs in order, the reduced
 * bytes, and the 16 characters every placeholder begins with (`prefix`: found nowhere in `bytes`,
 * and in the reduced bytes exactly where the placeholders are, so one search for it finds them
 * all — the checks are linear in the input, however many runs it has). Undefined when there is no
 * run, more than MAX_CUT_RUNS, or the prefix could not be made unique.
 */
export function cutBase64Runs(bytes: Buffer, open: number, close: number, min: number): { runs: CutRun[]; reduced: Buffer; prefix: string } | undefined {
  const prefix = randomBytes(12).toString('base64'); // 16 characters of A–Z a–z 0–9 + /
  const runs: CutRun[] = [];
  const taken = new Set<string>();
  let at = bytes.indexOf(open);
  while (at >= 0) {
    const start = at + 1;
    let end = start;
    while (end < bytes.length && ALPHABET[bytes[end] as number] === 1) end++;
    if (end - start >= min && bytes[end] === close) {
      const placeholder = prefix + randomBytes(12).toString('base64');
      if (taken.has(placeholder) || runs.length >= MAX_CUT_RUNS) return undefined;
      taken.add(placeholder);
      runs.push({ start, end, placeholder });
    }
    at = bytes.indexOf(open, Math.max(end, start));
  }
  if (runs.length === 0 || bytes.indexOf(prefix, 0, 'latin1') >= 0) return undefined;
  const pieces: Buffer[] = [];
  const expected: number[] = [];
  let last = 0;
  let offset = 0;
  for (const run of runs) {
    pieces.push(bytes.subarray(last, run.start), Buffer.from(run.placeholder, 'latin1'));
    offset += run.start - last;
    expected.push(offset);
    offset += run.placeholder.length;
    last = run.end;
  }
  pieces.push(bytes.subarray(last));
  const reduced = Buffer.concat(pieces);
  // The prefix occurs exactly at the placeholders (none straddles one's edge): each is there once.
  let found = 0;
  for (let i = reduced.indexOf(prefix, 0, 'latin1'); i >= 0; i = reduced.indexOf(prefix, i + 1, 'latin1')) {
    if (expected[found] !== i) return undefined;
    found++;
  }
  if (found !== runs.length) return undefined;
  return { runs, reduced, prefix };
}
