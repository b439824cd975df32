/**
 * The node's certificate authority: a dev CA generated on first start, and agency certificates it
 * issues (DESIGN.md §4 Certificate).
 *
 * Keys come from `node:crypto.generateKeyPairSync` (native, ~10× faster than forge's JS keygen);
 * node-forge lays out the certificate, and the certificate signature itself is made with Node's
 * native `crypto.sign` over forge's TBSCertificate, so no private key is ever handed to forge.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { DomainError } from '../errors.js';
import { AGENCY_CODE_ATTRIBUTE_OID, AGENCY_CODE_SHAPE, assertKeyMatchesCertificate, derToPem, parseCertificate, pemToDer } from './certificates.js';

export { agencyCodeOf } from './certificates.js';

/** A CA: its certificate and its (unencrypted, PKCS#8) private key. */
export interface CaMaterial {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** What `issueAgencyCertificate` returns. `privateKeyPem` only when the key was generated here. */
export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem?: string;
  /** Upper-case hex, as `describeCertificate` reports it. */
  readonly serialNumber: string;
}

const RSA_BITS = 2048;
const DAY_MS = 86_400_000;
// RFC 9336 id-kp-documentSigning: the purpose of a key that signs documents (edXML packages).
const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
// emailProtection as well: PDF readers built on NSS (poppler's pdfsig, Firefox) check a PDF signer as
// an e-mail signer and refuse a certificate restricted to documentSigning alone (issue 17).
// (1.3.6.1.5.5.7.3.4, given by forge's name: forge maps a known OID key to its name, not to DER).
const EKU_EMAIL_PROTECTION = 'emailProtection';
// A few minutes of backdating keeps a freshly issued certificate valid on peers whose clock is behind.
const CLOCK_SKEW_MS = 5 * 60_000;

function newRsaKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** 16 random bytes, high bit clear (a positive INTEGER) and second-highest set (always 16 octets). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function assertValidityDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new RangeError(`validityDays must be an integer between 1 and 36500, got ${days}`);
}

/** Subject key identifier bytes of a certificate: its SKI extension, else SHA-1 of the RSA key (RFC 5280 §4.2.1.2 (1)). */
function keyIdentifierOf(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return forge.pki.getPublicKeyFingerprint(cert.publicKey, { type: 'RSAPublicKey' }).getBytes();
}

/**
 * Signs a forge certificate with a native KeyObject: forge builds the TBSCertificate, `crypto.sign`
 * makes the RSA-SHA256 signature. When an issuer certificate is given, its subject Name is copied
 * byte for byte into the issuer field (forge would re-encode UTF-8 names twice, breaking chaining).
 */
function signCertificate(cert: forge.pki.Certificate, issuerKeyPem: string, issuerCertDer?: Buffer): string {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  if (issuerCertDer) {
    const issuerAsn1 = forge.asn1.fromDer(issuerCertDer.toString('binary'));
    const issuerTbs = (issuerAsn1.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1;
    // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, …
    const subjectOfIssuer = (issuerTbs.value as forge.asn1.Asn1[])[5];
    if (!subjectOfIssuer) throw new Error('issuer certificate is not a v3 certificate');
    (tbs.value as forge.asn1.Asn1[])[3] = subjectOfIssuer;
  }
  cert.tbsCertificate = tbs;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', tbsDer, createPrivateKey(issuerKeyPem)).toString('binary');
  // LF line endings (forge writes CRLF), so stored PEMs compare equal to what describe/split return.
  return derToPem(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'));
}

function utf8Attr(type: string, value: string): forge.pki.CertificateField {
  // @types/node-forge types valueTagClass as asn1.Class; forge reads the universal tag (asn1.Type) there.
  return { type, value, valueTagClass: forge.asn1.Type.UTF8 } as unknown as forge.pki.CertificateField;
}

/**
 * Generates a CA: RSA-2048, basicConstraints cA (critical), keyCertSign + cRLSign (critical), SKI.
 * Self-signed by default; with `issuer`, an intermediate CA signed by it (AKI set). `pathLength`
 * limits how many CAs may sit below it.
 */
export function generateCa(opts: {
  commonName: string;
  validityDays: number;
  organization?: string;
  issuer?: CaMaterial;
  pathLength?: number;
  notBefore?: Date;
}): CaMaterial {
  assertValidityDays(opts.validityDays);
  if (!opts.commonName.trim()) throw new RangeError('commonName must not be empty');
  const { publicKeyPem, privateKeyPem } = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const notBefore = opts.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + opts.validityDays * DAY_MS);
  const subject = [
    { shortName: 'C', value: 'VN' } as forge.pki.CertificateField,
    ...(opts.organization ? [utf8Attr(forge.pki.oids.organizationName as string, opts.organization)] : []),
    utf8Attr(forge.pki.oids.commonName as string, opts.commonName),
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject); // replaced by the issuer's exact Name when there is one
  const issuerCert = opts.issuer ? parseCertificate(opts.issuer.certificatePem) : undefined;
  if (opts.issuer) assertKeyMatchesCertificate(opts.issuer.certificatePem, opts.issuer.privateKeyPem);
  const basicConstraints: Record<string, unknown> = { name: 'basicConstraints', cA: true, critical: true };
  if (opts.pathLength !== undefined) basicConstraints.pathLenConstraint = opts.pathLength;
  cert.setExtensions([
    basicConstraints,
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuerCert ? keyIdentifierOf(issuerCert.forge) : keyIdentifierOf(cert) },
  ]);
  const certificatePem = issuerCert && opts.issuer ? signCertificate(cert, opts.issuer.privateKeyPem, issuerCert.der) : signCertificate(cert, privateKeyPem);
  return { certificatePem, privateKeyPem };
}

