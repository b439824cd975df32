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
 * A package whose files were written from their bytes (sign-payloads.ts) is checked further on its
 * bytes (checkOwnPayloads, checks 5 and 6 below): each file's run is decoded and compared with the
 * file, and the digest recomputed from this textual canonical form and the runs as emitted.
 *
 * Cost: indexOf searches and string comparisons over the package (memchr/memcmp speed), one RSA
 * public-key operation (~0.03 ms). No XML library is used here.
 */
import { createHash } from 'node:crypto';
import { pemToDer } from '../crypto/certificates.js';
import { verifyRsaSha256 } from '../crypto/signer.js';
import { DomainError } from '../errors.js';
import { isBase64Run } from '../util/base64.js';

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

/** What signPackageWithPayloads is about to return: the facts of its text, and its bytes. */
export interface OwnPayloadFacts extends OwnSignatureFacts {
  /** The signed package as emitted: `signed` in UTF-8 with each placeholder replaced by its file's base64. */
  readonly output: Buffer;
  readonly payloads: ReadonlyArray<{ readonly placeholder: string; readonly content: Uint8Array }>;
}

/** Base64 characters decoded per comparison (a multiple of 4). */
const RUN_SLICE = 4 * 64 * 1024;

/**
 * For a package whose files were written from their bytes (sign-payloads.ts), after checkOwnSignature
 * passed on its text:
 *
 *   5. the bytes are the signed text's UTF-8 with each placeholder (exactly once in it) replaced by a
 *      run of canonical base64 that decodes to its file — decoded here and compared, not encoded again;
 *   6. the DigestValue (check 4 matched it to `digest`) is the SHA-256 of check 4's textual canonical
 *      form with each placeholder replaced by its run as emitted — the bytes a verifier hashes.
 *
 * Returns false when the textual derivation cannot be made (as checkOwnSignature); throws on any
 * mismatch.
 */
export function checkOwnPayloads(f: OwnPayloadFacts): boolean {
  const { signed, output } = f;
  const order = f.payloads
    .map((p) => {
      const at = signed.indexOf(p.placeholder);
      if (at < 0 || signed.indexOf(p.placeholder, at + 1) >= 0) throw broken('a placeholder is not in the signed text exactly once');
      return { at, p };
    })
    .sort((a, b) => a.at - b.at);

  // 5. The bytes, segment by segment.
  const runs = new Map<string, Buffer>();
  let pos = 0;
  let last = 0;
  const sameAs = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    if (!output.subarray(pos, pos + bytes.length).equals(bytes)) throw broken('the bytes are not the signed text');
    pos += bytes.length;
  };
  for (const { at, p } of order) {
    sameAs(signed.slice(last, at));
    const end = output.indexOf(0x3c /* < */, pos);
    if (end < 0) throw broken('a file run is not followed by markup');
    const run = output.subarray(pos, end);
    const content = Buffer.from(p.content.buffer, p.content.byteOffset, p.content.byteLength);
    if (!isBase64Run(run)) throw broken('a file run is not canonical base64');
    let decoded = 0;
    for (let i = 0; i < run.length; i += RUN_SLICE) {
      const bytes = Buffer.from(run.toString('latin1', i, Math.min(i + RUN_SLICE, run.length)), 'base64');
      if (!bytes.equals(content.subarray(decoded, decoded + bytes.length))) throw broken('a file run does not decode to its file');
      decoded += bytes.length;
    }
    if (decoded !== content.length) throw broken('a file run does not decode to its whole file');
    runs.set(p.placeholder, run);
    pos = end;
    last = at + p.placeholder.length;
  }
  sameAs(signed.slice(last));
  if (pos !== output.length) throw broken('the bytes go on past the signed text');

  // 6. The digest, from the textual canonical form and the runs as emitted.
  const rootStart = firstElement(f.unsigned);
  const rootEnd = f.unsigned.lastIndexOf('>') + 1;
  if (rootStart < 0 || rootEnd <= rootStart) return false;
  const canonical = builderCanonicalForm(f.unsigned.slice(rootStart, rootEnd)).join('');
  const hash = createHash('sha256');
  last = 0;
  const inCanonical = [...runs.keys()]
    .map((placeholder) => {
      const at = canonical.indexOf(placeholder);
      if (at < 0 || canonical.indexOf(placeholder, at + 1) >= 0) throw broken('a placeholder is not in the canonical form exactly once');
      return { at, placeholder };
    })
    .sort((a, b) => a.at - b.at);
  for (const { at, placeholder } of inCanonical) {
    hash.update(canonical.slice(last, at), 'utf8');
    hash.update(runs.get(placeholder)!);
    last = at + placeholder.length;
  }
  hash.update(canonical.slice(last), 'utf8');
  if (hash.digest('base64') !== f.digest) throw broken('DigestValue is not the digest of the emitted bytes');
  return true;
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
