import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { DomainError } from '../errors.js';
import { normaliseField } from './edge-input.js';

/**
 * The limit of a document sent as JSON: its files travel base64-encoded (4/3 of their size), plus
 * up to 1 MiB of metadata.
 */
export function jsonDocumentLimit(maxBodyBytes: number): number {
  return Math.ceil((maxBodyBytes * 4) / 3) + 1024 * 1024;
}

/**
 * Whether a request carries a body, from its headers when they say so: the body stream itself is
 * not made (on @hono/node-server, touching `request.body` builds a web stream over the socket and
 * starts reading it, and takes away the direct read of request.arrayBuffer()), so a request refused
 * before its body is read costs no stream. Requests that announce nothing (in-process ones, HTTP/2)
 * are asked for their stream, except GET and HEAD, which have none.
 */
export function carriesBody(request: Request): boolean {
  const announced = announcedLength(request);
  if (announced !== undefined) return announced > 0;
  if (request.headers.has('transfer-encoding')) return true;
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  return request.body !== null;
}

/** The announced Content-Length, when there is one and it is a number. */
export function announcedLength(request: Request): number | undefined {
  const header = request.headers.get('content-length');
  if (header === null || !/^\d{1,15}$/.test(header.trim())) return undefined;
  return Number(header);
}

/**
 * Reads a request body up to `maxBytes`, counting while it streams: an oversize body is refused
 * with 413 as soon as the limit is crossed, without buffering the rest (a Content-Length that
 * announces too much is refused before reading anything).
 *
 * The event loop is never held for the whole body at once (issue 11: a copy of 50 MB takes it for
 * tens of ms, longer on a busy machine): a body with a Content-Length is copied chunk by chunk, as
 * it arrives, into one buffer of that length (which takes no memory before the bytes arrive, and
 * which the admission budget has counted already); a chunked body is joined at its end in slices
 * (joinChunks). A small announced body (up to JOIN_SLICE_BYTES) is read whole with
 * request.arrayBuffer(), which @hono/node-server serves from the socket without web streams; the
 * HTTP parser never hands over more than the Content-Length, and the length is checked again.
 *
 * `shared`: a body of more than JOIN_SLICE_BYTES is read into shared memory (a SharedArrayBuffer),
 * so that a checking thread reads it where it is (sign-pool.ts checkPackage) instead of being handed
 * a copy made in one turn of the event loop. Nothing writes to a body once it is read.
 */
export async function readBodyLimited(request: Request, maxBytes: number, options: { onProgress?: (bytesRead: number) => void; shared?: boolean } = {}): Promise<Buffer> {
  const { onProgress } = options;
  const announced = announcedLength(request);
  if (announced !== undefined && announced > maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `The body (${announced} bytes) exceeds the limit of ${maxBytes} bytes.`);
  }
  if (announced !== undefined && announced <= JOIN_SLICE_BYTES) {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await request.arrayBuffer());
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError('BAD_REQUEST', `The request body could not be read to its end: ${(error as Error).message}.`);
    }
    if (bytes.length > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `The body exceeds the limit of ${maxBytes} bytes.`);
    onProgress?.(bytes.length);
    return bytes;
  }
  if (!request.body) return Buffer.alloc(0);
  // The announced length, filled as the chunks come; anything else (no length, or more bytes than
  // it said, which the HTTP parser never hands over) as a list of chunks.
  const allocate = (length: number) => (options.shared ? Buffer.from(new SharedArrayBuffer(length)) : Buffer.allocUnsafeSlow(length));
  let whole = announced ? allocate(announced) : undefined;
  let chunks: Buffer[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      // The client went away mid-body (ECONNRESET, "aborted"), or a meter refused the rest.
      if (error instanceof DomainError) throw error;
      throw new DomainError('BAD_REQUEST', `The request body could not be read to its end: ${(error as Error).message}.`);
    }
    const { done, value } = chunk;
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new DomainError('PAYLOAD_TOO_LARGE', `The body exceeds the limit of ${maxBytes} bytes.`);
    }
    try {
      onProgress?.(total + value.byteLength);
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    if (whole && total + value.byteLength <= whole.length) {
      whole.set(value, total);
    } else {
      if (whole) chunks = [whole.subarray(0, total)];
      whole = undefined;
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    total += value.byteLength;
  }
  if (whole) return total === whole.length ? whole : whole.subarray(0, total);
  return joinChunks(chunks, allocate);
}

/** Bytes copied between two turns of the event loop when a body is joined (a few ms of copying). */
export const JOIN_SLICE_BYTES = 1024 * 1024;

