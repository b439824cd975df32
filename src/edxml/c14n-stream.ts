/**
 * Exclusive XML canonicalisation (exc-c14n, `http://www.w3.org/2001/10/xml-exc-c14n#`, without
 * comments) of the packages this node builds, computed from their text in one forward pass, without
 * a DOM (issue 16: the DOM, xpath and xml-crypto's canonicaliser cost ten times the RSA signature).
 *
 * Our signature is enveloped with `Reference URI=""` (DESIGN.md §5), so what it digests is the
 * canonical form of the root element with the Signature left out. Before the Signature is inserted
 * that is the canonical form of the whole root element, which is what this module returns, as string
 * chunks whose concatenation is the exact text a verifier hashes (UTF-8 encoded).
 *
 * It accepts a grammar that covers everything src/edxml/build.ts writes, and refuses anything else
 * with VALIDATION_FAILED (the DOM signer, `signForeignPackage`, takes text we did not build):
 *
 *   - text that passed `assertSafeXml` (well-formed markup, known references only, XML 1.0
 *     characters, no DOCTYPE, no processing instructions, one root, bounded depth);
 *   - every element in the edXML namespace, unprefixed or with the prefix `edXML`; the only namespace
 *     declarations `xmlns="…QCVN_102_2016"` and `xmlns:edXML="…QCVN_102_2016"`;
 *   - ASCII element and attribute names; attributes unprefixed;
 *   - no literal CR, U+0085, U+2028 or U+2029 in text, CDATA or attribute values, and no literal TAB
 *     or LF in attribute values (character references to all of them are fine);
 *   - no literal U+FFFD anywhere, no element named Signature or SignedInfo.
 *
 * On that grammar exc-c14n (W3C xml-exc-c14n §3 with xml-c14n §2.3, as xml-crypto 6 and libxml2 —
 * xmlsec1 — implement it) is exactly:
 *
 *   1. the XML declaration, and whitespace and comments outside the root, are not output;
 *   2. comments are not output (`URI=""` dereferences the document without comments);
 *   3. a start tag is `<` qname, then the one namespace declaration the element visibly uses when no
 *      output ancestor has rendered it (`xmlns="…"` for an unprefixed element, `xmlns:edXML="…"` for
 *      an `edXML:` one), then the attributes sorted by name, each ` name="value"` with `&`, `<`, `"`,
 *      TAB, LF, CR written `&amp;` `&lt;` `&quot;` `&#x9;` `&#xA;` `&#xD;`, then `>`; declarations
 *      that are not visibly used, or already rendered above, are dropped;
 *   4. an empty-element tag `<x/>` is written as a start tag and an end tag;
 *   5. text has its references decoded, then `&`, `<`, `>`, CR written `&amp;` `&lt;` `&gt;` `&#xD;`
 *      (everything else, quotes, TAB and LF included, as is); the content of a CDATA section is
 *      escaped the same way (an empty one leaves nothing);
 *   6. an end tag is `</qname>`.
 *
 * Why the refusals: xmldom (xml-crypto's parser) turns a literal U+0085, U+2028 or U+2029 into LF, as
 * XML 1.1 does, while libxml2 keeps it, as XML 1.0 says — one text, two canonical forms, so the
 * builder writes them as references; literal CR and attribute whitespace are normalised by parsers
 * and never written by the builder; attribute order is by UTF-16 code unit in xml-crypto and by UTF-8
 * byte in libxml2, the same only for ASCII names; the verifier (xmldom with warnings fatal) refuses
 * a text with U+FFFD in it, and counts SignedInfo elements in any namespace; and other namespaces
 * would bring exc-c14n's rules for them, which nothing we build needs.
 *
 * The text is handed back in slices of the input wherever the canonical form is the input itself
 * (for the builder's output, everything but the few spots listed in build.ts), so a large attachment
 * is never copied here.
 */
import { DomainError } from '../errors.js';
import { EDXML_NS, XMLDSIG_NS } from './model.js';

/** The canonical form of an unsigned package and where its signature goes. */
export interface CanonicalPackage {
  /** exc-c14n of the document, in order; concatenated (and UTF-8 encoded) they are the digested bytes. */
  readonly chunks: readonly string[];
  /** Offset in the text of the `</…edXMLHeader>` end tag: the Signature is inserted there. */
  readonly headerEndTag: number;
  /** Offset in the text of the root element's `<`. */
  readonly rootStart: number;
  /** Offset in the text just after the root element's end tag. */
  readonly rootEnd: number;
}

