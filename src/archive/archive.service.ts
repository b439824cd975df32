/**
 * The rules of the archive's API: who may export what, and the retention and node-key operations.
 * Exports are recorded in the audit trail (subject `archive-record`, so they never count as a change
 * of the document that would call for a new seal).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { describeCertificate } from '../crypto/certificates.js';
import { findAgency } from '../directory/directory.repository.js';
import { findOwnDocument } from '../delivery/outgoing.repository.js';
import { DomainError } from '../errors.js';
import { isAdmin, type Principal } from '../http/context.js';
import { findOwnItem } from '../inbox/inbox.service.js';
import { lastRecordOf, latestCheckpoint, retentionOf, upsertRetention } from './archive.repository.js';
import { canonicalBytes } from './canonical-json.js';
import { buildArchiveFile, buildChainExport, sealedRecord } from './export.js';
import { listNodeKeys } from './node-key.repository.js';
import { rotateNodeKey } from './node-signer.js';

export interface ArchiveDeps {
  pki: PkiService;
  archiveAfterDays: number;
}

type User = Extract<Principal, { kind: 'user' }>;

/** The archive file of one of the caller's agency's outgoing documents (sender side). */
export async function exportDocumentArchive(em: EntityManager, deps: ArchiveDeps, actor: { principal: User; requestId: string }, id: string) {
  const doc = await findOwnDocument(em, actor, id);
  const record = await sealedRecord(em, 'sender', doc.id, deps.archiveAfterDays);
  const file = await buildArchiveFile(em, deps.pki, record);
  await audited(em, actor, record.id, record.agencyCode, { role: 'sender', index: record.chainIndex, documentId: record.documentId });
  return file;
}

/** The archive file of one of the caller's agency's received documents (recipient side). */
export async function exportInboxArchive(em: EntityManager, deps: ArchiveDeps, actor: { principal: User; requestId: string }, id: string) {
  const item = await findOwnItem(em, actor.principal, id);
  const record = await sealedRecord(em, 'recipient', item.id, deps.archiveAfterDays);
  const file = await buildArchiveFile(em, deps.pki, record);
  await audited(em, actor, record.id, record.agencyCode, { role: 'recipient', index: record.chainIndex, documentId: record.documentId });
  return file;
}

/** A range of an agency's chain as canonical JSON bytes (admin, or a user of that agency). */
export async function exportChain(em: EntityManager, deps: ArchiveDeps, actor: { principal: Principal; requestId: string }, agencyCode: string, range: { from?: number; to?: number }) {
  await assertAgencyReader(em, actor.principal, agencyCode);
  const ex = await buildChainExport(em, deps.pki, agencyCode, range);
  recordAudit(em, {
    actor: actor.principal,
    action: 'archive.chain-exported',
    subjectType: 'archive-chain',
    subjectId: agencyCode,
    agencyCode,
    details: { from: ex.from, to: ex.to },
    requestId: actor.requestId,
  });
  await em.flush();
  return { bytes: canonicalBytes(ex), fileName: `chain-${agencyCode}-${ex.from}-${ex.to}.json` };
}

/** The head of an agency's chain and its latest checkpoint. */
export async function chainHead(em: EntityManager, principal: Principal, agencyCode: string) {
  await assertAgencyReader(em, principal, agencyCode);
  const head = await lastRecordOf(em, agencyCode);
  const checkpoint = await latestCheckpoint(em, agencyCode);
  return {
    agency: agencyCode,
    index: head?.chainIndex ?? 0,
    hash: head?.hash ?? null,
    sealedAt: head?.sealedAt.toISOString() ?? null,
    checkpoint: checkpoint ? { index: checkpoint.chainIndex, hash: checkpoint.hash, signedAt: checkpoint.signedAt.toISOString() } : null,
  };
}

export async function getRetention(em: EntityManager, principal: Principal, agencyCode: string) {
  await assertAgencyReader(em, principal, agencyCode);
  return retentionView(agencyCode, await retentionOf(em, agencyCode));
}