/**
 * The chunks as one Buffer. Above JOIN_SLICE_BYTES the copy is made in slices with a turn of the
 * event loop between them, so a large body never holds the loop (and a /healthz probe) for its
 * whole length.
 */
export async function joinChunks(chunks: readonly Buffer[], allocate: (length: number) => Buffer = Buffer.allocUnsafeSlow): Promise<Buffer> {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total <= JOIN_SLICE_BYTES) return Buffer.concat(chunks, total);
  const joined = allocate(total);
  let offset = 0;
  let sinceTurn = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
    sinceTurn += chunk.length;
    if (sinceTurn >= JOIN_SLICE_BYTES) {
      sinceTurn = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return joined;
}

export interface MultipartFile {
  field: string;
  name: string;
  contentType: string;
  content: Buffer;
  /** SHA-256 (hex) of the content, hashed chunk by chunk as it arrived: no later pass over the whole file. */
  sha256: string;
}

/**
 * Streams a multipart/form-data body through busboy: text fields into strings, each file into one
 * Buffer (one copy, made in slices after the body is read: joinChunks), with limits on total size
 * and file count.
 */
export async function readMultipart(
  request: Request,
  limits: { maxBytes: number; maxFiles: number },
): Promise<{ fields: Map<string, string>; files: MultipartFile[] }> {
  const contentType = request.headers.get('content-type') ?? '';
  const announced = announcedLength(request);
  if (announced !== undefined && announced > limits.maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `The body (${announced} bytes) exceeds the limit of ${limits.maxBytes} bytes.`);
  }
  if (!request.body) throw new DomainError('BAD_REQUEST', 'The multipart body is empty.');
  const fields = new Map<string, string>();
  const parts: Array<Omit<MultipartFile, 'content'> & { chunks: Buffer[] }> = [];
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: { fileSize: limits.maxBytes, files: limits.maxFiles, fields: 20, fieldSize: 2 * 1024 * 1024 },
    });
  } catch (error) {
    throw new DomainError('BAD_REQUEST', `Not a multipart/form-data body: ${(error as Error).message}`);
  }
  let total = 0;
  let failure: DomainError | undefined;
  const done = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) failure ??= new DomainError('PAYLOAD_TOO_LARGE', `The field ${name} is too large.`);
      // Text in NFC as the JSON bodies' (edge-input.ts): the `metadata` part, and any form's fields.
      fields.set(name, normaliseField(name, value));
    });
    parser.on('file', (field, stream, info) => {
      // A body cut off mid-file makes busboy fail the file's stream too: it must not go unheard
      // (an 'error' event without a listener ends the process).
      stream.on('error', (error: Error) => {
        failure ??= new DomainError('BAD_REQUEST', `Malformed multipart body: ${error.message}`);
      });
      const chunks: Buffer[] = [];
      const digest = createHash('sha256');
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        total += chunk.length;
        if (total > limits.maxBytes) failure ??= new DomainError('PAYLOAD_TOO_LARGE', `The files exceed ${limits.maxBytes} bytes.`);
        if (!failure) {
          chunks.push(chunk);
          digest.update(chunk);
        }
      });
      stream.on('limit', () => {
        failure ??= new DomainError('PAYLOAD_TOO_LARGE', `The file ${info.filename} exceeds ${limits.maxBytes} bytes.`);
      });
      stream.on('end', () => {
        if (!failure) {
          const name = (info.filename || field).normalize('NFC');
          parts.push({ field, name, contentType: (info.mimeType || 'application/octet-stream').toLowerCase(), chunks: size ? chunks : [], sha256: digest.digest('hex') });
        }
      });
    });
    parser.on('filesLimit', () => {
      failure ??= new DomainError('VALIDATION_FAILED', `At most ${limits.maxFiles} files.`);
    });
    parser.on('error', (error: Error) => reject(new DomainError('BAD_REQUEST', `Malformed multipart body: ${error.message}`)));
    parser.on('close', () => resolve());
  });
  const source = Readable.fromWeb(request.body as WebReadableStream);
  // pipe() does not pass on a source's error (a client gone, or the body refused while it streamed):
  // busboy would wait for the rest for ever.
  source.on('error', (error) => {
    failure ??= error instanceof DomainError ? error : new DomainError('BAD_REQUEST', `The body could not be read: ${error.message}`);
    parser.destroy();
    source.unpipe(parser);
  });
  source.pipe(parser);
  await done;
  if (failure) throw failure;
  const files: MultipartFile[] = [];
  for (const { chunks, ...part } of parts) files.push({ ...part, content: chunks.length ? await joinChunks(chunks) : Buffer.alloc(0) });
  return { fields, files };
}
