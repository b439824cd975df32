/**
 * The trust store: the CA certificates this node trusts, and path validation of a signer certificate
 * against them (DESIGN.md §5 step 3). Failures throw CERTIFICATE_UNTRUSTED with the exact reason.
 *
 * Link signatures are checked with Node's native crypto (`X509Certificate.verify`); node-forge reads
 * the extensions (basicConstraints, keyUsage, extKeyUsage) that Node does not expose.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { DomainError } from '../errors.js';
import type { CertificateDescription, ParsedCertificate } from './certificates.js';
import { describeParsed, parseCertificate, splitPemCertificates } from './certificates.js';

/** A certificate that chains to an anchor and may sign packages at the given time. */
export interface ValidatedCertificate extends CertificateDescription {
  readonly certificatePem: string;
  /** Leaf first, trust anchor last. */
  readonly chainPem: readonly string[];
  readonly anchorSubject: string;
}

/** Options of `TrustStore.validate`. */
export interface ValidateOptions {
  /** The instant the certificate must be valid at (the signing time, for a package). */
  readonly at: Date;
  /** Untrusted CA certificates that may complete the path (e.g. from PKCS#12 or the registry). */
  readonly intermediates?: readonly string[];
}

const MAX_PATH = 8;
const MIN_RSA_BITS = 2048;
// SHA-1 and MD5 certificate signatures can be forged (chosen-prefix collisions): only SHA-2.
const ALLOWED_CERT_SIGNATURES = new Set<string>([
  forge.pki.oids.sha256WithRSAEncryption as string,
  forge.pki.oids.sha384WithRSAEncryption as string,
  forge.pki.oids.sha512WithRSAEncryption as string,
]);
// RFC 5280 §4.2: a critical extension the verifier does not process must make it reject the
// certificate (e.g. nameConstraints, which would otherwise be silently ignored).
const UNDERSTOOD_CRITICAL = new Set<string>([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extKeyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
]);
// If a leaf restricts its purposes (extKeyUsage), one of them must cover signing documents: a TLS
// server certificate from the same CA must not sign packages.
const SIGNING_EKUS = new Set<string>([
  '1.3.6.1.5.5.7.3.36', // id-kp-documentSigning (RFC 9336)
  '2.5.29.37.0', // anyExtendedKeyUsage
  '1.3.6.1.5.5.7.3.4', // emailProtection (S/MIME signing; common on Vietnamese organisation certificates)
  '1.3.6.1.5.5.7.3.2', // clientAuth (idem)
  '1.3.6.1.4.1.311.10.3.12', // Microsoft document signing
]);

const untrusted = (detail: string): DomainError => new DomainError('CERTIFICATE_UNTRUSTED', detail);

interface Ext {
  id: string;
  critical?: boolean;
  cA?: boolean;
  pathLenConstraint?: number;
  digitalSignature?: boolean;
  keyCertSign?: boolean;
  [k: string]: unknown;
}

function extensions(cert: ParsedCertificate): Ext[] {
  return cert.forge.extensions as Ext[];
}
function ext(cert: ParsedCertificate, oid: string): Ext | undefined {
  return extensions(cert).find((e) => e.id === oid);
}
const subjectOf = (c: ParsedCertificate): string => describeParsed(c).subject;

function assertCommon(cert: ParsedCertificate, role: string, at: Date): void {
  const name = subjectOf(cert);
  const { notBefore, notAfter } = cert.forge.validity;
  if (at.getTime() < notBefore.getTime()) throw untrusted(`${role} "${name}" is not yet valid at ${at.toISOString()} (valid from ${notBefore.toISOString()})`);
  if (at.getTime() > notAfter.getTime()) throw untrusted(`${role} "${name}" expired before ${at.toISOString()} (valid until ${notAfter.toISOString()})`);
  for (const e of extensions(cert)) {
    if (e.critical && !UNDERSTOOD_CRITICAL.has(e.id)) throw untrusted(`${role} "${name}" has an unsupported critical extension ${e.id}`);
  }
}