const DEFAULT_DECL = ` xmlns="${EDXML_NS}"`;
const EDXML_DECL = ` xmlns:edXML="${EDXML_NS}"`;
/** Pieces at least this long are chunks of their own (never copied); shorter ones are joined. */
const OWN_CHUNK = 16 * 1024;

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF_RE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9A-Fa-f]+));/g;
const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const TEXT_ESCAPE_RE = /[&<>\r]/g;
const ATTR_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };
const ATTR_ESCAPE_RE = /[&<"\t\n\r]/g;
/** Characters parsers do not agree on, or normalise, when written literally (see the top of this file). */
const AMBIGUOUS_IN_TEXT_RE = /[\r\u0085\u2028\u2029]/;
const AMBIGUOUS_IN_ATTRIBUTE_RE = /[\t\n\r\u0085\u2028\u2029]/;
/** What may make a text segment differ from its canonical form, or be refused. */
const SPECIALS = ['&', '>', '\r', '\u0085', '\u2028', '\u2029'] as const;

const notOurs = (detail: string, at: number): DomainError =>
  new DomainError('VALIDATION_FAILED', `cannot sign: ${detail} (at offset ${at}); signPackage takes the packages src/edxml/build.ts writes`);

function decodeReferences(raw: string): string {
  if (raw.indexOf('&') < 0) return raw;
  return raw.replace(REF_RE, (_m, name: string | undefined, dec: string | undefined, hex: string | undefined) =>
    name !== undefined ? (ENTITIES[name] as string) : String.fromCodePoint(dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16)),
  );
}

/** Canonical text of character data (references decoded, then the four c14n escapes). */
function canonicalText(raw: string, at: number): string {
  const bad = AMBIGUOUS_IN_TEXT_RE.exec(raw);
  if (bad) throw notOurs(`literal U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in text (write it as a character reference)`, at + bad.index);
  return decodeReferences(raw).replace(TEXT_ESCAPE_RE, (c) => TEXT_ESCAPES[c] as string);
}

function canonicalAttributeValue(raw: string, at: number): string {
  const bad = AMBIGUOUS_IN_ATTRIBUTE_RE.exec(raw);
  if (bad) throw notOurs(`literal U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in an attribute value`, at + bad.index);
  return decodeReferences(raw).replace(ATTR_ESCAPE_RE, (c) => ATTR_ESCAPES[c] as string);
}

const isAsciiNameStart = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isAsciiNameChar = (c: number): boolean => isAsciiNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x3a;
const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Where an element sits in /edXML/edXMLEnvelope/edXMLHeader. */
const enum Role {
  Other,
  Root,
  Envelope,
  Header,
}

interface Frame {
  readonly qname: string;
  readonly local: string;
  /** In-scope default namespace and prefix bindings of the input (for resolving names). */
  readonly defaultNs: string | null;
  readonly prefixes: ReadonlyMap<string, string>;
  /** What the output ancestors (this element included) have rendered. */
  readonly renderedDefault: string;
  readonly renderedEdxml: boolean;
  readonly role: Role;
}

interface Attribute {
  readonly name: string;
  readonly raw: string;
  readonly at: number;
}

/**
 * The exclusive canonical form of an unsigned package built by src/edxml/build.ts, and the offset of
 * its header end tag. `text` must have passed `assertSafeXml`. Throws VALIDATION_FAILED for text
 * outside the grammar above, for a package that is not /edXML/edXMLEnvelope/edXMLHeader, and for one
 * that already holds a Signature (or any XMLDSig element).
 */
