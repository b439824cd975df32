/**
 * The object layer of a PDF file as a signature verifier needs it (ISO 32000-2 §7.5): indirect
 * objects at byte offsets, object streams, and the cross-reference view of a revision — which object
 * number a reader resolves to which bytes once it has followed the `startxref` of that revision and its
 * `/Prev` chain. Two views of the same file (the revision a signature covers, and the last revision)
 * are what `structure-updates.ts` compares.
 *
 * Everything is bounded by `StructureLimits`: the /Prev chain, the bytes inflated from streams, the
 * number of objects scanned. When a cross-reference section cannot be read (a hostile or damaged
 * file), `reconstructView` rebuilds a view by scanning for `n g obj` headers, as readers do for
 * damaged files, and the view says it was reconstructed.
 */
import { inflateSync } from 'node:zlib';
import type { LexerLimits, PdfDict, PdfValue } from './structure-lexer.js';
import { DEFAULT_LEXER_LIMITS, StructureError, keywordAt, nameOf, readValue, skipWhite } from './structure-lexer.js';

/** Caps for reading one file's structure. */
export interface StructureLimits extends LexerLimits {
  /** Bytes inflated from object and cross-reference streams, summed over the whole file. */
  readonly maxInflatedBytes: number;
  /** Cross-reference sections followed through /Prev (and /XRefStm) for one view. */
  readonly maxXrefSections: number;
  /** Indirect objects scanned or visited in one pass. */
  readonly maxObjects: number;
}

export const DEFAULT_STRUCTURE_LIMITS: StructureLimits = {
  ...DEFAULT_LEXER_LIMITS,
  maxInflatedBytes: 16 * 1024 * 1024,
  maxXrefSections: 256,
  maxObjects: 200_000,
};

/** One file being read: its bytes, a Latin-1 view for searching, caches and the budgets spent. */
export class PdfFile {
  /** One character per byte, so string offsets are byte offsets. */
  readonly text: string;
  private inflated = 0;
  private readonly objectStreams = new Map<number, ObjectStream>();
  private readonly objects = new Map<number, IndirectObject>();

  constructor(
    readonly bytes: Buffer,
    readonly limits: StructureLimits = DEFAULT_STRUCTURE_LIMITS,
  ) {
    this.text = bytes.toString('latin1');
  }

  /** zlib-inflates `data`, charging the file's budget (a 1 KiB zip bomb cannot become 1 GiB). */
  inflate(data: Buffer, at: number): Buffer {
    const remaining = this.limits.maxInflatedBytes - this.inflated;
    if (remaining <= 0) throw new StructureError(`more than ${this.limits.maxInflatedBytes} bytes inflated from streams`, at);
    let out: Buffer;
    try {
      out = inflateSync(data, { maxOutputLength: remaining, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a missing end */ });
    } catch (cause) {
      throw new StructureError(`stream does not inflate (${(cause as Error).message})`, at);
    }
    this.inflated += out.length;
    return out;
  }

  /**
   * The indirect object at `offset`, read once: the graph walk and the comparison of revisions ask
   * for the same objects many times. Objects are immutable values, so sharing them is safe.
   */
  objectAt(offset: number, lengthOf?: (ref: { num: number; gen: number }) => number | undefined): IndirectObject {
    let obj = this.objects.get(offset);
    if (!obj) {
      obj = readIndirectObject(this, offset, lengthOf);
      this.objects.set(offset, obj);
    }
    return obj;
  }

  /** The parsed object stream stored at `offset` (cached: many objects live in one). */
  objectStreamAt(offset: number): ObjectStream {
    let os = this.objectStreams.get(offset);
    if (!os) {
      os = parseObjectStream(this, this.objectAt(offset));
      this.objectStreams.set(offset, os);
    }
    return os;
  }
}

