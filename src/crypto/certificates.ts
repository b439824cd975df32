/**
 * X.509 helpers: PEM/DER, a readable description of a certificate, the agency code it carries,
 * PKCS#12 import and the key/certificate match check.
 *
 * node-forge parses certificates (it reads extensions and name attributes that Node's
 * `X509Certificate` does not expose); every signature check uses Node's native crypto.
 */
import type { JsonWebKey as NodeJsonWebKey, KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { DomainError } from '../errors.js';

/**
 * Where an agency certificate carries the agency code (mã định danh, `000.00.33.H33`): the subject
 * `serialNumber` attribute (X.520, OID 2.5.4.5). X.520 defines it as the identifier that tells apart
 * subjects with the same name — exactly the case of "UBND xã Hòa Tiến", a name many provinces share.
 * It is a standard attribute every X.509 tool prints (`openssl x509 -subject`), unlike a private OID.
 */
export const AGENCY_CODE_ATTRIBUTE_OID = '2.5.4.5';

/** Shape of an agency code (`XXX.YY.ZZ.Lnn`, 13 characters). Only the shape: codes are never computed. */
export const AGENCY_CODE_SHAPE = /^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$/;

/** What `describeCertificate` reports; also the summary stored beside a registered certificate. */
export interface CertificateDescription {
  /** Upper-case hex, no separators, leading zero octets removed (as OpenSSL prints it). */
  readonly serialNumber: string;
  /** RFC 4514-style, most specific attribute first: `CN=UBND xã A,serialNumber=000.00.33.H33,C=VN`. */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lower-case hex SHA-256 of the DER encoding, no separators. */
  readonly fingerprintSha256: string;
  /** The agency code from the subject `serialNumber` attribute, or null when absent or ambiguous. */
  readonly agencyCode: string | null;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----/g;

/** Every PEM block of `text` with the given label, as DER. */
function pemBlocks(text: string, label: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] !== label) continue;
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 !== 0) continue;
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

/** DER bytes of the single `label` block in `pem`; throws VALIDATION_FAILED on none or several. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Buffer {
  const blocks = pemBlocks(pem, label);
  if (blocks.length !== 1) {
    throw new DomainError('VALIDATION_FAILED', blocks.length === 0 ? `no PEM ${label} block found` : `expected one PEM ${label} block, found ${blocks.length}`);
  }
  return blocks[0] as Buffer;
}

/** PEM text (64-column base64, trailing newline) for DER bytes. */
export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every certificate in a PEM bundle, each re-encoded as a canonical single-certificate PEM. */
export function splitPemCertificates(text: string): string[] {
  return pemBlocks(text, 'CERTIFICATE').map((der) => derToPem(der));
}

/** A certificate parsed once by both libraries. Internal to src/crypto. */
export interface ParsedCertificate {
  readonly pem: string;
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly forge: forge.pki.Certificate;
  readonly fingerprintSha256: string;
}

// Certificates are read on every verification (signer, chain, registry) and every signature made:
// the same few thousand PEM texts over and over. A parse depends on the text alone, so the result is
// kept by text (bounded; least recently used first out). Only successful parses are kept.
const PARSED_CACHE_MAX = 4_096;
const parsedCache = new Map<string, ParsedCertificate>();

/**
 * Parses one PEM certificate; throws VALIDATION_FAILED when it is not one. node-forge reads only RSA
 * certificates, which is all this service signs or verifies with (XMLDSig allow-list: rsa-sha*).
 * The result is shared: callers must not change it.
 */
export function parseCertificate(pem: string): ParsedCertificate {
  const hit = parsedCache.get(pem);
  if (hit) {
    parsedCache.delete(pem);
    parsedCache.set(pem, hit);
    return hit;
  }
  const parsed = parseCertificateUncached(pem);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(pem, parsed);
  return parsed;
}

function parseCertificateUncached(pem: string): ParsedCertificate {
  const der = pemToDer(pem, 'CERTIFICATE');
  let x509: X509Certificate;
  let parsed: forge.pki.Certificate;
  try {
    x509 = new X509Certificate(der);
    parsed = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary'), true));
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `not a readable X.509 RSA certificate: ${(cause as Error).message}`, { cause });
  }
  return {
    pem: derToPem(der),
    der,
    x509,
    forge: parsed,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
  };
}

