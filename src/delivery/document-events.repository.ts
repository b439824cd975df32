/**
 * The timeline of outgoing documents (document_event) as the workflow writes and reads it (issue 12:
 * only repositories touch the ORM). An event is added to the unit of work of the transaction that
 * makes the change it records, so the two are committed together.
 */
import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
import { insertRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { DocumentEventSchema, type DocumentEvent } from './document.entity.js';

export interface EventInput {
  documentId: string;
  type: string;
  deliveryId?: string | null;
  recipientCode?: string | null;
  state?: string | null;
  statusCode?: string | null;
  statusId?: string | null;
  details?: Record<string, unknown>;
}

/** Adds a timeline event to the unit of work of `em` (flushed with the change it records). */
export function recordEvent(em: EntityManager, e: EventInput): void {
  em.create(DocumentEventSchema, eventRow(e));
}

/** Writes a timeline event at once, on its own (a fresh `em`, outside any transaction): an event about no change of ours. */
export async function writeEvent(em: EntityManager, e: EventInput): Promise<void> {
  recordEvent(em, e);
  await em.flush();
}

/** Inserts the timeline events of a batch with one statement (no unit-of-work bookkeeping). */
export async function insertEvents(tx: Tx, events: readonly EventInput[]): Promise<void> {
  if (events.length) await insertRows(tx, DocumentEventSchema, events.map(eventRow));
}

/** Whether the recall package `packageId` of a document went to its partner, or was refused for good. */
export async function recallPackageHandled(em: EntityManager, documentId: string, packageId: string): Promise<boolean> {
  const done = await sqlOn(em)<Array<{ n: number }>>(
    `select count(*)::int as n from document_event where document_id = ? and type in ('recall.package-sent', 'recall.package-refused') and details->>'packageId' = ?`,
    [documentId, packageId],
  );
  return (done[0]?.n ?? 0) > 0;
}

/** Whether an update went out to a delivery's recipient (its `update.sent` event: sendUpdate). */
export async function updateWentOut(tx: Tx, deliveryId: string, updateId: string): Promise<boolean> {
  return (await tx.count(DocumentEventSchema, { deliveryId, type: 'update.sent', details: { updateId } })) > 0;
}

/** The row of a timeline event (recordEvent; a batch inserts many at once). */
export function eventRow(e: EventInput): RequiredEntityData<DocumentEvent> {
  return {
    documentId: e.documentId,
    type: e.type,
    deliveryId: e.deliveryId ?? null,
    recipientCode: e.recipientCode ?? null,
    state: e.state ?? null,
    statusCode: e.statusCode ?? null,
    statusId: e.statusId ?? null,
    details: e.details ?? null,
    at: new Date(),
  };
}
