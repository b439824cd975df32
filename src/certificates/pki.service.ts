import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { loadOrCreateDevCa } from '../crypto/ca.js';
import { describeCertificate, splitPemCertificates, type CertificateDescription } from '../crypto/certificates.js';
import type { PackageSigner } from '../crypto/signer.js';
import type { Payload } from '../edxml/sign-payloads.js';
import { inlineSigning, type PackageSigning } from '../edxml/sign-pool.js';
import { TrustStore, type ValidatedCertificate } from '../crypto/trust.js';
import type { KeyVault, SealedKeyPair } from '../crypto/vault.js';
import { findAgency } from '../directory/directory.repository.js';
import type { Actor } from '../directory/directory.service.js';
import { createRegistryCertificateCheck, type CertificateCheck, type PackageXmlCheck, type PackageXmlOptions } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { AgencyCertificateSchema, TrustAnchorSchema, type AgencyCertificate, type CertificateOrigin } from './certificate.entity.js';
import {
  activeCertificates,
  findCertificateByFingerprint,
  findNodeCa,
  findTrustAnchor,
  insertNodeCaIfAbsent,
  listTrustAnchors,
  signingCertificate,
  signingCertificates,
} from './certificates.repository.js';

const DAY_MS = 86_400_000;
/** Certificates closer than this to their end are reported as expiring (agency answer, /metrics). */
export const EXPIRY_WARNING_DAYS = 30;
// Trust anchors change rarely; re-reading them at most this often keeps verification cheap while a
// newly added anchor is seen by every process within seconds (nothing lives only in one process).
const TRUST_CACHE_MS = 10_000;

export interface PkiOptions {
  vault: KeyVault;
  logger: Logger;
  trustDir: string;
  /** Development: keep the node CA in this folder too (certs/dev). Undefined in production. */
  devCaDir: string | undefined;
  agencyCertificateDays: number;
  /** Where package signatures are computed (signing threads); in the calling thread by default. */
  signing?: PackageSigning;
}

export interface CertificateView {
  id: string;
  agencyCode: string;
  origin: CertificateOrigin;
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
  /** PEM: the issuer first, up to and including the trust anchor. */
  chainPem: string;
  hasPrivateKey: boolean;
  active: boolean;
}

export interface AnchorView {
  fingerprintSha256: string;
  subject: string;
  certificatePem: string;
  source: 'node-ca' | 'trust-dir' | 'api';
}

/**
 * Certificates and trust: the node CA (shared by all processes through PostgreSQL), agency
 * certificates (issued, uploaded, registered), trust anchors, signers and the verifier's certificate
 * check. Keys stay sealed; only the KeyVault (src/crypto) opens them.
 */
export class PkiService {
  private nodeCaCache: SealedKeyPair | undefined;
  private trustCache: { at: number; store: TrustStore; anchors: AnchorView[] } | undefined;

  private readonly signing: PackageSigning;

  constructor(private readonly options: PkiOptions) {
    this.signing = options.signing ?? inlineSigning();
  }

  /** Signs a package (xmldsig.signPackage's contract) — in the node's signing threads when it has them. */
  signPackage(unsignedXml: string, signer: PackageSigner): Promise<string> {
    return this.signing.sign(unsignedXml, signer);
  }

  /**
   * signPackage for a package whose large files the signer writes into it from their bytes
   * (sign-payloads.ts): the package's bytes. Without payloads, signPackage's text.
   */
  signPackageWithPayloads(unsignedXml: string, payloads: readonly Payload[], signer: PackageSigner): Promise<string | Buffer> {
    return payloads.length ? this.signing.signWithPayloads(unsignedXml, payloads, signer) : this.signing.sign(unsignedXml, signer);
  }

  /** verifyPackage's XML steps (checkPackageXml's contract) — in a memory-capped thread on a server. */
  readonly checkPackageXml = (bytes: Buffer, options: PackageXmlOptions): Promise<PackageXmlCheck> => this.signing.checkPackage(bytes, options);

  /** The node's CA, created on first use (from certs/dev/ in development) and stored once for all. */
  async nodeCa(em: EntityManager): Promise<SealedKeyPair> {
    if (this.nodeCaCache) return this.nodeCaCache;
    let row = await findNodeCa(em);
    if (!row) {
      const created = this.options.devCaDir
        ? this.options.vault.sealCa(await loadOrCreateDevCa(this.options.devCaDir, { commonName: 'lienthong node CA (development)' }))
        : this.options.vault.createCa('lienthong node CA', 3650);
      await insertNodeCaIfAbsent(em, created.certificatePem, created.privateKeyEncrypted);
      row = await findNodeCa(em.fork());
      if (!row) throw new Error('the node CA could not be stored');
      this.options.logger.info({ subject: describeCertificate(row.certificatePem).subject }, 'node CA created');
    }
    const ca = { certificatePem: row.certificatePem, privateKeyEncrypted: row.privateKeyEncrypted };
    this.nodeCaCache = ca;
    return ca;
  }

