import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
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
