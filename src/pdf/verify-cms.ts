/**
 * The CMS SignedData inside a PDF signature's /Contents (RFC 5652; PAdES, ETSI EN 319 142-1; and RFC
 * 3161 tokens for /DocTimeStamp): checks that it signs exactly the bytes the /ByteRange covers.
 *
 * pkijs reads the structure (its asn1js parser takes depth and node limits for untrusted input, and
 * keeps the signed attributes as they were encoded, which is what the signature is over); Node's
 * crypto computes the digests and verifies the signature, as everywhere in this code base.
 * node-forge is not used here: its PKCS#7 `verify()` is not implemented, and it re-encodes what it
 * parses.
 *
 * Nothing here decides trust: the signer's certificate is returned for `verify-certificate.ts`.
 */
import { constants, createHash, createVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificateDer } from './verify-certificate.js';

/** What can be wrong with the CMS itself. */
export type CmsProblem =
  | 'malformed'
  | 'digest-mismatch'
  | 'bad-signature'
  | 'unsupported-algorithm'
  | 'weak-algorithm'
  | 'signer-certificate-missing'
  | 'signer-certificate-mismatch';

/** The outcome of `checkCms`. */
export interface CmsCheck {
  readonly problems: readonly CmsProblem[];
  /** The message digest matches the covered bytes and the signature verifies with the signer's key. */
  readonly intact: boolean;
  /** DER of the certificate the SignerInfo names, when the CMS carries it. */
  readonly signerCertificate: Buffer | null;
  /** DER of every certificate the CMS carries (candidates for the chain), signer's included. */
  readonly certificates: readonly Buffer[];
  /** The signing-time signed attribute (claimed by the signer), when present. */
  readonly signingTime: Date | null;
  /** Node's name of the digest algorithm (`sha256`), when known. */
  readonly digestAlgorithm: string | null;
  /** genTime of an RFC 3161 token (a /DocTimeStamp). */
  readonly timestampTime: Date | null;
}

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

// Signature algorithms that name their hash (RSA PKCS#1 v1.5 and ECDSA).
const HASHED_SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

// The BER reader's caps: a /Contents of at most a few tens of KiB holds a few hundred nodes; these
// stop a crafted one from costing more than that.
const BER_LIMITS = { maxDepth: 48, maxNodes: 20_000 };

class CmsError extends Error {
  constructor(readonly problem: CmsProblem) {
    super(problem);
  }
}

/** One view of the bytes the signature covers, read as a sequence of chunks (never concatenated). */
export type Covered = readonly Uint8Array[];

function digestOf(algorithm: string, chunks: Covered): Buffer {
  const h = createHash(algorithm);
  for (const c of chunks) h.update(c);
  return h.digest();
}

const empty = (problem: CmsProblem): CmsCheck => ({ problems: [problem], intact: false, signerCertificate: null, certificates: [], signingTime: null, digestAlgorithm: null, timestampTime: null });

/**
 * Checks a CMS SignedData over the covered bytes: `signature` for adbe.pkcs7.detached and
 * ETSI.CAdES.detached (detached id-data), `timestamp` for ETSI.RFC3161 (a TSTInfo whose message
 * imprint is the digest of the covered bytes).
 */
export function checkCms(contents: Uint8Array, covered: Covered, kind: 'signature' | 'timestamp'): CmsCheck {
  let parsed: ParsedCms;
  try {
    parsed = parseCms(contents);
  } catch (e) {
    if (e instanceof CmsError) return empty(e.problem);
    return empty('malformed'); // pkijs/asn1js refusing the structure
  }
  try {
    return checkParsed(parsed, covered, kind);
  } catch (e) {
    if (e instanceof CmsError) return { ...empty(e.problem), signerCertificate: parsed.signerCertificate, certificates: parsed.certificates };
    throw e;
  }
}

interface ParsedCms {
  readonly encapContentInfo: pkijs.EncapsulatedContentInfo;
  readonly signerInfo: pkijs.SignerInfo;
  readonly certificates: Buffer[];
  readonly signerCertificate: Buffer | null;
}

function parseCms(contents: Uint8Array): ParsedCms {
  const asn1 = asn1js.fromBER(contents, BER_LIMITS);
  if (asn1.offset === -1) throw new CmsError('malformed');
  const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
  if (contentInfo.contentType !== OID.signedData || !(contentInfo.content instanceof asn1js.Sequence)) throw new CmsError('malformed');
  // SignedData (RFC 5652 §5.1): version, digestAlgorithms, encapContentInfo, [0] certificates,
  // [1] crls, signerInfos. Read part by part rather than with pkijs.SignedData, which would parse
  // every certificate again for every signature; certificates go through the shared cache instead.
  const items = contentInfo.content.valueBlock.value;
  const [version, , encap] = items;
  const signerInfos = items.at(-1);
  if (items.length < 4 || items.length > 6 || !(version instanceof asn1js.Integer) || !(encap instanceof asn1js.Sequence) || !(signerInfos instanceof asn1js.Set)) throw new CmsError('malformed');
  // PAdES: exactly one signer per signature dictionary (ETSI EN 319 142-1 §6.3 item b).
  if (signerInfos.valueBlock.value.length !== 1) throw new CmsError('malformed');
  const signerInfo = new pkijs.SignerInfo({ schema: signerInfos.valueBlock.value[0] });
  const certificates = rawCertificates(contentInfo.content);
  return { encapContentInfo: new pkijs.EncapsulatedContentInfo({ schema: encap }), signerInfo, certificates, signerCertificate: findSigner(signerInfo, certificates) };
}