/** An indirect object `num gen obj … endobj` at a file offset. */
export interface IndirectObject {
  readonly num: number;
  readonly gen: number;
  /** Offset of the `num` of the header. */
  readonly offset: number;
  readonly value: PdfValue;
  /** The raw (still encoded) stream data, when the object is a stream. */
  readonly stream?: { readonly start: number; readonly end: number };
  /** Offset just after the object (after `endobj` when present). */
  readonly end: number;
}

const HEADER = /(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]*obj(?![^\0\t\n\f\r ()<>[\]{}/%])/y;

/** Reads the indirect object whose header starts at `offset` (white space before it allowed). */
export function readIndirectObject(file: PdfFile, offset: number, lengthOf?: (ref: { num: number; gen: number }) => number | undefined): IndirectObject {
  const { bytes, text } = file;
  const at = skipWhite(bytes, offset, bytes.length);
  HEADER.lastIndex = at;
  const m = HEADER.exec(text);
  if (!m) throw new StructureError('no object header', at);
  const num = Number(m[1]);
  const gen = Number(m[2]);
  const { value, end: valueEnd } = readValue(bytes, HEADER.lastIndex, bytes.length, file.limits);
  let pos = skipWhite(bytes, valueEnd, bytes.length);
  let stream: IndirectObject['stream'];
  if (value.kind === 'dict' && keywordAt(bytes, pos, bytes.length) === 'stream') {
    stream = streamSpan(file, value, pos + 'stream'.length, lengthOf);
    pos = skipWhite(bytes, stream.end, bytes.length);
    if (keywordAt(bytes, pos, bytes.length) === 'endstream') pos = skipWhite(bytes, pos + 'endstream'.length, bytes.length);
  }
  if (keywordAt(bytes, pos, bytes.length) === 'endobj') pos += 'endobj'.length;
  return { num, gen, offset: at, value, ...(stream ? { stream } : {}), end: pos };
}

/**
 * Where a stream's data lies: from after the end of line following `stream`, /Length bytes when
 * that length lands on `endstream`, else up to the next `endstream` (as lenient readers do).
 */
function streamSpan(file: PdfFile, dict: PdfDict, afterKeyword: number, lengthOf?: (ref: { num: number; gen: number }) => number | undefined): { start: number; end: number } {
  const { bytes, text } = file;
  let start = afterKeyword;
  if (bytes[start] === 0x0d) start++;
  if (bytes[start] === 0x0a) start++;
  const declared = dict.entries.get('Length');
  const length = declared?.kind === 'number' ? declared.value : declared?.kind === 'ref' ? lengthOf?.(declared) : undefined;
  if (length !== undefined && Number.isSafeInteger(length) && length >= 0 && start + length <= bytes.length) {
    const after = skipWhite(bytes, start + length, bytes.length);
    if (keywordAt(bytes, after, bytes.length) === 'endstream') return { start, end: start + length };
  }
  const found = text.indexOf('endstream', start);
  if (found < 0) throw new StructureError('stream without endstream', start);
  let end = found;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  return { start, end: Math.max(start, end) };
}

/** The decoded data of a stream object: no filter, or FlateDecode with an optional PNG predictor. */
export function streamData(file: PdfFile, obj: IndirectObject): Buffer {
  if (!obj.stream || obj.value.kind !== 'dict') throw new StructureError('not a stream', obj.offset);
  const raw = file.bytes.subarray(obj.stream.start, obj.stream.end);
  const filter = obj.value.entries.get('Filter');
  const filters = filter === undefined ? [] : filter.kind === 'array' ? filter.items : [filter];
  if (filters.length === 0) return raw;
  if (filters.length > 1 || filters[0]?.kind !== 'name' || filters[0].value !== 'FlateDecode') throw new StructureError('unsupported stream filter', obj.offset);
  const inflated = file.inflate(raw, obj.offset);
  let parms = obj.value.entries.get('DecodeParms');
  if (parms?.kind === 'array') parms = parms.items[0];
  return parms?.kind === 'dict' ? unpredict(inflated, parms, obj.offset) : inflated;
}

const intOf = (v: PdfValue | undefined): number | undefined => (v?.kind === 'number' && v.integer ? v.value : undefined);