/** A CA link: basicConstraints cA, keyCertSign when keyUsage is present, path length respected. */
function assertCa(cert: ParsedCertificate, role: string, casBelow: number): void {
  const name = subjectOf(cert);
  const bc = ext(cert, '2.5.29.19');
  if (!bc?.cA) throw untrusted(`${role} "${name}" is not a CA certificate (basicConstraints cA is not set)`);
  const ku = ext(cert, '2.5.29.15');
  if (ku && !ku.keyCertSign) throw untrusted(`${role} "${name}" may not sign certificates (keyUsage lacks keyCertSign)`);
  if (typeof bc.pathLenConstraint === 'number' && bc.pathLenConstraint >= 0 && casBelow > bc.pathLenConstraint) {
    throw untrusted(`${role} "${name}" allows ${bc.pathLenConstraint} CA certificate(s) below it, the path has ${casBelow}`);
  }
}

/** The leaf: not a CA, RSA ≥ 2048, keyUsage with digitalSignature, a signing extKeyUsage if restricted. */
function assertLeaf(cert: ParsedCertificate): void {
  const name = subjectOf(cert);
  if (ext(cert, '2.5.29.19')?.cA) throw untrusted(`certificate "${name}" is a CA certificate; packages must be signed with an end-entity certificate`);
  const ku = ext(cert, '2.5.29.15');
  // An absent keyUsage would mean "any usage" (RFC 5280); we require the signer to have been issued
  // for signing explicitly.
  if (!ku) throw untrusted(`certificate "${name}" has no keyUsage extension (digitalSignature is required)`);
  if (!ku.digitalSignature) throw untrusted(`certificate "${name}" keyUsage does not include digitalSignature`);
  const eku = ext(cert, '2.5.29.37');
  if (eku) {
    const purposes = Object.keys(eku).filter((k) => eku[k] === true);
    const oids = purposes.map((p) => (forge.pki.oids[p] as string | undefined) ?? p);
    if (!oids.some((o) => SIGNING_EKUS.has(o))) throw untrusted(`certificate "${name}" extKeyUsage (${oids.join(', ')}) does not allow signing documents`);
  }
  const bits = (cert.forge.publicKey as forge.pki.rsa.PublicKey).n.bitLength();
  if (bits < MIN_RSA_BITS) throw untrusted(`certificate "${name}" has a ${bits}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
}

function assertSignatureAlgorithm(cert: ParsedCertificate, role: string): void {
  const oid = cert.forge.signatureOid ?? '';
  if (!ALLOWED_CERT_SIGNATURES.has(oid)) {
    throw untrusted(`${role} "${subjectOf(cert)}" is signed with ${forge.pki.oids[oid] ?? oid}; only RSA with SHA-256/384/512 is accepted`);
  }
}

function parseOrUntrusted(pem: string, role: string): ParsedCertificate {
  try {
    return parseCertificate(pem);
  } catch (e) {
    throw untrusted(`${role} cannot be read: ${(e as Error).message}`);
  }
}

/** The certificates this node trusts as roots of signer certificate paths. */
export class TrustStore {
  private readonly anchors = new Map<string, ParsedCertificate>();

  /** A store holding the given anchor certificates (PEM, one or several per string). */
  static fromPems(pems: readonly string[]): TrustStore {
    const store = new TrustStore();
    for (const pem of pems) for (const one of splitPemCertificates(pem)) store.add(one);
    return store;
  }

  /** A store holding every certificate of every `*.pem` file in `dir` (key-only files are skipped). */
  static async fromDirectory(dir: string): Promise<TrustStore> {
    const store = new TrustStore();
    const names = (await readdir(dir)).filter((n) => n.endsWith('.pem')).sort();
    for (const name of names) {
      const text = await readFile(join(dir, name), 'utf8');
      const certs = splitPemCertificates(text);
      if (certs.length === 0) {
        if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) continue;
        throw new DomainError('VALIDATION_FAILED', `${join(dir, name)} holds no PEM certificate`);
      }
      for (const pem of certs) store.add(pem);
    }
    return store;
  }

  /** Adds an anchor; it must be a CA certificate. Returns its description. Idempotent. */
  add(pem: string): CertificateDescription {
    const cert = parseCertificate(pem);
    if (!ext(cert, '2.5.29.19')?.cA) throw new DomainError('VALIDATION_FAILED', `trust anchor "${subjectOf(cert)}" is not a CA certificate`);
    this.anchors.set(cert.fingerprintSha256, cert);
    return describeParsed(cert);
  }

  /** The anchors, as PEM. */
  anchorsPem(): string[] {
    return [...this.anchors.values()].map((a) => a.pem);
  }

  /** Number of anchors. */
  get size(): number {
    return this.anchors.size;
  }

  /**
   * Validates a signer certificate at `at`: a path to an anchor where every link's signature
   * verifies and every link is valid at `at`, CA flags and path lengths hold, and the leaf is an
   * RSA end-entity certificate with digitalSignature. Throws CERTIFICATE_UNTRUSTED with the reason.
   */
  validate(certPem: string, opts: ValidateOptions): ValidatedCertificate {
    const at = opts.at;
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('validate: `at` must be a valid Date');
    const leaf = parseOrUntrusted(certPem, 'certificate');
    const pool = (opts.intermediates ?? []).flatMap((p) => splitPemCertificates(p)).map((p) => parseOrUntrusted(p, 'intermediate certificate'));

    // A self-signed end-entity certificate vouches only for itself; anchors are CA certificates, so
    // it can never chain. Said first and explicitly because it is the classic forged-signer case.
    if (leaf.x509.subject === leaf.x509.issuer && leaf.x509.verify(leaf.x509.publicKey)) {
      throw untrusted(`certificate "${subjectOf(leaf)}" is self-signed and is not issued by a trust anchor`);
    }
    assertLeaf(leaf);
    assertCommon(leaf, 'certificate', at);
    assertSignatureAlgorithm(leaf, 'certificate');

    const chain: ParsedCertificate[] = [leaf];
    let current = leaf;
    for (let depth = 0; depth < MAX_PATH; depth++) {
      const casBelow = chain.length - 1; // CA certificates between the next issuer and the leaf
      // Candidate issuers by name only (forge hashes each Name's attributes); the signature then
      // decides. Matching on AKI too would turn "signed by an impostor with the anchor's name" into a
      // vaguer "no path" error.
      const nameMatches = (c: ParsedCertificate): boolean => current.forge.issuer.hash === c.forge.subject.hash;
      let badSignature: ParsedCertificate | undefined;
      const signedBy = (c: ParsedCertificate): boolean => {
        if (!nameMatches(c)) return false;
        if (current.x509.verify(c.x509.publicKey)) return true;
        badSignature = c;
        return false;
      };

      const anchor = [...this.anchors.values()].find(signedBy);
      if (anchor) {
        assertCommon(anchor, 'trust anchor', at);
        assertCa(anchor, 'trust anchor', casBelow);
        chain.push(anchor);
        const d = describeParsed(leaf);
        return { ...d, certificatePem: leaf.pem, chainPem: chain.map((c) => c.pem), anchorSubject: subjectOf(anchor) };
      }
      const next = pool.find((c) => !chain.includes(c) && signedBy(c));
      if (!next) {
        if (badSignature) throw untrusted(`the signature of "${subjectOf(current)}" does not verify with the key of its issuer "${subjectOf(badSignature)}"`);
        throw untrusted(`no path to a trust anchor: issuer "${describeParsed(current).issuer}" of "${subjectOf(current)}" is not a trust anchor${current === leaf ? '' : ' nor a supplied intermediate'}`);
      }
      assertCommon(next, 'intermediate CA', at);
      assertCa(next, 'intermediate CA', casBelow);
      assertSignatureAlgorithm(next, 'intermediate CA');
      chain.push(next);
      current = next;
    }
    throw untrusted(`no path to a trust anchor within ${MAX_PATH} certificates`);
  }
}
