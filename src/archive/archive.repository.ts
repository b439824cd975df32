/**
 * Every database access of the archive (STYLE.md: only repositories touch the ORM). Reads of other
 * modules' tables that the seal needs are here too, as plain queries that never load package bytes
 * unless asked.
 */
import { randomUUID } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { AuditEventSchema, type AuditEvent } from '../audit/audit-event.entity.js';
import {
  DeliveryUpdateSchema,
  DocumentAttachmentSchema,
  DocumentEventSchema,
  DocumentUpdateSchema,
  OutgoingDocumentSchema,
  type Delivery,
  type DeliveryUpdate,
  type DocumentEvent,
  type DocumentUpdate,
  type OutgoingDocument,
} from '../delivery/document.entity.js';
import { FINAL_STATES } from '../delivery/states.js';
import { InboxItemSchema, InboxVersionSchema, StatusRecordSchema, type InboxItem, type InboxVersion, type StatusRecord } from '../delivery/inbox.entity.js';
import { PackageSchema, type Package } from '../packages/package.entity.js';
import {
  ArchiveCertificateSchema,
  ArchiveCheckpointSchema,
  ArchivePurgeSchema,
  ArchiveRecordSchema,
  ArchiveRetentionSchema,
  type ArchiveCheckpoint,
  type ArchivePurge,
  type ArchiveRecord,
  type ArchiveRetention,
} from './archive.entity.js';
import { GENESIS_HASH, type ArchiveRole } from './format.js';
import { lockDeliveries } from '../delivery/deliveries.repository.js';
import { lockDocumentRow } from '../delivery/outgoing.repository.js';

const FINAL_SQL = FINAL_STATES.map((s) => `'${s}'`).join(', ');

/** Raw SQL on the transaction's own connection (a second pooled connection could deadlock the pool). */
function sql<T extends Array<Record<string, unknown>> = Array<Record<string, unknown>>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T> {
  return sqlOn(em)<T>(query, params);
}

// ─── what the seal reads ────────────────────────────────────────────────────────────────────────

/**
 * An outgoing document and its deliveries, locked: the pipeline steps that move a delivery lock it
 * too, so the record is one consistent picture (document first, deliveries by recipient code — the
 * order a recall takes them in, so the two cannot deadlock).
 */
export async function lockDocumentForSeal(em: EntityManager, id: string): Promise<{ doc: OutgoingDocument; deliveries: Delivery[] } | null> {
  await lockDocumentRow(em, id);
  const doc = await em.findOne(OutgoingDocumentSchema, { id });
  if (!doc) return null;
  const deliveries = (await lockDeliveries(em, id)).sort((a, b) => (a.recipientCode < b.recipientCode ? -1 : a.recipientCode > b.recipientCode ? 1 : 0));
  return { doc, deliveries };
}