/**
 * Issues an agency certificate from `ca`: subject CN = agency name, serialNumber = agency code
 * (see AGENCY_CODE_ATTRIBUTE_OID), C = VN; keyUsage digitalSignature + nonRepudiation (critical),
 * extKeyUsage documentSigning (RFC 9336) and emailProtection (for PDF readers), basicConstraints cA false (critical), SKI/AKI, a random
 * 16-byte positive serial. Generates an RSA-2048 key unless `publicKeyPem` is given.
 */
export function issueAgencyCertificate(
  ca: CaMaterial,
  opts: { agencyCode: string; agencyName: string; validityDays: number; publicKeyPem?: string; notBefore?: Date },
): IssuedCertificate {
  if (!AGENCY_CODE_SHAPE.test(opts.agencyCode)) throw new DomainError('VALIDATION_FAILED', `agency code ${JSON.stringify(opts.agencyCode)} does not have the shape XXX.YY.ZZ.Lnn`);
  if (!opts.agencyName.trim()) throw new DomainError('VALIDATION_FAILED', 'agency name must not be empty');
  return issueSigningCertificate(ca, opts, [
    { shortName: 'C', value: 'VN' } as forge.pki.CertificateField,
    { type: AGENCY_CODE_ATTRIBUTE_OID, value: opts.agencyCode } as forge.pki.CertificateField, // PrintableString: the shape is ASCII
    utf8Attr(forge.pki.oids.commonName as string, opts.agencyName),
  ]);
}

/**
 * Issues a personal certificate from `ca` for a competent person (lãnh đạo) who signs documents
 * (NĐ 30 Điều 5: the person's signature comes before the agency's): subject CN = the person's full
 * name, O = their agency's name when given, C = VN, and no agency code (serialNumber), so that it can
 * never pass for the agency's seal; keyUsage digitalSignature + nonRepudiation (critical), extKeyUsage
 * documentSigning and emailProtection (NSS-based PDF readers check a PDF signer as an e-mail signer),
 * basicConstraints cA false (critical), SKI/AKI, a random 16-byte positive serial. Generates an
 * RSA-2048 key unless `publicKeyPem` is given.
 */
export function issuePersonalCertificate(
  ca: CaMaterial,
  opts: { fullName: string; organisation?: string; validityDays: number; publicKeyPem?: string; notBefore?: Date },
): IssuedCertificate {
  if (!opts.fullName.trim()) throw new DomainError('VALIDATION_FAILED', 'the full name must not be empty');
  return issueSigningCertificate(ca, opts, [
    { shortName: 'C', value: 'VN' } as forge.pki.CertificateField,
    ...(opts.organisation?.trim() ? [utf8Attr(forge.pki.oids.organizationName as string, opts.organisation.trim())] : []),
    utf8Attr(forge.pki.oids.commonName as string, opts.fullName.trim()),
  ]);
}

/**
 * A leaf that signs documents, for the agency and the personal certificates alike (only the subject
 * differs): keyUsage digitalSignature + nonRepudiation (critical), extKeyUsage documentSigning and
 * emailProtection, basicConstraints cA false (critical), SKI/AKI, a random 16-byte positive serial,
 * never outliving its CA. Generates an RSA-2048 key unless `publicKeyPem` is given.
 */
