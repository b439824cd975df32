/**
 * Hostile bodies, generated on the fly: every body is a sequence of chunks cut from a few shared
 * buffers made once, so the harness never holds more than one chunk of any body (a 200 MB JSON
 * body costs the client 64 KiB, however many are in flight).
 */
import { randomBytes } from 'node:crypto';

/** Chunk size of every streamed body. */
export const CHUNK = 64 * 1024;

/** A body: its exact length (for Content-Length) and a fresh generator of its chunks. */
export interface Body {
  bytes: number;
  chunks(): Generator<Buffer>;
}

/** `head`, then `fillBytes` bytes cut from `fill` (repeated), then `tail`. */
function framed(head: string | Buffer, fill: Buffer, fillBytes: number, tail: string | Buffer): Body {
  const h = typeof head === 'string' ? Buffer.from(head) : head;
  const t = typeof tail === 'string' ? Buffer.from(tail) : tail;
  return {
    bytes: h.length + fillBytes + t.length,
    *chunks() {
      if (h.length) yield h;
      let left = fillBytes;
      while (left > 0) {
        const n = Math.min(left, fill.length);
        yield n === fill.length ? fill : fill.subarray(0, n);
        left -= n;
      }
      if (t.length) yield t;
    },
  };
}

const LETTERS = Buffer.alloc(CHUNK, 'A');
/** `<a/>` × 16,384 — 4 bytes an element, so a chunk always ends between two elements. */
const ELEMENTS = Buffer.from('<a/>'.repeat(CHUNK / 4));
/** Bytes a Windows executable might start with, then noise: a "bogus file". */
const NOISE = (() => {
  const b = randomBytes(CHUNK);
  b.write('MZ\x90\x00', 0, 'latin1');
  return b;
})();

/**
 * A JSON object whose one string field is `totalBytes` long: looks like a real input to every JSON
 * route (agency, user, document, status, package), so only a size limit can stop it.
 */
export function oversizedJson(totalBytes: number): Body {
  const head = '{"code":"000.00.99.H33","name":"';
  const tail = '","level":"commune"}';
  return framed(head, LETTERS, Math.max(0, totalBytes - head.length - tail.length), tail);
}

/** A small JSON body of about `bytes` (0 → empty): the body of an unauthenticated request. */
export function smallJson(bytes: number): Body {
  if (bytes <= 0) return { bytes: 0, *chunks() {} };
  return oversizedJson(Math.max(64, bytes));
}

/** `<edXML>` + `<a/>` × `elements` + `</edXML>` (6,000,000 elements ≈ 24 MB: the case). */
export function elementFlood(elements: number): Body {
  const head = '<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">';
  return framed(head, ELEMENTS, elements * 4, '</edXML>');
}

const attributeCache = new Map<number, Buffer>();
/** One element with `attributes` distinct attributes (200,000 ≈ 2.5 MB), made once per count. */
export function attributeFlood(attributes: number): Body {
  let whole = attributeCache.get(attributes);
  if (!whole) {
    const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?><edXML'];
    for (let i = 0; i < attributes; i++) parts.push(` a${i.toString(36)}="${i % 10}"`);
    parts.push('/>');
    whole = Buffer.from(parts.join(''));
    attributeCache.set(attributes, whole);
  }
  const body = whole;
  return {
    bytes: body.length,
    *chunks() {
      for (let at = 0; at < body.length; at += CHUNK) yield body.subarray(at, Math.min(body.length, at + CHUNK));
    },
  };
}

/** The metadata of a document that must never be created (a recipient no node knows). */
function bogusMetadata(): string {
  return JSON.stringify({
    type: 'CT',
    notation: 'CT-UBND',
    subject: 'Tệp đính kèm giả (attack harness)',
    promulgation: { place: 'Nowhere', date: '2020-01-01' },
    signer: { fullName: 'Attacker', position: 'None' },
    to: ['999.99.99.Z99'],
  });
}

export const MULTIPART_BOUNDARY = `----lienthong-attack-${randomBytes(12).toString('hex')}`;

/**
 * multipart/form-data with one bogus file of `fileBytes` first (an executable posing as a PDF) and
 * the `metadata` part last, so the server has to read the whole file before it sees the metadata.
 */
export function multipartOneFile(fileBytes: number): Body {
  const b = MULTIPART_BOUNDARY;
  const head =
    `--${b}\r\nContent-Disposition: form-data; name="file"; filename="../../../etc/cron.d/ho-so.pdf.exe"\r\n` +
    `Content-Type: application/x-msdownload\r\n\r\n`;
  const tail = `\r\n--${b}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${bogusMetadata()}\r\n--${b}--\r\n`;
  return framed(head, NOISE, fileBytes, tail);
}

/**
 * multipart/form-data with `files` bogus files of `fileBytes` each (one with a 12,000-character
 * name, names with `/`, `..` and control characters) and the metadata last.
 */
export function multipartManyFiles(files: number, fileBytes: number): Body {
  const b = MULTIPART_BOUNDARY;
  const content = NOISE.subarray(0, Math.min(fileBytes, NOISE.length));
  const header = (i: number) => {
    const name = i === 0 ? `${'x'.repeat(12_000)}.pdf` : `..%2F..%2Fpart-${i}\u0001.svg`;
    return Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file${i}"; filename="${name}"\r\nContent-Type: image/svg+xml\r\n\r\n`);
  };
  const tail = Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${bogusMetadata()}\r\n--${b}--\r\n`);
  const crlf = Buffer.from('\r\n');
  let bytes = tail.length;
  for (let i = 0; i < files; i++) bytes += header(i).length + content.length + crlf.length;
  return {
    bytes,
    *chunks() {
      for (let i = 0; i < files; i++) {
        yield header(i);
        yield content;
        yield crlf;
      }
      yield tail;
    },
  };
}

/** The Content-Type spellings of a JSON body; `undefined` is "no Content-Type header". */
export const JSON_SPELLINGS: ReadonlyArray<string | undefined> = [
  'application/json',
  'Application/JSON',
  'application/vnd.x+json',
  'text/plain',
  undefined,
  'application/json; charset=utf-8',
];

export const spellingName = (s: string | undefined): string => s ?? '(none)';
