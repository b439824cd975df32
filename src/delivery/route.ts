import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { DeliverySchema, OutgoingDocumentSchema } from './document.entity.js';
import { recordEvent } from './events.js';
import { LOCAL_DELIVERY_BATCH } from './deliver-local.js';

/**
 * `route` step: the document leaves for its recipients. Returns the deliveries still to be made
 * (pending or sending), for the `deliver` jobs, local ones in batches of LOCAL_DELIVERY_BATCH.
 */
export async function routeDocument(em: EntityManager, documentId: string): Promise<Array<{ deliveryId: string; batch?: string[] }>> {
  return em.transactional(async (tx) => {
    const doc = await tx.findOne(OutgoingDocumentSchema, { id: documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!doc || !doc.packageId) return [];
    if (doc.state === 'signed') {
      doc.state = 'sent';
      recordEvent(tx, { documentId, type: 'document.sent', state: 'sent' });
    }
    const open = await tx.find(DeliverySchema, { documentId, state: { $in: ['pending', 'sending'] } }, { orderBy: { id: 'asc' } });
    const jobs: Array<{ deliveryId: string; batch?: string[] }> = open.filter((d) => d.partnerId).map((d) => ({ deliveryId: d.id }));
    const local = open.filter((d) => !d.partnerId).map((d) => d.id);
    for (let i = 0; i < local.length; i += LOCAL_DELIVERY_BATCH) {
      const [head, ...batch] = local.slice(i, i + LOCAL_DELIVERY_BATCH);
      jobs.push(batch.length ? { deliveryId: head!, batch } : { deliveryId: head! });
    }
    return jobs;
  });
}
