/**
 * The queries of a handover (issue 19): what a closed agency still has open, locked in the order the
 * workflow takes them (documents, then their deliveries, then inbox items: src/delivery/outgoing.repository.ts lockDocumentRow),
 * and the rows that record what moved.
 */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { AgencyHandoverItemSchema, AgencyHandoverSchema, type AgencyHandover, type AgencyHandoverItem } from '../directory/handover.entity.js';
import { UserSchema, type User } from '../directory/user.entity.js';
import { DeliverySchema, OutgoingDocumentSchema, type Delivery, type OutgoingDocument } from '../delivery/document.entity.js';
import { InboxItemSchema, type InboxItem } from '../delivery/inbox.entity.js';
import { followUpCondition } from '../delivery/outgoing.repository.js';
import type { DeliveryState } from '../delivery/states.js';
import { PackageSchema } from '../packages/package.entity.js';
import { ArchiveRecordSchema } from './archive.entity.js';
import type { SealedRef } from './format.js';

/**
 * Work that is over (issue 19): an item or a delivery completed (06), refused (02) or recalled (15).
 * Anything else is open and goes to the successor — a refused recall (16) too: the recipient kept the
 * document and goes on with it.
 */
export const HANDOVER_FINISHED: readonly DeliveryState[] = ['completed', 'refused', 'recalled'];

/** The agency, locked: one handover of it at a time. */
export const lockAgency = (em: EntityManager, code: string): Promise<Agency | null> =>
  em.findOne(AgencySchema, { code }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * The outgoing documents the agency follows up — its own, and those an earlier handover gave it
 * (followUpCondition: a chain of handovers passes them on, each recorded in its own signed statement)
 * — with a delivery still open that no handover from it took yet, locked with their deliveries (by
 * recipient code), oldest first.
 */
export async function openDocumentsOf(em: EntityManager, agencyCode: string): Promise<Array<{ doc: OutgoingDocument; deliveries: Delivery[] }>> {
  const followed = await followUpCondition(em, agencyCode, 'o');
  const docs = await em
    .createQueryBuilder(OutgoingDocumentSchema, 'o')
    .select('*')
    .where(followed.sql, followed.params)
    .andWhere(`exists (select 1 from delivery d where d.document_id = o.id and d.state not in (${HANDOVER_FINISHED.map(() => '?').join(', ')}))`, [...HANDOVER_FINISHED])
    .andWhere(`not exists (select 1 from agency_handover_item h where h.kind = 'document' and h.subject_id = o.id and h.from_code = ?)`, [agencyCode])
    .orderBy({ createdAt: 'asc', id: 'asc' })
    .setLockMode(LockMode.PESSIMISTIC_WRITE)
    .getResultList();
  const out: Array<{ doc: OutgoingDocument; deliveries: Delivery[] }> = [];
  for (const doc of docs) {
    const deliveries = await em.find(DeliverySchema, { documentId: doc.id }, { orderBy: { recipientCode: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
    out.push({ doc, deliveries });
  }
  return out;
}

/**
 * The agency's inbox items not finished, locked, oldest first — but not one an earlier handover left
 * with it because the successor holds the same package (it was said then, and stays so).
 */
export const openItemsOf = (em: EntityManager, agencyCode: string): Promise<InboxItem[]> =>
  em
    .createQueryBuilder(InboxItemSchema, 'i')
    .select('*')
    .where({ agencyCode, state: { $nin: [...HANDOVER_FINISHED] }, withdrawnAt: null })
    .andWhere(`not exists (select 1 from agency_handover_item h where h.kind = 'skipped-item' and h.subject_id = i.id and h.from_code = i.agency_code)`)
    .orderBy({ receivedAt: 'asc', id: 'asc' })
    .setLockMode(LockMode.PESSIMISTIC_WRITE)
    .getResultList();

/** The packages (by id) an agency's inbox holds among these: the successor already has that copy. */
export async function packagesHeldBy(em: EntityManager, agencyCode: string, packageIds: string[]): Promise<Set<string>> {
  if (packageIds.length === 0) return new Set();
  const rows = await em.find(InboxItemSchema, { agencyCode, packageId: { $in: packageIds } }, { fields: ['packageId'] });
  return new Set(rows.map((r) => r.packageId));
}

/** SHA-256 of packages by id. */
export async function packageDigests(em: EntityManager, ids: Array<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
  if (wanted.length === 0) return new Map();
  const rows = await em.find(PackageSchema, { id: { $in: wanted } }, { fields: ['id', 'sha256'] });
  return new Map(rows.map((r) => [r.id, r.sha256]));
}

/** The latest sealed record of each subject (in whichever chain), by subject id. */
export async function latestSealed(em: EntityManager, role: 'sender' | 'recipient', subjectIds: string[]): Promise<Map<string, SealedRef>> {
  if (subjectIds.length === 0) return new Map();
  const rows = await em.find(ArchiveRecordSchema, { role, subjectId: { $in: subjectIds } }, { fields: ['subjectId', 'agencyCode', 'chainIndex', 'hash', 'version'], orderBy: { version: 'asc' } });
  return new Map(rows.map((r) => [r.subjectId, { agency: r.agencyCode, index: r.chainIndex, hash: r.hash }]));
}

export const activeUsersOf = (em: EntityManager, agencyCode: string): Promise<User[]> =>
  em.find(UserSchema, { agencyCode, active: true }, { orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });

/** Handovers from or to an agency, newest first. */
export const handoversOf = (em: EntityManager, code: string): Promise<AgencyHandover[]> =>
  em.find(AgencyHandoverSchema, { $or: [{ fromCode: code }, { toCode: code }] }, { orderBy: { performedAt: 'desc', id: 'desc' } });

export const handoverItems = (em: EntityManager, handoverIds: string[]): Promise<AgencyHandoverItem[]> =>
  handoverIds.length ? em.find(AgencyHandoverItemSchema, { handoverId: { $in: handoverIds } }, { orderBy: { id: 'asc' } }) : Promise.resolve([]);
