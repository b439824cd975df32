/**
 * The deliveries as the workflow's steps read, lock and write them (issue 12: only repositories touch
 * the ORM and SQL). The one writer (writer.ts) changes their state through the graph; a delivery read
 * through the unit of work is written when its transaction commits. The local delivery step's batch
 * (issue 16: the hot path without the unit of work) reads plain objects of the Delivery shape, and
 * saveDeliveryStates writes what the writer changed with one statement for the whole batch.
 */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { DeliverySchema, type Delivery } from './document.entity.js';

const COLUMNS = `id, document_id as "documentId", recipient_code as "recipientCode", package_id as "packageId",
  recall_package_id as "recallPackageId", partner_id as "partnerId", remote_receipt as "remoteReceipt",
  state::text as state, status_code as "statusCode", status_at as "statusAt", arrival_number as "arrivalNumber",
  redirected_from as "redirectedFrom", attempts, last_error as "lastError", created_at as "createdAt", updated_at as "updatedAt"`;

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The deliveries among `ids` still to be made (pending or sending), in id order; no lock. */
export async function openDeliveries(em: EntityManager, ids: readonly string[]): Promise<Delivery[]> {
  if (ids.length === 0) return [];
  return sqlOn(em)<Delivery[]>(`select ${COLUMNS} from delivery where id in (${placeholders(ids.length)}) and state in ('pending', 'sending') order by id`, ids);
}

/**
 * The same, locked FOR UPDATE in id order (every path that locks several deliveries takes them in
 * this order: outgoing.repository.ts lockDocumentRow); with `skipLocked`, rows another job holds are left to it.
 */
export async function lockOpenDeliveries(tx: EntityManager, ids: readonly string[], opts: { skipLocked?: boolean } = {}): Promise<Delivery[]> {
  if (ids.length === 0) return [];
  return sqlOn(tx)<Delivery[]>(
    `select ${COLUMNS} from delivery where id in (${placeholders(ids.length)}) and state in ('pending', 'sending') order by id for update${opts.skipLocked ? ' skip locked' : ''}`,
    ids,
  );
}

/** Writes the state, status, attempts and last error of these deliveries (as the writer left them) in one statement. */
export async function saveDeliveryStates(tx: EntityManager, deliveries: readonly Delivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const values = deliveries.map(() => '(?::uuid, ?::delivery_state, ?, ?::timestamptz, ?::int, ?::int, ?)').join(', ');
  const params = deliveries.flatMap((d) => [d.id, d.state, d.statusCode ?? null, d.statusAt ? new Date(d.statusAt).toISOString() : null, d.attempts, d.arrivalNumber ?? null, d.lastError ?? null]);
  await sqlOn(tx)(
    `update delivery d set state = v.state, status_code = v.status_code, status_at = v.status_at, attempts = v.attempts,
            arrival_number = v.arrival_number, last_error = v.last_error, updated_at = now()
       from (values ${values}) as v(id, state, status_code, status_at, attempts, arrival_number, last_error)
      where d.id = v.id`,
    params,
  );
}

// ─── one delivery, by id ────────────────────────────────────────────────────────────────────────

/** A delivery by id, or null (no lock). */
export const deliveryById = (em: EntityManager, id: string): Promise<Delivery | null> => em.findOne(DeliverySchema, { id });

/** A delivery by id, or NotFoundError (no lock). */
export const deliveryByIdOrFail = (em: EntityManager, id: string): Promise<Delivery> => em.findOneOrFail(DeliverySchema, { id });

/** A delivery's partner (null for a recipient on this node), or undefined when there is no such delivery. */
export async function partnerOfDelivery(em: EntityManager, id: string): Promise<string | null | undefined> {
  const delivery = await em.findOne(DeliverySchema, { id }, { fields: ['partnerId'] });
  return delivery ? (delivery.partnerId ?? null) : undefined;
}

/**
 * A delivery by id, locked FOR UPDATE, or null. Lock order (every path that holds several rows takes
 * them in one order, so two of them can wait for each other but never in a cycle): the document
 * (lockDocumentRow), then its deliveries in id order (lockDeliveries), then an inbox item.
 */
export const lockDelivery = (tx: Tx, id: string): Promise<Delivery | null> => tx.findOne(DeliverySchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/** lockDelivery, or NotFoundError. */
export const lockDeliveryOrFail = (tx: Tx, id: string): Promise<Delivery> => tx.findOneOrFail(DeliverySchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * A delivery locked again and read afresh from its row (`refresh`: the identity map may hold it from
 * an unlocked read in the same transaction), or NotFoundError.
 */
export const relockDelivery = (tx: Tx, id: string): Promise<Delivery> =>
  tx.findOneOrFail(DeliverySchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });

// ─── the deliveries of a document ───────────────────────────────────────────────────────────────

/** The deliveries of a document, locked in id order (see lockDelivery for the order every path takes). */
export function lockDeliveries(tx: Tx, documentId: string): Promise<Delivery[]> {
  return tx.find(DeliverySchema, { documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
}

/** The delivery of a document to one recipient, locked, or null. */
export const lockDeliveryTo = (tx: Tx, documentId: string, recipientCode: string): Promise<Delivery | null> =>
  tx.findOne(DeliverySchema, { documentId, recipientCode }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/** The deliveries of a document still to be made (pending or sending), in id order; no lock. */
export const unfinishedDeliveriesOf = (em: EntityManager, documentId: string): Promise<Delivery[]> =>
  selectRows(em, DeliverySchema, "document_id = ? and state in ('pending', 'sending') order by id", [documentId]);

/** The deliveries of a document by recipient code; no lock. */
export const deliveriesByRecipient = (em: EntityManager, documentId: string): Promise<Delivery[]> =>
  em.find(DeliverySchema, { documentId }, { orderBy: { recipientCode: 'asc' } });

/** The recipient codes of a document's deliveries, in code order. */
export async function recipientCodesOf(em: EntityManager, documentId: string): Promise<string[]> {
  return (await em.find(DeliverySchema, { documentId }, { fields: ['recipientCode'], orderBy: { recipientCode: 'asc' } })).map((d) => d.recipientCode);
}

/** The recipients a recall package is for (the deliveries that name it), in code order. */
export async function recipientsOfRecallPackage(em: EntityManager, recallPackageId: string): Promise<string[]> {
  return (await em.find(DeliverySchema, { recallPackageId }, { fields: ['recipientCode'], orderBy: { recipientCode: 'asc' } })).map((d) => d.recipientCode);
}
