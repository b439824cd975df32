/**
 * Signing one of our packages whose large files are written into it from their bytes (issue 16: the
 * package as JavaScript strings held a 20 MB attachment seven times over, twice as two-byte text
 * when any Vietnamese letter made the whole package a two-byte string).
 *
 * The builder writes a short placeholder where each large file's base64 goes — the whole text of
 * its `ContentTransferEncoded` — and the package text stays small. Signing then:
 *
 *   1. gates and canonicalises that text as signPackage does (xmldsig.ts, c14n-stream.ts);
 *   2. takes the digest over the canonical form with each placeholder replaced by its file's base64,
 *      encoded slice by slice from the bytes into the hash (exc-c14n writes base64 character data as
 *      itself, so this is the digest of the package with the base64 in place);
 *   3. signs the SignedInfo through the PackageSigner port and inserts the Signature in the text;
 *   4. writes the signed package's UTF-8 bytes into one buffer of its exact size, each file's base64
 *      encoded slice by slice into its place;
 *   5. checks what it is about to return without this module's code (sign-check.ts: the Signature
 *      as signPackage's self-check does, the digest again from the emitted bytes and a second
 *      derivation of the canonical form, each file's base64 decoded back and compared with the
 *      file); when that check cannot vouch, the package is verified as a received one with its runs
 *      cut out (verify-elided.ts) — or refused.
 *
 * No string ever holds a file or the package: what exists beside the files is the output buffer and
 * slices of 256 KiB. The bytes are those signPackage would return for the text with the base64 in
 * place (test/signature/sign-payloads.test.ts compares them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { fingerprintSha256 } from '../crypto/certificates.js';
import { DomainError } from '../errors.js';
import { base64Length, base64Slices } from '../util/base64.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './harden.js';
import { checkOwnPayloads, checkOwnSignature } from './sign-check.js';
import { checkElided, MIN_RUN } from './verify-elided.js';
import { canonicalizeOwn, insertSignature, ownSigning, type AsyncPackageSigner } from './xmldsig.js';

/** A file the signer writes into the package from its bytes, where `placeholder` stands in the text. */
export interface Payload {
  /** 32 random base64 characters: the whole content of the file's ContentTransferEncoded in the text. */
  readonly placeholder: string;
  readonly content: Uint8Array;
}

/**
 * Files at least this large are written as payloads: their base64 is one run the receiving side cuts
 * out before its parsers (verify-elided.ts, MIN_RUN), and smaller ones cost less as text.
 */
export const PAYLOAD_MIN_BYTES = (MIN_RUN / 4) * 3;

/** A new placeholder: 24 random bytes as base64 (32 characters, no padding). */
export const newPlaceholder = (): string => randomBytes(24).toString('base64');

/** Where each placeholder stands in `text`: exactly once each, in text order; throws otherwise. */
function spotsIn(text: string, payloads: readonly Payload[], where: string): Array<{ at: number; payload: Payload }> {
  const spots = payloads.map((payload) => {
    const at = text.indexOf(payload.placeholder);
    if (at < 0 || text.indexOf(payload.placeholder, at + 1) >= 0) throw new Error(`signPackageWithPayloads: a placeholder is not in the ${where} exactly once`);
    return { at, payload };
  });
  spots.sort((a, b) => a.at - b.at);
  for (let i = 1; i < spots.length; i++) {
    if (spots[i]!.at < spots[i - 1]!.at + spots[i - 1]!.payload.placeholder.length) throw new Error('signPackageWithPayloads: placeholders overlap');
  }
  return spots;
}

/**
 * signPackageAsync for `unsignedXml` holding each payload's placeholder where its base64 goes:
 * returns the signed package's bytes with the files' base64 in place (see the top of this file).
 * Throws VALIDATION_FAILED for text outside the builder's grammar, PAYLOAD_TOO_LARGE when the
 * package would exceed `limits.maxBytes`.
 */
export async function signPackageWithPayloads(unsignedXml: string, payloads: readonly Payload[], signer: AsyncPackageSigner, limits?: Partial<XmlLimits>): Promise<Buffer> {
  const { text, canonical } = canonicalizeOwn(unsignedXml, limits);
  const canonicalText = canonical.chunks.join(''); // the text without the files: small
  const hash = createHash('sha256');
  let last = 0;
  for (const { at, payload } of spotsIn(canonicalText, payloads, 'canonical form')) {
    hash.update(canonicalText.slice(last, at), 'utf8');
    base64Slices(payload.content, (b64) => hash.update(b64, 'latin1'));
    last = at + payload.placeholder.length;
  }
  hash.update(canonicalText.slice(last), 'utf8');
  const prepared = ownSigning(text, canonical, hash.digest('base64'), signer.certificatePem);
  const signed = insertSignature(prepared, await signer.sign(prepared.signedInfo));

  const spots = spotsIn(signed, payloads, 'signed text');
  const size = Buffer.byteLength(signed, 'utf8') + spots.reduce((n, { payload: p }) => n + base64Length(p.content.byteLength) - p.placeholder.length, 0);
  const maxBytes = limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  if (size > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `the signed package would exceed ${maxBytes} bytes`);
  // Its own memory (not Node's pool), so that a thread can hand it over without a copy.
  const output = Buffer.from(new ArrayBuffer(size));
  let written = 0;
  last = 0;
  for (const { at, payload } of spots) {
    written += output.write(signed.slice(last, at), written, 'utf8');
    base64Slices(payload.content, (b64) => {
      written += output.write(b64, written, 'latin1');
    });
    last = at + payload.placeholder.length;
  }
  written += output.write(signed.slice(last), written, 'utf8');
  if (written !== size) throw new Error(`signPackageWithPayloads: wrote ${written} of ${size} bytes`);

  const at = prepared.canonical.headerEndTag;
  const facts = { unsigned: text, signed, at, certificatePem: signer.certificatePem, canonical: prepared.canonical.chunks, digest: prepared.digest };
  const vouched = checkOwnSignature(facts) && checkOwnPayloads({ ...facts, output, payloads });
  if (!vouched) {
    // Text the builder does not write: verified as a received package would be, or refused.
    const check = checkElided(output, limits ? { limits } : {}, createHash('sha256').update(output).digest('hex'));
    if (!check || fingerprintSha256(check.certificatePem) !== fingerprintSha256(signer.certificatePem)) {
      throw new Error('signPackageWithPayloads: the signed package does not verify with the signer certificate');
    }
  }
  return output;
}
