import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';
import type { PdfEvidence } from './pdf-evidence.js';
import { DELIVERY_STATES, type DeliveryState } from './states.js';
import { PackageSchema } from '../packages/package.entity.js';

export interface VerificationValue {
  signatureValid: boolean;
  certificate: { subject: string; serialNumber: string; issuer: string; fingerprintSha256: string };
  checkedAt: string;
  sha256: string;
}

export interface AttachmentInfo {
  index: number;
  name: string;
  contentType: string;
  size: number;
  contentId: string;
  /** For a PDF: its legal signatures as verified when it arrived (issue 17). */
  pdfSignatures?: PdfEvidence;
}

/**
 * A document received by a local agency (văn bản đến). Built only from a VerifiedPackage; the
 * metadata is the verified model, the bytes stay in the package. One per (agency, package):
 * delivering the same package twice cannot make a second item.
 */
export const InboxItemSchema = defineEntity({
  name: 'InboxItem',
  tableName: 'inbox_item',
  uniques: [{ name: 'inbox_item_agency_package_unique', properties: ['agencyCode', 'packageId'] }],
  indexes: [
    // The list, newest first, with its keyset (GET /v1/inbox, the console).
    { name: 'inbox_item_list_index', properties: ['agencyCode', 'receivedAt', 'id'] },
    { name: 'inbox_item_search_index', expression: 'create index "inbox_item_search_index" on "inbox_item" using gin ("search") with (fastupdate = off)' },
  ],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    /**
     * The agency the package named when this item belongs to another (issue 19): a closed agency whose
     * successor received it from a partner, or whose open work was handed over to that successor.
     */
    addressedTo: p.string().length(13).nullable(),
    packageId: () => p.manyToOne(PackageSchema).mapToPk().fieldName('package_id'),
    /** The sender's delivery when the sender is on this node (status packages go straight back). */
    deliveryId: p.uuid().nullable().unique(),
    /** The partner it came through when the sender is remote (statuses go back through it). */
    partnerId: p.string().length(100).nullable(),
    senderCode: p.string().length(13),
    senderName: p.string().length(500),
    documentId: p.string().length(300).index(),
    subject: p.string().length(1000),
    metadata: p.json<Record<string, unknown>>(),
    attachments: p.json<AttachmentInfo[]>(),
    verification: p.json<VerificationValue>(),
    state: p.enum(DELIVERY_STATES as unknown as DeliveryState[]).nativeEnumName('delivery_state').index(),
    statusCode: p.string().length(2),
    statusAt: p.datetime(),
    arrivalNumber: p.integer().nullable(),
    arrivalYear: p.smallint().nullable(),
    /** The series of the incoming registers the số đến is from (src/registers). */
    arrivalSeries: p.string().length(20).nullable(),
    /** Set when a recall was accepted (15): attachments are no longer served; metadata stays. */
    withdrawnAt: p.datetime().nullable(),
    /**
     * What `?q=` finds: trích yếu, the sender's name, số/ký hiệu, folded (no marks, lower case). Kept
     * by a database trigger (migration 20261207100000_search), never written here.
     */
    search: p.string().columnType('tsvector').nullable().onCreate(() => ''),
    receivedAt: p.datetime().onCreate(() => new Date()).index(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type InboxItem = InferEntity<typeof InboxItemSchema>;

/** What an item showed before an update (InboxVersion.previous). */
export interface PreviousVersion {
  packageId: string;
  subject: string;
  metadata: Record<string, unknown>;
  attachments: AttachmentInfo[];
}

/**
 * A new version of a received document (edXML BussinessDocType 2, cập nhật): the sender's update of a
 * document this agency holds arrives as a version of its item, never as a second item (one DocumentId,
 * one incoming number). The clerk answers it with 15 (the item shows the new version from then on) or
 * 16 (it keeps the one it had).
 */
export const InboxVersionSchema = defineEntity({
  name: 'InboxVersion',
  tableName: 'inbox_version',
  uniques: [{ name: 'inbox_version_item_package_unique', properties: ['inboxItemId', 'packageId'] }],
  properties: {
    id: p.uuid().primary(),
    inboxItemId: p.uuid().index(),
    packageId: () => p.manyToOne(PackageSchema).mapToPk().fieldName('package_id'),
    /** BussinessDocReason: why the sender updated it. */
    reason: p.text().nullable(),
    subject: p.string().length(1000),
    /** The verified header of the new version, as items keep theirs. */
    metadata: p.json<Record<string, unknown>>(),
    attachments: p.json<AttachmentInfo[]>(),
    /**
     * The version the item showed when this one arrived (newInboxVersion): its package, trích yếu,
     * header and files with their PDF evidence. A 15 puts the new version on the item, so the earliest
     * update's `previous` is where the document as first received stays (version 1; see
     * receivedVersions). Null on rows older than migration 20261208110000, where it was not kept.
     */
    previous: p.json<PreviousVersion>().nullable(),
    state: p.enum(['pending', 'accepted', 'refused'] as ('pending' | 'accepted' | 'refused')[]).nativeEnumName('inbox_version_state'),
    receivedAt: p.datetime(),
    answeredAt: p.datetime().nullable(),
  },
});
export type InboxVersion = InferEntity<typeof InboxVersionSchema>;

/**
 * A status package (01–06, 13, 15, 16), signed by the agency that sent it, with where it must go.
 * `carried` is false until the `status` job has applied it on the other side.
 */
export const StatusRecordSchema = defineEntity({
  name: 'StatusRecord',
  tableName: 'status_record',
  properties: {
    id: p.uuid().primary(),
    /** The sender's delivery this status is about (null when the sender is remote). */
    deliveryId: p.uuid().nullable().index(),
    /** Remote side: the partner the status travels through (out) or came from (in). */
    partnerId: p.string().length(100).nullable(),
    /** in: received from a partner and applied here; out: made here. */
    direction: p.enum(['in', 'out'] as ('in' | 'out')[]).nativeEnumName('status_direction').default('out'),
    inboxItemId: p.uuid().nullable().index(),
    code: p.string().length(2),
    /** The agency that signed the status (the recipient; the sender for 13). */
    fromCode: p.string().length(13),
    description: p.text().nullable(),
    staff: p.json<Record<string, string>>().nullable(),
    packageId: () => p.manyToOne(PackageSchema).mapToPk().fieldName('package_id'),
    carried: p.boolean().default(false).index(),
    carriedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type StatusRecord = InferEntity<typeof StatusRecordSchema>;
