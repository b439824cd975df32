/**
 * The certificate of a PDF signature: who it names (a person or an agency, NĐ 30/2020 Điều 5 and
 * Phụ lục I want both on an official document) and whether it chains to a trust anchor and was fit
 * to sign at the signing time.
 *
 * Why not `TrustStore.validate` (src/crypto/trust.ts), which checks package signers: it stops at the
 * first failure with one error, where the clerk must see each fault by its own code (an expired
 * certificate from an untrusted CA is both), and its leaf rule (digitalSignature required) would
 * refuse the personal certificates of legal signatures, whose key usage is often nonRepudiation
 * (contentCommitment) alone (ETSI EN 319 412-2 §4.3.2). Links are checked with Node's X509Certificate
 * (OpenSSL: names, key identifiers, the issuer's keyCertSign, the signature).
 */
import { X509Certificate, createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { AGENCY_CODE_ATTRIBUTE_OID, AGENCY_CODE_SHAPE, formatDistinguishedName, pemToDer, splitPemCertificates } from '../crypto/certificates.js';

/** What can be wrong with a signer's certificate. */
export type CertificateProblem = 'untrusted-chain' | 'expired' | 'not-yet-valid' | 'key-usage';

/** Whose signature it is, as the certificate says. */
export interface SignerIdentity {
  /** Subject CN: the person's name, or the agency's. */
  readonly commonName: string | null;
  /** Subject O. */
  readonly organisation: string | null;
  /** The agency code (mã định danh) bound the way this repo binds agency certificates (subject serialNumber). */
  readonly agencyCode: string | null;
  /** `person` for a personal certificate, `agency` for an organisation certificate. */
  readonly role: 'person' | 'agency';
  /** RFC 4514-style, most specific attribute first. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex. */
  readonly serialNumber: string;
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A certificate trusted as the root of signer paths. */
export type TrustAnchor = X509Certificate;

/** Anchors given as PEM (one or several certificates each), DER, or node-forge certificates. */
export type TrustAnchorInput = string | Uint8Array | forge.pki.Certificate | X509Certificate;

/** Reads trust anchors; throws on one that is not a certificate (a configuration error, not a verdict). */
export function toTrustAnchors(inputs: readonly TrustAnchorInput[]): TrustAnchor[] {
  return inputs.flatMap((input) => {
    if (input instanceof X509Certificate) return [input];
    if (typeof input === 'string') return parsedPem(input);
    if (input instanceof Uint8Array) return [new X509Certificate(Buffer.from(input))];
    return [new X509Certificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(input)).getBytes(), 'binary'))];
  });
}

// Anchors come as the same few PEM texts for every PDF a node checks (the trust store's list): each
// is parsed once. X509Certificate objects are immutable, so sharing them is safe; the map is bounded.
const PARSED_PEM = new Map<string, X509Certificate[]>();
const PARSED_PEM_MAX = 512;

function parsedPem(text: string): X509Certificate[] {
  let parsed = PARSED_PEM.get(text);
  if (!parsed) {
    parsed = splitPemCertificates(text).map((pem) => new X509Certificate(pemToDer(pem)));
    if (PARSED_PEM.size >= PARSED_PEM_MAX) PARSED_PEM.delete(PARSED_PEM.keys().next().value!);
    PARSED_PEM.set(text, parsed);
  }
  return parsed;
}

const ATTRIBUTE = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  organisation: '2.5.4.10',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  pseudonym: '2.5.4.65',
  uid: '0.9.2342.19200300.100.1.1',
} as const;


// Vietnamese CAs write the holder's identity document into UID: CMND/CCCD (identity card) or HC
// (passport) for a person, MST (tax code) or MNS (budget-unit code) for an organisation.
const PERSONAL_UID = /^(CMND|CCCD|HC)\s*:/i;
const ORGANISATION_UID = /^(MST|MNS)\s*:/i;

type Names = readonly { readonly type: string; readonly value: string }[];

function namesOf(rdn: pkijs.RelativeDistinguishedNames): Names {
  return rdn.typesAndValues.map((tv) => {
    const v = tv.value as asn1js.BaseStringBlock | asn1js.BaseBlock;
    return { type: tv.type, value: 'valueBlock' in v && typeof (v.valueBlock as { value?: unknown }).value === 'string' ? ((v.valueBlock as { value: string }).value) : '' };
  });
}

