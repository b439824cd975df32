/**
 * XMLDSig for edXML packages (DESIGN.md §5): one enveloped signature in the header, in the XMLDSig
 * namespace, `Reference URI=""` over the whole document (attachments included), transforms
 * enveloped-signature + exclusive c14n, RSA-SHA256 / SHA-256, the signer certificate in KeyInfo.
 *
 * Signing our packages (`signPackage`, `signPackageAsync`): every package we sign is written by
 * src/edxml/build.ts, so its exclusive canonical form is computed from the text in one pass
 * (c14n-stream.ts), without a DOM; the digest, the SignedInfo and the Signature element are written
 * here exactly as xml-crypto writes them for our profile, and the RSA signature comes from the
 * `PackageSigner` port of src/crypto (this module never sees a private key). The Signature is inserted
 * into the caller's text just before the `edXMLHeader` end tag — the rest of the document is never
 * re-serialised — and the result is checked before it is returned (sign-check.ts: the RSA signature
 * verified with the certificate, the digest against a second derivation of the canonical form from
 * the emitted text), so a package that would not verify is never emitted. A package with large files
 * is signed by sign-payloads.ts with the same steps (`canonicalizeOwn`, `ownSigning`,
 * `insertSignature`), its files written into its bytes rather than into the text.
 *
 * Signing text we did not build (`signForeignPackage`): xml-crypto parses it, canonicalises and builds
 * the Signature, with the RSA step through the port (a per-call `SignatureAlgorithm` whose
 * `getSignature` calls `signer.sign`; xml-crypto insists on a non-null `privateKey`, so it gets a
 * placeholder that our algorithm ignores), and the result is verified by the DOM verifier.
 *
 * Verification. `verifyXmlSignature` runs `assertSafeXml` first, then parses with @xmldom/xmldom
 * (every parser error fatal), checks the signature's shape and algorithms against a strict profile,
 * and only then lets xml-crypto check the digest and SignatureValue, with algorithm tables reduced to
 * the allow-list and public-key verification delegated to src/crypto. The KeyInfo certificate is only
 * a candidate: the caller must check it against the trust store and the agency registry.
 */
import type { BinaryLike, KeyLike } from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { createOptionalCallbackFunction, findAncestorNs, SignedXml } from 'xml-crypto';
import type { HashAlgorithm, Reference, SignatureAlgorithm } from 'xml-crypto';
import type { PackageSigner, RsaHash } from '../crypto/signer.js';
import { verifyRsaSignature } from '../crypto/signer.js';
import { derToPem, fingerprintSha256, pemToDer } from '../crypto/certificates.js';
import { DomainError } from '../errors.js';
import { canonicalizePackage } from './c14n-stream.js';
import type { CanonicalPackage } from './c14n-stream.js';
import { assertSafeXml, DEFAULT_XML_LIMITS } from './harden.js';
import type { XmlLimits } from './harden.js';
import { EDXML_NS, XMLDSIG_NS } from './model.js';
import { checkOwnSignature } from './sign-check.js';

/** Algorithm identifiers (XMLDSig 1.1 §6, RFC 6931). */
export const ALGORITHMS = Object.freeze({
  EXC_C14N: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  EXC_C14N_WITH_COMMENTS: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  ENVELOPED: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  RSA_SHA1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  RSA_SHA256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  RSA_SHA384: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  RSA_SHA512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  SHA1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  SHA256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  SHA384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  SHA512: 'http://www.w3.org/2001/04/xmlenc#sha512',
});

/** What a valid signature yields. Nothing here is trusted until the caller checks `certificatePem`. */
export interface XmlSignatureResult {
  /** The KeyInfo certificate (PEM): the key that made the signature, NOT yet trusted. */
  readonly certificatePem: string;
  /** The canonical XML the Reference covers (xml-crypto `getSignedReferences()`): the signed document minus its Signature. */
  readonly signedXml: string;
  readonly signatureAlgorithm: string;
  readonly digestAlgorithm: string;
}

/** Options of `verifyXmlSignature`. */
export interface VerifyXmlSignatureOptions {
  /** Accept rsa-sha1 / sha1 (partners explicitly marked legacy). HMAC and MD5 are refused regardless. */
  readonly allowLegacy?: boolean;
  readonly limits?: Partial<XmlLimits>;
  /**
   * The Reference digest of `canonical` (the canonical form xml-crypto computed), in base64, when it
   * is not the plain hash of that text: verify-elided.ts, which verifies a text whose long base64
   * runs were cut out, puts them back here. Throwing refuses the package.
   */
  readonly digestOf?: (canonical: string, hash: RsaHash) => string;
}

const SIGNATURE_HASH: Readonly<Record<string, RsaHash>> = {
  [ALGORITHMS.RSA_SHA256]: 'sha256',
  [ALGORITHMS.RSA_SHA384]: 'sha384',
  [ALGORITHMS.RSA_SHA512]: 'sha512',
};
const DIGEST_HASH: Readonly<Record<string, RsaHash>> = {
  [ALGORITHMS.SHA256]: 'sha256',
  [ALGORITHMS.SHA384]: 'sha384',
  [ALGORITHMS.SHA512]: 'sha512',
};
const LEGACY_SIGNATURE_HASH: Readonly<Record<string, RsaHash>> = { [ALGORITHMS.RSA_SHA1]: 'sha1' };
const LEGACY_DIGEST_HASH: Readonly<Record<string, RsaHash>> = { [ALGORITHMS.SHA1]: 'sha1' };
const DIGEST_BYTES: Readonly<Record<RsaHash, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

const invalid = (detail: string): DomainError => new DomainError('SIGNATURE_INVALID', detail);

// ---------------------------------------------------------------------------------------------
// DOM helpers (xmldom 0.9; the project has no DOM lib types, so node kinds are compared by number)

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