/** An inbox item, locked (status reports and recalls lock it as well). */
export const lockInboxItemForSeal = (em: EntityManager, id: string): Promise<InboxItem | null> =>
  em.findOne(InboxItemSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

export async function documentAttachments(em: EntityManager, documentId: string) {
  const rows = await em.find(DocumentAttachmentSchema, { documentId }, { orderBy: { index: 'asc' } });
  // With the PDF signatures as verified when it was sent (issue 17): sealed as evidence with the rest.
  return rows.map((a) => ({ index: a.index, name: a.name, contentType: a.contentType, size: a.size, sha256: a.sha256, ...(a.pdfSignatures ? { pdfSignatures: a.pdfSignatures } : {}) }));
}

export const statusesOfDeliveries = (em: EntityManager, deliveryIds: string[]): Promise<StatusRecord[]> =>
  deliveryIds.length ? em.find(StatusRecordSchema, { deliveryId: { $in: deliveryIds } }, { orderBy: { createdAt: 'asc', id: 'asc' } }) : Promise.resolve([]);

export const statusesOfItem = (em: EntityManager, itemId: string): Promise<StatusRecord[]> =>
  em.find(StatusRecordSchema, { inboxItemId: itemId }, { orderBy: { createdAt: 'asc', id: 'asc' } });

/**
 * The updates of an outgoing document (BussinessDocType 2), oldest first, and what each recipient's
 * update became (its package, its answer) — the versions the sender's record seals.
 */
export async function updatesOfDocument(em: EntityManager, documentId: string, deliveryIds: string[]): Promise<{ updates: DocumentUpdate[]; perDelivery: DeliveryUpdate[] }> {
  const updates = await em.find(DocumentUpdateSchema, { documentId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const perDelivery = updates.length && deliveryIds.length ? await em.find(DeliveryUpdateSchema, { deliveryId: { $in: deliveryIds } }, { orderBy: { createdAt: 'asc', id: 'asc' } }) : [];
  return { updates, perDelivery };
}

/** The sender's updates an inbox item received (its versions after the first), as stored. */
export const versionsOfItem = (em: EntityManager, itemId: string): Promise<InboxVersion[]> => em.find(InboxVersionSchema, { inboxItemId: itemId });

export const documentEvents = (em: EntityManager, documentId: string): Promise<DocumentEvent[]> =>
  em.find(DocumentEventSchema, { documentId }, { orderBy: { id: 'asc' } });

export const deliveryEvents = (em: EntityManager, deliveryId: string): Promise<DocumentEvent[]> =>
  em.find(DocumentEventSchema, { deliveryId }, { orderBy: { id: 'asc' } });

export const auditOf = (em: EntityManager, subjectType: string, subjectId: string): Promise<AuditEvent[]> =>
  em.find(AuditEventSchema, { subjectType, subjectId }, { orderBy: { id: 'asc' } });

/** Package rows (without their bytes). */
export const packagesById = (em: EntityManager, ids: string[]): Promise<Package[]> =>
  ids.length ? em.find(PackageSchema, { id: { $in: ids } }) : Promise.resolve([]);

/** The bytes of a package by its digest, or null when no such package is stored. */
export async function packageBySha(em: EntityManager, sha256: string): Promise<{ id: string; bytes: Buffer } | null> {
  const rows = await sql<Array<{ id: string; bytes: Buffer }>>(em, 'select id, bytes from edxml_package where sha256 = ?', [sha256]);
  return rows[0] ?? null;
}

// ─── the chain ─────────────────────────────────────────────────────────────────────────────────

/**
 * Locks the agency's chain head (creating it at the genesis on the first seal) and returns it.
 * Every append holds this row lock until it commits, so indexes are taken one at a time.
 */
export async function lockChainHead(em: EntityManager, agencyCode: string): Promise<{ lastIndex: number; lastHash: string }> {
  await sql(em, `insert into archive_chain_head (agency_code, last_index, last_hash, updated_at) values (?, 0, ?, now()) on conflict (agency_code) do nothing`, [
    agencyCode,
    GENESIS_HASH,
  ]);
  const rows = await sql<Array<{ last_index: number; last_hash: string }>>(em, 'select last_index, last_hash from archive_chain_head where agency_code = ? for update', [agencyCode]);
  const row = rows[0];
  if (!row) throw new Error(`the chain head of ${agencyCode} could not be created`);
  return { lastIndex: Number(row.last_index), lastHash: row.last_hash };
}

export async function advanceChainHead(em: EntityManager, agencyCode: string, index: number, hash: string): Promise<void> {
  await sql(em, 'update archive_chain_head set last_index = ?, last_hash = ?, updated_at = now() where agency_code = ?', [index, hash, agencyCode]);
}

/** The newest sealed version of a subject, or null. */
export const latestRecord = (em: EntityManager, role: ArchiveRole, subjectId: string): Promise<ArchiveRecord | null> =>
  em.findOne(ArchiveRecordSchema, { role, subjectId }, { orderBy: { version: 'desc' } });

export function insertRecord(em: EntityManager, row: Omit<ArchiveRecord, 'id'>): ArchiveRecord {
  return em.create(ArchiveRecordSchema, { id: randomUUID(), ...row });
}

/** Stores certificate PEMs the records name (a certificate already kept is left alone). */
export async function keepCertificates(em: EntityManager, certificates: Map<string, string>): Promise<void> {
  for (const [fingerprint, pem] of certificates) {
    await sql(em, 'insert into archive_certificate (fingerprint_sha256, certificate_pem, created_at) values (?, ?, now()) on conflict (fingerprint_sha256) do nothing', [fingerprint, pem]);
  }
}

export async function certificatesByFingerprint(em: EntityManager, fingerprints: string[]): Promise<Map<string, string>> {
  const rows = fingerprints.length ? await em.find(ArchiveCertificateSchema, { fingerprintSha256: { $in: fingerprints } }) : [];
  return new Map(rows.map((r) => [r.fingerprintSha256, r.certificatePem]));
}

/** The newest record of an agency's chain (its real head: the head row is only the lock). */
export const lastRecordOf = (em: EntityManager, agencyCode: string): Promise<ArchiveRecord | null> =>
  em.findOne(ArchiveRecordSchema, { agencyCode }, { orderBy: { chainIndex: 'desc' } });

/** Records of an agency's chain with index in [from, to], ascending. */
export const recordsBetween = (em: EntityManager, agencyCode: string, from: number, to: number): Promise<ArchiveRecord[]> =>
  em.find(ArchiveRecordSchema, { agencyCode, chainIndex: { $gte: from, $lte: to } }, { orderBy: { chainIndex: 'asc' } });

/** Only the entries (not the contents) of [from, to]. */
export async function entriesBetween(em: EntityManager, agencyCode: string, from: number, to: number): Promise<string[]> {
  if (to < from) return [];
  const rows = await em.find(ArchiveRecordSchema, { agencyCode, chainIndex: { $gte: from, $lte: to } }, { fields: ['entry', 'chainIndex'], orderBy: { chainIndex: 'asc' } });
  return rows.map((r) => r.entry);
}

// ─── checkpoints and node keys ────────────────────────────────────────────────────────────────

/** The first checkpoint at or after `index`: the one that vouches for the record at `index`. */
export const checkpointCovering = (em: EntityManager, agencyCode: string, index: number): Promise<ArchiveCheckpoint | null> =>
  em.findOne(ArchiveCheckpointSchema, { agencyCode, chainIndex: { $gte: index } }, { orderBy: { chainIndex: 'asc' } });

export const checkpointsBetween = (em: EntityManager, agencyCode: string, from: number, to: number): Promise<ArchiveCheckpoint[]> =>
  em.find(ArchiveCheckpointSchema, { agencyCode, chainIndex: { $gte: from, $lte: to } }, { orderBy: { chainIndex: 'asc' } });

export const latestCheckpoint = (em: EntityManager, agencyCode: string): Promise<ArchiveCheckpoint | null> =>
  em.findOne(ArchiveCheckpointSchema, { agencyCode }, { orderBy: { chainIndex: 'desc' } });

/** Stores a checkpoint unless one for this index exists (two signers racing: the first one stays). */
export async function insertCheckpoint(em: EntityManager, row: Omit<ArchiveCheckpoint, 'id'>): Promise<void> {
  await sql(
    em,
    `insert into archive_checkpoint (id, agency_code, chain_index, hash, signed_at, payload, signature, key_id, certificate_pem, chain_pem)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (agency_code, chain_index) do nothing`,
    [randomUUID(), row.agencyCode, row.chainIndex, row.hash, row.signedAt, row.payload, row.signature, row.keyId, row.certificatePem, row.chainPem],
  );
}

/** Agencies whose chain grew past their last checkpoint, and whose last checkpoint is older than `everyMs`. */
export async function agenciesDueForCheckpoint(em: EntityManager, everyMs: number, limit = 500): Promise<string[]> {
  const rows = await sql<Array<{ agency_code: string }>>(
    em,
    `select h.agency_code from archive_chain_head h
     left join lateral (select max(c.chain_index) as idx, max(c.signed_at) as at from archive_checkpoint c where c.agency_code = h.agency_code) c on true
     where h.last_index > coalesce(c.idx, 0) and (c.at is null or c.at < ?)
     order by h.agency_code limit ?`,
    [new Date(Date.now() - everyMs), limit],
  );
  return rows.map((r) => r.agency_code);
}

// ─── what the sweep looks for ─────────────────────────────────────────────────────────────────

/**
 * Outgoing documents to seal: every delivery final, or created before `cutoff`, and not sealed since
 * their last change. `marginMs` absorbs clock differences between processes: a subject changed close
 * to its seal is looked at again, and the seal job makes no new version when nothing changed.
 */
export async function documentsToSeal(em: EntityManager, cutoff: Date, marginMs: number, limit = 200): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>(
    em,
    // An update's answer (15/16) moves no delivery: its row's time counts as a change too.
    `select o.id from outgoing_document o
     join (select d.document_id, bool_and(d.state in (${FINAL_SQL})) as all_final, max(d.updated_at) as changed_at
           from delivery d group by d.document_id) d on d.document_id = o.id
     left join lateral (select max(r.sealed_at) as sealed_at from archive_record r where r.subject_id = o.id and r.role = 'sender') r on true
     left join lateral (select max(u.updated_at) as changed_at from delivery_update u join delivery x on x.id = u.delivery_id where x.document_id = o.id) u on true
     where o.state <> 'queued'
       and (d.all_final or o.created_at < ?)
       and (r.sealed_at is null or greatest(d.changed_at, o.updated_at, u.changed_at) > r.sealed_at - make_interval(secs => ?))
     order by o.created_at limit ?`,
    [cutoff, marginMs / 1000, limit],
  );
  return rows.map((r) => r.id);
}

/** Inbox items to seal, on the same rules. */
export async function inboxItemsToSeal(em: EntityManager, cutoff: Date, marginMs: number, limit = 200): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>(
    em,
    // An update arriving, or refused with 16, leaves the item as it is: its version's times count too.
    `select i.id from inbox_item i
     left join lateral (select max(r.sealed_at) as sealed_at from archive_record r where r.subject_id = i.id and r.role = 'recipient') r on true
     left join lateral (select max(greatest(v.received_at, v.answered_at)) as changed_at from inbox_version v where v.inbox_item_id = i.id) v on true
     where (i.state in (${FINAL_SQL}) or i.received_at < ?)
       and (r.sealed_at is null or greatest(i.updated_at, v.changed_at) > r.sealed_at - make_interval(secs => ?))
     order by i.received_at limit ?`,
    [cutoff, marginMs / 1000, limit],
  );
  return rows.map((r) => r.id);
}

// ─── retention ────────────────────────────────────────────────────────────────────────────────

export const retentionOf = (em: EntityManager, agencyCode: string): Promise<ArchiveRetention | null> => em.findOne(ArchiveRetentionSchema, { agencyCode });

export async function upsertRetention(em: EntityManager, agencyCode: string, attachmentsDays: number | null, by: string): Promise<void> {
  if (attachmentsDays === null) {
    await sql(em, 'delete from archive_retention where agency_code = ?', [agencyCode]);
    return;
  }
  await sql(
    em,
    `insert into archive_retention (agency_code, attachments_days, updated_at, updated_by) values (?, ?, now(), ?)
     on conflict (agency_code) do update set attachments_days = excluded.attachments_days, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [agencyCode, attachmentsDays, by],
  );
}

export interface PurgeCandidate {
  id: string;
  /** edXML DocumentId the package is about. */
  documentId: string;
  sha256: string;
  size: number;
  agencies: string[];
  /** Outgoing documents that hold the package (their uploaded attachments go too). */
  documents: string[];
}

/**
 * Document packages (the ones carrying attachments; recalls and statuses are never purged) every
 * holder of which has sealed its record and outlived its retention period. One holder without a
 * policy, or not sealed yet, keeps the package: a package shared by a sender and its recipients goes
 * only when all of them may let it go.
 */
export async function packagesToPurge(em: EntityManager, now: Date, limit = 100): Promise<PurgeCandidate[]> {
  // Most nodes keep everything: with no retention period anywhere, skip the scan below.
  if ((await em.count(ArchiveRetentionSchema, {})) === 0) return [];
  const rows = await sql<Array<{ id: string; document_id: string; sha256: string; size: number; agencies: string[]; documents: string[] }>>(
    em,
    `with holder as (
       select o.package_id as package_id, o.id as subject, 'sender' as role, o.agency_code as agency from outgoing_document o where o.package_id is not null
       union
       select d.package_id, o.id, 'sender', o.agency_code from delivery d join outgoing_document o on o.id = d.document_id where d.package_id is not null
       union
       select i.package_id, i.id, 'recipient', i.agency_code from inbox_item i
       union
       -- Every version's package is held as long as the record that seals it (issue 12): the
       -- sender's update packages, and each version a recipient received, the first one included.
       select u.package_id, o.id, 'sender', o.agency_code from delivery_update u join delivery d on d.id = u.delivery_id join outgoing_document o on o.id = d.document_id
       union
       select v.package_id, i.id, 'recipient', i.agency_code from inbox_version v join inbox_item i on i.id = v.inbox_item_id
       union
       select (v.previous->>'packageId')::uuid, i.id, 'recipient', i.agency_code from inbox_version v join inbox_item i on i.id = v.inbox_item_id where v.previous is not null
     ), state as (
       select h.package_id, h.subject, h.role, h.agency,
              (select max(r.sealed_at) from archive_record r where r.subject_id = h.subject and r.role = h.role) as sealed_at,
              (select t.attachments_days from archive_retention t where t.agency_code = h.agency) as days
       from holder h
     )
     select p.id, p.document_id, p.sha256, p.size,
            array_agg(distinct s.agency order by s.agency) as agencies,
            coalesce(array_agg(distinct s.subject::text) filter (where s.role = 'sender'), '{}') as documents
     from edxml_package p join state s on s.package_id = p.id
     where p.kind = 'edoc' and coalesce(p.business_doc_type, 0) <> 1
       and not exists (select 1 from archive_purge x where x.package_id = p.id)
     group by p.id, p.document_id, p.sha256, p.size
     having bool_and(s.sealed_at is not null and s.days is not null and s.sealed_at + make_interval(days => s.days) <= ?)
     limit ?`,
    [now, limit],
  );
  return rows.map((r) => ({ id: r.id, documentId: r.document_id, sha256: r.sha256, size: Number(r.size), agencies: r.agencies, documents: r.documents }));
}

/**
 * Purges a package's bytes and the uploaded attachments of the documents holding it, and marks it
 * purged. The digests stay everywhere they were (package row, attachments rows, sealed records).
 */
export async function purgePackage(em: EntityManager, candidate: PurgeCandidate, at: Date): Promise<boolean> {
  const marked = await sql<Array<{ package_id: string }>>(
    em,
    // Lists travel as JSON: the query builder would spread a JS array into separate values.
    `insert into archive_purge (package_id, sha256, size, purged_at, agencies)
     values (?, ?, ?, ?, array(select jsonb_array_elements_text(?::jsonb))) on conflict do nothing returning package_id`,
    [candidate.id, candidate.sha256, candidate.size, at, JSON.stringify(candidate.agencies)],
  );
  if (marked.length === 0) return false; // another worker purged it first
  await sql(em, `update edxml_package set bytes = ''::bytea where id = ?`, [candidate.id]);
  if (candidate.documents.length) {
    await sql(em, `update document_attachment set content = ''::bytea where document_id::text in (select jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(candidate.documents)]);
  }
  return true;
}

export async function purgesBySha(em: EntityManager, sha256s: string[]): Promise<Map<string, ArchivePurge>> {
  const rows = sha256s.length ? await em.find(ArchivePurgeSchema, { sha256: { $in: sha256s } }) : [];
  return new Map(rows.map((r) => [r.sha256, r]));
}

/** Whether a package was purged (its stored bytes are then empty on purpose). */
export const isPurged = async (em: EntityManager, packageId: string): Promise<boolean> =>
  (await em.count(ArchivePurgeSchema, { packageId })) > 0;