/** Undoes a PNG predictor (§7.4.4.4, predictors 10–15); cross-reference streams use Up (12). */
function unpredict(data: Buffer, parms: PdfDict, at: number): Buffer {
  const predictor = intOf(parms.entries.get('Predictor')) ?? 1;
  if (predictor === 1) return data;
  if (predictor < 10) throw new StructureError(`unsupported predictor ${predictor}`, at);
  const colors = intOf(parms.entries.get('Colors')) ?? 1;
  const bpc = intOf(parms.entries.get('BitsPerComponent')) ?? 8;
  const columns = intOf(parms.entries.get('Columns')) ?? 1;
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLength = Math.ceil((colors * bpc * columns) / 8);
  if (rowLength <= 0 || rowLength > 1 << 20) throw new StructureError('unreasonable predictor row length', at);
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = Buffer.alloc(rows * rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)];
    const row = r * rowLength;
    for (let i = 0; i < rowLength; i++) {
      const x = data[r * (rowLength + 1) + 1 + i] as number;
      const left = i >= bpp ? (out[row + i - bpp] as number) : 0;
      const up = r > 0 ? (out[row - rowLength + i] as number) : 0;
      const upLeft = r > 0 && i >= bpp ? (out[row - rowLength + i - bpp] as number) : 0;
      out[row + i] = (x + pngPredict(type, left, up, upLeft)) & 0xff;
    }
  }
  return out;
}

function pngPredict(type: number | undefined, left: number, up: number, upLeft: number): number {
  switch (type) {
    case 1:
      return left;
    case 2:
      return up;
    case 3:
      return (left + up) >> 1;
    case 4: {
      const p = left + up - upLeft;
      const pa = Math.abs(p - left), pb = Math.abs(p - up), pc = Math.abs(p - upLeft);
      return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
    }
    default:
      return 0;
  }
}

/** An object stream (§7.5.7): the objects it holds, by index. */
export interface ObjectStream {
  readonly data: Buffer;
  readonly members: readonly { readonly num: number; readonly offset: number }[];
}

function parseObjectStream(file: PdfFile, obj: IndirectObject): ObjectStream {
  if (obj.value.kind !== 'dict' || nameOf(obj.value, 'Type') !== 'ObjStm') throw new StructureError('not an object stream', obj.offset);
  const n = intOf(obj.value.entries.get('N'));
  const first = intOf(obj.value.entries.get('First'));
  if (n === undefined || first === undefined || n < 0 || first < 0 || n > file.limits.maxObjects) throw new StructureError('object stream without a usable /N and /First', obj.offset);
  const data = streamData(file, obj);
  const members: { num: number; offset: number }[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const a = readValue(data, pos, Math.min(first, data.length), file.limits);
    const b = readValue(data, a.end, Math.min(first, data.length), file.limits);
    const num = a.value.kind === 'number' ? a.value.value : -1;
    const offset = b.value.kind === 'number' ? b.value.value : -1;
    if (!Number.isSafeInteger(num) || !Number.isSafeInteger(offset) || num < 0 || offset < 0) throw new StructureError('bad object stream header', obj.offset);
    members.push({ num, offset: first + offset });
    pos = b.end;
  }
  return { data, members };
}

/** A cross-reference entry (§7.5.4, §7.5.8.3). */
export type XrefEntry =
  | { readonly type: 'free' }
  | { readonly type: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly type: 'compressed'; readonly stream: number; readonly index: number };

/** What a reader of one revision resolves object numbers to. */
export interface XrefView {
  readonly entries: ReadonlyMap<number, XrefEntry>;
  readonly trailer: PdfDict;
  /** True when the cross-reference data could not be read and objects were found by scanning. */
  readonly reconstructed: boolean;
}

