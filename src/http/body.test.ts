import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { carriesBody, JOIN_SLICE_BYTES, joinChunks, readBodyLimited, readMultipart } from './body.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A POST whose body streams `bytes` in chunks of `chunk` bytes, with the headers given. */
function post(bytes: Buffer, headers: Record<string, string> = {}, chunk = 64 * KiB): Request {
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + chunk));
      at += chunk;
    },
  });
  return new Request('http://node.test/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

/** Counts turns of the event loop (setImmediate) while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  running = false;
  return { result, turns };
}

describe('readBodyLimited', () => {
  it('reads a body with a Content-Length into one buffer, chunk by chunk, reporting progress', async () => {
    const bytes = randomBytes(3 * MiB + 123);
    const progress: number[] = [];
    const read = await readBodyLimited(post(bytes, { 'content-length': String(bytes.length) }), 4 * MiB, { onProgress: (n) => progress.push(n) });
    expect(read.equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('reads a small announced body whole, and still refuses more bytes than the limit when they come anyway', async () => {
    const bytes = randomBytes(100 * KiB);
    expect((await readBodyLimited(post(bytes, { 'content-length': String(bytes.length) }), MiB)).equals(bytes)).toBe(true);
    // In process nothing holds a body to its Content-Length (the HTTP parser does on a socket).
    const refused = await readBodyLimited(post(bytes, { 'content-length': String(10 * KiB) }), 50 * KiB).catch((e: unknown) => e);
    expect((refused as DomainError).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps every byte when a body runs past its Content-Length (the HTTP parser never lets it; still correct)', async () => {
    const bytes = randomBytes(200 * KiB);
    const read = await readBodyLimited(post(bytes, { 'content-length': String(100 * KiB) }), MiB);
    expect(read.equals(bytes)).toBe(true);
  });

  it('joins a chunked body in slices, giving the event loop turns between them', async () => {
    const bytes = randomBytes(3 * JOIN_SLICE_BYTES + 5);
    const { result, turns } = await turnsDuring(() => readBodyLimited(post(bytes), 4 * JOIN_SLICE_BYTES));
    expect(result.equals(bytes)).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(3);
  });

  it('reads a large body into shared memory when asked, announced or chunked, to the same bytes', async () => {
    const bytes = randomBytes(2 * JOIN_SLICE_BYTES + 7);
    for (const headers of [{ 'content-length': String(bytes.length) }, {}] as Array<Record<string, string>>) {
      const shared = await readBodyLimited(post(bytes, headers), 4 * MiB, { shared: true });
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared.equals(bytes)).toBe(true);
      const plain = await readBodyLimited(post(bytes, headers), 4 * MiB);
      expect(plain.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect(plain.equals(bytes)).toBe(true);
    }
  });

  it('refuses 413 past the limit, whether announced or counted, and an empty body is empty', async () => {
    const bytes = randomBytes(2 * MiB);
    for (const headers of [{ 'content-length': String(bytes.length) }, {}] as Array<Record<string, string>>) {
      const refused = await readBodyLimited(post(bytes, headers), MiB).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DomainError);
      expect((refused as DomainError).code).toBe('PAYLOAD_TOO_LARGE');
    }
    expect((await readBodyLimited(post(Buffer.alloc(0), { 'content-length': '0' }), MiB)).length).toBe(0);
  });
});

describe('carriesBody', () => {
  it('answers from the headers when they say, without making the body stream', () => {
    const announced = post(randomBytes(10), { 'content-length': '10' });
    expect(carriesBody(announced)).toBe(true);
    expect(announced.bodyUsed).toBe(false);
    expect(carriesBody(post(Buffer.alloc(0), { 'content-length': '0' }))).toBe(false);
    expect(carriesBody(post(randomBytes(10), { 'transfer-encoding': 'chunked' }))).toBe(true);
    // Nothing announced: in-process requests are asked for their stream; GET has none.
    expect(carriesBody(post(randomBytes(10)))).toBe(true);
    expect(carriesBody(new Request('http://node.test/', { method: 'POST' }))).toBe(false);
    expect(carriesBody(new Request('http://node.test/'))).toBe(false);
  });
});

describe('joinChunks', () => {
  it('gives the same bytes as Buffer.concat, small or large', async () => {
    for (const sizes of [[], [10], [1, 2, 3], Array.from({ length: 100 }, () => 100 * KiB), [JOIN_SLICE_BYTES, 1, JOIN_SLICE_BYTES]]) {
      const chunks = sizes.map((n) => randomBytes(n));
      expect((await joinChunks(chunks)).equals(Buffer.concat(chunks))).toBe(true);
    }
  });
});

describe('readMultipart', () => {
  it('returns each file whole, a large one included', async () => {
    const big = randomBytes(2 * JOIN_SLICE_BYTES + 17);
    const small = randomBytes(10);
    const boundary = 'b0undary';
    const part = (name: string, file: Buffer) =>
      Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`), file, Buffer.from('\r\n')]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{}\r\n`),
      part('big.pdf', big),
      part('small.pdf', small),
      part('empty.pdf', Buffer.alloc(0)),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const form = await readMultipart(post(body, { 'content-type': `multipart/form-data; boundary=${boundary}` }), { maxBytes: 4 * JOIN_SLICE_BYTES, maxFiles: 5 });
    expect(form.fields.get('metadata')).toBe('{}');
    expect(form.files.map((f) => [f.name, f.content.length])).toEqual([
      ['big.pdf', big.length],
      ['small.pdf', 10],
      ['empty.pdf', 0],
    ]);
    expect(form.files[0]!.content.equals(big)).toBe(true);
    expect(form.files[1]!.content.equals(small)).toBe(true);
    // Each file's digest was made as its chunks arrived, and is the digest of the whole file.
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(form.files.map((f) => f.sha256)).toEqual([sha(big), sha(small), sha(Buffer.alloc(0))]);
  });

  it('reads text fields and file names in NFC, a password as it was sent (issue 15)', async () => {
    const boundary = 'b0undary';
    const nfd = (s: string) => s.normalize('NFD');
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="subject"\r\n\r\n${nfd('Về việc')}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${nfd('mật khẩu')}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${nfd('Tờ trình.pdf')}"\r\n\r\nx\r\n`),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const form = await readMultipart(post(body, { 'content-type': `multipart/form-data; boundary=${boundary}` }), { maxBytes: MiB, maxFiles: 5 });
    expect(form.fields.get('subject')).toBe('Về việc'.normalize('NFC'));
    expect(form.fields.get('password')).toBe(nfd('mật khẩu'));
    // A part without a Content-Type is text/plain (RFC 7578 §4.4): the documents route reads it as none.
    expect(form.files.map((f) => [f.name, f.contentType])).toEqual([['Tờ trình.pdf'.normalize('NFC'), 'text/plain']]);
  });
});
