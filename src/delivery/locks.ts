import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { DeliverySchema, type Delivery } from './document.entity.js';

/**
 * Row locks on a document and its deliveries, taken in one order by every path that holds both:
 * the document first — FOR NO KEY UPDATE, which does not block the key-share locks PostgreSQL takes
 * for rows that only reference it (a delivery job inserting a timeline event while it holds a
 * delivery) — then its deliveries in id order, the order deliverLocal locks them in. A recall or a
 * seal and a delivery job can then wait for each other, never in a cycle.
 */
export async function lockDocumentRow(em: EntityManager, documentId: string): Promise<void> {
  await em.getConnection().execute('select id from outgoing_document where id = ? for no key update', [documentId], 'all', em.getTransactionContext());
}

/** The deliveries of a document, locked in id order (see lockDocumentRow). */
export function lockDeliveries(em: EntityManager, documentId: string): Promise<Delivery[]> {
  return em.find(DeliverySchema, { documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
}
