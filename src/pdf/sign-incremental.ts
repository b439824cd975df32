/**
 * Incremental updates (ISO 32000-1 §7.5.6): the objects that are new or changed are appended after the
 * original bytes, with a cross-reference section of their own whose trailer points back (/Prev) to the
 * previous one. The earlier bytes are never rewritten, so a signature made over them stays valid: a
 * signature's /ByteRange covers the file as it was when it was signed, and the leader's signature has
 * to survive the văn thư's number and the agency's signature that follow it (NĐ 30 Điều 13–14).
 *
 * pdf-lib parses the file and builds the new objects, but its `save()` rewrites the whole file. So the
 * update is written here: every object is fingerprinted when the file is opened, and on `write()` the
 * ones whose serialisation changed, plus every object created since, are appended. Changes are found
 * rather than declared, so a change made by pdf-lib on the side (a page's /Annots, the AcroForm's
 * /Fields) cannot be forgotten and leave a dangling reference.
 */
import { createHash } from 'node:crypto';
import type { PDFObject, PDFRef } from 'pdf-lib';
import { PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import { DomainError } from '../errors.js';

/** The previous cross-reference section: where it is, its form, and the /Size it declared. */
interface PreviousXref {
  readonly offset: number;
  /** A cross-reference stream (PDF 1.5) rather than a classic `xref` table. */
  readonly stream: boolean;
  readonly size: number;
}

/** An update being prepared on a loaded document. */
export interface IncrementalUpdate {
  readonly doc: PDFDocument;
  /**
   * Reserves an object number for an object whose bytes the caller writes itself (the /Sig
   * dictionary, whose /ByteRange and /Contents are patched at fixed offsets after writing).
   */
  reserve(): PDFRef;
  /** The original bytes followed by the update; `raw` objects are written byte for byte. */
  write(raw?: ReadonlyMap<PDFRef, Buffer>): Promise<WrittenUpdate>;
}

export interface WrittenUpdate {
  readonly bytes: Buffer;
  /** Where each object of the update starts (its `N G obj` line), by object number. */
  readonly offsets: ReadonlyMap<number, number>;
}

// Enough of the file's tail to hold `startxref`, its offset and `%%EOF`, with some trailing junk.
const TAIL_BYTES = 2048;

/** Bytes of one object as pdf-lib serialises it. */
function serialise(object: PDFObject): Buffer {
  const out = Buffer.alloc(object.sizeInBytes());
  object.copyBytesInto(out, 0);
  return out;
}

const fingerprint = (object: PDFObject): string => createHash('sha256').update(serialise(object)).digest('base64');

/** Finds the last cross-reference section; refuses a file whose end does not say where it is. */
export function previousXref(bytes: Buffer): PreviousXref {
  const tailStart = Math.max(0, bytes.length - TAIL_BYTES);
  const tail = bytes.subarray(tailStart).toString('latin1');
  const matches = [...tail.matchAll(/startxref\s+(\d+)\s+%%EOF/g)];
  const last = matches.at(-1);
  if (!last) throw new DomainError('VALIDATION_FAILED', 'the PDF does not end with startxref … %%EOF, so it cannot be updated incrementally');
  const offset = Number(last[1]);
  if (!Number.isSafeInteger(offset) || offset >= bytes.length) throw new DomainError('VALIDATION_FAILED', 'the PDF startxref offset points outside the file');
  const head = bytes.subarray(offset, Math.min(bytes.length, offset + 64)).toString('latin1');
  const stream = !/^\s*xref/.test(head);
  if (stream && !/^\s*\d+\s+\d+\s+obj/.test(head)) throw new DomainError('VALIDATION_FAILED', 'the PDF startxref offset does not point at a cross-reference section');
  // The table's trailer dictionary, or the stream's own dictionary, carries /Size.
  const dictStart = stream ? offset : bytes.indexOf('trailer', offset, 'latin1');
  const dict = dictStart < 0 ? '' : bytes.subarray(dictStart, Math.min(bytes.length, dictStart + 4096)).toString('latin1');
  const size = Number(/\/Size\s+(\d+)/.exec(dict)?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(size)) throw new DomainError('VALIDATION_FAILED', 'the PDF trailer has no /Size');
  return { offset, stream, size };
}

/**
 * Loads `bytes` for an incremental update. Encrypted files are refused (pdf-lib cannot write their
 * objects back encrypted), and the metadata is left alone: a changed /Info would be a change too.
 */
export async function openIncrementalUpdate(bytes: Uint8Array): Promise<IncrementalUpdate> {
  const original = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prev = previousXref(original);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(original, { updateMetadata: false });
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `the PDF cannot be read: ${(cause as Error).message}`, { cause });
  }
  const { context } = doc;
  const before = new Map<PDFRef, string>();
  for (const [ref, object] of context.enumerateIndirectObjects()) before.set(ref, fingerprint(object));
  // New objects take numbers above every number the file has used, free entries at the end included.
  context.largestObjectNumber = Math.max(context.largestObjectNumber, prev.size - 1);

  return {
    doc,
    reserve: () => context.nextRef(),
    async write(raw = new Map()) {
      await doc.flush(); // fonts and images are embedded lazily; make their objects now
      const objects: { ref: PDFRef; bytes: Buffer }[] = [];
      for (const [ref, object] of context.enumerateIndirectObjects()) {
        const old = before.get(ref);
        if (old === undefined || old !== fingerprint(object)) objects.push({ ref, bytes: serialise(object) });
      }
      for (const ref of before.keys()) {
        if (!context.lookup(ref)) throw new Error(`object ${ref.toString()} was deleted: an incremental update here only adds and changes objects`);
      }
      for (const [ref, bytes] of raw) objects.push({ ref, bytes });
      return appendUpdate(original, prev, doc, objects);
    },
  };
}