/** The view of the revision whose `startxref` points at `offset`, following /XRefStm and /Prev. */
export function readXrefView(file: PdfFile, offset: number): XrefView {
  let entries = new Map<number, XrefEntry>();
  let trailer: PdfDict | undefined;
  const seen = new Set<number>();
  const queue: number[] = [offset];
  while (queue.length > 0) {
    const at = queue.shift() as number;
    if (seen.has(at)) throw new StructureError('cross-reference sections form a loop', at);
    if (seen.size >= file.limits.maxXrefSections) throw new StructureError(`more than ${file.limits.maxXrefSections} cross-reference sections`, at);
    seen.add(at);
    const section = readXrefSection(file, at);
    // Newer sections win: an entry already seen is kept.
    if (entries.size === 0) entries = section.entries;
    else for (const [num, entry] of section.entries) if (!entries.has(num)) entries.set(num, entry);
    trailer ??= section.trailer;
    const hybrid = intOf(section.trailer.entries.get('XRefStm'));
    const prev = intOf(section.trailer.entries.get('Prev'));
    // A hybrid file's stream section completes the table it sits beside, before older sections.
    if (hybrid !== undefined) queue.unshift(hybrid);
    if (prev !== undefined) queue.push(prev);
  }
  return { entries, trailer: trailer as PdfDict, reconstructed: false };
}

interface XrefSection {
  readonly entries: Map<number, XrefEntry>;
  readonly trailer: PdfDict;
}

function readXrefSection(file: PdfFile, offset: number): XrefSection {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= file.bytes.length) throw new StructureError('cross-reference offset outside the file', Math.max(0, offset));
  const at = skipWhite(file.bytes, offset, file.bytes.length);
  return keywordAt(file.bytes, at, file.bytes.length) === 'xref' ? readXrefTable(file, at + 4) : readXrefStream(file, at);
}

/** A classic table: subsections `first count`, then `count` entries `offset gen n|f`, then `trailer`. */
function readXrefTable(file: PdfFile, from: number): XrefSection {
  const { bytes, text } = file;
  const entries = new Map<number, XrefEntry>();
  let pos = from;
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m) pos = re.lastIndex;
    return m;
  };
  while (!at(TRAILER_KEYWORD)) {
    const sub = at(SUBSECTION);
    if (!sub) throw new StructureError('bad cross-reference subsection header', pos);
    const first = Number(sub[1]);
    const count = Number(sub[2]);
    // Each entry takes at least 18 bytes: a count the rest of the file cannot hold is a lie.
    if (count * 18 > bytes.length - pos) throw new StructureError('cross-reference subsection longer than the file', pos);
    for (let i = 0; i < count; i++) {
      const e = at(ENTRY);
      if (!e) throw new StructureError('bad cross-reference entry', pos);
      const num = first + i;
      if (!entries.has(num)) entries.set(num, e[3] === 'n' ? { type: 'offset', offset: Number(e[1]), gen: Number(e[2]) } : { type: 'free' });
    }
  }
  const { value } = readValue(bytes, pos, bytes.length, file.limits);
  if (value.kind !== 'dict') throw new StructureError('trailer is not a dictionary', pos);
  return { entries, trailer: value };
}