/** Parses text that already passed `assertSafeXml`; any xmldom error or warning is fatal → XML_MALFORMED. */
function parseDom(text: string): Document {
  let problem: string | undefined;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        problem ??= `${level}: ${message}`;
        throw new Error(message);
      },
    }).parseFromString(text, 'text/xml');
  } catch (cause) {
    throw new DomainError('XML_MALFORMED', `XML is not well-formed: ${problem ?? (cause as Error).message}`, { cause });
  }
  if (problem !== undefined) throw new DomainError('XML_MALFORMED', `XML is not well-formed: ${problem}`);
  if (!doc.documentElement) throw new DomainError('XML_MALFORMED', 'XML has no root element');
  return doc;
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function elementChildren(el: Element): Element[] {
  return children(el).filter((c): c is Element => c.nodeType === ELEMENT_NODE);
}

/** Every node below `root`, document order, without recursion. */
function* descendants(root: Node): Generator<Node> {
  const stack: Node[] = [];
  for (let c = root.lastChild; c; c = c.previousSibling) stack.push(c);
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    yield n;
    for (let c = n.lastChild; c; c = c.previousSibling) stack.push(c);
  }
}

const is = (el: Element | null | undefined, local: string, ns: string): el is Element => !!el && el.localName === local && el.namespaceURI === ns;

function pathOf(el: Element): string {
  const names: string[] = [];
  for (let n: Node | null = el; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) names.unshift((n as Element).localName ?? '?');
  return `/${names.join('/')}`;
}

function isDescendant(node: Node, ancestor: Node): boolean {
  for (let n: Node | null = node; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}

/** Text of an element that may hold only text (no elements, comments, PIs). */
function textOnly(el: Element, what: string): string {
  let s = '';
  for (const c of children(el)) {
    if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) s += c.nodeValue ?? '';
    else throw invalid(`${what} must hold only text`);
  }
  return s;
}

/** Decodes strict base64 (whitespace allowed, as XMLDSig serialisers wrap lines). */
function base64Of(el: Element, what: string): Buffer {
  const s = textOnly(el, what).replace(/[ \t\r\n]+/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) throw invalid(`${what} is not valid base64`);
  return Buffer.from(s, 'base64');
}

/** No element children, only whitespace text. */
function assertEmpty(el: Element, what: string): void {
  for (const c of children(el)) {
    if (c.nodeType === TEXT_NODE && /^[ \t\r\n]*$/.test(c.nodeValue ?? '')) continue;
    throw invalid(`${what} must be empty (found ${c.nodeType === ELEMENT_NODE ? `element ${(c as Element).localName}` : 'content'})`);
  }
}

/** Element children of `el`, which must all be XMLDSig elements; text must be whitespace. */
function dsigChildren(el: Element, what: string): Element[] {
  for (const c of children(el)) {
    if (c.nodeType === ELEMENT_NODE || (c.nodeType === TEXT_NODE && /^[ \t\r\n]*$/.test(c.nodeValue ?? ''))) continue;
    throw invalid(`${what} holds unexpected content (text, CDATA or a comment)`);
  }
  const kids = elementChildren(el);
  for (const k of kids) if (k.namespaceURI !== XMLDSIG_NS) throw invalid(`${what} holds ${k.localName} from namespace ${k.namespaceURI ?? '(none)'}; only XMLDSig elements are allowed`);
  return kids;
}

function algorithmOf(el: Element, what: string): string {
  const alg = el.getAttribute('Algorithm');
  if (alg === null || alg === '') throw invalid(`${what} has no Algorithm`);
  return alg;
}

/** Maps an algorithm URI to its hash, or explains why it is refused. */
function classify(kind: 'SignatureMethod' | 'DigestMethod', uri: string, allowLegacy: boolean): RsaHash {
  const modern = kind === 'SignatureMethod' ? SIGNATURE_HASH : DIGEST_HASH;
  const legacy = kind === 'SignatureMethod' ? LEGACY_SIGNATURE_HASH : LEGACY_DIGEST_HASH;
  // HMAC: a shared-secret MAC verified with whatever "key" is at hand (e.g. the public certificate
  // bytes) is the classic key-confusion forgery; never a signature of an agency.
  if (/hmac/i.test(uri)) throw invalid(`${kind} ${uri} is refused: HMAC is never accepted (key confusion)`);
  if (/md5/i.test(uri)) throw invalid(`${kind} ${uri} is refused: MD5 is broken`);
  const hash = modern[uri];
  if (hash) return hash;
  const old = legacy[uri];
  if (old) {
    if (allowLegacy) return old;
    throw invalid(`${kind} ${uri} is refused: SHA-1 is accepted only from partners marked legacy`);
  }
  throw invalid(`${kind} ${uri} is not in the allow-list`);
}

// ---------------------------------------------------------------------------------------------
// The strict profile (DESIGN.md §5 step 2)

interface CheckedSignature {
  signature: Element;
  certificatePem: string;
  signatureAlgorithm: string;
  signatureHash: RsaHash;
  digestAlgorithm: string;
  digestHash: RsaHash;
}

/** Finds /edXML/edXMLEnvelope/edXMLHeader, requiring exactly one of each. */
function headerOf(doc: Document, onMissing: (detail: string) => DomainError): Element {
  const root = doc.documentElement;
  if (!is(root, 'edXML', EDXML_NS)) throw onMissing(`root element must be edXML in namespace ${EDXML_NS}`);
  const envelopes = elementChildren(root).filter((e) => is(e, 'edXMLEnvelope', EDXML_NS));
  if (envelopes.length !== 1) throw onMissing(`expected one edXMLEnvelope under edXML, found ${envelopes.length}`);
  const headers = elementChildren(envelopes[0] as Element).filter((e) => is(e, 'edXMLHeader', EDXML_NS));
  if (headers.length !== 1) throw onMissing(`expected one edXMLHeader under edXMLEnvelope, found ${headers.length}`);
  return headers[0] as Element;
}