function issueSigningCertificate(
  ca: CaMaterial,
  opts: { validityDays: number; publicKeyPem?: string; notBefore?: Date },
  subject: forge.pki.CertificateField[],
): IssuedCertificate {
  assertValidityDays(opts.validityDays);
  const caCert = parseCertificate(ca.certificatePem);
  assertKeyMatchesCertificate(ca.certificatePem, ca.privateKeyPem);

  let publicKeyPem = opts.publicKeyPem;
  let privateKeyPem: string | undefined;
  if (publicKeyPem === undefined) ({ publicKeyPem, privateKeyPem } = newRsaKeyPair());
  let publicKey: forge.pki.rsa.PublicKey;
  try {
    publicKey = forge.pki.publicKeyFromPem(publicKeyPem) as forge.pki.rsa.PublicKey;
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', 'publicKeyPem is not an RSA public key (SPKI PEM)', { cause });
  }
  if (publicKey.n.bitLength() < RSA_BITS) throw new DomainError('VALIDATION_FAILED', `RSA keys shorter than ${RSA_BITS} bits are refused`);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  const serialHex = randomSerialHex();
  cert.serialNumber = serialHex;
  const notBefore = opts.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + opts.validityDays * DAY_MS);
  if (cert.validity.notAfter.getTime() > caCert.forge.validity.notAfter.getTime()) {
    // A leaf that outlives its CA fails chain validation after the CA expires; say so now.
    cert.validity.notAfter = caCert.forge.validity.notAfter;
  }
  cert.setSubject(subject);
  cert.setIssuer(caCert.forge.subject.attributes); // replaced byte for byte in signCertificate
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'extKeyUsage', [EKU_DOCUMENT_SIGNING]: true, [EKU_EMAIL_PROTECTION]: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifierOf(caCert.forge) },
  ]);
  const certificatePem = signCertificate(cert, ca.privateKeyPem, caCert.der);
  return {
    certificatePem,
    ...(privateKeyPem === undefined ? {} : { privateKeyPem }),
    serialNumber: serialHex.toUpperCase(),
  };
}

const DEV_CA_CERT = 'ca.pem';
const DEV_CA_KEY = 'ca-key.pem';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function readDevCa(dir: string): Promise<CaMaterial | undefined> {
  const [certificatePem, privateKeyPem] = await Promise.all([readIfExists(join(dir, DEV_CA_CERT)), readIfExists(join(dir, DEV_CA_KEY))]);
  if (certificatePem === undefined) return undefined;
  if (privateKeyPem === undefined) throw new Error(`${join(dir, DEV_CA_CERT)} exists without ${DEV_CA_KEY}: restore the key or remove both files`);
  pemToDer(certificatePem);
  assertKeyMatchesCertificate(certificatePem, privateKeyPem);
  return { certificatePem, privateKeyPem };
}

/** Writes `content` to a fresh file with `mode` (never reusing an existing file). */
async function writeNew(path: string, content: string, mode: number): Promise<void> {
  const fh = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(path, mode); // the umask may have narrowed or widened nothing; make the mode exact
}

/**
 * The development CA in `dir` (e.g. `certs/dev/`): `ca.pem` and `ca-key.pem` (mode 0600) are created on
 * the first call and reused afterwards. Safe when several processes start at once: files are written
 * under temporary names and published with `link`, which fails if another process got there first;
 * the certificate is published last, so its presence means the pair is complete.
 */
export async function loadOrCreateDevCa(dir: string, opts?: { commonName?: string; validityDays?: number }): Promise<CaMaterial> {
  const existing = await readDevCa(dir);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const ca = generateCa({ commonName: opts?.commonName ?? 'lienthong development CA', validityDays: opts?.validityDays ?? 3650, organization: 'lienthong (development only)' });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const tmpKey = join(dir, `${DEV_CA_KEY}.${tag}`);
  const tmpCert = join(dir, `${DEV_CA_CERT}.${tag}`);
  try {
    await writeNew(tmpKey, ca.privateKeyPem, 0o600);
    await writeNew(tmpCert, ca.certificatePem, 0o644);
    try {
      await link(tmpKey, join(dir, DEV_CA_KEY));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return await waitForDevCa(dir); // another process is creating it
    }
    await link(tmpCert, join(dir, DEV_CA_CERT));
    return ca;
  } finally {
    await rm(tmpKey, { force: true });
    await rm(tmpCert, { force: true });
  }
}

async function waitForDevCa(dir: string): Promise<CaMaterial> {
  for (let i = 0; i < 100; i++) {
    const ca = await readDevCa(dir);
    if (ca) return ca;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${join(dir, DEV_CA_KEY)} exists but ${DEV_CA_CERT} never appeared: remove the half-written dev CA`);
}