const TRAILER_KEYWORD = /[\0\t\n\f\r ]*trailer(?![^\0\t\n\f\r ()<>[\]{}/%])/y;
const SUBSECTION = /[\0\t\n\f\r ]*(\d{1,10})[\0\t\n\f\r ]+(\d{1,10})(?=[\0\t\n\f\r ])/y;
const ENTRY = /[\0\t\n\f\r ]*(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+([nf])(?![^\0\t\n\f\r ()<>[\]{}/%])/y;

/** A cross-reference stream (§7.5.8): rows of /W-sized big-endian fields over the /Index ranges. */
function readXrefStream(file: PdfFile, at: number): XrefSection {
  const obj = readIndirectObject(file, at);
  const dict = obj.value;
  if (dict.kind !== 'dict' || nameOf(dict, 'Type') !== 'XRef') throw new StructureError('startxref points at neither a table nor a cross-reference stream', at);
  const w = dict.entries.get('W');
  const widths = w?.kind === 'array' ? w.items.map(intOf) : [];
  if (widths.length !== 3 || widths.some((x) => x === undefined || x < 0 || x > 8)) throw new StructureError('bad /W in cross-reference stream', at);
  const [w0, w1, w2] = widths as [number, number, number];
  const size = intOf(dict.entries.get('Size')) ?? 0;
  const index = dict.entries.get('Index');
  const ranges = index?.kind === 'array' ? index.items.map(intOf) : [0, size];
  if (ranges.length % 2 !== 0 || ranges.some((x) => x === undefined || x < 0)) throw new StructureError('bad /Index in cross-reference stream', at);
  const data = streamData(file, obj);
  const row = w0 + w1 + w2;
  const field = (p: number, n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (data[p + i] as number);
    return v;
  };
  const entries = new Map<number, XrefEntry>();
  let p = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const [first, count] = [ranges[r] as number, ranges[r + 1] as number];
    if (row === 0 || count * row > data.length - p) throw new StructureError('cross-reference stream shorter than its /Index', at);
    for (let i = 0; i < count; i++, p += row) {
      const type = w0 === 0 ? 1 : field(p, w0);
      const a = field(p + w0, w1);
      const b = field(p + w0 + w1, w2);
      const num = first + i;
      if (entries.has(num)) continue;
      if (type === 0) entries.set(num, { type: 'free' });
      else if (type === 1) entries.set(num, { type: 'offset', offset: a, gen: b });
      else if (type === 2) entries.set(num, { type: 'compressed', stream: a, index: b });
    }
  }
  return { entries, trailer: dict };
}

/**
 * A view rebuilt by scanning [0, end) for objects, the last definition of a number winning (what
 * readers do with a damaged file); object streams found on the way contribute their members.
 */
export function reconstructView(file: PdfFile, end: number): XrefView {
  const entries = new Map<number, XrefEntry>();
  let trailer: PdfDict | undefined;
  for (const obj of scanObjects(file, 0, end)) {
    entries.set(obj.num, { type: 'offset', offset: obj.offset, gen: obj.gen });
    if (obj.value.kind !== 'dict') continue;
    const type = nameOf(obj.value, 'Type');
    if (type === 'XRef') trailer = obj.value;
    if (type === 'ObjStm') {
      try {
        file.objectStreamAt(obj.offset).members.forEach((m, index) => entries.set(m.num, { type: 'compressed', stream: obj.num, index }));
      } catch {
        // An unreadable object stream contributes nothing; what it held resolves to nothing.
      }
    }
  }
  const lastTrailer = file.text.lastIndexOf('trailer', end);
  if (lastTrailer >= 0) {
    try {
      const { value } = readValue(file.bytes, lastTrailer + 'trailer'.length, end, file.limits);
      if (value.kind === 'dict') trailer = value;
    } catch {
      // keep the cross-reference stream's dictionary, if any
    }
  }
  return { entries, trailer: trailer ?? { kind: 'dict', entries: new Map() }, reconstructed: true };
}

const HEADER_SCAN = /(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]*obj(?![^\0\t\n\f\r ()<>[\]{}/%])/g;

/** Every readable indirect object in [from, to), in file order, skipping over stream data. */
export function scanObjects(file: PdfFile, from: number, to: number): IndirectObject[] {
  const found: IndirectObject[] = [];
  const text = to >= file.text.length ? file.text : file.text.slice(0, to);
  HEADER_SCAN.lastIndex = from;
  for (let m = HEADER_SCAN.exec(text); m; m = HEADER_SCAN.exec(text)) {
    if (found.length >= file.limits.maxObjects) throw new StructureError(`more than ${file.limits.maxObjects} objects`, m.index);
    try {
      const obj = readIndirectObject(file, m.index);
      if (obj.end > to) break;
      found.push(obj);
      HEADER_SCAN.lastIndex = Math.max(obj.end, m.index + 1);
    } catch {
      HEADER_SCAN.lastIndex = m.index + 1;
    }
  }
  return found;
}