/** Sets (or, with null, removes) an agency's retention period. Admin only; audited. */
export async function setRetention(em: EntityManager, actor: { principal: Principal; requestId: string }, agencyCode: string, attachmentsDays: number | null) {
  if (!isAdmin(actor.principal)) throw new DomainError('FORBIDDEN', 'Only an administrator may set retention periods.');
  if (!(await findAgency(em, agencyCode))) throw new DomainError('NOT_FOUND', `No agency ${agencyCode}.`);
  await em.transactional(async (tx) => {
    await upsertRetention(tx, agencyCode, attachmentsDays, `${actor.principal.kind}:${actor.principal.id}`);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'archive.retention-set',
      subjectType: 'agency',
      subjectId: agencyCode,
      agencyCode,
      details: { attachmentsDays },
      requestId: actor.requestId,
    });
  });
  return retentionView(agencyCode, await retentionOf(em.fork(), agencyCode));
}

/** The node's archive signing keys, newest first; `current` is the one that signs now. */
export async function signingKeys(em: EntityManager, principal: Principal) {
  if (!isAdmin(principal)) throw new DomainError('FORBIDDEN', 'Only an administrator may see the node signing keys.');
  const keys = await listNodeKeys(em);
  const now = Date.now();
  const current = keys.find((k) => k.notBefore.getTime() <= now && k.notAfter.getTime() > now);
  return keys.map((k) => keyView(k, k.id === current?.id));
}

/** Issues a new node archive signing key (rotation). Admin only; audited. */
export async function rotateSigningKey(em: EntityManager, pki: PkiService, actor: { principal: Principal; requestId: string }) {
  if (!isAdmin(actor.principal)) throw new DomainError('FORBIDDEN', 'Only an administrator may rotate the node signing key.');
  const key = await rotateNodeKey(em, pki);
  recordAudit(em, {
    actor: actor.principal,
    action: 'archive.signing-key-rotated',
    subjectType: 'archive-signing-key',
    subjectId: key.fingerprintSha256,
    details: { notAfter: key.notAfter.toISOString() },
    requestId: actor.requestId,
  });
  await em.flush();
  return keyView(key, true);
}

function keyView(k: { id: string; fingerprintSha256: string; certificatePem: string; notBefore: Date; notAfter: Date; createdAt: Date }, current: boolean) {
  const d = describeCertificate(k.certificatePem);
  return {
    id: k.id,
    fingerprintSha256: k.fingerprintSha256,
    subject: d.subject,
    issuer: d.issuer,
    notBefore: k.notBefore.toISOString(),
    notAfter: k.notAfter.toISOString(),
    createdAt: k.createdAt.toISOString(),
    current,
    certificatePem: k.certificatePem,
  };
}

function retentionView(agencyCode: string, r: { attachmentsDays: number; updatedAt: Date; updatedBy: string } | null) {
  return { agency: agencyCode, attachmentsDays: r?.attachmentsDays ?? null, updatedAt: r?.updatedAt.toISOString() ?? null, updatedBy: r?.updatedBy ?? null };
}

/** Admins read every chain; users only their own agency's; partners none (403). */
async function assertAgencyReader(em: EntityManager, principal: Principal, agencyCode: string): Promise<void> {
  if (principal.kind === 'partner') throw new DomainError('FORBIDDEN', 'Partner tokens reach only the exchange API.');
  if (!isAdmin(principal) && (principal.kind !== 'user' || principal.agencyCode !== agencyCode)) {
    throw new DomainError('FORBIDDEN', `Only an administrator or a user of ${agencyCode} may read its archive.`);
  }
  if (!(await findAgency(em, agencyCode))) throw new DomainError('NOT_FOUND', `No agency ${agencyCode}.`);
}

async function audited(em: EntityManager, actor: { principal: User; requestId: string }, recordId: string, agencyCode: string, details: Record<string, unknown>): Promise<void> {
  recordAudit(em, { actor: actor.principal, action: 'archive.exported', subjectType: 'archive-record', subjectId: recordId, agencyCode, details, requestId: actor.requestId });
  await em.flush();
}
