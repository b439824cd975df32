import { randomUUID } from 'node:crypto';
import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
import { insertRows } from '../db/rows.js';
import type { Tx } from '../db/tx.js';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { DeliverySchema, DocumentEventSchema, OutgoingDocumentSchema, type Delivery, type DocumentEvent, type OutgoingDocument } from '../delivery/document.entity.js';
import { StatusRecordSchema, type StatusRecord } from '../delivery/inbox.entity.js';

/**
 * The rows documents.service.ts writes and reads for outgoing documents: the document, its
 * deliveries, what its view shows (issue 12: only repositories touch the ORM). A new document and
 * its deliveries are written at once, with bound parameters (src/db/rows.ts), in the caller's
 * transaction.
 */

/** Writes a new outgoing document (one statement); returns its row. */
export async function insertOutgoingDocument(tx: Tx, data: RequiredEntityData<OutgoingDocument>): Promise<OutgoingDocument> {
  await insertRows(tx, OutgoingDocumentSchema, [data]);
  return data as OutgoingDocument;
}

/** Writes a document's new deliveries (deliveryRow) with one statement. */
export const insertDeliveries = (tx: Tx, rows: readonly Delivery[]): Promise<void> => insertRows(tx, DeliverySchema, rows);

/** A pending delivery of a document to one recipient (remote ones remember their partner), to insert. */
export function deliveryRow(documentId: string, recipient: Agency, packageId: string | null, now: Date, redirectedFrom?: string): Delivery {
  return {
    id: randomUUID(),
    documentId,
    recipientCode: recipient.code,
    packageId,
    partnerId: recipient.endpointType === 'remote' ? (recipient.partnerId ?? null) : null,
    recallPackageId: null,
    remoteReceipt: null,
    state: 'pending',
    statusCode: null,
    statusAt: null,
    redirectedFrom: redirectedFrom ?? null,
    arrivalNumber: null,
    attempts: 0,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** What a document's view is made of: its deliveries, their recipients and their statuses (oldest first). */
export async function documentViewRows(em: EntityManager, documentId: string): Promise<{ deliveries: Delivery[]; agencies: Agency[]; statuses: StatusRecord[] }> {
  const deliveries = await em.find(DeliverySchema, { documentId });
  const agencies: Agency[] = deliveries.length ? await em.find(AgencySchema, { code: { $in: deliveries.map((d) => d.recipientCode) } }) : [];
  const statuses = deliveries.length ? await em.find(StatusRecordSchema, { deliveryId: { $in: deliveries.map((d) => d.id) } }, { orderBy: { createdAt: 'asc' } }) : [];
  return { deliveries, agencies, statuses };
}

/** The document's timeline rows, oldest first. */
export const documentEventRows = (em: EntityManager, documentId: string): Promise<DocumentEvent[]> => em.find(DocumentEventSchema, { documentId }, { orderBy: { id: 'asc' } });
