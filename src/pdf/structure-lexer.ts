/**
 * A bounded reader of PDF objects (ISO 32000-2 §7.2–7.3): numbers, names, strings, arrays,
 * dictionaries and indirect references, read from a byte offset. It is all the PDF syntax the
 * signature verifier needs; it never interprets content streams.
 *
 * The input is hostile: every loop advances, nesting is capped (a `[[[[…` bomb ends in a
 * StructureError, not a stack overflow), and each value costs at most a bounded number of tokens.
 * Strings are not decoded while reading — only their span is kept — so a 30 MiB hex string costs
 * one scan and no copy until someone asks for it (`stringBytes`, with a size cap).
 */

/**
 * A value read from the file. Strings keep their span [start, end) in `src` (the file, or the inflated
 * data of an object stream), delimiters included.
 */
export type PdfValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'number'; readonly value: number; readonly integer: boolean }
  | { readonly kind: 'name'; readonly value: string }
  | { readonly kind: 'string'; readonly hex: boolean; readonly src: Uint8Array; readonly start: number; readonly end: number }
  | { readonly kind: 'ref'; readonly num: number; readonly gen: number }
  | { readonly kind: 'array'; readonly items: readonly PdfValue[] }
  | { readonly kind: 'dict'; readonly entries: ReadonlyMap<string, PdfValue> };

export type PdfDict = Extract<PdfValue, { kind: 'dict' }>;
export type PdfRef = Extract<PdfValue, { kind: 'ref' }>;
export type PdfString = Extract<PdfValue, { kind: 'string' }>;

/** Thrown on bytes that are not the PDF syntax expected; callers turn it into a verdict. */
export class StructureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'StructureError';
  }
}

/** Caps for one value. */
export interface LexerLimits {
  /** Arrays and dictionaries nested deeper than this are refused (ISO 32000-2 Annex C suggests 28 for q/Q). */
  readonly maxDepth: number;
  /** Tokens in one value (its items, keys and nested values). */
  readonly maxTokens: number;
}

export const DEFAULT_LEXER_LIMITS: LexerLimits = { maxDepth: 32, maxTokens: 200_000 };

const NUL = 0x00, TAB = 0x09, LF = 0x0a, FF = 0x0c, CR = 0x0d, SP = 0x20;
const PERCENT = 0x25, LPAREN = 0x28, RPAREN = 0x29, SLASH = 0x2f, LT = 0x3c, GT = 0x3e;
const LBRACKET = 0x5b, RBRACKET = 0x5d, LBRACE = 0x7b, RBRACE = 0x7d, BACKSLASH = 0x5c;

/** PDF white-space characters (§7.2.3). */
export function isWhite(b: number | undefined): boolean {
  return b === SP || b === LF || b === CR || b === TAB || b === FF || b === NUL;
}

function isDelimiter(b: number | undefined): boolean {
  return b === LPAREN || b === RPAREN || b === LT || b === GT || b === LBRACKET || b === RBRACKET || b === LBRACE || b === RBRACE || b === SLASH || b === PERCENT;
}

/** Regular characters run until white space, a delimiter or the end. */
function regularEnd(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  while (p < end && !isWhite(buf[p]) && !isDelimiter(buf[p])) p++;
  return p;
}

/** The offset of the next token at or after `pos` (white space and comments skipped). */
export function skipWhite(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  while (p < end) {
    const b = buf[p];
    if (isWhite(b)) p++;
    else if (b === PERCENT) {
      while (p < end && buf[p] !== LF && buf[p] !== CR) p++;
    } else break;
  }
  return p;
}

/** The keyword (regular-character run) at `pos`, as Latin-1 text; '' when there is none. */
export function keywordAt(buf: Uint8Array, pos: number, end: number): string {
  return latin1(buf, pos, regularEnd(buf, pos, Math.min(end, pos + 64)));
}

/** End of a literal string starting at `(`: balanced parentheses, backslash escapes (§7.3.4.2). */
function literalStringEnd(buf: Uint8Array, start: number, end: number): number {
  let depth = 0;
  for (let p = start; p < end; p++) {
    const b = buf[p];
    if (b === BACKSLASH) p++;
    else if (b === LPAREN) depth++;
    else if (b === RPAREN && --depth === 0) return p + 1;
  }
  throw new StructureError('unterminated literal string', start);
}

/** End of a hex string starting at `<` (only hex digits and white space may occur inside). */
function hexStringEnd(buf: Uint8Array, start: number, end: number): number {
  for (let p = start + 1; p < end; p++) {
    const b = buf[p] as number;
    if (b === GT) return p + 1;
    const hex = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66);
    if (!hex && !isWhite(b)) throw new StructureError('invalid character in hex string', p);
  }
  throw new StructureError('unterminated hex string', start);
}

