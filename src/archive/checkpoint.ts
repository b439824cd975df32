/**
 * Checkpoints: the node signs the head of an agency's chain — agency, index, hash, time — with its
 * archive key. A record covered by a checkpoint cannot be removed, reordered or rewritten without the
 * checkpoint (or the chain leading to it) failing to verify; truncation is bounded by the interval.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PkiService } from '../certificates/pki.service.js';
import { splitPemCertificates } from '../crypto/certificates.js';
import type { ArchiveCheckpoint } from './archive.entity.js';
import { checkpointCovering, insertCheckpoint, lastRecordOf, latestCheckpoint } from './archive.repository.js';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import { nodeSigner } from './node-signer.js';
import { CHECKPOINT_ALGORITHM, CHECKPOINT_FORMAT, type CheckpointPayload, type SignedCheckpoint } from './format.js';

/**
 * Signs the current head of `agencyCode`'s chain unless the latest checkpoint already covers it.
 * Returns the checkpoint covering the head (new or existing), or null for an empty chain.
 */
export async function signCheckpoint(em: EntityManager, pki: PkiService, agencyCode: string): Promise<ArchiveCheckpoint | null> {
  const head = await lastRecordOf(em, agencyCode);
  if (!head) return null;
  const latest = await latestCheckpoint(em, agencyCode);
  if (latest && latest.chainIndex >= head.chainIndex) return latest;
  const signedAt = new Date();
  const payload: CheckpointPayload = { format: CHECKPOINT_FORMAT, agency: agencyCode, index: head.chainIndex, hash: head.hash, signedAt: signedAt.toISOString() };
  const signer = await nodeSigner(em, pki, signedAt);
  const signature = signer.sign(canonicalBytes(payload)).toString('base64');
  await insertCheckpoint(em, {
    agencyCode,
    chainIndex: payload.index,
    hash: payload.hash,
    signedAt,
    payload: canonicalJson(payload),
    signature,
    keyId: signer.keyId,
    certificatePem: signer.certificatePem,
    chainPem: signer.chainPem.join(''),
  });
  // Another process may have signed the same index first; its checkpoint is as good as ours.
  return checkpointCovering(em, agencyCode, payload.index);
}

/**
 * The checkpoint that vouches for record `index` of the chain: the first one at or after it, made
 * now if none exists yet (an export must never wait for the next scheduled checkpoint).
 */
export async function checkpointFor(em: EntityManager, pki: PkiService, agencyCode: string, index: number): Promise<ArchiveCheckpoint> {
  const existing = await checkpointCovering(em, agencyCode, index);
  if (existing) return existing;
  const made = await signCheckpoint(em, pki, agencyCode);
  if (!made || made.chainIndex < index) throw new Error(`no checkpoint could be made for record ${index} of ${agencyCode}`);
  return made;
}

/** A stored checkpoint in the form the archive file and the chain export carry. */
export function signedCheckpoint(row: ArchiveCheckpoint): SignedCheckpoint {
  return {
    payload: JSON.parse(row.payload) as CheckpointPayload,
    algorithm: CHECKPOINT_ALGORITHM,
    signature: row.signature,
    certificatePem: row.certificatePem,
    chainPem: splitPemCertificates(row.chainPem),
  };
}
