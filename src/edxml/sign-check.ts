/**
 * The self-check of `signPackage` (xmldsig.ts): before a package we signed leaves the signer, this
 * reads the text it is about to return and checks the signature in it, without a DOM and without the
 * signer's code (it rebuilds nothing with the templates or the canonicaliser the signer used):
 *
 *   1. the text is the unsigned package with exactly one element inserted, a `<Signature>` in the
 *      XMLDSig namespace directly before the `edXMLHeader` end tag, of exactly our profile (one
 *      Reference `URI=""`, enveloped-signature + exc-c14n, RSA-SHA256, SHA-256, one certificate) —
 *      so nothing else in the package changed and there is one signature for verifiers to find;
 *   2. the certificate in its KeyInfo is the signer's certificate;
 *   3. its SignatureValue verifies (node:crypto, through src/crypto) with that certificate's public
 *      key over the exclusive canonical form of its SignedInfo, derived here from the SignedInfo as
 *      written — so the port signed these SignedInfo bytes with the key of this certificate (a wrong
 *      key, a broken HSM, a SignedInfo written differently from the one signed all fail here);
 *   4. its DigestValue is the SHA-256 of the canonical bytes the signer computed, and those bytes are
 *      the package text between the root's start and end tags with the rewrites that are the whole
 *      of exc-c14n for the builder's output (`&quot;` → `"`, `&apos;` → `'`, `&#13;` → `&#xD;`,
 *      `&#x85;`/`&#x2028;`/`&#x2029;`/`&#xFFFD;` → the character, `<x a="v"/>` → `<x a="v"></x>`) — two
 *      independent derivations of the canonical form, a tokenising canonicaliser (c14n-stream.ts)
 *      and this textual one, give the same bytes, and those bytes are what we emit.
 *
 * That is what a verifier recomputes: the digest over the canonical form of the document without its
 * Signature, and the RSA signature over the canonical SignedInfo. What it takes on trust is that the
 * two derivations are right where they agree: that is proved offline, by the tests that compare the
 * canonicaliser with xml-crypto's exc-c14n on generated packages and verify them with xml-crypto and
 * xmlsec1 (test/signature/own-signer.test.ts). When the text holds anything the textual rewrite does
 * not cover (a comment, CDATA, a reference in an attribute: never in what the builder writes), step 4
 * cannot vouch for the digest and says so; the signer then verifies with the DOM verifier, as before.
 *
 * Cost: indexOf searches and string comparisons over the package (memchr/memcmp speed), one RSA
 * public-key operation (~0.03 ms). No XML library is used here.
 */