/** Short runs as text without allocating a Buffer (most tokens are a few characters). */
function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i] as number);
  return s;
}

/** Decodes a name token's characters, `#xx` escapes included (§7.3.5). */
function decodeName(raw: string): string {
  return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

interface Cursor {
  pos: number;
  tokens: number;
}

/**
 * Reads one value at `pos` (white space first is skipped). Returns the value and the offset just
 * after it. `n g R` is read as a reference. Throws StructureError on anything else.
 */
export function readValue(buf: Uint8Array, pos: number, end: number = buf.length, limits: LexerLimits = DEFAULT_LEXER_LIMITS): { value: PdfValue; end: number } {
  const cursor: Cursor = { pos, tokens: 0 };
  const value = readAt(buf, cursor, end, limits, 0);
  return { value, end: cursor.pos };
}

function readAt(buf: Uint8Array, c: Cursor, end: number, limits: LexerLimits, depth: number): PdfValue {
  if (++c.tokens > limits.maxTokens) throw new StructureError(`more than ${limits.maxTokens} tokens in one object`, c.pos);
  c.pos = skipWhite(buf, c.pos, end);
  const start = c.pos;
  if (start >= end) throw new StructureError('unexpected end of data', start);
  const b = buf[start];
  if (b === LT && buf[start + 1] === LT) {
    if (depth >= limits.maxDepth) throw new StructureError(`objects nested deeper than ${limits.maxDepth}`, start);
    return readDict(buf, c, end, limits, depth + 1);
  }
  if (b === LT) {
    c.pos = hexStringEnd(buf, start, end);
    return { kind: 'string', hex: true, src: buf, start, end: c.pos };
  }
  if (b === LPAREN) {
    c.pos = literalStringEnd(buf, start, end);
    return { kind: 'string', hex: false, src: buf, start, end: c.pos };
  }
  if (b === LBRACKET) {
    if (depth >= limits.maxDepth) throw new StructureError(`objects nested deeper than ${limits.maxDepth}`, start);
    return readArray(buf, c, end, limits, depth + 1);
  }
  if (b === SLASH) {
    const e = regularEnd(buf, start + 1, end);
    if (e - start > 256) throw new StructureError('name longer than 256 characters', start);
    c.pos = e;
    return { kind: 'name', value: decodeName(latin1(buf, start + 1, e)) };
  }
  const e = regularEnd(buf, start, end);
  if (e === start) throw new StructureError(`unexpected character 0x${(b ?? 0).toString(16)}`, start);
  if (e - start > 32) throw new StructureError('token longer than 32 characters', start);
  const word = latin1(buf, start, e);
  c.pos = e;
  if (word === 'true' || word === 'false') return { kind: 'bool', value: word === 'true' };
  if (word === 'null') return { kind: 'null' };
  if (!NUMBER.test(word)) throw new StructureError(`unexpected keyword ${JSON.stringify(word.slice(0, 20))}`, start);
  const value = Number(word);
  const integer = /^[+-]?\d+$/.test(word);
  if (integer && value >= 0 && Number.isSafeInteger(value)) {
    const ref = tryReference(buf, e, end, value);
    if (ref) {
      c.pos = ref.end;
      return ref.value;
    }
  }
  return { kind: 'number', value, integer };
}

/** After an unsigned integer: `gen R` makes it a reference; otherwise nothing is consumed. */
function tryReference(buf: Uint8Array, pos: number, end: number, num: number): { value: PdfRef; end: number } | null {
  const g = skipWhite(buf, pos, end);
  const ge = regularEnd(buf, g, end);
  if (ge === g || ge - g > 5) return null;
  const genText = latin1(buf, g, ge);
  if (!/^\d+$/.test(genText)) return null;
  const r = skipWhite(buf, ge, end);
  if (buf[r] !== 0x52 /* R */ || !(r + 1 >= end || isWhite(buf[r + 1]) || isDelimiter(buf[r + 1]))) return null;
  return { value: { kind: 'ref', num, gen: Number(genText) }, end: r + 1 };
}

function readArray(buf: Uint8Array, c: Cursor, end: number, limits: LexerLimits, depth: number): PdfValue {
  const start = c.pos;
  c.pos++;
  const items: PdfValue[] = [];
  for (;;) {
    c.pos = skipWhite(buf, c.pos, end);
    if (c.pos >= end) throw new StructureError('unterminated array', start);
    if (buf[c.pos] === RBRACKET) {
      c.pos++;
      return { kind: 'array', items };
    }
    items.push(readAt(buf, c, end, limits, depth));
  }
}

function readDict(buf: Uint8Array, c: Cursor, end: number, limits: LexerLimits, depth: number): PdfValue {
  const start = c.pos;
  c.pos += 2;
  const entries = new Map<string, PdfValue>();
  for (;;) {
    c.pos = skipWhite(buf, c.pos, end);
    if (c.pos >= end) throw new StructureError('unterminated dictionary', start);
    if (buf[c.pos] === GT && buf[c.pos + 1] === GT) {
      c.pos += 2;
      return { kind: 'dict', entries };
    }
    const key = readAt(buf, c, end, limits, depth);
    if (key.kind !== 'name') throw new StructureError('dictionary key is not a name', c.pos);
    const value = readAt(buf, c, end, limits, depth);
    // A repeated key is undefined behaviour that readers resolve differently (first or last wins):
    // two readers seeing two documents is how shadow attacks start. Refuse it.
    if (entries.has(key.value)) throw new StructureError(`key /${key.value} repeated in one dictionary`, c.pos);
    entries.set(key.value, value);
  }
}

/**
 * The bytes a string stands for: hex digits decoded (an odd last digit is followed by 0), or a literal
 * string's escapes resolved (§7.3.4.2). Throws StructureError past `maxBytes`.
 */
export function stringBytes(s: PdfString, maxBytes: number): Buffer {
  const inner = Buffer.from(s.src.buffer, s.src.byteOffset + s.start + 1, s.end - s.start - 2);
  return s.hex ? hexBytes(inner, s.start, maxBytes) : literalBytes(inner, s.start, maxBytes);
}

function hexBytes(inner: Buffer, at: number, maxBytes: number): Buffer {
  const digits = inner.toString('latin1').replace(/[\0\t\n\f\r ]+/g, '');
  if (digits.length > maxBytes * 2) throw new StructureError(`hex string longer than ${maxBytes} bytes`, at);
  return Buffer.from(digits.length % 2 === 1 ? `${digits}0` : digits, 'hex');
}

const ESCAPES: Record<number, number> = { 0x6e: LF, 0x72: CR, 0x74: TAB, 0x62: 0x08, 0x66: FF, 0x28: LPAREN, 0x29: RPAREN, 0x5c: BACKSLASH };

function literalBytes(inner: Buffer, at: number, maxBytes: number): Buffer {
  if (inner.length > maxBytes * 4) throw new StructureError(`literal string longer than ${maxBytes} bytes`, at);
  const out: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const b = inner[i] as number;
    if (b !== BACKSLASH) {
      out.push(b);
      continue;
    }
    const n = inner[++i];
    if (n === undefined) break;
    if (ESCAPES[n] !== undefined) out.push(ESCAPES[n]);
    else if (n >= 0x30 && n <= 0x37) {
      let v = n - 0x30;
      for (let k = 0; k < 2 && (inner[i + 1] ?? 0) >= 0x30 && (inner[i + 1] ?? 0) <= 0x37; k++) v = v * 8 + ((inner[++i] as number) - 0x30);
      out.push(v & 0xff);
    } else if (n === CR) {
      if (inner[i + 1] === LF) i++; // escaped end of line: nothing
    } else if (n !== LF) out.push(n);
  }
  if (out.length > maxBytes) throw new StructureError(`string longer than ${maxBytes} bytes`, at);
  return Buffer.from(out);
}