function checkProfile(doc: Document, allowLegacy: boolean): CheckedSignature {
  const signatures: Element[] = [];
  const signedInfos: Element[] = [];
  const dsigElements: Element[] = [];
  for (const n of descendants(doc)) {
    // assertSafeXml refuses PIs already; a PI outside the root would escape `URI=""` in xml-crypto
    // (it digests the root element) but not in xmlsec1 (the whole document): keep them out.
    // (xmldom 0.9 reports the XML declaration as a PI named "xml"; that one is fine.)
    if (n.nodeType === PROCESSING_INSTRUCTION_NODE && !(n.nodeName === 'xml' && n.parentNode === doc)) throw invalid('processing instructions are not allowed');
    if (n.nodeType !== ELEMENT_NODE) continue;
    const el = n as Element;
    // Counted by local name in ANY namespace: a second, edXML-namespace `Signature` (the style of the
    // axis samples) is exactly what an attacker would add to make another reader pick the wrong one.
    if (el.localName === 'Signature') signatures.push(el);
    if (el.localName === 'SignedInfo') signedInfos.push(el);
    if (el.namespaceURI === XMLDSIG_NS) dsigElements.push(el);
  }
  if (signatures.length === 0) throw invalid('the package is not signed: no Signature element');
  if (signatures.length > 1) throw invalid(`found ${signatures.length} Signature elements; exactly one is allowed (in either namespace)`);
  const signature = signatures[0] as Element;
  if (signature.namespaceURI !== XMLDSIG_NS) throw invalid(`Signature is in namespace ${signature.namespaceURI ?? '(none)'}, not XMLDSig (${XMLDSIG_NS})`);

  // The fixed place: a signature elsewhere (inside MessageHeader, in an attachment) would invite a
  // reader to pair it with the wrong content.
  const header = headerOf(doc, (d) => invalid(`Signature must be at /edXML/edXMLEnvelope/edXMLHeader/Signature: ${d}`));
  if (signature.parentNode !== header) throw invalid(`Signature must be at /edXML/edXMLEnvelope/edXMLHeader/Signature, found at ${pathOf(signature)}`);

  if (signedInfos.length !== 1) throw invalid(`found ${signedInfos.length} SignedInfo elements; exactly one is allowed`);
  // XMLDSig elements outside the Signature (a ds:Object or a second SignedInfo elsewhere) are the raw
  // material of wrapping attacks.
  for (const el of dsigElements) {
    if (!isDescendant(el, signature)) throw invalid(`XMLDSig element ${el.localName} found outside the Signature, at ${pathOf(el)}`);
  }
  for (const n of descendants(signature)) {
    if (n.nodeType === COMMENT_NODE) throw invalid('comments are not allowed inside Signature');
  }

  // Signature := SignedInfo SignatureValue KeyInfo — nothing else.
  const parts = dsigChildren(signature, 'Signature');
  for (const p of parts) {
    // Object carries signed-or-not content inside the signature; it is where wrapped elements hide.
    if (p.localName === 'Object') throw invalid('Signature must not contain Object elements');
  }
  const names = parts.map((p) => p.localName).join(', ');
  if (parts.length !== 3 || parts[0]?.localName !== 'SignedInfo' || parts[1]?.localName !== 'SignatureValue' || parts[2]?.localName !== 'KeyInfo') {
    throw invalid(`Signature must hold exactly SignedInfo, SignatureValue, KeyInfo in that order; found ${names || 'nothing'}`);
  }
  const [signedInfo, signatureValue, keyInfo] = parts as [Element, Element, Element];
  if (signedInfo !== signedInfos[0]) throw invalid('SignedInfo is not the child of Signature');

  // SignedInfo := CanonicalizationMethod SignatureMethod Reference
  const si = dsigChildren(signedInfo, 'SignedInfo');
  const references = si.filter((e) => e.localName === 'Reference');
  if (references.length !== 1) throw invalid(`SignedInfo must hold exactly one Reference, found ${references.length}`);
  if (si.length !== 3 || si[0]?.localName !== 'CanonicalizationMethod' || si[1]?.localName !== 'SignatureMethod' || si[2]?.localName !== 'Reference') {
    throw invalid(`SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference; found ${si.map((e) => e.localName).join(', ')}`);
  }
  const [c14nMethod, sigMethod, reference] = si as [Element, Element, Element];
  const c14n = algorithmOf(c14nMethod, 'CanonicalizationMethod');
  if (c14n !== ALGORITHMS.EXC_C14N) throw invalid(`CanonicalizationMethod ${c14n} is not allowed; only ${ALGORITHMS.EXC_C14N} (without comments)`);
  assertEmpty(c14nMethod, 'CanonicalizationMethod'); // no InclusiveNamespaces: it changes what is signed
  const signatureAlgorithm = algorithmOf(sigMethod, 'SignatureMethod');
  const signatureHash = classify('SignatureMethod', signatureAlgorithm, allowLegacy);
  assertEmpty(sigMethod, 'SignatureMethod'); // e.g. HMACOutputLength (signature truncation)

  // Reference URI="" — the whole document. A `#id` reference signs a subtree and leaves the rest,
  // where a forged header can sit, unsigned; a missing URI leaves the target to the application.
  const uri = reference.getAttribute('URI');
  if (uri === null) throw invalid('Reference has no URI attribute; URI="" is required');
  if (uri !== '') throw invalid(`Reference URI="${uri}" is not allowed; URI="" (the whole document) is required`);
  const refParts = dsigChildren(reference, 'Reference');
  if (refParts.length !== 3 || refParts[0]?.localName !== 'Transforms' || refParts[1]?.localName !== 'DigestMethod' || refParts[2]?.localName !== 'DigestValue') {
    throw invalid(`Reference must hold Transforms, DigestMethod, DigestValue; found ${refParts.map((e) => e.localName).join(', ')}`);
  }
  const [transforms, digestMethod, digestValue] = refParts as [Element, Element, Element];
  const transformList = dsigChildren(transforms, 'Transforms');
  // Exactly enveloped-signature then exc-c14n: XSLT and XPath transforms run attacker-chosen code or
  // queries in the verifier and can make the digest cover something other than the document.
  const expected = [ALGORITHMS.ENVELOPED, ALGORITHMS.EXC_C14N];
  for (const [i, t] of transformList.entries()) {
    if (t.localName !== 'Transform') throw invalid(`Transforms holds ${t.localName}`);
    const alg = algorithmOf(t, 'Transform');
    if (alg !== expected[i]) throw invalid(`Transform ${i + 1} is ${alg}; exactly ${expected.join(' then ')} are allowed`);
    assertEmpty(t, `Transform ${alg}`);
  }
  if (transformList.length !== 2) throw invalid(`Reference must have exactly 2 transforms (${expected.join(', ')}), found ${transformList.length}`);
  const digestAlgorithm = algorithmOf(digestMethod, 'DigestMethod');
  const digestHash = classify('DigestMethod', digestAlgorithm, allowLegacy);
  assertEmpty(digestMethod, 'DigestMethod');
  const digest = base64Of(digestValue, 'DigestValue');
  if (digest.length !== DIGEST_BYTES[digestHash]) throw invalid(`DigestValue has ${digest.length} bytes, ${digestHash} gives ${DIGEST_BYTES[digestHash]}`);
  base64Of(signatureValue, 'SignatureValue');

  // KeyInfo := X509Data with exactly one X509Certificate. RetrievalMethod would make the verifier
  // fetch or dereference key material chosen by the sender; KeyValue would offer a bare key that
  // some verifiers prefer to the certificate.
  const keyParts = dsigChildren(keyInfo, 'KeyInfo');
  for (const k of keyParts) {
    if (k.localName === 'RetrievalMethod') throw invalid('KeyInfo RetrievalMethod is not allowed');
    if (k.localName !== 'X509Data') throw invalid(`KeyInfo must hold only X509Data, found ${k.localName}`);
  }
  if (keyParts.length !== 1) throw invalid(`KeyInfo must hold exactly one X509Data, found ${keyParts.length}`);
  const x509Parts = dsigChildren(keyParts[0] as Element, 'X509Data');
  const certs = x509Parts.filter((e) => e.localName === 'X509Certificate');
  for (const e of x509Parts) {
    // Names and serials are informational and ignored; anything else is refused.
    if (!['X509Certificate', 'X509SubjectName', 'X509IssuerSerial', 'X509SKI'].includes(e.localName ?? '')) throw invalid(`X509Data holds unsupported ${e.localName}`);
  }
  if (certs.length !== 1) throw invalid(`X509Data must hold exactly one X509Certificate (the signer), found ${certs.length}`);
  const certificatePem = derToPem(base64Of(certs[0] as Element, 'X509Certificate'));

  return { signature, certificatePem, signatureAlgorithm, signatureHash, digestAlgorithm, digestHash };
}

