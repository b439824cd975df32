import { randomUUID } from 'node:crypto';
import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { DeliverySchema, DocumentEventSchema, OutgoingDocumentSchema, type Delivery, type DocumentEvent, type OutgoingDocument } from '../delivery/document.entity.js';
import { StatusRecordSchema, type StatusRecord } from '../delivery/inbox.entity.js';

/**
 * The rows documents.service.ts writes and reads for outgoing documents: the document, its
 * deliveries, what its view shows (issue 12: only repositories touch the ORM). Rows made here are
 * managed by the `em` given and written when it flushes (`writePending`) or commits.
 */

/** A new outgoing document, written at the next flush. */
export const newOutgoingDocument = (em: EntityManager, data: RequiredEntityData<OutgoingDocument>): OutgoingDocument => em.create(OutgoingDocumentSchema, data);

/** Writes the rows made so far (before statements that need them, such as the register's). */
export const writePending = (em: EntityManager): Promise<void> => em.flush();

/** A pending delivery of a document to one recipient (remote ones remember their partner). */
export function newDelivery(em: EntityManager, documentId: string, recipient: Agency, packageId: string | null, now: Date, redirectedFrom?: string): Delivery {
  return em.create(DeliverySchema, {
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
    attempts: 0,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  });
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