/** Lower-case hex SHA-256 fingerprint of a PEM certificate's DER encoding. */
export function fingerprintSha256(certPem: string): string {
  const hit = parsedCache.get(certPem);
  if (hit) return hit.fingerprintSha256;
  return createHash('sha256').update(pemToDer(certPem)).digest('hex');
}

// @types/node-forge types valueTagClass as asn1.Class; forge stores the universal tag (asn1.Type) there.
type NameAttribute = Omit<forge.pki.CertificateField, 'valueTagClass'> & { valueTagClass?: number };

/** Decodes a DirectoryString value as forge leaves it (raw octets in a binary string). */
function attributeText(attr: NameAttribute): string {
  const raw = typeof attr.value === 'string' ? attr.value : '';
  switch (attr.valueTagClass) {
    case forge.asn1.Type.UTF8:
      return forge.util.decodeUtf8(raw);
    case forge.asn1.Type.BMPSTRING: {
      // UCS-2 big-endian
      const bytes = Buffer.from(raw, 'binary');
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
      return s;
    }
    default:
      return raw; // PrintableString, IA5String, TeletexString: single-byte
  }
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** RFC 4514 §2.4 escaping of one attribute value. */
function escapeDnValue(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** RFC 4514-style string: attributes most specific first (reverse of the DER order). */
function formatName(attrs: readonly NameAttribute[]): string {
  return formatDistinguishedName(attrs.map((a) => ({ type: a.type ?? '?', value: attributeText(a) })));
}

/**
 * A distinguished name as text, RFC 4514-style (most specific attribute first, short names for the
 * usual OIDs, values escaped) from its attributes in DER order — for certificates read by any parser
 * (forge here, pkijs in src/pdf), so a name reads the same wherever it is shown.
 */
export function formatDistinguishedName(attrs: ReadonlyArray<{ readonly type: string; readonly value: string }>): string {
  return [...attrs]
    .reverse()
    .map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeDnValue(a.value)}`)
    .join(',');
}

/** Values of one subject attribute, decoded. */
function subjectValues(cert: forge.pki.Certificate, oid: string): string[] {
  return (cert.subject.attributes as unknown as NameAttribute[]).filter((a) => a.type === oid).map(attributeText);
}

/** Agency code from a parsed certificate; null when missing, repeated, or not shaped like a code. */
export function agencyCodeOfParsed(cert: ParsedCertificate): string | null {
  const values = subjectValues(cert.forge, AGENCY_CODE_ATTRIBUTE_OID);
  // Two serialNumber attributes would let a CA that copies requested attributes mint an ambiguous
  // certificate; refuse to pick one.
  if (values.length !== 1) return null;
  const code = (values[0] as string).trim();
  return AGENCY_CODE_SHAPE.test(code) ? code : null;
}

/** The agency code a certificate was issued for (subject `serialNumber`), or null. */
export function agencyCodeOf(certPem: string): string | null {
  return agencyCodeOfParsed(parseCertificate(certPem));
}

/** Upper-case hex serial number, leading zero octets stripped. */
function serialHex(cert: forge.pki.Certificate): string {
  const hex = cert.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

/** Describes a parsed certificate. */
export function describeParsed(cert: ParsedCertificate): CertificateDescription {
  return {
    serialNumber: serialHex(cert.forge),
    subject: formatName(cert.forge.subject.attributes as unknown as NameAttribute[]),
    issuer: formatName(cert.forge.issuer.attributes as unknown as NameAttribute[]),
    notBefore: cert.forge.validity.notBefore,
    notAfter: cert.forge.validity.notAfter,
    fingerprintSha256: cert.fingerprintSha256,
    agencyCode: agencyCodeOfParsed(cert),
  };
}

/** Serial, subject, issuer, validity, SHA-256 fingerprint and agency code of a PEM certificate. */
export function describeCertificate(pem: string): CertificateDescription {
  return describeParsed(parseCertificate(pem));
}

/**
 * A PEM private key, parsed; VALIDATION_FAILED when it is not a readable unencrypted key. An RSA key
 * in PKCS#8 (every key this node makes or imports is stored so) is opened from the numbers of the
 * PKCS#1 structure inside it, handed to OpenSSL as a JWK: OpenSSL 3 builds a key from its numbers in
 * 0.02 ms, reads PKCS#1 DER in 0.14 ms and a PKCS#8 PEM in 0.3 ms (its decoders try each format and
 * algorithm in turn), and a directive to 10,000 communes opens 10,000 keys (issue 16). Anything else
 * goes to OpenSSL as it is.
 */
export function readPrivateKey(keyPem: string): KeyObject {
  try {
    const [der, ...more] = pemBlocks(keyPem, 'PRIVATE KEY');
    const pkcs1 = der && more.length === 0 ? rsaKeyOfPkcs8(der) : undefined;
    const jwk = pkcs1 && rsaJwkOfPkcs1(pkcs1);
    if (jwk) {
      try {
        return createPrivateKey({ key: jwk, format: 'jwk' });
      } catch {
        // Not what it looked like: OpenSSL reads the PEM itself, and says what is wrong with it.
      }
    }
    return createPrivateKey(keyPem);
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `not a readable unencrypted private key: ${(cause as Error).message}`, { cause });
  }
}

/** rsaEncryption (1.2.840.113549.1.1.1) with its NULL parameters: an RSA PrivateKeyInfo's algorithm, DER. */
const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/**
 * The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (RFC 5208: SEQUENCE { INTEGER 0,
 * AlgorithmIdentifier, OCTET STRING, [0] attributes OPTIONAL }) when its algorithm is RSA; undefined
 * for anything else or anything malformed (readPrivateKey then hands the key to OpenSSL as it is).
 */
function rsaKeyOfPkcs8(der: Buffer): Buffer | undefined {
  const outer = derItem(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return undefined;
  const version = derItem(der, outer.start);
  if (!version || version.tag !== 0x02 || version.end - version.start !== 1 || der[version.start] !== 0) return undefined;
  const algorithm = derItem(der, version.end);
  if (!algorithm || !der.subarray(version.end, algorithm.end).equals(RSA_ALGORITHM)) return undefined;
  const key = derItem(der, algorithm.end);
  if (!key || key.tag !== 0x04 || key.end > outer.end) return undefined;
  return der.subarray(key.start, key.end);
}

/**
 * True when the certificate certifies this RSA private key, shown from their DER alone: the modulus
 * and the public exponent in the certificate's SubjectPublicKeyInfo (RFC 5280: Certificate → tbs →
 * [0] version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo; an rsaEncryption
 * key's BIT STRING holds RSAPublicKey { n, e }) are those of the PKCS#8 key's RSAPrivateKey
 * { version, n, e, … } (RFC 8017), both read as the JWK of readPrivateKey writes them. The same question as assertKeyMatchesCertificate
 * (KeyObject.equals compares n and e), without OpenSSL's decoders: reading the certificate took
 * 0.12–0.3 ms of each of the 10,000 signers a directive to 10,000 communes opens (issue 16), about
 * as long as opening the key. False means "not shown here" (another encoding, another algorithm, a
 * mismatch): the caller then asks assertKeyMatchesCertificate, which decides and says why.
 */
export function rsaKeyIsCertified(certPem: string, keyPem: string): boolean {
  try {
    const [certDer, ...moreCerts] = pemBlocks(certPem, 'CERTIFICATE');
    const [keyDer, ...moreKeys] = pemBlocks(keyPem, 'PRIVATE KEY');
    if (!certDer || !keyDer || moreCerts.length > 0 || moreKeys.length > 0) return false;
    const certified = rsaPublicNumbersOfCertificate(certDer);
    const pkcs1 = rsaKeyOfPkcs8(keyDer);
    const key = pkcs1 && rsaJwkOfPkcs1(pkcs1);
    return !!certified && !!key && key.n === certified.n && key.e === certified.e;
  } catch {
    return false;
  }
}

/** n and e of a certificate's rsaEncryption key, as a JWK writes them; undefined for anything else. */
function rsaPublicNumbersOfCertificate(der: Buffer): { n: string; e: string } | undefined {
  const certificate = derItem(der, 0);
  if (!certificate || certificate.tag !== 0x30 || certificate.end !== der.length) return undefined;
  const tbs = derItem(der, certificate.start);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  let item = derItem(der, tbs.start);
  if (item && item.tag === 0xa0) item = derItem(der, item.end); // [0] EXPLICIT version
  // serialNumber, signature, issuer, validity, subject; then subjectPublicKeyInfo.
  for (const tag of [0x02, 0x30, 0x30, 0x30, 0x30]) {
    if (!item || item.tag !== tag || item.end > tbs.end) return undefined;
    item = derItem(der, item.end);
  }
  if (!item || item.tag !== 0x30 || item.end > tbs.end) return undefined;
  const algorithm = derItem(der, item.start);
  if (!algorithm || !der.subarray(item.start, algorithm.end).equals(RSA_ALGORITHM)) return undefined;
  const bits = derItem(der, algorithm.end);
  if (!bits || bits.tag !== 0x03 || bits.end !== item.end || der[bits.start] !== 0) return undefined;
  const publicKey = derItem(der, bits.start + 1);
  if (!publicKey || publicKey.tag !== 0x30 || publicKey.end !== bits.end) return undefined;
  const n = derItem(der, publicKey.start);
  const e = n && derItem(der, n.end);
  if (!n || !e || e.end !== publicKey.end) return undefined;
  const numbers = { n: unsignedOf(der, n), e: unsignedOf(der, e) };
  return numbers.n !== undefined && numbers.e !== undefined ? (numbers as { n: string; e: string }) : undefined;
}

/** The members of a two-prime RSAPrivateKey (RFC 8017 A.1.2), in order, as JWK names them (RFC 7518 6.3). */
const RSA_JWK_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/**
 * A PKCS#1 RSAPrivateKey (SEQUENCE { INTEGER 0, n, e, d, p, q, dp, dq, qi }) as a JWK; undefined for
 * anything else (a multi-prime key, a negative number, trailing bytes), which OpenSSL then reads.
 */
function rsaJwkOfPkcs1(der: Buffer): NodeJsonWebKey | undefined {
  const key = derItem(der, 0);
  if (!key || key.tag !== 0x30 || key.end !== der.length) return undefined;
  const version = derItem(der, key.start);
  if (!version || version.tag !== 0x02 || version.end - version.start !== 1 || der[version.start] !== 0) return undefined;
  const jwk: Record<string, string> = { kty: 'RSA' };
  let at = version.end;
  for (const member of RSA_JWK_MEMBERS) {
    const item = derItem(der, at);
    const value = item && item.end <= key.end ? unsignedOf(der, item) : undefined;
    if (!item || value === undefined) return undefined;
    jwk[member] = value;
    at = item.end;
  }
  return at === key.end ? jwk : undefined;
}

/**
 * A non-negative DER INTEGER as JWK writes a number (RFC 7518 6.3: unsigned big-endian, base64url):
 * DER's sign octet, a leading zero, is not part of it. Undefined for another tag, an empty or a
 * negative INTEGER.
 */
function unsignedOf(der: Buffer, item: { tag: number; start: number; end: number }): string | undefined {
  if (item.tag !== 0x02 || item.end === item.start || (der[item.start]! & 0x80) !== 0) return undefined;
  const start = der[item.start] === 0 && item.end - item.start > 1 ? item.start + 1 : item.start;
  return der.subarray(start, item.end).toString('base64url');
}

/** The DER item at `at`: its tag, where its contents start and where it ends; undefined past the end or on a length DER does not allow. */
function derItem(der: Buffer, at: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at]!;
  const first = der[at + 1]!;
  let start = at + 2;
  let length = first;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3 || start + octets > der.length) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}

/** DER SubjectPublicKeyInfo of a private key's public half. */
function spkiOfPrivateKey(keyPem: string): Buffer {
  return createPublicKey(readPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
}

/**
 * Throws VALIDATION_FAILED unless the private key (PEM, or a key already parsed) is the one the
 * certificate certifies. Compared natively (KeyObject.equals), without node-forge or a DER export: a
 * fan-out to 10,000 communes opens 10,000 signers (createPackageSigner), and the old comparison was
 * 1.3 ms of each.
 */
export function assertKeyMatchesCertificate(certPem: string, key: string | KeyObject): void {
  let certKey: KeyObject;
  try {
    certKey = new X509Certificate(pemToDer(certPem, 'CERTIFICATE')).publicKey;
  } catch (cause) {
    if (cause instanceof DomainError) throw cause;
    throw new DomainError('VALIDATION_FAILED', `not a readable X.509 RSA certificate: ${(cause as Error).message}`, { cause });
  }
  const privateKey = typeof key === 'string' ? readPrivateKey(key) : key;
  if (!createPublicKey(privateKey).equals(certKey)) {
    throw new DomainError('VALIDATION_FAILED', 'the private key does not match the certificate');
  }
}

/** What a PKCS#12 (.p12/.pfx) file holds once opened. */
export interface Pkcs12Content {
  readonly certificatePem: string;
  /** PKCS#8 PEM, unencrypted: encrypt it with `encryptPrivateKey` before storing it. */
  readonly privateKeyPem: string;
  /** The other certificates of the file (intermediates, root), in file order. */
  readonly chainPem: string[];
}

/**
 * Opens a PKCS#12 file: the one private key, the certificate that matches it, and the other
 * certificates as the chain. Throws VALIDATION_FAILED on a wrong password or an unusable file.
 */
export function importPkcs12(buffer: Buffer, password: string): Pkcs12Content {
  let p12: forge.pkcs12.Pkcs12Pfx;
  // node-forge derives PBES2 keys (OpenSSL 3's default PKCS#12 encryption) from the password's UTF-16
  // code units taken as bytes, where OpenSSL uses its UTF-8 bytes; the MAC (BMPString) is right. For a
  // non-ASCII password the one PBES2 entry point is wrapped for the duration of this synchronous call.
  const pbe = (forge.pki as unknown as { pbe: { getCipherForPBES2: (oid: string, params: unknown, password: string) => unknown } }).pbe;
  const original = pbe.getCipherForPBES2;
  // eslint-disable-next-line no-control-regex -- ASCII test
  const patch = !/^[\x00-\x7f]*$/.test(password);
  if (patch) pbe.getCipherForPBES2 = (oid, params, pw) => original.call(pbe, oid, params, forge.util.encodeUtf8(pw));
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(buffer.toString('binary')), password);
  } catch (cause) {
    // forge says "PKCS#12 MAC could not be verified. Invalid password?" for a wrong password.
    throw new DomainError('VALIDATION_FAILED', `cannot open PKCS#12: ${(cause as Error).message}`, { cause });
  } finally {
    if (patch) pbe.getCipherForPBES2 = original;
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag as string })[forge.pki.oids.pkcs8ShroudedKeyBag as string] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag as string })[forge.pki.oids.keyBag as string] ?? []),
  ];
  const keys = keyBags.map((b) => b.key).filter((k): k is forge.pki.rsa.PrivateKey => k != null);
  if (keys.length !== 1) {
    throw new DomainError('VALIDATION_FAILED', `PKCS#12 must hold exactly one private key, found ${keys.length}${keyBags.length > keys.length ? ' (non-RSA keys are not supported)' : ''}`);
  }
  const privateKeyPem = createPrivateKey(forge.pki.privateKeyToPem(keys[0] as forge.pki.rsa.PrivateKey)).export({ type: 'pkcs8', format: 'pem' }) as string;
  const keySpki = spkiOfPrivateKey(privateKeyPem);

  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag as string })[forge.pki.oids.certBag as string] ?? [];
  const certs: string[] = [];
  for (const bag of certBags) {
    if (bag.cert) certs.push(forge.pki.certificateToPem(bag.cert));
    else if (bag.asn1) throw new DomainError('VALIDATION_FAILED', 'PKCS#12 holds a certificate that cannot be read (non-RSA?)');
  }
  const matching = certs.filter((pem) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).equals(keySpki));
  if (matching.length !== 1) {
    throw new DomainError('VALIDATION_FAILED', matching.length === 0 ? 'PKCS#12 holds no certificate for its private key' : 'PKCS#12 holds several certificates for its private key');
  }
  const certificatePem = derToPem(pemToDer(matching[0] as string));
  return {
    certificatePem,
    privateKeyPem,
    chainPem: certs.filter((c) => c !== matching[0]).map((c) => derToPem(pemToDer(c))),
  };
}