  /** Anchors from LIENTHONG_TRUST_DIR, the node CA, and those added through the API. */
  async trust(em: EntityManager): Promise<{ store: TrustStore; anchors: AnchorView[] }> {
    const now = Date.now();
    if (this.trustCache && now - this.trustCache.at < TRUST_CACHE_MS) return this.trustCache;
    const anchors: AnchorView[] = [];
    const seen = new Set<string>();
    const add = (pem: string, source: AnchorView['source']) => {
      const d = describeCertificate(pem);
      if (seen.has(d.fingerprintSha256)) return;
      seen.add(d.fingerprintSha256);
      anchors.push({ fingerprintSha256: d.fingerprintSha256, subject: d.subject, certificatePem: pem, source });
    };
    add((await this.nodeCa(em)).certificatePem, 'node-ca');
    if (existsSync(this.options.trustDir)) {
      for (const pem of (await TrustStore.fromDirectory(this.options.trustDir)).anchorsPem()) add(pem, 'trust-dir');
    }
    for (const row of await listTrustAnchors(em)) add(row.certificatePem, 'api');
    const store = TrustStore.fromPems(anchors.map((a) => a.certificatePem));
    this.trustCache = { at: now, store, anchors };
    return this.trustCache;
  }

  /** Adds a CA certificate to the anchors (admin). */
  async addTrustAnchor(em: EntityManager, actor: Actor, certificatePem: string): Promise<AnchorView> {
    const pems = splitPemCertificates(certificatePem);
    if (pems.length !== 1) throw new DomainError('VALIDATION_FAILED', 'certificatePem must hold exactly one PEM certificate.');
    const pem = pems[0]!;
    // TrustStore.add refuses a certificate that is not a CA.
    const d = new TrustStore().add(pem);
    if (d.notAfter.getTime() < Date.now()) throw new DomainError('VALIDATION_FAILED', `The CA certificate expired on ${d.notAfter.toISOString()}.`);
    if (await findTrustAnchor(em, d.fingerprintSha256)) throw new DomainError('CONFLICT', `Trust anchor ${d.fingerprintSha256} is already present.`);
    await em.transactional(async (tx) => {
      tx.create(TrustAnchorSchema, { fingerprintSha256: d.fingerprintSha256, subject: d.subject, certificatePem: pem, createdAt: new Date() });
      recordAudit(tx, {
        actor: actor.principal,
        action: 'trust-anchor.added',
        subjectType: 'trust-anchor',
        subjectId: d.fingerprintSha256,
        details: { subject: d.subject },
        requestId: actor.requestId,
      });
    });
    this.trustCache = undefined;
    return { fingerprintSha256: d.fingerprintSha256, subject: d.subject, certificatePem: pem, source: 'api' };
  }

