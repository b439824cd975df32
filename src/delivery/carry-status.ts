import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../db/tx.js';
import { findPartnerOrFail } from '../directory/directory.repository.js';
import type { Partner } from '../directory/partner.entity.js';
import type { Delivery } from './document.entity.js';
import { recallPackageHandled, recordEvent, writeEvent, type EventInput } from './document-events.repository.js';
import { deliveryById, lockDeliveryOrFail, recipientsOfRecallPackage } from './deliveries.repository.js';
import { answerUpdate } from './update.js';
import { DomainError } from '../errors.js';
import { lockInboxItem } from './inbox-items.repository.js';
import type { StatusRecord } from './inbox.entity.js';
import { earlierUncarriedStatus, hasArrival, lockStatusForCarry, statusPackage, statusRecordById } from './status-records.repository.js';
import { packageBytes } from '../packages/packages.repository.js';
import { TransportError } from '../transport/http-client.js';
import { sendToPartner } from '../transport/outbound.js';
import type { StatusCode, StatusOutcome } from './states.js';
import { verifyReceived, type PipelineDeps } from './verify-received.js';
import { applyStatus, statusEventType } from './writer.js';

/**
 * `status` step: applies a signed status package on the other side. 01–06, 15, 16 move the sender's
 * delivery; 13 (recall asked by the sender) moves the recipient's inbox item. The package is
 * verified again, as if it had just arrived. Idempotent through `carried`.
 */
export async function carryStatus(em: EntityManager, deps: PipelineDeps, statusId: string): Promise<void> {
  const pending = await statusRecordById(em.fork(), statusId);
  if (!pending || pending.carried) return;
  // One signer's statuses about one document reach the other side in the order they were made:
  // jobs run in any order (and a lost one comes back with the sweep), and a 03 carried before the
  // 16 made ahead of it would leave the two sides in different states.
  const earlier = await earlierUncarriedStatus(em.fork(), pending);
  if (earlier) throw new Error(`status ${pending.code} waits for the earlier status ${earlier} of ${pending.fromCode} to be carried first`);
  if (pending.direction === 'out' && pending.partnerId) {
    await carryStatusToPartner(em, deps, pending);
    return;
  }
  await inTransaction(em, async (tx) => {
    const status = await lockStatusForCarry(tx, statusId);
    if (!status || status.carried) return;
    const verified = await verifyReceived(tx, deps, await packageBytes(tx, status.packageId));
    if (verified.model.kind !== 'status' || verified.senderCode !== status.fromCode) {
      throw new DomainError('SIGNATURE_INVALID', `Status package ${status.packageId} does not verify as a status of ${status.fromCode}.`);
    }
    if (!status.deliveryId) throw new Error(`status ${status.id} has neither a local delivery nor a partner`);
    // Locked in the order every path takes: the delivery, then the item (outgoing.repository.ts lockDocumentRow).
    const delivery = await lockDeliveryOrFail(tx, status.deliveryId);
    const code = status.code as StatusCode;
    let outcome: StatusOutcome;
    if (code === '13') {
      // The sender's recall moves the recipient's item; the sender's delivery moved when it asked.
      const item = status.inboxItemId ? await lockInboxItem(tx, status.inboxItemId) : null;
      outcome = item ? applyStatus(item, code, status.createdAt) : { kind: 'refuse', reason: 'status 13: the recipient holds no copy of the document' };
    } else if (await answerUpdate(tx, delivery, code, status.id, status.createdAt)) {
      // A 15/16 answering the sender's update: recorded there; the delivery's state is not its business.
      status.carried = true;
      status.carriedAt = new Date();
      return;
    } else {
      outcome = applyStatus(delivery, code, status.createdAt, status.description);
    }
    status.carried = true;
    status.carriedAt = new Date();
    recordEvent(tx, carriedEvent(delivery, status, verified.sha256, outcome));
  });
}

/**
 * The timeline event of a status applied on the sender's side: `status` when it moved the delivery
 * (or found it there), `status.kept` / `status.refused` with the reason when the graph kept the
 * state (a status crossing a recall) or refused it. Either way the status is recorded and its work
 * is done.
 */
export function carriedEvent(
  delivery: Delivery,
  status: Pick<StatusRecord, 'id' | 'code' | 'fromCode' | 'description'>,
  sha256: string,
  outcome: StatusOutcome,
  extra: Record<string, unknown> = {},
): EventInput {
  return {
    documentId: delivery.documentId,
    deliveryId: delivery.id,
    recipientCode: delivery.recipientCode,
    type: statusEventType(outcome),
    state: delivery.state,
    statusCode: status.code,
    statusId: status.id,
    details: {
      from: status.fromCode,
      description: status.description ?? undefined,
      sha256,
      ...extra,
      ...(outcome.kind === 'keep' || outcome.kind === 'refuse' ? { reason: outcome.reason } : {}),
    },
  };
}