/**
 * The certificates field as it was encoded: hashes of certificates (ESS signing-certificate) and
 * their signatures are over those bytes, not over a re-encoding.
 */
function rawCertificates(signedData: asn1js.Sequence): Buffer[] {
  const items = signedData.valueBlock.value;
  const field = items.find((i) => i.idBlock.tagClass === 3 && i.idBlock.tagNumber === 0);
  if (!field) return [];
  const members = (field as asn1js.Constructed).valueBlock.value;
  // Only plain X.509 certificates (SEQUENCE); attribute and other certificate formats are skipped.
  return members.filter((m) => m.idBlock.tagClass === 1 && m.idBlock.tagNumber === 16).map((m) => Buffer.from(m.valueBeforeDecodeView));
}

/** The certificate the SignerInfo's sid names: issuer and serial number, or subject key identifier. */
function findSigner(signerInfo: pkijs.SignerInfo, certificates: readonly Buffer[]): Buffer | null {
  const sid = signerInfo.sid as pkijs.IssuerAndSerialNumber | asn1js.BaseBlock;
  for (const der of certificates) {
    const cert = parseCertificateDer(der)?.pkijs;
    if (!cert) continue;
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      if (cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber)) return der;
    } else if (sid.idBlock.tagClass === 3 && sid.idBlock.tagNumber === 0) {
      const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
      const wanted = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView);
      if (ski && Buffer.from(ski.valueBlock.valueHexView).equals(wanted)) return der;
    }
  }
  return null;
}

function checkParsed(cms: ParsedCms, covered: Covered, kind: 'signature' | 'timestamp'): CmsCheck {
  const { encapContentInfo, signerInfo } = cms;
  const problems: CmsProblem[] = [];
  const digestAlgorithm = DIGESTS[signerInfo.digestAlgorithm.algorithmId];
  if (!digestAlgorithm) throw new CmsError('unsupported-algorithm');
  if (!cms.signerCertificate) throw new CmsError('signer-certificate-missing');

  const content = encapsulated(encapContentInfo, covered, kind);
  if (content.imprintMatches === false) problems.push('digest-mismatch');
  const attrs = signerInfo.signedAttrs;
  let signed: Covered = content.data;
  let signingTime: Date | null = null;
  if (attrs) {
    const checked = checkSignedAttributes(attrs.attributes, encapContentInfo.eContentType, digestOf(digestAlgorithm, content.data), cms.signerCertificate);
    problems.push(...checked.problems);
    signingTime = checked.signingTime;
    // RFC 5652 §5.4: the signature is over the DER of the attributes with an explicit SET OF tag.
    signed = [new Uint8Array(attrs.encodedValue)];
  } else if (kind === 'timestamp') {
    throw new CmsError('malformed'); // RFC 3161 §2.4.2: a token carries ESS signed attributes
  }
  const signature = verifySignerSignature(signerInfo, digestAlgorithm, signed, cms.signerCertificate);
  if (!signature.valid) problems.push('bad-signature');
  if (digestAlgorithm === 'sha1' || signature.hash === 'sha1') problems.push('weak-algorithm');
  const intact = !problems.some((p) => p === 'digest-mismatch' || p === 'bad-signature' || p === 'signer-certificate-mismatch' || p === 'malformed');
  return {
    problems: [...new Set(problems)],
    intact,
    signerCertificate: cms.signerCertificate,
    certificates: cms.certificates,
    signingTime,
    digestAlgorithm,
    timestampTime: content.genTime,
  };
}

/**
 * What the message digest is over. A detached signature: the covered bytes themselves. A timestamp
 * token: its TSTInfo, whose message imprint must be the digest of the covered bytes.
 */
function encapsulated(encapContentInfo: pkijs.EncapsulatedContentInfo, covered: Covered, kind: 'signature' | 'timestamp'): { data: Covered; imprintMatches: boolean | null; genTime: Date | null } {
  const { eContentType, eContent } = encapContentInfo;
  if (kind === 'signature') {
    // Detached: the PDF bytes are not inside. An attached eContent (adbe.pkcs7.sha1) is another profile.
    if (eContentType !== OID.data || eContent) throw new CmsError('malformed');
    return { data: covered, imprintMatches: null, genTime: null };
  }
  if (eContentType !== OID.tstInfo || !eContent) throw new CmsError('malformed');
  const tstDer = new Uint8Array(eContent.getValue());
  let tst: pkijs.TSTInfo;
  try {
    tst = pkijs.TSTInfo.fromBER(tstDer);
  } catch {
    throw new CmsError('malformed');
  }
  const imprintAlgorithm = DIGESTS[tst.messageImprint.hashAlgorithm.algorithmId];
  if (!imprintAlgorithm) throw new CmsError('unsupported-algorithm');
  const imprint = Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  return { data: [tstDer], imprintMatches: imprint.equals(digestOf(imprintAlgorithm, covered)), genTime: tst.genTime };
}

