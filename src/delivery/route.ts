import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../db/tx.js';
import { unfinishedDeliveriesOf } from './deliveries.repository.js';
import { insertEvents } from './document-events.repository.js';
import { lockDocumentState, moveDocumentState } from './outgoing.repository.js';
import { LOCAL_DELIVERY_BATCH } from './deliver-local.js';

/**
 * `route` step: the document leaves for its recipients. Returns the deliveries still to be made
 * (pending or sending), for the `deliver` jobs, local ones in batches of LOCAL_DELIVERY_BATCH.
 */
export async function routeDocument(em: EntityManager, documentId: string): Promise<Array<{ deliveryId: string; batch?: string[] }>> {
  return inTransaction(em, async (tx) => {
    const doc = await lockDocumentState(tx, documentId);
    if (!doc || !doc.packageId) return [];
    if (doc.state === 'signed') {
      await moveDocumentState(tx, documentId, 'signed', 'sent');
      await insertEvents(tx, [{ documentId, type: 'document.sent', state: 'sent' }]);
    }
    const open = await unfinishedDeliveriesOf(tx, documentId);
    const jobs: Array<{ deliveryId: string; batch?: string[] }> = open.filter((d) => d.partnerId).map((d) => ({ deliveryId: d.id }));
    const local = open.filter((d) => !d.partnerId).map((d) => d.id);
    for (let i = 0; i < local.length; i += LOCAL_DELIVERY_BATCH) {
      const [head, ...batch] = local.slice(i, i + LOCAL_DELIVERY_BATCH);
      jobs.push(batch.length ? { deliveryId: head!, batch } : { deliveryId: head! });
    }
    return jobs;
  });
}
