/**
 * The deliveries' rows as the local delivery step reads, locks and writes them (issue 12: only
 * repositories touch SQL; issue 16: the hot path without the unit of work). Plain objects of the
 * Delivery shape: the one writer (writer.ts) changes their state through the graph, and
 * saveDeliveryStates writes what it changed with one statement for the whole batch.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import type { Delivery } from './document.entity.js';

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
 * this order: locks.ts); with `skipLocked`, rows another job holds are left to it.
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

/** The inbox items the recipients already hold for these packages, by "agency package". */
export async function heldItems(em: EntityManager, wanted: ReadonlyArray<{ agencyCode: string; packageId: string }>): Promise<Map<string, { id: string }>> {
  if (wanted.length === 0) return new Map();
  const codes = [...new Set(wanted.map((w) => w.agencyCode))];
  const packages = [...new Set(wanted.map((w) => w.packageId))];
  const rows = await sqlOn(em)<Array<{ id: string; agencyCode: string; packageId: string }>>(
    `select id, agency_code as "agencyCode", package_id as "packageId" from inbox_item
      where agency_code in (${placeholders(codes.length)}) and package_id in (${placeholders(packages.length)})`,
    [...codes, ...packages],
  );
  return new Map(rows.map((i) => [`${i.agencyCode} ${i.packageId}`, { id: i.id }]));
}

/** The 01 of an inbox item that an earlier attempt signed but did not carry to the sender, if any. */
export async function uncarried01(tx: EntityManager, inboxItemId: string): Promise<string | undefined> {
  const rows = await sqlOn(tx)<Array<{ id: string }>>(`select id from status_record where inbox_item_id = ? and code = '01' and not carried limit 1`, [inboxItemId]);
  return rows[0]?.id;
}
