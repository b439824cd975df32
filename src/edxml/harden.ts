/**
 * First gate for every XML byte that enters lienthong (DESIGN.md §5, verification step 1).
 *
 * Runs before any XML parser (xml2js/sax, xmldom, xml-crypto) sees the input, so that the parsers'
 * own weaknesses never matter: no DOCTYPE means no entity expansion (billion laughs, quadratic
 * blow-up) and no external entities (XXE, SSRF via SYSTEM/PUBLIC ids); one root and no text outside
 * it means nothing can be smuggled next to the signed element (signature-wrapping helpers); the depth
 * limit keeps recursive DOM/c14n code (xml-crypto, xmldom) away from stack exhaustion.
 *
 * The scanner is a single forward pass that jumps with `indexOf` between markup delimiters and keeps
 * only a stack of open element names (bounded by `maxDepth`), so its cost is linear in the input and
 * it never recurses.
 *
 * It also counts what a DOM would be made of — elements, attributes and text nodes — and stops at
 * limits that real packages never reach: a package carries its files as base64 text, not as
 * markup, so a few megabytes of `<a/>` or one tag with 200,000 attributes is an attack on the DOM
 * builders behind this gate (about 225 bytes of heap per input byte in xmldom), refused here after
 * reading no more than the limit's worth of markup.
 */
import { DomainError } from '../errors.js';

/** Limits applied to raw XML input before parsing. */
export interface XmlLimits {
  /** Largest accepted input in bytes, counted on the raw bytes (before BOM/stray-byte removal). */
  maxBytes: number;
  /** Deepest accepted element nesting; the root element is depth 1. */
  maxDepth: number;
  /** Most elements, attributes, text nodes, CDATA sections and comments in the whole document, together. */
  maxNodes: number;
  /** Most attributes (namespace declarations included) on one element. */
  maxAttributesPerElement: number;
}

/**
 * 50 MiB covers a package with the attachments NĐ 30 documents carry; 256 levels is ~20× what
 * edXML needs. 500,000 nodes: a package naming 10,000 recipients, each `To` with its seven fields,
 * has about 160,000; an ordinary one a few hundred. XMLDSig and edXML elements carry at most a
 * handful of attributes; 64 leaves room for namespace declarations.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({ maxBytes: 50 * 1024 * 1024, maxDepth: 256, maxNodes: 500_000, maxAttributesPerElement: 64 });

// XML 1.0 §2.3 NameStartChar / NameChar (the BMP ranges; astral-plane name chars are refused, which
// is fail-closed and never needed by edXML or XMLDSig).
const NAME_START = 'A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// eslint-disable-next-line no-misleading-character-class -- U+0300–U+036F are NameChar ranges, not glyphs
const NAME_RE = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'y');
const WS_RE = /[ \t\r\n]*/y;
// XML 1.0 §2.2 Char: refuse C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF and unpaired surrogates.
// A plain character class finds candidates fast (lookarounds on every character cost ~5× on a
// 40 MB payload); only surrogates found that way get the pairing check.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SUSPECT_CHAR_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]/g;
// XML 1.0 §4.1/§4.6: without a DTD only the five predefined entities and character references exist.
const REF_RE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/y;
// XML 1.0 §2.8 XMLDecl; we accept version 1.0 only and UTF-8 only (QCVN 102:2016 packages are UTF-8).
const XML_DECL_RE =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*\?>/;

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

const malformed = (detail: string, at?: number): DomainError =>
  new DomainError('XML_MALFORMED', at === undefined ? detail : `${detail} (at offset ${at})`);
const forbidden = (detail: string, at?: number): DomainError =>
  new DomainError('XML_FORBIDDEN', at === undefined ? detail : `${detail} (at offset ${at})`);

/**
 * Checks raw bytes before any XML parser sees them; returns the document text (UTF-8 decoded, BOM and
 * any stray bytes before `<?xml`/first `<` removed). Throws DomainError PAYLOAD_TOO_LARGE,
 * XML_FORBIDDEN or XML_MALFORMED.
 */
export function assertSafeXml(input: Buffer | string, limits?: Partial<XmlLimits>): string {
  const { maxBytes, ...counts } = { ...DEFAULT_XML_LIMITS, ...definedOnly(limits) };
  if (!(maxBytes > 0) || !Number.isFinite(maxBytes)) throw new RangeError(`maxBytes must be a positive number, got ${maxBytes}`);
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }

  const text = decode(input, maxBytes);
  scan(text, counts);
  return text;
}