export function canonicalizePackage(text: string): CanonicalPackage {
  const len = text.length;
  const chunks: string[] = [];
  let pending = '';
  const emit = (piece: string): void => {
    if (piece.length === 0) return;
    if (piece.length >= OWN_CHUNK) {
      if (pending.length > 0) chunks.push(pending);
      pending = '';
      chunks.push(piece);
    } else {
      pending += piece;
      if (pending.length >= OWN_CHUNK) {
        chunks.push(pending);
        pending = '';
      }
    }
  };
  // The canonical form is written as runs of the input copied as is, broken where it differs.
  let runStart = -1;
  const flushRun = (upTo: number): void => {
    if (upTo > runStart) emit(text.slice(runStart, upTo));
  };

  // Next position of a character that may make text non-canonical (indexOf per character, each
  // position cached: they only move forward, so the whole text is searched about once per character).
  const found = SPECIALS.map(() => -2);
  const nextSpecial = (from: number): number => {
    let min = -1;
    for (let k = 0; k < SPECIALS.length; k++) {
      let at = found[k] as number;
      if (at !== -1 && at < from) found[k] = at = text.indexOf(SPECIALS[k] as string, from);
      if (at >= 0 && (min < 0 || at < min)) min = at;
    }
    return min;
  };

  const stack: Frame[] = [];
  const path = (local: string): string => `/${[...stack.map((f) => f.local), local].join('/')}`;
  let envelopes = 0;
  let headers = 0;
  let headerEndTag = -1;
  let rootEnd = -1;

  // xmldom, as the verifier runs it (warnings fatal), refuses a text holding U+FFFD anywhere.
  const replacement = text.indexOf('\uFFFD');
  if (replacement >= 0) throw notOurs('literal U+FFFD, which the verifier takes for an encoding error (write it as a character reference)', replacement);

  // Prolog: the XML declaration (checked by assertSafeXml), whitespace and comments.
  let pos = 0;
  if (text.startsWith('<?xml')) pos = text.indexOf('?>') + 2;
  for (;;) {
    while (pos < len && isWs(text.charCodeAt(pos))) pos++;
    if (text.startsWith('<!--', pos)) pos = text.indexOf('-->', pos + 4) + 3;
    else break;
  }
  if (pos >= len || text.charCodeAt(pos) !== 0x3c || !isAsciiNameStart(text.charCodeAt(pos + 1))) {
    throw notOurs('expected the root element', pos);
  }
  const rootStart = pos;
  runStart = pos;

  while (rootEnd < 0) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) throw notOurs('the root element is not closed', len);
    if (lt > pos) {
      // Character data (inside the root: the prolog is behind us and the loop stops at the root's end).
      const s = nextSpecial(pos);
      if (s >= 0 && s < lt) {
        const raw = text.slice(pos, lt);
        const canonical = canonicalText(raw, pos);
        if (canonical !== raw) {
          flushRun(pos);
          emit(canonical);
          runStart = lt;
        }
      }
    }
    const next = text.charCodeAt(lt + 1);
    if (next === 0x2f /* / */) {
      pos = endTag(lt);
    } else if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) throw notOurs('unterminated comment', lt);
        flushRun(lt);
        pos = end + 3;
        runStart = pos;
      } else if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) throw notOurs('unterminated CDATA section', lt);
        const raw = text.slice(lt + 9, end);
        const bad = AMBIGUOUS_IN_TEXT_RE.exec(raw);
        if (bad) throw notOurs(`literal U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in a CDATA section`, lt + 9 + bad.index);
        flushRun(lt);
        emit(raw.replace(TEXT_ESCAPE_RE, (c) => TEXT_ESCAPES[c] as string));
        pos = end + 3;
        runStart = pos;
      } else {
        throw notOurs('markup declaration', lt);
      }
    } else if (next === 0x3f /* ? */) {
      throw notOurs('processing instruction', lt);
    } else {
      pos = startTag(lt);
    }
  }
  flushRun(rootEnd);
  if (pending.length > 0) chunks.push(pending);

  if (envelopes !== 1) throw new DomainError('VALIDATION_FAILED', `cannot sign: expected one edXMLEnvelope under edXML, found ${envelopes}`);
  if (headers !== 1) throw new DomainError('VALIDATION_FAILED', `cannot sign: expected one edXMLHeader under edXMLEnvelope, found ${headers}`);
  return { chunks, headerEndTag, rootStart, rootEnd };

  /** End of an ASCII name starting at `p`; refuses other names. */
  function nameEnd(p: number): number {
    if (!isAsciiNameStart(text.charCodeAt(p))) throw notOurs('a name that is not ASCII', p);
    let q = p + 1;
    while (isAsciiNameChar(text.charCodeAt(q))) q++;
    const c = text.charCodeAt(q);
    if (!(isWs(c) || c === 0x3e || c === 0x2f || c === 0x3d)) throw notOurs('a name that is not ASCII', p);
    return q;
  }

  function skipWs(p: number): number {
    while (isWs(text.charCodeAt(p))) p++;
    return p;
  }

  /** Handles the start tag at `lt`; returns the offset after it. */
  function startTag(lt: number): number {
    const qEnd = nameEnd(lt + 1);
    const qname = text.slice(lt + 1, qEnd);
    const colon = qname.indexOf(':');
    const prefix = colon < 0 ? undefined : qname.slice(0, colon);
    const local = colon < 0 ? qname : qname.slice(colon + 1);

    // Attributes, as written.
    const attributes: Attribute[] = [];
    let p = qEnd;
    let selfClosing = false;
    for (;;) {
      p = skipWs(p);
      const c = text.charCodeAt(p);
      if (c === 0x3e /* > */) {
        p += 1;
        break;
      }
      if (c === 0x2f /* / */) {
        p += 2; // assertSafeXml: "/>"
        selfClosing = true;
        break;
      }
      const at = p;
      const aEnd = nameEnd(p);
      const name = text.slice(p, aEnd);
      p = skipWs(skipWs(aEnd) + 1); // past '='
      const quote = text.charAt(p);
      const close = text.indexOf(quote, p + 1);
      attributes.push({ name, raw: text.slice(p + 1, close), at });
      p = close + 1;
    }
    const tagEnd = p;

    // Namespaces of the input: the declarations made here, then the element's own namespace.
    const parent = stack[stack.length - 1];
    let defaultNs = parent ? parent.defaultNs : null;
    let prefixes: ReadonlyMap<string, string> = parent ? parent.prefixes : new Map<string, string>();
    const plain: Attribute[] = [];
    for (const a of attributes) {
      if (a.name === 'xmlns') defaultNs = decodeReferences(a.raw);
      else if (a.name.startsWith('xmlns:')) prefixes = new Map(prefixes).set(a.name.slice(6), decodeReferences(a.raw));
      else plain.push(a);
    }
    const ns = prefix === undefined ? defaultNs : (prefixes.get(prefix) ?? null);

    // The checks of the DOM signer, in its words: the package's place for a signature, and no
    // signature (in any namespace) or other XMLDSig element yet.
    if (!parent && !(local === 'edXML' && ns === EDXML_NS)) {
      throw new DomainError('VALIDATION_FAILED', `cannot sign: root element must be edXML in namespace ${EDXML_NS}`);
    }
    // (SignedInfo too: the verifier counts SignedInfo elements in any namespace.)
    if (local === 'Signature' || local === 'SignedInfo' || ns === XMLDSIG_NS) throw new DomainError('VALIDATION_FAILED', `cannot sign: the package already holds ${local} at ${path(local)}`);

    // The grammar.
    if (ns !== EDXML_NS) throw notOurs(`element ${qname} is in namespace ${ns ?? '(none)'}`, lt);
    if (prefix !== undefined && prefix !== 'edXML') throw notOurs(`element ${qname} uses a prefix other than edXML`, lt);
    for (const a of attributes) {
      if (a.name === 'xmlns' || a.name === 'xmlns:edXML') {
        if (decodeReferences(a.raw) !== EDXML_NS) throw notOurs(`${a.name} declares a namespace other than edXML`, a.at);
      } else if (a.name.startsWith('xmlns')) {
        throw notOurs(`attribute ${a.name}`, a.at);
      } else if (a.name.includes(':')) {
        throw notOurs(`prefixed attribute ${a.name}`, a.at);
      }
    }

    // The canonical start tag.
    const renderDefault = prefix === undefined && parent?.renderedDefault !== EDXML_NS;
    const renderEdxml = prefix === 'edXML' && !parent?.renderedEdxml;
    let canonical = `<${qname}${renderDefault ? DEFAULT_DECL : ''}${renderEdxml ? EDXML_DECL : ''}`;
    if (plain.length > 1) plain.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const a of plain) canonical += ` ${a.name}="${canonicalAttributeValue(a.raw, a.at)}"`;
    canonical += '>';

    // Where the element sits.
    let role = Role.Other;
    if (!parent) role = Role.Root;
    else if (parent.role === Role.Root && local === 'edXMLEnvelope' && ++envelopes === 1) role = Role.Envelope;
    else if (parent.role === Role.Envelope && local === 'edXMLHeader' && ++headers === 1) role = Role.Header;
    if (role === Role.Header && selfClosing) throw new DomainError('VALIDATION_FAILED', 'cannot sign: edXMLHeader is empty');

    if (selfClosing) {
      flushRun(lt);
      emit(`${canonical}</${qname}>`);
      runStart = tagEnd;
      if (!parent) rootEnd = tagEnd;
      return tagEnd;
    }
    if (canonical !== text.slice(lt, tagEnd)) {
      flushRun(lt);
      emit(canonical);
      runStart = tagEnd;
    }
    stack.push({
      qname,
      local,
      defaultNs,
      prefixes,
      renderedDefault: renderDefault ? EDXML_NS : (parent?.renderedDefault ?? ''),
      renderedEdxml: renderEdxml || (parent?.renderedEdxml ?? false),
      role,
    });
    return tagEnd;
  }

  /** Handles the end tag at `lt`; returns the offset after it. */
  function endTag(lt: number): number {
    const frame = stack.pop();
    if (!frame) throw notOurs('end tag without a start tag', lt);
    const p = skipWs(lt + 2 + frame.qname.length);
    if (!text.startsWith(frame.qname, lt + 2) || text.charCodeAt(p) !== 0x3e) throw notOurs(`end tag does not match <${frame.qname}>`, lt);
    const tagEnd = p + 1;
    if (tagEnd !== lt + 3 + frame.qname.length) {
      flushRun(lt);
      emit(`</${frame.qname}>`);
      runStart = tagEnd;
    }
    if (frame.role === Role.Header) headerEndTag = lt;
    if (stack.length === 0) rootEnd = tagEnd;
    return tagEnd;
  }
}
