import type { EntityManager } from '@mikro-orm/postgresql';
import { unfinishedDeliveriesOf } from './deliveries.repository.js';
import { markSent } from './outgoing.repository.js';
import { LOCAL_DELIVERY_BATCH } from './deliver-local.js';

/**
 * `route` step: the document leaves for its recipients. Returns the deliveries still to be made
 * (pending or sending), for the `deliver` jobs, local ones in batches of LOCAL_DELIVERY_BATCH.
 *
 * Two statements, no transaction around them: markSent locks the document and moves it to `sent`
 * with its event in one; the deliveries are read after it, so they include whatever another writer
 * (a recall) committed while the lock was awaited. A delivery listed here that a recall closes
 * meanwhile is left alone by its `deliver` job, which takes only open deliveries under their lock.
 */
export async function routeDocument(em: EntityManager, documentId: string): Promise<Array<{ deliveryId: string; batch?: string[] }>> {
  const doc = await markSent(em, documentId);
  if (!doc || !doc.packageId) return [];
  const open = await unfinishedDeliveriesOf(em, documentId);
  const jobs: Array<{ deliveryId: string; batch?: string[] }> = open.filter((d) => d.partnerId).map((d) => ({ deliveryId: d.id }));
  const local = open.filter((d) => !d.partnerId).map((d) => d.id);
  for (let i = 0; i < local.length; i += LOCAL_DELIVERY_BATCH) {
    const [head, ...batch] = local.slice(i, i + LOCAL_DELIVERY_BATCH);
    jobs.push(batch.length ? { deliveryId: head!, batch } : { deliveryId: head! });
  }
  return jobs;
}