import { pemToDer } from '../crypto/certificates.js';
import { verifyRsaSha256 } from '../crypto/signer.js';
import { DomainError } from '../errors.js';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SIGNATURE_RE = new RegExp(
  '^<Signature xmlns="http://www\\.w3\\.org/2000/09/xmldsig#">' +
    '(<SignedInfo>' +
    '<CanonicalizationMethod Algorithm="http://www\\.w3\\.org/2001/10/xml-exc-c14n#"/>' +
    '<SignatureMethod Algorithm="http://www\\.w3\\.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    '<Reference URI=""><Transforms>' +
    '<Transform Algorithm="http://www\\.w3\\.org/2000/09/xmldsig#enveloped-signature"/>' +
    '<Transform Algorithm="http://www\\.w3\\.org/2001/10/xml-exc-c14n#"/>' +
    '</Transforms><DigestMethod Algorithm="http://www\\.w3\\.org/2001/04/xmlenc#sha256"/>' +
    '<DigestValue>([A-Za-z0-9+/]{43}=)</DigestValue></Reference></SignedInfo>)' +
    '<SignatureValue>([A-Za-z0-9+/]+={0,2})</SignatureValue>' +
    '<KeyInfo><X509Data><X509Certificate>([A-Za-z0-9+/]+={0,2})</X509Certificate></X509Data></KeyInfo>' +
    '</Signature>$',
);
const SIGNATURE_OPEN = `<Signature xmlns="${DSIG}">`;
const SIGNATURE_CLOSE = '</Signature>';
const HEADER_END_RE = /<\/(?:edXML:)?edXMLHeader[ \t\r\n]*>/y;
/** Empty-element tags of the SignedInfo as xml-crypto writes it (`<X Algorithm="…"/>`). */
const EMPTY_TAG_RE = /<([A-Za-z]+)((?: [A-Za-z]+="[^"<>]*")*)\/>/g;
/** The spots where the builder's text is not its own canonical form (see build.ts). */
const REFERENCE_RE = /&(?:quot|apos|#13|#x85|#x2028|#x2029|#xFFFD);/y;
const EMPTY_ELEMENT_RE = /<([A-Za-z_][A-Za-z0-9_.:-]*)((?: [A-Za-z_][A-Za-z0-9_.:-]*="[^"<>&]*")*)\/>/y;
const REWRITES: Readonly<Record<string, string>> = {
  '&quot;': '"',
  '&apos;': "'",
  '&#13;': '&#xD;',
  '&#x85;': '\u0085',
  '&#x2028;': '\u2028',
  '&#x2029;': '\u2029',
  '&#xFFFD;': '\uFFFD',
};

/** What the signer did, to be checked against the text it is about to return. */
export interface OwnSignatureFacts {
  /** The unsigned package (after the hardening gate). */
  readonly unsigned: string;
  /** The signed package, as it will be returned. */
  readonly signed: string;
  /** Where the signer inserted the Signature. */
  readonly at: number;
  readonly certificatePem: string;
  /** The bytes the signer digested (concatenated). */
  readonly canonical: readonly string[];
  /** Base64 SHA-256 the signer computed over `canonical`. */
  readonly digest: string;
}

const broken = (detail: string): Error => new Error(`signPackage self-check: ${detail}`);

/**
 * Checks 1–4 above. Returns true when they all hold, false when the package holds text the textual
 * canonical form does not cover (the caller must then verify the digest another way); throws
 * SIGNATURE_INVALID when the SignatureValue does not verify and an Error for any other mismatch.
 */
export function checkOwnSignature(facts: OwnSignatureFacts): boolean {
  const { unsigned, signed, at } = facts;

  // 1. One element inserted, at the end of edXMLHeader, nothing else changed.
  if (!signed.startsWith(SIGNATURE_OPEN, at)) throw broken('no Signature at the insertion point');
  const end = signed.indexOf(SIGNATURE_CLOSE, at) + SIGNATURE_CLOSE.length;
  const inserted = end - at;
  if (end < SIGNATURE_CLOSE.length || signed.length !== unsigned.length + inserted) throw broken('the signed text is not the unsigned text plus one Signature');
  if (signed.slice(0, at) !== unsigned.slice(0, at) || signed.slice(end) !== unsigned.slice(at)) throw broken('the text around the Signature changed');
  HEADER_END_RE.lastIndex = end;
  if (!HEADER_END_RE.test(signed)) throw broken('the Signature is not the last child of edXMLHeader');
  const shape = SIGNATURE_RE.exec(signed.slice(at, end));
  if (!shape) throw broken('the Signature is not of the profile (DESIGN.md §5)');
  const [, signedInfo, digestValue, signatureValue, certificate] = shape as unknown as [string, string, string, string, string];

  // 2. The signer's certificate.
  if (certificate !== pemToDer(facts.certificatePem).toString('base64')) throw broken('KeyInfo does not carry the signer certificate');

  // 3. The RSA signature over the canonical SignedInfo (exc-c14n of SignedInfo in the XMLDSig
  //    namespace: the namespace declared on it, empty elements as start and end tags).
  const canonicalSignedInfo = signedInfo.replace('<SignedInfo>', `<SignedInfo xmlns="${DSIG}">`).replace(EMPTY_TAG_RE, '<$1$2></$1>');
  if (!verifyRsaSha256(facts.certificatePem, Buffer.from(canonicalSignedInfo, 'utf8'), Buffer.from(signatureValue, 'base64'))) {
    throw new DomainError('SIGNATURE_INVALID', 'SignatureValue does not verify with the signer certificate: the signer returned a wrong signature, or its key is not the certificate’s');
  }

  // 4. The digest, over bytes that are the emitted text's canonical form.
  if (digestValue !== facts.digest) throw broken('DigestValue is not the digest of the canonical form');
  const rootStart = firstElement(unsigned);
  const rootEnd = unsigned.lastIndexOf('>') + 1;
  if (rootStart < 0 || rootEnd <= rootStart) return false;
  return sameText(facts.canonical, builderCanonicalForm(unsigned.slice(rootStart, rootEnd)));
}

/** Offset of the first `<` that opens an element (after the declaration, comments). */
function firstElement(text: string): number {
  let lt = text.indexOf('<');
  while (lt >= 0 && (text.charCodeAt(lt + 1) === 0x3f /* ? */ || text.charCodeAt(lt + 1) === 0x21) /* ! */) lt = text.indexOf('<', lt + 1);
  return lt;
}

/** The builder's text with the rewrites of check 4, as pieces (slices of `root` and replacements). */
function builderCanonicalForm(root: string): string[] {
  const pieces: string[] = [];
  let last = 0;
  // Candidates are found with indexOf (a large attachment is searched at memchr speed), then matched.
  let amp = root.indexOf('&');
  let empty = root.indexOf('/>');
  while (amp >= 0 || empty >= 0) {
    if (amp >= 0 && (empty < 0 || amp < empty)) {
      REFERENCE_RE.lastIndex = amp;
      const m = REFERENCE_RE.exec(root);
      if (m) {
        pieces.push(root.slice(last, amp), REWRITES[m[0]] as string);
        last = amp + m[0].length;
      }
      amp = root.indexOf('&', amp + 1);
    } else {
      const lt = root.lastIndexOf('<', empty);
      EMPTY_ELEMENT_RE.lastIndex = lt;
      const m = lt >= last ? EMPTY_ELEMENT_RE.exec(root) : null;
      if (m && lt + m[0].length === empty + 2) {
        pieces.push(root.slice(last, lt), `<${m[1]}${m[2] ?? ''}></${m[1]}>`);
        last = empty + 2;
      }
      empty = root.indexOf('/>', empty + 2);
    }
  }
  pieces.push(root.slice(last));
  return pieces;
}

/** True when the two lists of strings concatenate to the same text (compared without joining them). */
export function sameText(a: readonly string[], b: readonly string[]): boolean {
  let i = 0;
  let j = 0;
  let ai = 0; // offset inside a[i]
  let bj = 0; // offset inside b[j]
  for (;;) {
    while (i < a.length && ai === (a[i] as string).length) {
      i++;
      ai = 0;
    }
    while (j < b.length && bj === (b[j] as string).length) {
      j++;
      bj = 0;
    }
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    const x = a[i] as string;
    const y = b[j] as string;
    const n = Math.min(x.length - ai, y.length - bj);
    if (x.slice(ai, ai + n) !== y.slice(bj, bj + n)) return false;
    ai += n;
    bj += n;
  }
}