/**
 * A text string as a reader shows it (§7.9.2.2): UTF-16BE with a byte-order mark, UTF-8 with one
 * (PDF 2.0), else PDFDocEncoding, read here as Latin-1 (they differ only in a few punctuation marks).
 */
export function textOf(bytes: Buffer): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const body = Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)));
    return body.swap16().toString('utf16le');
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('latin1');
}

/** `dict[key]` when it is a name, else undefined. */
export function nameOf(dict: PdfDict, key: string): string | undefined {
  const v = dict.entries.get(key);
  return v?.kind === 'name' ? v.value : undefined;
}

/** Structural equality of two values (references compared by number and generation). */
export function sameValue(a: PdfValue | undefined, b: PdfValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'null':
      return true;
    case 'bool':
    case 'number':
    case 'name':
      return a.value === (b as typeof a).value;
    case 'ref':
      return a.num === (b as typeof a).num && a.gen === (b as typeof a).gen;
    case 'string': {
      const o = b as typeof a;
      return stringBytes(a, Number.MAX_SAFE_INTEGER).equals(stringBytes(o, Number.MAX_SAFE_INTEGER));
    }
    case 'array': {
      const o = b as typeof a;
      return a.items.length === o.items.length && a.items.every((x, i) => sameValue(x, o.items[i]));
    }
    case 'dict': {
      const o = b as typeof a;
      if (a.entries.size !== o.entries.size) return false;
      for (const [k, v] of a.entries) if (!sameValue(v, o.entries.get(k))) return false;
      return true;
    }
  }
}