/** The limits a caller set, without the keys it left undefined (so that defaults fill them). */
function definedOnly(limits: Partial<XmlLimits> | undefined): Partial<XmlLimits> {
  return Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined)) as Partial<XmlLimits>;
}

/** Size check, BOM and stray-prefix removal, strict UTF-8 decoding and the XML 1.0 character check. */
function decode(input: Buffer | string, maxBytes: number): string {
  let text: string;
  if (typeof input === 'string') {
    // Size is checked before anything else touches the input. UTF-8 never takes fewer bytes than
    // UTF-16 code units, so a long string is refused without measuring it.
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `XML input exceeds ${maxBytes} bytes`);
    }
    const start = input.indexOf('<');
    if (start < 0) throw malformed('no XML markup found');
    text = start === 0 ? input : input.slice(start);
  } else {
    if (input.length > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `XML input exceeds ${maxBytes} bytes`);
    // Stray bytes before the first '<' (a BOM, or junk such as the "1212" some senders emit before
    // <?xml) are dropped at byte level, so that junk which is not even UTF-8 cannot fail decoding.
    const hasBom = input[0] === UTF8_BOM[0] && input[1] === UTF8_BOM[1] && input[2] === UTF8_BOM[2];
    const start = input.indexOf(0x3c, hasBom ? 3 : 0);
    if (start < 0) throw malformed('no XML markup found');
    try {
      // fatal: invalid UTF-8 is refused instead of silently becoming U+FFFD (two different byte
      // strings must never read as the same document).
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input.subarray(start));
    } catch (cause) {
      throw new DomainError('XML_MALFORMED', 'XML input is not valid UTF-8', { cause });
    }
  }
  const bad = findBadChar(text);
  if (bad >= 0) throw malformed(`character U+${text.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0`, bad);
  return text;
}

/** Offset of the first character XML 1.0 does not allow (control, U+FFFE/U+FFFF, unpaired surrogate), or -1. */
function findBadChar(text: string): number {
  SUSPECT_CHAR_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SUSPECT_CHAR_RE.exec(text)) !== null) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        SUSPECT_CHAR_RE.lastIndex = i + 2; // a valid pair (astral character): skip both halves
        continue;
      }
      return i;
    }
    return i; // a control, U+FFFE/U+FFFF, or a low surrogate without its high half
  }
  return -1;
}

/** True for code points XML 1.0 §2.2 allows (used for character references). */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * Finds the next occurrence of `needle` at or after a position that only moves forward, caching the
 * last hit. A plain `indexOf(needle, from)` bounded afterwards would rescan the same tail for every
 * text node or attribute (quadratic on a crafted input); with the cache the scans never overlap.
 */
class NextFinder {
  private hit = -2; // -2: not searched yet; -1: no occurrence after the last search start
  constructor(
    private readonly text: string,
    private readonly needle: string,
  ) {}
  /** First occurrence at or after `from`, or -1. `from` must not decrease between calls. */
  find(from: number): number {
    if (this.hit === -1) return -1;
    if (this.hit < from) this.hit = this.text.indexOf(this.needle, from);
    return this.hit;
  }
}

/** Checks every `&` in text[from, to) is a predefined entity or a valid character reference. */
function checkReferences(text: string, amps: NextFinder, from: number, to: number): void {
  let amp = amps.find(from);
  while (amp >= 0 && amp < to) {
    REF_RE.lastIndex = amp;
    const m = REF_RE.exec(text);
    if (!m || amp + m[0].length > to) {
      throw malformed('undefined entity or bad character reference (only &amp; &lt; &gt; &quot; &apos; and &#…; exist without a DTD)', amp);
    }
    if (m[1] === undefined) {
      const cp = m[2] !== undefined ? Number.parseInt(m[2], 10) : Number.parseInt(m[3] ?? '', 16);
      if (!isXmlChar(cp)) throw malformed(`character reference to U+${cp.toString(16).toUpperCase()} is not allowed in XML 1.0`, amp);
    }
    amp = amps.find(amp + m[0].length);
  }
}

function readName(text: string, at: number): string | undefined {
  NAME_RE.lastIndex = at;
  return NAME_RE.exec(text)?.[0];
}

function skipWs(text: string, at: number): number {
  WS_RE.lastIndex = at;
  WS_RE.exec(text);
  return WS_RE.lastIndex;
}