/** An object as a view resolves it: its value, and where its bytes are (for comparing revisions). */
export interface ResolvedObject {
  readonly num: number;
  readonly value: PdfValue;
  /** The indirect object itself when stored plainly (streams are only ever stored plainly). */
  readonly indirect?: IndirectObject;
}

/** Resolves object `num` in `view`: null when free or absent; throws StructureError when broken. */
export function resolveObject(file: PdfFile, view: XrefView, num: number): ResolvedObject | null {
  const entry = view.entries.get(num);
  if (!entry || entry.type === 'free') return null;
  if (entry.type === 'offset') {
    const obj = file.objectAt(entry.offset, (ref) => lengthValue(file, view, ref.num, num));
    if (obj.num !== num) throw new StructureError(`cross-reference entry of object ${num} points at object ${obj.num}`, entry.offset);
    return { num, value: obj.value, indirect: obj };
  }
  const container = view.entries.get(entry.stream);
  if (container?.type !== 'offset') throw new StructureError(`object ${num} is in object stream ${entry.stream}, which is not stored plainly`, 0);
  const os = file.objectStreamAt(container.offset);
  const member = os.members[entry.index];
  if (!member || member.num !== num) throw new StructureError(`object stream ${entry.stream} does not hold object ${num} at index ${entry.index}`, container.offset);
  const { value } = readValue(os.data, member.offset, os.data.length, file.limits);
  return { num, value };
}

/** An indirect /Length: a plain integer object, never itself a stream (no recursion). */
function lengthValue(file: PdfFile, view: XrefView, num: number, of: number): number | undefined {
  if (num === of) return undefined;
  const entry = view.entries.get(num);
  if (entry?.type !== 'offset') return undefined;
  try {
    const at = skipWhite(file.bytes, entry.offset, file.bytes.length);
    HEADER.lastIndex = at;
    if (!HEADER.exec(file.text)) return undefined;
    const { value } = readValue(file.bytes, HEADER.lastIndex, file.bytes.length, file.limits);
    return value.kind === 'number' && value.integer ? value.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `startxref` offset of the revision that ends exactly at `end`: the bytes before `end` are
 * `startxref N %%EOF` and an optional end of line. Null when `end` is not the end of a revision.
 */
export function startxrefOfRevisionEndingAt(file: PdfFile, end: number): number | null {
  if (end <= 0 || end > file.bytes.length) return null;
  let e = end;
  while (e > 0 && (file.bytes[e - 1] === 0x0a || file.bytes[e - 1] === 0x0d || file.bytes[e - 1] === 0x20)) e--;
  if (file.text.slice(e - 5, e) !== '%%EOF') return null;
  const sx = file.text.lastIndexOf('startxref', e - 5);
  if (sx < 0 || e - 5 - sx > 64) return null;
  const m = /^startxref[\0\t\n\f\r ]+(\d{1,15})[\0\t\n\f\r ]*$/.exec(file.text.slice(sx, e - 5));
  return m ? Number(m[1]) : null;
}

/** The `startxref` of the last revision (tolerating junk after the last %%EOF), or null. */
export function lastStartxref(file: PdfFile): number | null {
  const sx = file.text.lastIndexOf('startxref');
  if (sx < 0) return null;
  const m = /^startxref[\0\t\n\f\r ]+(\d{1,15})/.exec(file.text.slice(sx, sx + 40));
  return m ? Number(m[1]) : null;
}

/** The view of the revision at `startxref`, or a reconstructed one over [0, end) when it cannot be read. */
export function viewOrReconstruct(file: PdfFile, startxref: number | null, end: number): XrefView {
  if (startxref !== null) {
    try {
      const view = readXrefView(file, startxref);
      if (view.trailer.entries.get('Root')?.kind === 'ref') return view;
    } catch (e) {
      if (!(e instanceof StructureError)) throw e;
    }
  }
  return reconstructView(file, end);
}