/** The private members of xml-crypto's SignedXml that fitToProfile uses (xml-crypto 6). */
interface SignedXmlInternals {
  signatureNode: Node | null;
  canonicalizationAlgorithm: string | undefined;
  validateReference(ref: Reference, doc: Document): string | undefined;
  getCanonReferenceXml(doc: Document, ref: Reference, node: Node): string;
  getCanonSignedInfoXml(doc: Document): string;
  getCanonXml(transforms: readonly string[], node: Node, options: { ancestorNamespaces: unknown }): string;
  findLoadedSignature(node: Node): Node | null;
  findHashAlgorithm(name: string): HashAlgorithm;
}

/**
 * xml-crypto searches the whole document three times with the xpath module, and copies the whole
 * document once. A package naming 10,000 recipients (10,000 `To` elements side by side) is 3 MB of
 * markup, and each of these cost about as much as the parse itself: 1.2 s of a 2.5 s check (issue
 * 16). They are replaced by what they compute, and nothing else of xml-crypto's check changes: the
 * canonical forms, the hashes, the comparisons and the order of the steps stay its own.
 *
 * 1. The target of `Reference URI=""`: xml-crypto takes `xpath.select1("//*", doc)`, the set of every
 *    element sorted through xmldom's compareDocumentPosition, which walks sibling lists — quadratic
 *    in siblings (10,000 recipients took 23 s). The first element in document order is the document
 *    element. Any other URI goes to xml-crypto's own validateReference (the profile allows none).
 * 2. The namespaces in scope of SignedInfo, which its canonical form needs: xml-crypto takes the
 *    first of `//*[local-name()='SignedInfo']` in its own parse of the text. One walk of that parse in
 *    document order finds the same element; xml-crypto's own findAncestorNs reads its namespaces,
 *    with the path "." from it.
 * 3. The Signature the enveloped-signature transform removes: checkSignature parses its own copy of
 *    the text (with its own xmldom, 0.8), so it finds the loaded Signature in it by the SignatureValue
 *    of every XMLDSig `Signature` element (`.//*[local-name(.)='Signature' and namespace-uri(.)=…]`),
 *    and refuses two with the same value. The same walk collects the same elements; the choice and the
 *    refusal are xml-crypto's, word for word.
 * 4. The copy: see validateReference below.
 *
 * Each walk is linear (firstElementOf, elementsOf); the strict profile has by then allowed one
 * Signature and one SignedInfo in our own parse of the text, so each search finds one element.
 */
