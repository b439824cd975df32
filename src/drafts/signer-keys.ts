import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import type { KeyVault, SealedKeyPair } from '../crypto/vault.js';
import { findAgency, findUser } from '../directory/directory.repository.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { SignerKeySchema, type SignerKey, type SignerKeyOrigin } from './draft.entity.js';
import { activeSignerKey, findSignerKeyByFingerprint, retireSignerKeys } from './drafts.repository.js';

/**
 * The leaders' signing keys the node keeps for remote signing (issue 17): issued by the node CA as
 * personal certificates (CN the person's name, no agency code: never usable as the agency's seal),
 * or imported from the leader's PKCS#12. Sealed with the master key like agency keys; only the
 * KeyVault opens them, and nothing but the certificate is ever answered.
 */

export type SigningKeyInput = { fullName?: string } | { pkcs12: string; password: string };

export interface SigningKeyView {
  userId: string;
  agencyCode: string;
  origin: SignerKeyOrigin;
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
  createdAt: string;
}

export const signingKeyView = (k: SignerKey): SigningKeyView => ({
  userId: k.userId,
  agencyCode: k.agencyCode,
  origin: k.origin,
  serialNumber: k.serialNumber,
  subject: k.subject,
  issuer: k.issuer,
  notBefore: k.notBefore.toISOString(),
  notAfter: k.notAfter.toISOString(),
  fingerprintSha256: k.fingerprintSha256,
  certificatePem: k.certificatePem,
  createdAt: k.createdAt.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function signerUser(em: EntityManager, userId: string) {
  const user = UUID.test(userId) ? await findUser(em, userId) : null;
  if (!user) throw new DomainError('NOT_FOUND', `No user ${userId}.`, { vi: `Không có người dùng ${userId}.` });
  return user;
}

/**
 * Gives a leader a signing key kept by the node (admin): a new one retires the old. 422 for a user
 * who is not a signer, or a certificate that is not personal, not trusted or not for signing.
 */
export async function setSigningKey(
  em: EntityManager,
  deps: { pki: PkiService; vault: KeyVault; validityDays: number },
  actor: { principal: Principal; requestId: string },
  userId: string,
  input: SigningKeyInput,
  now = new Date(),
): Promise<SigningKeyView> {
  const user = await signerUser(em, userId);
  if (!user.active || !user.roles.includes('signer')) {
    throw new DomainError('VALIDATION_FAILED', `User ${userId} is not an active signer (lãnh đạo): only a signer approves drafts.`, {
      vi: `Người dùng ${userId} không phải lãnh đạo (vai trò signer) đang hoạt động: chỉ lãnh đạo mới phê duyệt, ký dự thảo.`,
    });
  }
  const agency = await findAgency(em, user.agencyCode);
  let pair: SealedKeyPair;
  let intermediates: string[];
  let origin: SignerKeyOrigin;
  if ('pkcs12' in input) {
    const file = Buffer.from(input.pkcs12, 'base64');
    const imported = deps.vault.importPkcs12(file, input.password);
    pair = imported;
    intermediates = imported.chainPem;
    origin = 'imported';
  } else {
    const ca = await deps.pki.nodeCa(em);
    pair = deps.vault.issuePersonalCertificate(ca, { fullName: input.fullName ?? user.name, organisation: agency?.name, validityDays: deps.validityDays });
    intermediates = [];
    origin = 'issued';
  }
  const { store } = await deps.pki.trust(em);
  // Chains to a trust anchor now, an end-entity RSA certificate for signing (CERTIFICATE_UNTRUSTED otherwise).
  const validated = store.validate(pair.certificatePem, { at: now, intermediates });
  if (validated.agencyCode !== null) {
    throw new DomainError('CERTIFICATE_UNTRUSTED', `The certificate is agency ${validated.agencyCode}'s: a leader signs with a personal certificate.`, {
      vi: `Chứng thư số này là của cơ quan ${validated.agencyCode}: lãnh đạo phải ký bằng chứng thư số cá nhân.`,
    });
  }
  if (await findSignerKeyByFingerprint(em, validated.fingerprintSha256)) {
    throw new DomainError('CONFLICT', `Certificate ${validated.fingerprintSha256} is already kept for a leader.`, { vi: `Chứng thư số ${validated.fingerprintSha256} đã được lưu cho một lãnh đạo.` });
  }
  return em.transactional(async (tx) => {
    await retireSignerKeys(tx, user.id);
    const key = tx.create(SignerKeySchema, {
      id: randomUUID(),
      userId: user.id,
      agencyCode: user.agencyCode,
      origin,
      serialNumber: validated.serialNumber,
      subject: validated.subject,
      issuer: validated.issuer,
      notBefore: validated.notBefore,
      notAfter: validated.notAfter,
      fingerprintSha256: validated.fingerprintSha256,
      certificatePem: validated.certificatePem,
      // Above the certificate, its issuer first: carried in each signature so verifiers build the path.
      chainPem: validated.chainPem.slice(1).join(''),
      privateKeyEncrypted: pair.privateKeyEncrypted,
      active: true,
      createdAt: now,
    });
    recordAudit(tx, {
      actor: actor.principal,
      action: `signer-key.${origin}`,
      subjectType: 'user',
      subjectId: user.id,
      agencyCode: user.agencyCode,
      details: { fingerprintSha256: validated.fingerprintSha256, subject: validated.subject, notAfter: validated.notAfter.toISOString() },
      requestId: actor.requestId,
    });
    await tx.flush();
    return signingKeyView(key);
  });
}

/** The leader's current key (its certificate), or 404. */
export async function getSigningKey(em: EntityManager, userId: string): Promise<SigningKeyView> {
  const user = await signerUser(em, userId);
  const key = await activeSignerKey(em, user.id);
  if (!key) throw new DomainError('NOT_FOUND', `User ${userId} has no signing key kept on this node.`, { vi: 'Lãnh đạo này chưa có khóa ký số lưu trên hệ thống.' });
  return signingKeyView(key);
}