  /**
   * Adds a certificate to an agency: issued by the node CA (`issue`), uploaded with its key, or
   * registered alone (a remote agency). Every certificate must chain to a trust anchor now and allow
   * digital signatures; otherwise 422 CERTIFICATE_UNTRUSTED. See assertNamesAgency for the agency code.
   */
  async addCertificate(
    em: EntityManager,
    actor: Actor,
    agencyCode: string,
    input:
      | { mode: 'issue' }
      | { mode: 'upload'; certificatePem: string; privateKeyPem: string; chainPem?: string }
      | { mode: 'register'; certificatePem: string; chainPem?: string }
      | { mode: 'pkcs12'; pkcs12: Buffer; password: string },
  ): Promise<CertificateView> {
    const agency = await findAgency(em, agencyCode);
    if (!agency) throw new DomainError('NOT_FOUND', `No agency ${agencyCode}.`);
    const vault = this.options.vault;
    let pair: { certificatePem: string; privateKeyEncrypted: string | null; chain: string[] };
    let origin: CertificateOrigin;
    switch (input.mode) {
      case 'issue': {
        const issued = vault.issueAgencyCertificate(await this.nodeCa(em), {
          agencyCode,
          agencyName: agency.name,
          validityDays: this.options.agencyCertificateDays,
        });
        pair = { ...issued, chain: [] };
        origin = 'issued';
        break;
      }
      case 'upload': {
        const certificatePem = single(input.certificatePem, 'certificatePem');
        pair = {
          certificatePem,
          privateKeyEncrypted: sealOr422(() => vault.sealPrivateKey(certificatePem, input.privateKeyPem)),
          chain: splitPemCertificates(input.chainPem ?? ''),
        };
        origin = 'uploaded';
        break;
      }
      case 'register':
        pair = { certificatePem: single(input.certificatePem, 'certificatePem'), privateKeyEncrypted: null, chain: splitPemCertificates(input.chainPem ?? '') };
        origin = 'registered';
        break;
      case 'pkcs12': {
        const imported = vault.importPkcs12(input.pkcs12, input.password);
        pair = { certificatePem: imported.certificatePem, privateKeyEncrypted: imported.privateKeyEncrypted, chain: imported.chainPem };
        origin = 'uploaded';
        break;
      }
    }

    const { store } = await this.trust(em);
    const validated = store.validate(pair.certificatePem, { at: new Date(), intermediates: pair.chain });
    assertNamesAgency(validated, agencyCode, input.mode === 'register');
    // One certificate, one agency (the fingerprint is unique): a certificate without an agency code
    // is bound by this registration alone, so it must not be registered for a second agency.
    if (await findCertificateByFingerprint(em, validated.fingerprintSha256)) {
      throw new DomainError('CONFLICT', `Certificate ${validated.fingerprintSha256} is already registered.`);
    }
    // The chain above the certificate, its issuer first and the trust anchor last (API.md chainPem);
    // used as intermediates when a package is verified, where the anchor is found as an anchor first.
    const chainPem = validated.chainPem.slice(1).join('');
    const entity = await em.transactional(async (tx) => {
      const created = tx.create(AgencyCertificateSchema, {
        id: randomUUID(),
        agencyCode,
        serialNumber: validated.serialNumber,
        subject: validated.subject,
        issuer: validated.issuer,
        notBefore: validated.notBefore,
        notAfter: validated.notAfter,
        fingerprintSha256: validated.fingerprintSha256,
        certificatePem: validated.certificatePem,
        chainPem,
        privateKeyEncrypted: pair.privateKeyEncrypted,
        origin,
        active: true,
        createdAt: new Date(),
      });
      recordAudit(tx, {
        actor: actor.principal,
        action: `certificate.${origin}`,
        subjectType: 'certificate',
        subjectId: validated.fingerprintSha256,
        agencyCode,
        details: { serialNumber: validated.serialNumber, subject: validated.subject, notAfter: validated.notAfter.toISOString() },
        requestId: actor.requestId,
      });
      return created;
    });
    return certificateView(entity);
  }

  /** The signer for an agency's newest usable key, or 422 when the agency has none. */
  async signerFor(em: EntityManager, agencyCode: string, at = new Date()): Promise<AgencySigner> {
    return this.openSigner(agencyCode, await signingCertificate(em, agencyCode, at));
  }

  /** signerFor for several agencies with one query (a batch of deliveries); 422 if any has no key. */
  async signersFor(em: EntityManager, agencyCodes: readonly string[], at = new Date()): Promise<Map<string, AgencySigner>> {
    const certs = await signingCertificates(em, agencyCodes, at);
    return new Map(agencyCodes.map((code) => [code, this.openSigner(code, certs.get(code) ?? null)]));
  }