function fitToProfile(sig: SignedXml): void {
  const internals = sig as unknown as SignedXmlInternals;
  const validateReference = internals.validateReference.bind(sig);
  internals.validateReference = (ref, doc) => {
    if (ref.uri !== '') return validateReference(ref, doc);
    const elem = doc.documentElement;
    if (!elem) {
      ref.validationError = new Error('invalid signature: the signature references the whole document, which has no element');
      return undefined;
    }
    // 4. checkSignature's doc is its own parse of the text, which nothing reads after the references
    //    are checked, so the enveloped-signature transform may remove the Signature from it in place.
    //    xml-crypto deep-copies the referenced element first, and xmldom's cloneNode copies each node
    //    property by property through a for-in over its prototype chain: 0.5 s of a 2 s check for
    //    10,000 recipients. canonicalize is handed the element as its own copy, for this call only.
    const copy = Object.getOwnPropertyDescriptor(elem, 'cloneNode');
    Object.defineProperty(elem, 'cloneNode', { value: () => elem, configurable: true });
    let canonXml: string;
    try {
      canonXml = internals.getCanonReferenceXml(doc, ref, elem);
    } finally {
      if (copy) Object.defineProperty(elem, 'cloneNode', copy);
      else delete (elem as { cloneNode?: unknown }).cloneNode;
    }
    const digest = internals.findHashAlgorithm(ref.digestAlgorithm ?? '').getHash(canonXml);
    const computed = Buffer.from(digest, 'base64');
    const expected = Buffer.from(typeof ref.digestValue === 'string' ? ref.digestValue : '', 'base64');
    if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) {
      ref.validationError = new Error(`invalid signature: for uri ${ref.uri} calculated digest is ${digest} but the xml to validate supplies digest ${String(ref.digestValue)}`);
      return undefined;
    }
    return canonXml;
  };

  const getCanonSignedInfoXml = internals.getCanonSignedInfoXml.bind(sig);
  internals.getCanonSignedInfoXml = (doc) => {
    const signedInfo = internals.signatureNode ? childrenNamed(internals.signatureNode as Element, 'SignedInfo') : [];
    const algorithm = internals.canonicalizationAlgorithm;
    const first = doc ? firstElementOf(doc, (el) => el.localName === 'SignedInfo') : undefined;
    // Anything xml-crypto would refuse or treat otherwise (no signature, two SignedInfo, another
    // algorithm) goes to its own method, which says so.
    if (signedInfo.length !== 1 || algorithm !== ALGORITHMS.EXC_C14N || !first) return getCanonSignedInfoXml(doc);
    return internals.getCanonXml([algorithm], signedInfo[0] as Element, { ancestorNamespaces: findAncestorNs(first as unknown as Parameters<typeof findAncestorNs>[0], '.') });
  };

  const findLoadedSignature = internals.findLoadedSignature.bind(sig);
  internals.findLoadedSignature = (node) => {
    const loaded = internals.signatureNode as Element | null;
    const doc = (node.ownerDocument ?? node) as Document;
    if (loaded == null || loaded.ownerDocument === doc) return findLoadedSignature(node);
    const value = (s: Element): string | null | undefined => childrenNamed(s, 'SignatureValue')[0]?.textContent;
    const signatureValue = value(loaded);
    if (!signatureValue) return null;
    const matches = elementsOf(doc, (el) => el.localName === 'Signature' && el.namespaceURI === XMLDSIG_NS).filter((s) => value(s) === signatureValue);
    if (matches.length > 1) {
      throw new Error('Cannot validate a document which contains multiple Signature elements with the same SignatureValue, in order to prevent signature wrapping attack.');
    }
    return matches[0] ?? null;
  };
}

/** The first element of `doc` in document order that `wanted` accepts: one walk, no xpath. */
function firstElementOf(doc: Document, wanted: (el: Element) => boolean): Element | undefined {
  for (const n of descendants(doc)) if (n.nodeType === ELEMENT_NODE && wanted(n as Element)) return n as Element;
  return undefined;
}

/** Every element of `doc` in document order that `wanted` accepts: one walk, no xpath. */
function elementsOf(doc: Document, wanted: (el: Element) => boolean): Element[] {
  const found: Element[] = [];
  for (const n of descendants(doc)) if (n.nodeType === ELEMENT_NODE && wanted(n as Element)) found.push(n as Element);
  return found;
}

/** Element children with this local name, in any namespace (xml-crypto's findChildren). */
const childrenNamed = (el: Element, localName: string): Element[] => elementChildren(el).filter((e) => e.localName === localName);

// ---------------------------------------------------------------------------------------------
// xml-crypto algorithm tables reduced to the allow-list

function hashAlgorithm(uri: string, hash: RsaHash, digestOf?: (canonical: string, hash: RsaHash) => string): new () => HashAlgorithm {
  return class implements HashAlgorithm {
    getAlgorithmName(): string {
      return uri;
    }
    getHash(xml: string): string {
      if (digestOf) return digestOf(xml, hash);
      return createHash(hash).update(xml, 'utf8').digest('base64');
    }
  };
}

/** An RSA PKCS#1 v1.5 algorithm whose verification is src/crypto's and whose signing is the port's (if any). */
function rsaAlgorithm(uri: string, hash: RsaHash, signer?: PackageSigner): new () => SignatureAlgorithm {
  return class implements SignatureAlgorithm {
    getSignature = createOptionalCallbackFunction((signedInfo: BinaryLike, _privateKey: KeyLike): string => {
      if (!signer || hash !== 'sha256') throw new Error(`signing with ${uri} is not supported`);
      const bytes = typeof signedInfo === 'string' ? Buffer.from(signedInfo, 'utf8') : Buffer.from(signedInfo as Uint8Array);
      return signer.sign(bytes).toString('base64');
    });
    verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string): boolean => {
      if (typeof key !== 'string') throw new Error('expected the candidate certificate as PEM');
      return verifyRsaSignature(key, Buffer.from(material, 'utf8'), Buffer.from(signatureValue.replace(/\s+/g, ''), 'base64'), hash);
    });
    getAlgorithmName(): string {
      return uri;
    }
  };
}

const BUILTIN = new SignedXml();
const C14N_TABLE = {
  [ALGORITHMS.EXC_C14N]: BUILTIN.CanonicalizationAlgorithms[ALGORITHMS.EXC_C14N],
  [ALGORITHMS.ENVELOPED]: BUILTIN.CanonicalizationAlgorithms[ALGORITHMS.ENVELOPED],
} as SignedXml['CanonicalizationAlgorithms'];

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Verifies the package signature (DESIGN.md §5 step 2 and the cryptographic check). Returns the
 * KeyInfo certificate as an UNTRUSTED candidate and the signed content. Throws PAYLOAD_TOO_LARGE /
 * XML_FORBIDDEN / XML_MALFORMED (from the hardening gate and the parser) or SIGNATURE_INVALID naming
 * the check that failed.
 */