const valuesOf = (names: Names, type: string): string[] => names.filter((n) => n.type === type).map((n) => n.value.trim());


const sameName = (a: string, b: string): boolean => a.normalize('NFC').replace(/\s+/g, ' ').toLowerCase() === b.normalize('NFC').replace(/\s+/g, ' ').toLowerCase();

/**
 * Person or agency. A personal marker wins (given name, surname, pseudonym, title, or a personal
 * identity number in UID): a leader's certificate may well name the agency too. Otherwise an agency
 * code bound as this repo binds it, an organisation UID, or a CN that is the O make it an agency.
 * A certificate with neither is taken as personal: it can never pass for the agency's seal.
 */
function roleOf(names: Names, agencyCode: string | null): 'person' | 'agency' {
  const uids = valuesOf(names, ATTRIBUTE.uid);
  const personal = [ATTRIBUTE.givenName, ATTRIBUTE.surname, ATTRIBUTE.pseudonym, ATTRIBUTE.title].some((t) => valuesOf(names, t).length > 0) || uids.some((u) => PERSONAL_UID.test(u));
  if (personal) return 'person';
  const cn = valuesOf(names, ATTRIBUTE.commonName)[0];
  const o = valuesOf(names, ATTRIBUTE.organisation)[0];
  const organisation = agencyCode !== null || uids.some((u) => ORGANISATION_UID.test(u)) || (o !== undefined && (cn === undefined || sameName(cn, o)));
  return organisation ? 'agency' : 'person';
}

/** A certificate read by both libraries: pkijs for names and extensions, Node for keys and links. */
export interface ParsedCertificate {
  readonly pkijs: pkijs.Certificate;
  readonly x509: X509Certificate;
}

// The same few certificates come back in every signature of a file and in every file of an agency;
// reading one with pkijs costs more than checking a signature. Bounded, least recently used out.
const CACHE_MAX = 512;
const cache = new Map<string, ParsedCertificate | null>();

/** Reads a DER certificate (cached by its SHA-256); null when it is not one both libraries read. */
export function parseCertificateDer(der: Uint8Array): ParsedCertificate | null {
  const key = createHash('sha256').update(der).digest('base64');
  if (cache.has(key)) {
    const hit = cache.get(key) as ParsedCertificate | null;
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let parsed: ParsedCertificate | null;
  try {
    parsed = { pkijs: pkijs.Certificate.fromBER(der), x509: new X509Certificate(der) };
  } catch {
    parsed = null;
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, parsed);
  return parsed;
}

const parse = (der: Buffer): pkijs.Certificate | null => parseCertificateDer(der)?.pkijs ?? null;

/** Who a signer certificate names; null when it cannot be read. */
export function describeSigner(der: Buffer): SignerIdentity | null {
  const cert = parse(der);
  if (!cert) return null;
  const subject = namesOf(cert.subject);
  const codes = valuesOf(subject, AGENCY_CODE_ATTRIBUTE_OID);
  // Two serialNumber attributes are ambiguous: no code rather than a guess (as src/crypto does).
  const agencyCode = codes.length === 1 && AGENCY_CODE_SHAPE.test(codes[0] as string) ? (codes[0] as string) : null;
  return {
    commonName: valuesOf(subject, ATTRIBUTE.commonName)[0] ?? null,
    organisation: valuesOf(subject, ATTRIBUTE.organisation)[0] ?? null,
    agencyCode,
    role: roleOf(subject, agencyCode),
    subject: formatDistinguishedName(subject),
    issuer: formatDistinguishedName(namesOf(cert.issuer)),
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, ''),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
  };
}

/** The outcome of `checkSignerCertificate`. */
export interface CertificateCheck {
  readonly problems: readonly CertificateProblem[];
  /** Subjects from the signer to the anchor, when a path was found. */
  readonly chain: readonly string[];
}

const MAX_PATH = 8;