/** Writes the update: objects, then a cross-reference section of the same form as the previous one. */
function appendUpdate(original: Buffer, prev: PreviousXref, doc: PDFDocument, objects: { ref: PDFRef; bytes: Buffer }[]): WrittenUpdate {
  const parts: Buffer[] = [original];
  let length = original.length;
  const push = (chunk: Buffer | string) => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    parts.push(b);
    length += b.length;
  };
  // The original may end right after %%EOF; the update starts on a line of its own.
  if (original.at(-1) !== 0x0a && original.at(-1) !== 0x0d) push('\n');

  const offsets = new Map<number, number>();
  const entries: { number: number; generation: number; offset: number }[] = [];
  for (const { ref, bytes } of [...objects].sort((a, b) => a.ref.objectNumber - b.ref.objectNumber)) {
    offsets.set(ref.objectNumber, length);
    entries.push({ number: ref.objectNumber, generation: ref.generationNumber, offset: length });
    push(`${ref.objectNumber} ${ref.generationNumber} obj\n`);
    push(bytes);
    push('\nendobj\n');
  }

  const { context } = doc;
  // The new trailer repeats the previous one's entries and adds /Prev (§7.5.6).
  const trailer = (size: number) => context.obj({ Size: size, Root: context.trailerInfo.Root, Info: context.trailerInfo.Info, ID: context.trailerInfo.ID, Prev: prev.offset });
  const xrefOffset = length;
  if (prev.stream) {
    // A PDF 1.5 file gets a cross-reference stream, which lists itself too (ISO 32000-1 §7.5.8).
    const self = context.nextRef();
    entries.push({ number: self.objectNumber, generation: 0, offset: xrefOffset });
    const size = Math.max(prev.size, self.objectNumber + 1);
    const { index, rows } = xrefStreamRows(entries);
    const dict = trailer(size);
    dict.set(PDFName.of('Type'), PDFName.of('XRef'));
    dict.set(PDFName.of('W'), context.obj([1, 4, 2]));
    dict.set(PDFName.of('Index'), context.obj(index));
    dict.set(PDFName.of('Length'), PDFNumber.of(rows.length));
    push(`${self.objectNumber} 0 obj\n`);
    push(serialise(dict));
    push('\nstream\n');
    push(rows);
    push('\nendstream\nendobj\n');
  } else {
    const size = Math.max(prev.size, ...entries.map((e) => e.number + 1));
    push(xrefTable(entries));
    push('trailer\n');
    push(serialise(trailer(size)));
    push('\n');
  }
  push(`startxref\n${xrefOffset}\n%%EOF\n`);
  return { bytes: Buffer.concat(parts, length), offsets };
}

/** Consecutive object numbers grouped into subsections: [first, count] pairs in order. */
function subsections(entries: readonly { number: number }[]): { first: number; count: number }[] {
  const sorted = [...entries].sort((a, b) => a.number - b.number);
  const out: { first: number; count: number }[] = [];
  for (const e of sorted) {
    const last = out.at(-1);
    if (last && last.first + last.count === e.number) last.count += 1;
    else out.push({ first: e.number, count: 1 });
  }
  return out;
}

/** A classic table: 20-byte entries, `nnnnnnnnnn ggggg n` and a two-character end of line. */
function xrefTable(entries: readonly { number: number; generation: number; offset: number }[]): string {
  const byNumber = new Map(entries.map((e) => [e.number, e]));
  let out = 'xref\n';
  for (const { first, count } of subsections(entries)) {
    out += `${first} ${count}\n`;
    for (let n = first; n < first + count; n++) {
      const e = byNumber.get(n)!;
      out += `${String(e.offset).padStart(10, '0')} ${String(e.generation).padStart(5, '0')} n\r\n`;
    }
  }
  return out;
}

/** Rows of a cross-reference stream with /W [1 4 2]: type 1, offset, generation; uncompressed. */
function xrefStreamRows(entries: readonly { number: number; generation: number; offset: number }[]): { index: number[]; rows: Buffer } {
  const byNumber = new Map(entries.map((e) => [e.number, e]));
  const groups = subsections(entries);
  const rows = Buffer.alloc(entries.length * 7);
  let at = 0;
  for (const { first, count } of groups) {
    for (let n = first; n < first + count; n++) {
      const e = byNumber.get(n)!;
      if (e.offset > 0xffffffff) throw new DomainError('PAYLOAD_TOO_LARGE', 'PDF files over 4 GiB are not signed here');
      rows.writeUInt8(1, at);
      rows.writeUInt32BE(e.offset, at + 1);
      rows.writeUInt16BE(e.generation, at + 5);
      at += 7;
    }
  }
  return { index: groups.flatMap((g) => [g.first, g.count]), rows };
}