/** Splits a QName; returns undefined when it is not a valid QName (Namespaces in XML 1.0 §4). */
function splitQName(name: string): { prefix: string | undefined; local: string } | undefined {
  const colon = name.indexOf(':');
  if (colon < 0) return { prefix: undefined, local: name };
  if (colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) >= 0) return undefined;
  return { prefix: name.slice(0, colon), local: name.slice(colon + 1) };
}

/** The single linear pass over the decoded document. */
function scan(text: string, limits: Omit<XmlLimits, 'maxBytes'>): void {
  const { maxDepth, maxNodes, maxAttributesPerElement } = limits;
  const len = text.length;
  let nodes = 0;
  const count = (n: number, at: number): void => {
    nodes += n;
    if (nodes > maxNodes) throw forbidden(`more than ${maxNodes} elements, attributes and text nodes`, at);
  };
  const open: string[] = []; // names of open elements; its length is the current depth
  const declared: string[][] = []; // namespace prefixes declared by each open element
  const bound = new Map<string, number>([['xml', 1]]); // in-scope prefix → number of open declarations
  let rootSeen = false;
  let pos = 0;
  const amps = new NextFinder(text, '&');
  const cdataEnds = new NextFinder(text, ']]>');
  const lts = new NextFinder(text, '<');

  // XML 1.0 §2.8: the declaration, if present, is the very first thing in the document.
  if (text.startsWith('<?xml') && /^<\?xml[ \t\r\n?]/.test(text)) {
    const decl = XML_DECL_RE.exec(text);
    if (!decl) throw malformed('invalid XML declaration (version must be 1.0)', 0);
    const encoding = decl[3];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) throw malformed(`unsupported encoding "${encoding}" (only UTF-8 is accepted)`, 0);
    pos = decl[0].length;
  }

  while (pos < len) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt < 0 ? len : lt;
    if (textEnd > pos) {
      if (open.length === 0) {
        // Anything but whitespace next to the root is refused: it is where wrapping attacks and
        // "second document" tricks hide, and no edXML package needs it.
        WS_RE.lastIndex = pos;
        WS_RE.exec(text);
        if (WS_RE.lastIndex < textEnd) throw forbidden('text outside the root element', WS_RE.lastIndex);
      } else {
        count(1, pos);
        checkReferences(text, amps, pos, textEnd);
        const cdataEnd = cdataEnds.find(pos);
        if (cdataEnd >= 0 && cdataEnd + 3 <= textEnd) throw malformed("']]>' is not allowed in character data", cdataEnd);
      }
    }
    if (lt < 0) break;

    const next = text.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        count(1, lt); // a comment is a node of the DOM too
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) throw malformed('unterminated comment', lt);
        // XML 1.0 §2.5: '--' may not occur inside a comment, nor may it end in '--->'.
        const dd = text.indexOf('--', lt + 4);
        if (dd < end || (end > lt + 4 && text.charCodeAt(end - 1) === 0x2d)) throw malformed("'--' is not allowed inside a comment", lt);
        pos = end + 3;
      } else if (text.startsWith('<![CDATA[', lt)) {
        if (open.length === 0) throw forbidden('CDATA section outside the root element', lt);
        count(1, lt);
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) throw malformed('unterminated CDATA section', lt);
        pos = end + 3;
      } else {
        // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST, <!NOTATION and any other declaration: refusing the
        // whole class prevents entity expansion (billion laughs) and external entities (XXE).
        const kind = /^<!([A-Za-z]*)/.exec(text.slice(lt, lt + 12))?.[1] || 'markup';
        throw forbidden(`markup declaration <!${kind} is not allowed`, lt);
      }
    } else if (next === 0x3f /* ? */) {
      // Processing instructions are instructions to the consumer (xml-stylesheet, vendor hooks); the
      // XML declaration, handled above, is the only one accepted.
      throw forbidden('processing instructions are not allowed', lt);
    } else if (next === 0x2f /* / */) {
      const name = readName(text, lt + 2);
      if (name === undefined) throw malformed('invalid end tag', lt);
      const p = skipWs(text, lt + 2 + name.length);
      if (text.charCodeAt(p) !== 0x3e) throw malformed(`invalid end tag </${name}`, lt);
      const expected = open.pop();
      if (expected === undefined) throw malformed(`end tag </${name}> without a start tag`, lt);
      if (expected !== name) throw malformed(`end tag </${name}> does not match <${expected}>`, lt);
      for (const prefix of declared.pop() ?? []) {
        const n = (bound.get(prefix) ?? 1) - 1;
        if (n === 0) bound.delete(prefix);
        else bound.set(prefix, n);
      }
      pos = p + 1;
    } else {
      pos = startTag(lt);
    }
  }

  if (open.length > 0) throw malformed(`element <${open[open.length - 1]}> is not closed`, len);
  if (!rootSeen) throw malformed('no root element', len);

  /** Parses the start tag at `lt`, updates the element and namespace stacks, returns the offset after it. */
  function startTag(lt: number): number {
    const name = readName(text, lt + 1);
    if (name === undefined) throw malformed("'<' not followed by a valid name", lt);
    if (open.length === 0) {
      if (rootSeen) throw forbidden('more than one root element', lt);
      rootSeen = true;
    }
    if (open.length + 1 > maxDepth) throw forbidden(`element nesting deeper than ${maxDepth}`, lt);
    count(1, lt);

    let p = lt + 1 + name.length;
    const attrs = new Set<string>(); // a Set: a tag with 100k attributes stays linear
    const prefixes: string[] = [];
    let selfClosing = false;
    for (;;) {
      const afterWs = skipWs(text, p);
      const c = text.charCodeAt(afterWs);
      if (c === 0x3e /* > */) {
        p = afterWs + 1;
        break;
      }
      if (c === 0x2f /* / */ && text.charCodeAt(afterWs + 1) === 0x3e) {
        p = afterWs + 2;
        selfClosing = true;
        break;
      }
      if (Number.isNaN(c)) throw malformed(`unterminated start tag <${name}`, lt);
      if (afterWs === p) throw malformed(`missing whitespace before attribute in <${name}`, afterWs);
      const attr = readName(text, afterWs);
      if (attr === undefined) throw malformed(`invalid attribute in <${name}`, afterWs);
      p = skipWs(text, afterWs + attr.length);
      if (text.charCodeAt(p) !== 0x3d /* = */) throw malformed(`attribute ${attr} has no value`, p);
      p = skipWs(text, p + 1);
      const quote = text[p];
      if (quote !== '"' && quote !== "'") throw malformed(`attribute ${attr} value is not quoted`, p);
      const close = text.indexOf(quote, p + 1);
      if (close < 0) throw malformed(`unterminated value of attribute ${attr}`, p);
      // A value may hold '>' and the other quote character, but never '<' (XML 1.0 §3.1 AttValue).
      const ltInValue = lts.find(p + 1);
      if (ltInValue >= 0 && ltInValue < close) throw malformed(`'<' in value of attribute ${attr}`, ltInValue);
      checkReferences(text, amps, p + 1, close);
      if (attrs.has(attr)) throw malformed(`duplicate attribute ${attr} in <${name}`, afterWs);
      attrs.add(attr);
      if (attrs.size > maxAttributesPerElement) throw forbidden(`more than ${maxAttributesPerElement} attributes on <${name}>`, afterWs);
      count(1, afterWs);
      if (attr.startsWith('xmlns:')) {
        const prefix = attr.slice(6);
        if (prefix === '' || prefix.includes(':')) throw malformed(`invalid namespace declaration ${attr}`, afterWs);
        // Namespaces in XML 1.0 §3: a prefix cannot be undeclared, and xmlns is reserved.
        if (close === p + 1) throw malformed(`namespace prefix ${prefix} cannot be bound to an empty name`, afterWs);
        if (prefix === 'xmlns') throw malformed('the xmlns prefix cannot be declared', afterWs);
        prefixes.push(prefix);
      }
      p = close + 1;
    }

    for (const prefix of prefixes) bound.set(prefix, (bound.get(prefix) ?? 0) + 1);
    // Unbound prefixes are a namespace well-formedness error; a parser that guesses a namespace for
    // them would let a signature verifier and the model parser read different documents.
    const checkPrefix = (qname: string, isAttr: boolean): void => {
      const q = splitQName(qname);
      if (!q) throw malformed(`invalid qualified name ${qname}`, lt);
      if (q.prefix === undefined || (isAttr && q.prefix === 'xmlns')) return;
      if (!bound.has(q.prefix)) throw malformed(`namespace prefix ${q.prefix} of ${qname} is not declared`, lt);
    };
    checkPrefix(name, false);
    for (const attr of attrs) if (attr !== 'xmlns') checkPrefix(attr, true);

    if (selfClosing) {
      for (const prefix of prefixes) {
        const n = (bound.get(prefix) ?? 1) - 1;
        if (n === 0) bound.delete(prefix);
        else bound.set(prefix, n);
      }
    } else {
      open.push(name);
      declared.push(prefixes);
    }
    return p;
  }
}