/**
 * Carries a status made here to the remote side through its partner. The network call happens
 * outside any transaction; a crash between the call and the bookkeeping resends the same bytes,
 * which the partner recognises (same SHA-256) and answers with its first receipt.
 */
async function carryStatusToPartner(em: EntityManager, deps: PipelineDeps, status: StatusRecord): Promise<void> {
  const partner = await findPartnerOrFail(em.fork(), status.partnerId!);
  if (status.code === '13') {
    // A recall that crossed the first hand-over of the document waits for that attempt to end, so
    // that the partner never gets the 13 before the document it asks back.
    const asked = status.deliveryId ? await deliveryById(em.fork(), status.deliveryId) : null;
    // Its 01 says the recipient holds the document, whatever the hand-over's bookkeeping says yet.
    const arrived = asked ? await hasArrival(em.fork(), asked.id) : true;
    if (asked && !arrived && partner.mode === 'push' && asked.remoteReceipt === null && asked.attempts === 0) {
      throw new Error(`the recall of ${asked.recipientCode} waits for the document's first hand-over to ${partner.id} to end`);
    }
    await sendRecallPackage(em, deps, partner, status);
  }
  // Who the status is for: a 13 goes from our sender to the recipient of its delivery; the others go
  // from our recipient to the document's sender, the OrganId that opens its DocumentId.
  const delivery = status.code === '13' && status.deliveryId ? await deliveryById(em.fork(), status.deliveryId) : null;
  const pkg = await statusPackage(em.fork(), status.packageId);
  let receipt: string | null = null;
  let refusal: string | undefined;
  try {
    receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
      bytes: await packageBytes(em.fork(), status.packageId),
      packageId: status.packageId,
      kind: 'status',
      senderCode: status.fromCode,
      recipientCodes: [delivery?.recipientCode ?? pkg.documentId.split(',')[0] ?? ''],
      statusId: status.id,
    });
  } catch (error) {
    // The partner refused the status itself (409: its graph refuses it; 404: it has no such
    // document; 403…): sending the same signed bytes again cannot change its answer. The refusal is
    // the end of this status, recorded on the timeline; transport trouble is retried.
    if (!(error instanceof TransportError) || error.retryable) throw error;
    refusal = error.message;
  }
  await inTransaction(em, async (tx) => {
    const row = await lockStatusForCarry(tx, status.id);
    if (!row || row.carried) return;
    row.carried = true;
    row.carriedAt = new Date();
    if (row.deliveryId) {
      const delivery = await deliveryById(tx, row.deliveryId);
      if (delivery) {
        recordEvent(tx, {
          documentId: delivery.documentId,
          deliveryId: delivery.id,
          recipientCode: delivery.recipientCode,
          type: refusal ? 'status.refused-by-partner' : 'status.sent',
          state: delivery.state,
          statusCode: row.code,
          statusId: row.id,
          details: { via: partner.id, ...(refusal ? { error: refusal } : { receipt }) },
        });
      }
    }
  });
}

/**
 * Before a 13 goes to a partner, the recall package (BussinessDocType 1) of that partner's
 * destination goes (API.md: recipients get a recall package and status 13), once per destination:
 * the timeline records it sent (or refused), and the later 13s of the destination skip it (13s
 * carried at the same moment may both send it; the partner keeps one — same SHA-256, same pull-list
 * entry). A partner
 * that refuses the package for good does not hold the 13s back (they ask for the recall on their
 * own); the refusal stays in the timeline. Transport trouble is retried with the 13.
 */
async function sendRecallPackage(em: EntityManager, deps: PipelineDeps, partner: Partner, status: StatusRecord): Promise<void> {
  const delivery = status.deliveryId ? await deliveryById(em.fork(), status.deliveryId) : null;
  const recallPackageId = delivery?.recallPackageId;
  if (!recallPackageId) return; // recalled before recall packages were made per destination
  if (await recallPackageHandled(em.fork(), delivery.documentId, recallPackageId)) return;
  const named = await recipientsOfRecallPackage(em.fork(), recallPackageId);
  const record = (type: string, details: Record<string, unknown>) =>
    writeEvent(em.fork(), { documentId: delivery.documentId, type, details: { packageId: recallPackageId, partner: partner.id, recipients: named, ...details } });
  try {
    const receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
      bytes: await packageBytes(em.fork(), recallPackageId),
      packageId: recallPackageId,
      kind: 'edoc',
      senderCode: status.fromCode,
      recipientCodes: named,
      dedupKey: `recall:${recallPackageId}`,
    });
    await record('recall.package-sent', { receipt });
  } catch (error) {
    if (!(error instanceof TransportError) || error.retryable) throw error;
    await record('recall.package-refused', { error: error.message });
  }
}
