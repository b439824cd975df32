import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../db/tx.js';
import { findPartner } from '../directory/directory.repository.js';
import { deliveryById, lockDelivery, partnerOfDelivery } from './deliveries.repository.js';
import { recordEvent } from './document-events.repository.js';
import { documentByIdOrFail } from './outgoing.repository.js';
import { DomainError } from '../errors.js';
import { packageBytes } from '../packages/packages.repository.js';
import { isQueuedForPull, sendToPartner } from '../transport/outbound.js';
import type { PipelineDeps } from './verify-received.js';
import { move } from './writer.js';

/** Records a failed delivery attempt; after the last attempt the delivery is `failed` with the reason. */
export async function recordDeliveryFailure(em: EntityManager, deliveryId: string, error: string, final: boolean): Promise<void> {
  await inTransaction(em, async (tx) => {
    const delivery = await lockDelivery(tx, deliveryId);
    if (!delivery) return;
    // The attempt ended: counted here (its own transaction rolled back), also when a recall crossed
    // it — the 13 waits for the hand-over attempt to end (carryStatusToPartner).
    if (delivery.state === 'recall_requested' && delivery.partnerId) {
      delivery.attempts += 1;
      delivery.lastError = error;
      recordEvent(tx, { documentId: delivery.documentId, deliveryId, recipientCode: delivery.recipientCode, type: 'delivery.retry', state: delivery.state, details: { error } });
      return;
    }
    if (!['pending', 'sending'].includes(delivery.state)) return;
    delivery.attempts += 1;
    delivery.lastError = error;
    const partner = delivery.partnerId ? await findPartner(tx, delivery.partnerId) : null;
    if (final || (partner && delivery.attempts >= partner.maxAttempts)) move(delivery, 'failed');
    final = delivery.state === 'failed';
    recordEvent(tx, {
      documentId: delivery.documentId,
      deliveryId,
      recipientCode: delivery.recipientCode,
      type: final ? 'delivery.failed' : 'delivery.retry',
      state: delivery.state,
      details: { error },
    });
  });
}

/**
 * `deliver` step for a recipient reached through a partner: the destination's package goes to the
 * peer's exchange API, the axis, or the partner's pull list. The delivery stays `sending` until the
 * recipient's signed 01 comes back. The network call is made outside any transaction.
 */
export async function deliverRemote(em: EntityManager, deps: PipelineDeps, deliveryId: string): Promise<void> {
  const delivery = await deliveryById(em.fork(), deliveryId);
  if (!delivery || !['pending', 'sending'].includes(delivery.state) || !delivery.partnerId) return;
  const doc = await documentByIdOrFail(em.fork(), delivery.documentId);
  const packageId = delivery.packageId ?? doc.packageId;
  if (!packageId) return;
  const partner = await findPartner(em.fork(), delivery.partnerId);
  if (!partner) throw new DomainError('NOT_FOUND', `Partner ${delivery.partnerId} of ${delivery.recipientCode} no longer exists.`);
  // Handed over already — the partner gave a receipt, or the package has its place in the pull list:
  // the delivery waits for the recipient's 01. The sweep finds it unfinished; sending again would
  // only count attempts (up to the partner's maxAttempts) and repeat timeline events.
  if (delivery.state === 'sending' && (delivery.remoteReceipt !== null || (partner.mode === 'pull' && (await isQueuedForPull(em.fork(), deliveryId))))) return;
  // The hand-over begins: from now on a recall asks the recipient back (13) rather than cancelling
  // the delivery, since the package may reach the partner whatever happens to this call.
  const started = await inTransaction(em, async (tx) => {
    const row = await lockDelivery(tx, deliveryId);
    if (!row || !['pending', 'sending'].includes(row.state)) return false;
    move(row, 'sending');
    return true;
  });
  if (!started) return;
  const receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
    bytes: await packageBytes(em.fork(), packageId),
    packageId,
    kind: 'edoc',
    senderCode: doc.agencyCode,
    recipientCodes: [delivery.recipientCode],
    deliveryId,
  });
  await inTransaction(em, async (tx) => {
    const row = await lockDelivery(tx, deliveryId);
    if (!row) return;
    // The hand-over is recorded whatever happened meanwhile — the recipient's 01 overtook this answer,
    // or a recall crossed it — so that a 13 knows the partner holds the package.
    row.attempts += 1;
    if (row.state === 'pending') move(row, 'sending');
    row.lastError = null;
    row.remoteReceipt = receipt;
    recordEvent(tx, {
      documentId: row.documentId,
      deliveryId,
      recipientCode: row.recipientCode,
      type: partner.mode === 'pull' ? 'delivery.queued-for-pull' : 'delivery.sent',
      state: row.state,
      details: { partner: partner.id, kind: partner.kind, receipt, attempt: row.attempts },
    });
  });
}

/** Whether a delivery goes to this node's inbox or through a partner. */
export async function isRemoteDelivery(em: EntityManager, deliveryId: string): Promise<boolean> {
  return Boolean(await partnerOfDelivery(em.fork(), deliveryId));
}
