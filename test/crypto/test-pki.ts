/**
 * Test PKI: certificates the production CA code would never issue (no keyUsage, SHA-1 signed,
 * self-signed leaves, TLS-only purposes…), built and signed entirely with node-forge so that they
 * are independent of src/crypto/ca.ts. Issuers must have ASCII names (forge re-encodes copied UTF-8
 * issuer names).
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { CaMaterial } from '../../src/crypto/ca.js';

export interface OddCertificateOptions {
  /** Signs with this CA; omitted = self-signed. */
  issuer?: CaMaterial;
  commonName: string;
  agencyCode?: string;
  ca?: boolean;
  pathLength?: number;
  /** forge keyUsage flags; null = no keyUsage extension at all. */
  keyUsage?: Record<string, boolean> | null;
  /** extKeyUsage names or OIDs; omitted = no extension. */
  extKeyUsage?: string[];
  digest?: 'sha1' | 'sha256';
  notBefore?: Date;
  notAfter?: Date;
  /** RSA modulus size (default 2048). */
  bits?: number;
  /** Extra raw extensions (forge extension objects). */
  extraExtensions?: Record<string, unknown>[];
}

/** A certificate + key made with forge from the options. */
export function makeOddCertificate(o: OddCertificateOptions): CaMaterial {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: o.bits ?? 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 30 * 86_400_000);
  const subject: forge.pki.CertificateField[] = [{ shortName: 'C', value: 'VN' }];
  if (o.agencyCode) subject.push({ type: '2.5.4.5', value: o.agencyCode });
  // UTF8String so that Vietnamese names encode; forge's typing says asn1.Class, it stores asn1.Type.
  subject.push({ shortName: 'CN', value: o.commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class });
  cert.setSubject(subject);
  const issuerCert = o.issuer ? forge.pki.certificateFromPem(o.issuer.certificatePem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  const exts: Record<string, unknown>[] = [];
  const bc: Record<string, unknown> = { name: 'basicConstraints', cA: o.ca === true, critical: true };
  if (o.pathLength !== undefined) bc.pathLenConstraint = o.pathLength;
  exts.push(bc);
  const ku = o.keyUsage === undefined ? (o.ca ? { keyCertSign: true, cRLSign: true } : { digitalSignature: true, nonRepudiation: true }) : o.keyUsage;
  if (ku !== null) exts.push({ name: 'keyUsage', critical: true, ...ku });
  if (o.extKeyUsage) exts.push({ name: 'extKeyUsage', ...Object.fromEntries(o.extKeyUsage.map((k) => [k, true])) });
  exts.push({ name: 'subjectKeyIdentifier' });
  exts.push(...(o.extraExtensions ?? []));
  cert.setExtensions(exts);
  const signingKey = forge.pki.privateKeyFromPem(o.issuer ? o.issuer.privateKeyPem : privateKey);
  cert.sign(signingKey, o.digest === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: privateKey };
}