/** Checks content-type, message-digest, signing-time and ESS signing-certificate(-v2). */
function checkSignedAttributes(attributes: readonly pkijs.Attribute[], eContentType: string, digest: Buffer, signerDer: Buffer): { problems: CmsProblem[]; signingTime: Date | null } {
  const problems: CmsProblem[] = [];
  const only = (type: string): unknown[] | null => {
    const found = attributes.filter((a) => a.type === type);
    // RFC 5652 §11: these attributes are single-valued and appear at most once; two message digests
    // would let two verifiers check two different things.
    if (found.length > 1 || (found[0] && found[0].values.length !== 1)) throw new CmsError('malformed');
    return found[0]?.values ?? null;
  };
  const contentType = only(OID.contentType)?.[0];
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== eContentType) throw new CmsError('malformed');
  const messageDigest = only(OID.messageDigest)?.[0];
  if (!(messageDigest instanceof asn1js.OctetString)) throw new CmsError('malformed');
  if (!Buffer.from(messageDigest.valueBlock.valueHexView).equals(digest)) problems.push('digest-mismatch');
  const time = only(OID.signingTime)?.[0];
  const signingTime = time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime ? time.toDate() : null;
  const essV2 = only(OID.signingCertificateV2)?.[0];
  const essV1 = only(OID.signingCertificate)?.[0];
  const ess = essV2 ?? essV1;
  if (ess !== undefined && !essCertHashMatches(ess, essV2 !== undefined, signerDer)) problems.push('signer-certificate-mismatch');
  return { problems, signingTime };
}

/**
 * ESS signing-certificate(-v2) (RFC 2634 §5.4, RFC 5035): the first ESSCertID is the signer's;
 * its hash binds the signature to that exact certificate, so another certificate for the same key
 * cannot be swapped in.
 */
function essCertHashMatches(value: unknown, v2: boolean, signerDer: Buffer): boolean {
  const certs = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw new CmsError('malformed');
  const fields = first.valueBlock.value;
  let hash = v2 ? 'sha256' : 'sha1'; // ESSCertIDv2's hashAlgorithm DEFAULT id-sha256
  let i = 0;
  if (v2 && fields[0] instanceof asn1js.Sequence) {
    const oid = fields[0].valueBlock.value[0];
    const name = oid instanceof asn1js.ObjectIdentifier ? DIGESTS[oid.valueBlock.toString()] : undefined;
    if (!name) throw new CmsError('unsupported-algorithm');
    hash = name;
    i = 1;
  }
  const certHash = fields[i];
  if (!(certHash instanceof asn1js.OctetString)) throw new CmsError('malformed');
  return Buffer.from(certHash.valueBlock.valueHexView).equals(createHash(hash).update(signerDer).digest());
}

/** Verifies the SignerInfo's signature over `signed` with the signer certificate's public key. */
function verifySignerSignature(signerInfo: pkijs.SignerInfo, digestAlgorithm: string, signed: Covered, signerDer: Buffer): { valid: boolean; hash: string } {
  const oid = signerInfo.signatureAlgorithm.algorithmId;
  let hash = HASHED_SIGNATURES[oid] ?? digestAlgorithm;
  let options: { padding?: number; saltLength?: number } = {};
  if (oid === OID.rsaPss) {
    const params = new pkijs.RSASSAPSSParams({ schema: signerInfo.signatureAlgorithm.algorithmParams });
    const pssHash = DIGESTS[params.hashAlgorithm.algorithmId];
    if (!pssHash) throw new CmsError('unsupported-algorithm');
    hash = pssHash;
    options = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength };
  } else if (!HASHED_SIGNATURES[oid] && oid !== OID.rsaEncryption && oid !== OID.ecPublicKey) {
    throw new CmsError('unsupported-algorithm');
  }
  let key;
  try {
    key = parseCertificateDer(signerDer)?.x509.publicKey; // OpenSSL decodes the key only now
  } catch {
    key = undefined;
  }
  if (!key) throw new CmsError('malformed');
  const verifier = createVerify(hash);
  for (const chunk of signed) verifier.update(chunk);
  try {
    return { valid: verifier.verify({ key, ...options }, Buffer.from(signerInfo.signature.valueBlock.valueHexView)), hash };
  } catch {
    return { valid: false, hash }; // a key that does not fit the algorithm, or a mangled signature
  }
}