// If a leaf restricts its purposes, one of them must cover signing documents (the list of
// src/crypto/trust.ts, plus Adobe's Authentic Documents purpose that PDF signing certificates carry).
const SIGNING_EKUS = new Set([
  '1.3.6.1.5.5.7.3.36', // id-kp-documentSigning (RFC 9336)
  '2.5.29.37.0', // anyExtendedKeyUsage
  '1.3.6.1.5.5.7.3.4', // emailProtection
  '1.3.6.1.5.5.7.3.2', // clientAuth
  '1.3.6.1.4.1.311.10.3.12', // Microsoft document signing
  '1.2.840.113583.1.1.5', // Adobe Authentic Documents Trust
]);
const TIME_STAMPING_EKU = '1.3.6.1.5.5.7.3.8';

/**
 * Checks a signer certificate at `at` (the claimed signing time): its validity period, its key
 * usage for `purpose`, and a path through `intermediates` (the certificates the CMS carries) to an
 * anchor whose links are all CA certificates valid at `at`.
 */
export function checkSignerCertificate(der: Buffer, intermediates: readonly Buffer[], anchors: readonly TrustAnchor[], at: Date, purpose: 'signature' | 'timestamp'): CertificateCheck {
  const parsed = parseCertificateDer(der);
  if (!parsed) return { problems: ['untrusted-chain'], chain: [] };
  const { pkijs: cert, x509: leaf } = parsed;
  const problems = new Set<CertificateProblem>();
  const time = validityAt(leaf, at);
  if (time) problems.add(time);
  if (!keyUsageAllows(cert, purpose) || leaf.ca) problems.add('key-usage');
  const path = pathToAnchor(leaf, intermediates, anchors, at);
  if (!path) problems.add('untrusted-chain');
  return { problems: [...problems], chain: path ?? [] };
}

function validityAt(cert: X509Certificate, at: Date): 'expired' | 'not-yet-valid' | null {
  if (at.getTime() < new Date(cert.validFrom).getTime()) return 'not-yet-valid';
  if (at.getTime() > new Date(cert.validTo).getTime()) return 'expired';
  return null;
}

/** keyUsage, when present, has digitalSignature or nonRepudiation; extKeyUsage, when present, fits the purpose. */
function keyUsageAllows(cert: pkijs.Certificate, purpose: 'signature' | 'timestamp'): boolean {
  const ku = cert.extensions?.find((e) => e.extnID === '2.5.29.15')?.parsedValue;
  if (ku instanceof asn1js.BitString) {
    const first = ku.valueBlock.valueHexView[0] ?? 0;
    if ((first & 0xc0) === 0) return false; // bit 0 digitalSignature, bit 1 nonRepudiation
  }
  const eku = cert.extensions?.find((e) => e.extnID === '2.5.29.37')?.parsedValue as pkijs.ExtKeyUsage | undefined;
  if (!eku) return purpose === 'signature';
  return purpose === 'timestamp' ? eku.keyPurposes.includes(TIME_STAMPING_EKU) : eku.keyPurposes.some((p) => SIGNING_EKUS.has(p));
}

/** Subjects from leaf to anchor, or null: each link issued (names, key ids) and signed by the next. */
function pathToAnchor(leaf: X509Certificate, intermediates: readonly Buffer[], anchors: readonly TrustAnchor[], at: Date): string[] | null {
  // An unreadable extra certificate cannot be a link.
  const pool = intermediates.map((der) => parseCertificateDer(der)?.x509).filter((c): c is X509Certificate => c !== undefined);
  const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => {
    try {
      return child.checkIssued(parent) && child.verify(parent.publicKey);
    } catch {
      return false; // a key OpenSSL cannot decode signs nothing
    }
  };
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_PATH; depth++) {
    const anchor = anchors.find((a) => a.ca && issuedBy(current, a) && validityAt(a, at) === null);
    if (anchor) return [...chain, anchor].map((c) => c.subject.replace(/\n/g, ', '));
    const next = pool.find((c) => c.ca && !chain.some((k) => k.fingerprint256 === c.fingerprint256) && issuedBy(current, c) && validityAt(c, at) === null);
    if (!next) return null;
    chain.push(next);
    current = next;
  }
  return null;
}