export function verifyXmlSignature(input: string | Buffer, opts: VerifyXmlSignatureOptions = {}): XmlSignatureResult {
  const safe = assertSafeXml(input, opts.limits);
  const doc = parseDom(safe);
  const checked = checkProfile(doc, opts.allowLegacy === true);

  const sig = new SignedXml({ publicCert: checked.certificatePem });
  // Only the algorithms this signature declared and the profile allowed are known to xml-crypto for
  // this check, so nothing it might look up by itself can fall outside the allow-list.
  sig.CanonicalizationAlgorithms = C14N_TABLE;
  sig.HashAlgorithms = { [checked.digestAlgorithm]: hashAlgorithm(checked.digestAlgorithm, checked.digestHash, opts.digestOf) };
  sig.SignatureAlgorithms = { [checked.signatureAlgorithm]: rsaAlgorithm(checked.signatureAlgorithm, checked.signatureHash) };
  // getCertFromKeyInfo stays xml-crypto's default no-op: the key is the candidate read above.
  fitToProfile(sig);

  let ok: boolean;
  try {
    sig.loadSignature(checked.signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    ok = sig.checkSignature(safe);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const message = (e as Error).message ?? String(e);
    if (message.startsWith('invalid signature: the signature value')) {
      throw new DomainError('SIGNATURE_INVALID', 'SignatureValue does not verify with the KeyInfo certificate (SignedInfo or SignatureValue changed, or another key signed)', { cause: e });
    }
    throw new DomainError('SIGNATURE_INVALID', `signature check failed: ${message}`, { cause: e });
  }
  if (!ok) {
    const why = sig.getReferences().find((r) => r.validationError)?.validationError?.message ?? '';
    throw invalid(`the digest of the signed content does not match DigestValue: the package changed after signing${why.includes('could not find') ? ' (reference target missing)' : ''}`);
  }
  const signed = sig.getSignedReferences();
  if (signed.length !== 1 || !signed[0]) throw invalid(`expected one signed reference, got ${signed.length}`);
  return {
    certificatePem: checked.certificatePem,
    signedXml: signed[0],
    signatureAlgorithm: checked.signatureAlgorithm,
    digestAlgorithm: checked.digestAlgorithm,
  };
}

// ---------------------------------------------------------------------------------------------
// Signing the packages we build, without a DOM

/** A signer whose RSA operation completes later (another thread's caller, an HSM, a remote signer). */
export interface AsyncPackageSigner {
  readonly certificatePem: string;
  /** RSA-SHA256 PKCS#1 v1.5 over data */
  sign(data: Buffer): Promise<Buffer>;
}

/**
 * Signs an unsigned package built by src/edxml/build.ts: inserts
 * `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` as the last child of `edXMLHeader`
 * (Reference URI="", enveloped + exc-c14n, RSA-SHA256, SHA-256, the signer certificate in KeyInfo)
 * and returns the final text, which must be stored and sent as is. No DOM: text outside the grammar
 * of c14n-stream.ts (which holds everything the builder writes) is refused with VALIDATION_FAILED;
 * text this node did not build goes to `signForeignPackage`, by the caller's choice, never by guess.
 */
export function signPackage(unsignedXml: string, signer: PackageSigner, limits?: Partial<XmlLimits>): string {
  const prepared = prepareOwnSigning(unsignedXml, signer.certificatePem, limits);
  return finishOwnSigning(prepared, signer.sign(prepared.signedInfo), limits);
}

/** signPackage with an asynchronous RSA step; the same checks and the same bytes. */
export async function signPackageAsync(unsignedXml: string, signer: AsyncPackageSigner, limits?: Partial<XmlLimits>): Promise<string> {
  const prepared = prepareOwnSigning(unsignedXml, signer.certificatePem, limits);
  return finishOwnSigning(prepared, await signer.sign(prepared.signedInfo), limits);
}

/*
 * The Signature element, byte for byte as xml-crypto 6 writes it for our profile (xmldom's
 * serialisation: empty elements as `<X/>`, no line breaks, base64 unwrapped), so that a package signed
 * here is identical to one signed by the DOM path with the same key (RSA PKCS#1 v1.5 is deterministic;
 * test/signature/own-signer.test.ts compares them). SignedInfo is signed in its exclusive canonical
 * form: the XMLDSig default namespace, the only one it visibly uses, declared on it (no output ancestor
 * has rendered it), empty elements as start and end tags, nothing to escape.
 */
const SIGNED_INFO_PARTS = [
  ['CanonicalizationMethod', ALGORITHMS.EXC_C14N],
  ['SignatureMethod', ALGORITHMS.RSA_SHA256],
] as const;
const TRANSFORMS = [ALGORITHMS.ENVELOPED, ALGORITHMS.EXC_C14N] as const;

function signedInfoText(digest: string, canonical: boolean): string {
  const empty = (name: string, algorithm: string): string => (canonical ? `<${name} Algorithm="${algorithm}"></${name}>` : `<${name} Algorithm="${algorithm}"/>`);
  return (
    `<SignedInfo${canonical ? ` xmlns="${XMLDSIG_NS}"` : ''}>` +
    SIGNED_INFO_PARTS.map(([name, algorithm]) => empty(name, algorithm)).join('') +
    `<Reference URI=""><Transforms>${TRANSFORMS.map((t) => empty('Transform', t)).join('')}</Transforms>` +
    `${empty('DigestMethod', ALGORITHMS.SHA256)}<DigestValue>${digest}</DigestValue></Reference></SignedInfo>`
  );
}

export interface OwnSigning {
  /** The unsigned text after the hardening gate. */
  readonly text: string;
  readonly canonical: CanonicalPackage;
  readonly digest: string;
  /** The canonical SignedInfo: the bytes the port signs. */
  readonly signedInfo: Buffer;
  readonly certificatePem: string;
  readonly keyInfo: string;
}

// What the Signature adds as assertSafeXml counts it (14 elements, 7 attributes, 3 text nodes), and
// how deep it reaches (Transform, 5 levels below edXMLHeader at depth 3). The unsigned text is gated
// with room for it, so that the signed package passes the same gate (receivers apply it first).
const SIGNATURE_NODES = 24;
const SIGNATURE_DEPTH = 8;

/** The hardening gate, the canonical form and its digest, and the SignedInfo to sign. */
function prepareOwnSigning(unsignedXml: string, certificatePem: string, limits?: Partial<XmlLimits>): OwnSigning {
  const { text, canonical } = canonicalizeOwn(unsignedXml, limits);
  return ownSigning(text, canonical, sha256Base64(canonical.chunks), certificatePem);
}

/**
 * The hardening gate (with room for the Signature, so that the signed package passes the same gate,
 * which receivers apply first) and the exclusive canonical form of one of our unsigned packages.
 */
export function canonicalizeOwn(unsignedXml: string, limits?: Partial<XmlLimits>): { text: string; canonical: CanonicalPackage } {
  const maxNodes = limits?.maxNodes ?? DEFAULT_XML_LIMITS.maxNodes;
  const maxDepth = limits?.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  if (maxDepth < SIGNATURE_DEPTH) throw new DomainError('XML_FORBIDDEN', `element nesting deeper than ${maxDepth}: a signed package nests ${SIGNATURE_DEPTH} deep`);
  const text = assertSafeXml(unsignedXml, { ...limits, maxNodes: Math.max(1, maxNodes - SIGNATURE_NODES) });
  return { text, canonical: canonicalizePackage(text) };
}

/** The SignedInfo over `digest` (the base64 SHA-256 of the canonical form) and what the Signature needs. */
export function ownSigning(text: string, canonical: CanonicalPackage, digest: string, certificatePem: string): OwnSigning {
  // The KeyInfo xml-crypto writes for one certificate (getKeyInfoContent), written here from the DER
  // of the signer's one certificate block. xml-crypto's parses the certificate twice with
  // X509Certificate to check it is one (0.12 ms each in a script; a directive to 10,000 communes signs
  // 10,000 statuses with 10,000 certificates, so no cache helps). The certificate is read where it
  // matters: the self-check verifies the signature with it (sign-check.ts) and receivers check it.
  const keyInfo = `<X509Data><X509Certificate>${pemToDer(certificatePem).toString('base64')}</X509Certificate></X509Data>`;
  return { text, canonical, digest, signedInfo: Buffer.from(signedInfoText(digest, true), 'utf8'), certificatePem, keyInfo };
}

/** The unsigned text with the Signature inserted at the end of edXMLHeader. Not yet checked. */
export function insertSignature(p: OwnSigning, signatureValue: Buffer): string {
  const signature =
    `<Signature xmlns="${XMLDSIG_NS}">${signedInfoText(p.digest, false)}` +
    `<SignatureValue>${signatureValue.toString('base64')}</SignatureValue><KeyInfo>${p.keyInfo}</KeyInfo></Signature>`;
  const at = p.canonical.headerEndTag;
  return p.text.slice(0, at) + signature + p.text.slice(at);
}

/** Inserts the Signature, then checks the result (sign-check.ts) before it is returned: fail closed. */
function finishOwnSigning(p: OwnSigning, signatureValue: Buffer, limits?: Partial<XmlLimits>): string {
  const signed = insertSignature(p, signatureValue);

  // What receivers refuse is not emitted (the DOM path's self-check ran the size gate on the result).
  const maxBytes = limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  if (signed.length * 3 > maxBytes && Buffer.byteLength(signed, 'utf8') > maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `the signed package would exceed ${maxBytes} bytes`);
  }

  const at = p.canonical.headerEndTag;
  const vouched = checkOwnSignature({ unsigned: p.text, signed, at, certificatePem: p.certificatePem, canonical: p.canonical.chunks, digest: p.digest });
  if (!vouched) {
    // Text the builder does not write (comments, CDATA…): the digest is checked by the DOM verifier.
    const check = verifyXmlSignature(signed, limits ? { limits } : {});
    if (fingerprintSha256(check.certificatePem) !== fingerprintSha256(p.certificatePem)) {
      throw new Error('signPackage: the signed package does not carry the signer certificate');
    }
  }
  return signed;
}

