import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { DomainError } from '../errors.js';

/**
 * The limit of a document sent as JSON: its files travel base64-encoded (4/3 of their size), plus
 * up to 1 MiB of metadata.
 */
export function jsonDocumentLimit(maxBodyBytes: number): number {
  return Math.ceil((maxBodyBytes * 4) / 3) + 1024 * 1024;
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
 */
export async function readBodyLimited(request: Request, maxBytes: number, onProgress?: (bytesRead: number) => void): Promise<Buffer> {
  const announced = announcedLength(request);
  if (announced !== undefined && announced > maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `The body (${announced} bytes) exceeds the limit of ${maxBytes} bytes.`);
  }
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
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
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new DomainError('PAYLOAD_TOO_LARGE', `The body exceeds the limit of ${maxBytes} bytes.`);
    }
    try {
      onProgress?.(total);
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}

export interface MultipartFile {
  field: string;
  name: string;
  contentType: string;
  content: Buffer;
}

/**
 * Streams a multipart/form-data body through busboy: text fields into strings, each file into one
 * Buffer (one copy), with limits on total size and file count.
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
  const files: MultipartFile[] = [];
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
      fields.set(name, value);
    });
    parser.on('file', (field, stream, info) => {
      // A body cut off mid-file makes busboy fail the file's stream too: it must not go unheard
      // (an 'error' event without a listener ends the process).
      stream.on('error', (error: Error) => {
        failure ??= new DomainError('BAD_REQUEST', `Malformed multipart body: ${error.message}`);
      });
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        total += chunk.length;
        if (total > limits.maxBytes) failure ??= new DomainError('PAYLOAD_TOO_LARGE', `The files exceed ${limits.maxBytes} bytes.`);
        if (!failure) chunks.push(chunk);
      });
      stream.on('limit', () => {
        failure ??= new DomainError('PAYLOAD_TOO_LARGE', `The file ${info.filename} exceeds ${limits.maxBytes} bytes.`);
      });
      stream.on('end', () => {
        if (!failure) {
          files.push({
            field,
            name: info.filename || field,
            contentType: (info.mimeType || 'application/octet-stream').toLowerCase(),
            content: Buffer.concat(chunks, size),
          });
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
  return { fields, files };
}
