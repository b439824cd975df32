/**
 * The status records (01–06, 13, 15, 16 made here or received) as the workflow reads, locks and
 * writes them (issue 12: only repositories touch the ORM). `carried` makes carrying a status
 * idempotent: the `status` job locks the record, and a carried one is done.
 */
import { LockMode, type EntityManager, type RequiredEntityData } from '@mikro-orm/postgresql';
import { insertRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { PackageSchema, type Package } from '../packages/package.entity.js';
import type { PackageRow } from '../packages/packages.repository.js';
import { StatusRecordSchema, type StatusRecord } from './inbox.entity.js';

/** A status record by id, or null (no lock). */
export const statusRecordById = (em: EntityManager, id: string): Promise<StatusRecord | null> => em.findOne(StatusRecordSchema, { id });

/** A status record by id, locked FOR UPDATE before it is carried (the `status` job), or null. */
export const lockStatusForCarry = (tx: Tx, id: string): Promise<StatusRecord | null> =>
  tx.findOne(StatusRecordSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * The code of an earlier status of the same signer about the same item or delivery that is not
 * carried yet, or null (statuses reach the other side in the order they were made).
 */
export async function earlierUncarriedStatus(em: EntityManager, status: StatusRecord): Promise<string | null> {
  if (!status.inboxItemId && !status.deliveryId) return null;
  const rows = await sqlOn(em)<Array<{ code: string }>>(
    `select code from status_record
      where from_code = ? and carried = false and direction = 'out' and id <> ? and created_at < ?
        and (inbox_item_id = ? or delivery_id = ?)
      order by created_at limit 1`,
    [status.fromCode, status.id, status.createdAt, status.inboxItemId ?? null, status.deliveryId ?? null],
  );
  return rows[0]?.code ?? null;
}

/** Whether the recipient's 01 for a delivery is recorded (it holds the document). */
export async function hasArrival(em: EntityManager, deliveryId: string): Promise<boolean> {
  return (await em.count(StatusRecordSchema, { deliveryId, code: '01' })) > 0;
}

/** The 01 of an inbox item that an earlier attempt signed but did not carry to the sender, if any. */
export async function uncarried01(tx: Tx, inboxItemId: string): Promise<string | undefined> {
  const rows = await sqlOn(tx)<Array<{ id: string }>>(`select id from status_record where inbox_item_id = ? and code = '01' and not carried limit 1`, [inboxItemId]);
  return rows[0]?.id;
}

/** Adds a status record (its row: statuses.ts statusRecordRow, or a received one's) to the unit of work of `em`. */
export const addStatusRecord = (em: EntityManager, row: RequiredEntityData<StatusRecord>): StatusRecord => em.create(StatusRecordSchema, row);

/** Inserts the status records of a batch with one statement (no unit-of-work bookkeeping). */
export async function insertStatusRecords(tx: Tx, rows: StatusRecord[]): Promise<void> {
  if (rows.length) await insertRows(tx, StatusRecordSchema, rows);
}

/** Inserts the signed packages of a batch of statuses (signedPackageRow) with one statement. */
export async function insertStatusPackages(tx: Tx, rows: PackageRow[]): Promise<void> {
  if (rows.length) await insertRows(tx, PackageSchema, rows);
}

/** The statuses recorded about an inbox item, oldest first. */
export const statusesOfItem = (em: EntityManager, inboxItemId: string): Promise<StatusRecord[]> =>
  em.find(StatusRecordSchema, { inboxItemId }, { orderBy: { createdAt: 'asc' } });

/** The stored package of a status record, or NotFoundError (its metadata; the bytes stay lazy). */
export const statusPackage = (em: EntityManager, packageId: string): Promise<Package> => em.findOneOrFail(PackageSchema, { id: packageId });