  private openSigner(agencyCode: string, cert: AgencyCertificate | null): AgencySigner {
    if (!cert || !cert.privateKeyEncrypted) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Agency ${agencyCode} has no valid certificate with a private key: issue one with POST /v1/agencies/${agencyCode}/certificates.`,
      );
    }
    const signer = this.options.vault.signer(cert.id, { certificatePem: cert.certificatePem, privateKeyEncrypted: cert.privateKeyEncrypted });
    return {
      certificateId: cert.id,
      certificatePem: signer.certificatePem,
      sign: (data) => signer.sign(data),
      ...(signer.signLater ? { signLater: (data: Buffer) => signer.signLater!(data) } : {}),
    };
  }

  /**
   * The verifier's certificate check (DESIGN.md §5 step 3): chain to a trust anchor, valid at the
   * signing time, digitalSignature, the agency code of From/OrganId, and one of the certificates the
   * directory holds for that agency.
   */
  async certificateCheck(em: EntityManager): Promise<CertificateCheck> {
    const { store } = await this.trust(em);
    return async (input) => {
      const registered = await activeCertificates(em, input.agencyCode);
      // Intermediates registered with the agency's certificates may complete its path.
      const intermediates = registered.flatMap((c) => splitPemCertificates(c.chainPem));
      const check = createRegistryCertificateCheck({
        trustStore: store,
        registeredCertificates: async () => registered.map((c) => c.certificatePem),
        intermediates,
      });
      return check(input);
    };
  }

  /**
   * Issues a key pair and certificate from the node CA for one of the node's own identities (the
   * archive signer, say): the identity is a reserved value in the agency-code slot, never an agency
   * code, so an agency key cannot pass for the node. The private key comes back sealed; only the
   * KeyVault opens it (nodeIdentitySigner). The module that owns the identity stores the result.
   */
  async issueNodeIdentity(em: EntityManager, identity: string, name: string): Promise<IssuedNodeIdentity> {
    const ca = await this.nodeCa(em);
    const issued = this.options.vault.issueAgencyCertificate(ca, { agencyCode: identity, agencyName: name, validityDays: this.options.agencyCertificateDays });
    const d = describeCertificate(issued.certificatePem);
    return {
      fingerprintSha256: d.fingerprintSha256,
      certificatePem: issued.certificatePem,
      chainPem: ca.certificatePem,
      privateKeyEncrypted: issued.privateKeyEncrypted,
      notBefore: d.notBefore,
      notAfter: d.notAfter,
    };
  }

  /** A signer over a sealed key pair this node issued (see issueNodeIdentity). */
  nodeIdentitySigner(keyId: string, pair: SealedKeyPair): PackageSigner {
    return this.options.vault.signer(keyId, pair);
  }

  /** Summary of an agency's current certificate (newest active), with expiry warning. */
  async summary(em: EntityManager, agencyCode: string): Promise<CertificateSummary | null> {
    const [current] = await activeCertificates(em, agencyCode);
    return current ? certificateSummary(current) : null;
  }
}

/** An agency's signer and the registry id of its certificate. */
export type AgencySigner = PackageSigner & { certificateId: string };

/** A node identity's certificate and sealed key, as issueNodeIdentity made them. */
export interface IssuedNodeIdentity {
  fingerprintSha256: string;
  certificatePem: string;
  /** The node CA above it. */
  chainPem: string;
  privateKeyEncrypted: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateSummary {
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  expiresInDays: number;
  expiringSoon: boolean;
}

export function certificateSummary(c: Pick<AgencyCertificate, 'serialNumber' | 'subject' | 'issuer' | 'notBefore' | 'notAfter' | 'fingerprintSha256'>): CertificateSummary {
  const expiresInDays = Math.floor((c.notAfter.getTime() - Date.now()) / DAY_MS);
  return {
    serialNumber: c.serialNumber,
    subject: c.subject,
    issuer: c.issuer,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    fingerprintSha256: c.fingerprintSha256,
    expiresInDays,
    expiringSoon: expiresInDays < EXPIRY_WARNING_DAYS,
  };
}

export function certificateView(c: AgencyCertificate): CertificateView {
  return {
    id: c.id,
    agencyCode: c.agencyCode,
    origin: c.origin,
    serialNumber: c.serialNumber,
    subject: c.subject,
    issuer: c.issuer,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    fingerprintSha256: c.fingerprintSha256,
    certificatePem: c.certificatePem,
    chainPem: c.chainPem,
    hasPrivateKey: c.privateKeyEncrypted !== null && c.privateKeyEncrypted !== undefined,
    active: c.active,
  };
}

/**
 * The agency code in the subject (serialNumber, our CA's convention) must be this agency's. A
 * certificate registered alone for a remote agency may carry none: the national CA's certificates
 * for organisations do not follow our convention, and the registration is then the binding
 * (API.md; the online check accepts such a certificate only as that agency's registered one). A key
 * kept here (issued, uploaded) signs for us and is checked offline by others, so it must carry it.
 * A certificate naming another agency's code is never accepted.
 */
function assertNamesAgency(validated: ValidatedCertificate, agencyCode: string, registrationBinds: boolean): void {
  if (validated.agencyCode === agencyCode) return;
  if (validated.agencyCode === null && registrationBinds) return;
  throw new DomainError(
    'CERTIFICATE_UNTRUSTED',
    validated.agencyCode === null
      ? `The certificate carries no agency code in its subject serialNumber; a certificate with a private key must name ${agencyCode} (only a remote agency's certificate registered alone may carry none).`
      : `The certificate names agency ${validated.agencyCode} in its subject serialNumber, not ${agencyCode}.`,
  );
}

function single(pem: string, field: string): string {
  const pems = splitPemCertificates(pem);
  if (pems.length !== 1) {
    throw new DomainError('VALIDATION_FAILED', `${field} must hold exactly one PEM certificate (found ${pems.length}); put intermediates in chainPem.`, {
      errors: [{ path: field, message: 'exactly one PEM certificate' }],
    });
  }
  return pems[0]!;
}

function sealOr422(seal: () => string): string {
  try {
    return seal();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('VALIDATION_FAILED', `privateKeyPem: ${(error as Error).message}`, {
      errors: [{ path: 'privateKeyPem', message: (error as Error).message }],
    });
  }
}

export type { CertificateDescription };
export const devCaFile = (dir: string) => join(dir, 'ca.pem');
