import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../db/tx.js';
import { recordEvent } from './document-events.repository.js';
import { flagDeliveriesWaitingForArrival, flagUnansweredRecallDeliveries, unfinishedWork } from './unfinished-work.repository.js';

export interface StuckWork {
  sign: string[];
  route: string[];
  deliver: string[];
  status: string[];
  update: string[];
}

/**
 * Work that PostgreSQL says is unfinished and older than `graceMs` (so the fast path had its
 * chance). Redis holds nothing that cannot be rebuilt from this: after a flush or a restart the
 * sweep enqueues it again, and deterministic job ids plus idempotent steps make that harmless.
 *
 * A remote delivery the partner has taken (a receipt, or a place in its pull list) is not work: it
 * waits for the recipient's 01, and re-enqueueing it would change nothing — so it is left out,
 * and the oldest `limit` items are always ones a job will move (issue 12: the same 1,000 waiting
 * deliveries re-enqueued every sweep starved the rest). Each batch is taken oldest first by
 * `updated_at`, which every job that moves an item advances, so every item is visited within
 * (items / limit) sweeps.
 */
export async function findStuckWork(em: EntityManager, graceMs: number, limit = 1_000): Promise<StuckWork> {
  return unfinishedWork(em, new Date(Date.now() - graceMs), limit);
}

/**
 * Flags remote deliveries handed over more than `waitingMs` ago whose 01 has not come back: not sent
 * again (the partner has the package), but made visible — `lastError`, a timeline event, and the
 * metric of deliveries waiting too long. Each is flagged once (its lastError is set). Returns their ids.
 */
export async function flagLongWaits(em: EntityManager, waitingMs: number, limit = 1_000): Promise<string[]> {
  const before = new Date(Date.now() - waitingMs);
  const hours = Math.round(waitingMs / 3_600_000);
  const reason = `No arrival (01) from the recipient ${hours >= 1 ? `${hours} h` : `${Math.round(waitingMs / 60_000)} min`} after the hand-over to the partner; the package is not sent again. Ask the partner or retry.`;
  return inTransaction(em, async (tx) => {
    const rows = await flagDeliveriesWaitingForArrival(tx, reason, before, limit);
    for (const r of rows) {
      recordEvent(tx, { documentId: r.document_id, deliveryId: r.id, recipientCode: r.recipient_code, type: 'delivery.waiting-too-long', state: 'sending', details: { waitingMs } });
    }
    return rows.map((r) => r.id);
  });
}

/**
 * Flags recalls nobody has answered (15 or 16) within `waitingMs` of the request: once each, with
 * lastError and a timeline event (`delivery.recall-unanswered`), counted by the metric
 * lienthong_recalls_unanswered. A recipient may hold nothing to answer about — it refused the
 * document while the 13 was on its way, or its system refused the 13 — so the sender's clerk is told
 * to ask, rather than the delivery waiting in silence. The recall stands; an answer that still comes
 * moves the delivery and clears the flag (delivery/writer.ts).
 */
export async function flagUnansweredRecalls(em: EntityManager, waitingMs: number, limit = 1_000): Promise<string[]> {
  const before = new Date(Date.now() - waitingMs);
  const hours = Math.round(waitingMs / 3_600_000);
  const reason =
    `No answer (15 or 16) to the recall ${hours >= 1 ? `${hours} h` : `${Math.round(waitingMs / 60_000)} min`} after it was asked: ` +
    'the recipient may hold no copy to answer about (it refused the document, or its system refused the 13). Ask the recipient; the recall stands.';
  return inTransaction(em, async (tx) => {
    const rows = await flagUnansweredRecallDeliveries(tx, reason, before, limit);
    for (const r of rows) {
      recordEvent(tx, { documentId: r.document_id, deliveryId: r.id, recipientCode: r.recipient_code, type: 'delivery.recall-unanswered', state: 'recall_requested', details: { waitingMs } });
    }
    return rows.map((r) => r.id);
  });
}