// UTF-8 encoding into one reused buffer: a string handed to hash.update is encoded into a fresh
// buffer of its whole size (a 20 MB attachment would be copied once more), and encodeInto never
// splits a surrogate pair between two rounds.
const ENCODER = new TextEncoder();
const ENCODE_BUFFER = new Uint8Array(256 * 1024);

/** Base64 SHA-256 of the UTF-8 encoding of the concatenated chunks. */
export function sha256Base64(chunks: readonly string[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) {
    if (chunk.length * 3 <= ENCODE_BUFFER.length) {
      const { written } = ENCODER.encodeInto(chunk, ENCODE_BUFFER);
      hash.update(ENCODE_BUFFER.subarray(0, written));
      continue;
    }
    let rest = chunk;
    while (rest.length > 0) {
      const { read, written } = ENCODER.encodeInto(rest, ENCODE_BUFFER);
      hash.update(ENCODE_BUFFER.subarray(0, written));
      rest = rest.slice(read);
    }
  }
  return hash.digest('base64');
}

// ---------------------------------------------------------------------------------------------
// Signing text we did not build, with a DOM (xml-crypto)

// Placeholder for xml-crypto's `privateKey` option: it refuses to call the signature algorithm without
// one, but our algorithm signs through the PackageSigner port and never reads it.
const KEY_HELD_BY_PORT = 'private key held by the PackageSigner port';
const HEADER_XPATH = "/*[local-name()='edXML']/*[local-name()='edXMLEnvelope']/*[local-name()='edXMLHeader']";

/**
 * signPackage for an unsigned package whose text this node did not build (nothing does this today:
 * every package we sign comes from src/edxml/build.ts; it is also the reference the DOM-free signer
 * is tested and measured against). xml-crypto parses it, canonicalises, digests and builds the
 * Signature; the result is verified by the DOM verifier before it is returned. Same profile, same
 * place, same bytes as signPackage where both apply.
 */
