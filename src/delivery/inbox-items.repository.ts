/**
 * The inbox items and their versions as the delivery workflow reads, locks and writes them (issue 12:
 * only repositories touch the ORM). Items are the recipient's side of a delivery; their state changes
 * only through the one writer (writer.ts), and the unit of work writes what it changed at commit.
 */
import { LockMode, type EntityManager, type FilterQuery, type RequiredEntityData } from '@mikro-orm/postgresql';
import { insertRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { InboxItemSchema, InboxVersionSchema, type InboxItem, type InboxVersion } from './inbox.entity.js';

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The item an agency holds for a package, or null (the same package is never delivered twice to one agency). */
export const heldItem = (em: EntityManager, agencyCode: string, packageId: string): Promise<InboxItem | null> =>
  em.findOne(InboxItemSchema, { agencyCode, packageId });

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

/** Adds a new inbox item (its row: arrive.ts inboxItemRow) to the unit of work of `em`. */
export const addInboxItem = (em: EntityManager, row: RequiredEntityData<InboxItem>): InboxItem => em.create(InboxItemSchema, row);

/** Inserts the items of a batch with one statement (no unit-of-work bookkeeping). */
export async function insertInboxItems(tx: Tx, rows: InboxItem[]): Promise<void> {
  if (rows.length) await insertRows(tx, InboxItemSchema, rows);
}

/** Adds a pending version of an item (its row: arrive.ts newInboxVersion) to the unit of work of `em`. */
export const addInboxVersion = (em: EntityManager, row: RequiredEntityData<InboxVersion>): InboxVersion => em.create(InboxVersionSchema, row);

/** An inbox item by id, or null; locked FOR UPDATE with `lock` (after its delivery: see lockDelivery). */
export const inboxItemById = (em: EntityManager, id: string, opts: { lock?: boolean } = {}): Promise<InboxItem | null> =>
  em.findOne(InboxItemSchema, { id }, opts.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});

/** An inbox item by id, locked (the recipient's side of a status 13, after its delivery). */
export const lockInboxItem = (tx: Tx, id: string): Promise<InboxItem | null> => inboxItemById(tx, id, { lock: true });

/** The ids of the deliveries among `deliveryIds` whose recipient on this node holds an item. */
export async function deliveriesWithItems(em: EntityManager, deliveryIds: readonly string[]): Promise<Set<string>> {
  return new Set((await em.find(InboxItemSchema, { deliveryId: { $in: [...deliveryIds] } }, { fields: ['deliveryId'] })).map((i) => i.deliveryId!));
}

/** The item of a local delivery, or null (no lock). */
export const itemOfDelivery = (em: EntityManager, deliveryId: string): Promise<InboxItem | null> => em.findOne(InboxItemSchema, { deliveryId });

/** The item of a local delivery, locked (after the delivery update it belongs to), or null. */
export const lockItemOfDelivery = (tx: Tx, deliveryId: string): Promise<InboxItem | null> =>
  tx.findOne(InboxItemSchema, { deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * The items of one document from one sender that these agencies hold, or that were addressed to these
 * codes (received for a closed agency by its successor, or handed over: issue 19).
 */
const heldFrom = (documentId: string, senderCode: string, holders: readonly string[], addressedTo: readonly string[]): FilterQuery<InboxItem> => ({
  documentId,
  senderCode,
  $or: [{ agencyCode: { $in: [...holders] } }, { addressedTo: { $in: [...addressedTo] } }],
});

/** The items of a document held here (heldFrom); no lock. */
export const itemsOfDocument = (em: EntityManager, documentId: string, senderCode: string, holders: readonly string[], addressedTo: readonly string[]): Promise<InboxItem[]> =>
  em.find(InboxItemSchema, heldFrom(documentId, senderCode, holders, addressedTo));

/** The items of a document held here (heldFrom), locked: a recall package asks each back. */
export const lockItemsOfDocument = (tx: Tx, documentId: string, senderCode: string, holders: readonly string[], addressedTo: readonly string[]): Promise<InboxItem[]> =>
  tx.find(InboxItemSchema, heldFrom(documentId, senderCode, holders, addressedTo), { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * The copy of a document from `senderCode` that a status 13 addressed to `organId` asks back, locked:
 * the item of that agency, or the one received for it or handed over from it (issue 19); the oldest.
 */
export const lockItemAskedBack = (tx: Tx, documentId: string, senderCode: string, organId: string): Promise<InboxItem | null> =>
  tx.findOne(
    InboxItemSchema,
    { documentId, senderCode, $or: [{ agencyCode: organId }, { addressedTo: organId }] },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { receivedAt: 'asc' } },
  );

/** The versions (sender's updates) of an item, in no particular order. */
export const versionsOfItem = (em: EntityManager, itemId: string): Promise<InboxVersion[]> => em.find(InboxVersionSchema, { inboxItemId: itemId });

/** The versions of an item, oldest first. */
export const versionsOfItemByArrival = (em: EntityManager, itemId: string): Promise<InboxVersion[]> =>
  em.find(InboxVersionSchema, { inboxItemId: itemId }, { orderBy: { receivedAt: 'asc' } });

/** The updates of an item still waiting for the clerk's 15/16, newest first, locked (after the item). */
export const lockPendingVersions = (tx: Tx, itemId: string): Promise<InboxVersion[]> =>
  tx.find(InboxVersionSchema, { inboxItemId: itemId, state: 'pending' }, { orderBy: { receivedAt: 'desc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