export function signForeignPackage(unsignedXml: string, signer: PackageSigner, limits?: Partial<XmlLimits>): string {
  const prepared = prepareSigning(unsignedXml, limits);
  const sig = signedXmlFor(signer.certificatePem, rsaAlgorithm(ALGORITHMS.RSA_SHA256, 'sha256', signer));
  sig.computeSignature(prepared.text, { location: { reference: HEADER_XPATH, action: 'append' } });
  return finishSigning(prepared, sig, signer.certificatePem, limits);
}

interface PreparedSigning {
  text: string;
  doc: Document;
  header: Element;
}

/** The hardening gate, then a package with an edXMLHeader and no signature anywhere yet. */
function prepareSigning(unsignedXml: string, limits?: Partial<XmlLimits>): PreparedSigning {
  const text = assertSafeXml(unsignedXml, limits);
  const doc = parseDom(text);
  const header = headerOf(doc, (d) => new DomainError('VALIDATION_FAILED', `cannot sign: ${d}`));
  for (const n of descendants(doc)) {
    if (n.nodeType === ELEMENT_NODE && ((n as Element).localName === 'Signature' || (n as Element).namespaceURI === XMLDSIG_NS)) {
      throw new DomainError('VALIDATION_FAILED', `cannot sign: the package already holds ${(n as Element).localName} at ${pathOf(n as Element)}`);
    }
  }
  return { text, doc, header };
}

// xml-crypto's KeyInfo for a certificate, computed by xml-crypto once per certificate (it parses the
// PEM each time otherwise): the same text, kept by PEM (bounded). signForeignPackage uses it; our own
// packages' KeyInfo is written by ownSigning.
const keyInfoCache = new Map<string, string | null>();
function keyInfoContent(args: { publicCert?: KeyLike; prefix?: string | null }): string | null {
  const key = `${args.prefix ?? ''}\u0000${typeof args.publicCert === 'string' ? args.publicCert : ''}`;
  if (typeof args.publicCert !== 'string') return SignedXml.getKeyInfoContent(args);
  let content = keyInfoCache.get(key);
  if (content === undefined) {
    if (keyInfoCache.size >= 4_096) keyInfoCache.delete(keyInfoCache.keys().next().value!);
    content = SignedXml.getKeyInfoContent(args);
    keyInfoCache.set(key, content);
  }
  return content;
}

function signedXmlFor(certificatePem: string, algorithm: new () => SignatureAlgorithm): SignedXml {
  const sig = new SignedXml({
    privateKey: KEY_HELD_BY_PORT,
    publicCert: certificatePem,
    getKeyInfoContent: keyInfoContent,
    canonicalizationAlgorithm: ALGORITHMS.EXC_C14N,
    signatureAlgorithm: ALGORITHMS.RSA_SHA256,
  });
  sig.CanonicalizationAlgorithms = C14N_TABLE;
  sig.HashAlgorithms = { [ALGORITHMS.SHA256]: hashAlgorithm(ALGORITHMS.SHA256, 'sha256') };
  sig.SignatureAlgorithms = { [ALGORITHMS.RSA_SHA256]: algorithm };
  sig.addReference({ xpath: '/*', transforms: [ALGORITHMS.ENVELOPED, ALGORITHMS.EXC_C14N], digestAlgorithm: ALGORITHMS.SHA256, uri: '', isEmptyUri: true });
  return sig;
}

/** Splices the computed Signature into the caller's text, then verifies the result (fail closed). */
function finishSigning({ text, doc, header }: PreparedSigning, sig: SignedXml, certificatePem: string, limits?: Partial<XmlLimits>): string {
  // Splice the Signature element into the caller's text instead of taking xml-crypto's re-serialised
  // document: the signed bytes are the caller's bytes plus exactly one element.
  const at = endTagOffset(text, [doc.documentElement?.tagName ?? '', (header.parentNode as Element).tagName, header.tagName]);
  const signed = text.slice(0, at) + sig.getSignatureXml() + text.slice(at);

  // Fail closed: never hand out a package that does not verify, or verifies with another certificate.
  const check = verifyXmlSignature(signed, limits ? { limits } : {});
  if (fingerprintSha256(check.certificatePem) !== fingerprintSha256(certificatePem)) {
    throw new Error('signPackage: the signed package does not carry the signer certificate');
  }
  return signed;
}

/**
 * Offset of the end tag `</…>` of the element reached by the qualified-name path `names` from the
 * root, in text that passed `assertSafeXml` (no DOCTYPE). Skips comments, CDATA and PIs, and
 * attribute values (which may hold `>`), so a look-alike tag in any of those is never matched.
 */
function endTagOffset(text: string, names: readonly string[]): number {
  const notFound = (): Error => new Error('signPackage: the end tag of edXMLHeader was not found');
  const after = (needle: string, from: number): number => {
    const i = text.indexOf(needle, from);
    if (i < 0) throw notFound(); // unterminated construct; cannot happen after assertSafeXml
    return i + needle.length;
  };
  const stack: string[] = [];
  const target = names.join('\u0000');
  let pos = 0;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) throw notFound();
    if (text.startsWith('<!--', lt)) pos = after('-->', lt + 4);
    else if (text.startsWith('<![CDATA[', lt)) pos = after(']]>', lt + 9);
    else if (text.startsWith('<?', lt)) pos = after('?>', lt + 2);
    else if (text.startsWith('</', lt)) {
      if (stack.join('\u0000') === target) return lt;
      stack.pop();
      pos = after('>', lt);
    } else {
      const name = /^<([^\s/>]+)/.exec(text.slice(lt, lt + 1024))?.[1] ?? '';
      let p = lt + 1 + name.length;
      let quote = '';
      for (; p < text.length; p++) {
        const c = text[p];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (p >= text.length) throw notFound();
      if (text[p - 1] !== '/') stack.push(name);
      else if ([...stack, name].join('\u0000') === target) throw new DomainError('VALIDATION_FAILED', 'cannot sign: edXMLHeader is empty');
      pos = p + 1;
    }
  }
}
