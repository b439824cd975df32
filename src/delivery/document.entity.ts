import type { PdfEvidence } from './pdf-evidence.js';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';
import { PackageSchema } from '../packages/package.entity.js';
import { DELIVERY_STATES, type DeliveryState } from './states.js';

export const DOCUMENT_STATES = ['queued', 'signed', 'sent', 'recalled', 'failed'] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

export interface SignerInfoValue {
  fullName: string;
  position: string;
  competence?: string;
}

/** The document a replacement replaces (edXML BussinessDocType 3): its DocumentId, recipients, and why. */
export interface ReplacesValue {
  id: string;
  documentId: string;
  recipients: string[];
  reason: string;
}

export interface ResponseForValue {
  organId: string;
  documentId: string;
  code?: string;
  promulgationDate?: string;
}

/**
 * An outgoing document (văn bản đi) of an agency: NĐ 30/2020 metadata, its number from the outgoing
 * register, the resolved recipients, and the signed package once the `sign` job has made it.
 */
export const OutgoingDocumentSchema = defineEntity({
  name: 'OutgoingDocument',
  tableName: 'outgoing_document',
  uniques: [{ name: 'outgoing_document_register_unique', properties: ['agencyCode', 'series', 'year', 'number'] }],
  indexes: [
    // The list, newest first, with its keyset (GET /v1/documents).
    { name: 'outgoing_document_list_index', properties: ['agencyCode', 'createdAt', 'id'] },
    { name: 'outgoing_document_search_index', expression: 'create index "outgoing_document_search_index" on "outgoing_document" using gin ("search") with (fastupdate = off)' },
  ],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    /** edXML DocumentId `<OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>`. */
    documentId: p.string().length(300).unique(),
    /** The series of the agency's outgoing registers it is numbered in (src/registers). */
    series: p.string().length(20).default('default'),
    year: p.smallint(),
    number: p.integer(),
    /** Số as written: leading zero below 10. */
    numberText: p.string().length(20),
    notation: p.string().length(100),
    type: p.string().length(10),
    subject: p.string().length(500),
    content: p.text().nullable(),
    promulgationPlace: p.string().length(200),
    promulgationDate: p.date(),
    signer: p.json<SignerInfoValue>(),
    priority: p.smallint(),
    steeringType: p.smallint(),
    dueDate: p.date().nullable(),
    toPlaces: p.array().columnType('text[]'),
    responseFor: p.json<ResponseForValue[]>(),
    /** What the clerk asked for (codes, group:…, children:…). */
    recipientSpec: p.array().columnType('text[]'),
    state: p.enum(DOCUMENT_STATES as unknown as DocumentState[]).nativeEnumName('document_state').index(),
    /** `api` (composed here) or `edxml` (signed by the agency's own software). */
    source: p.string().length(10),
    packageId: () => p.manyToOne(PackageSchema).mapToPk().nullable().fieldName('package_id'),
    recallPackageId: () => p.manyToOne(PackageSchema).mapToPk().nullable().fieldName('recall_package_id'),
    recallReason: p.text().nullable(),
    /** Set on a replacement: the document it replaces. */
    replaces: p.json<ReplacesValue>().nullable(),
    lastError: p.text().nullable(),
    createdBy: p.string().length(100),
    staff: p.json<{ department?: string; name?: string; email?: string; mobile?: string }>().nullable(),
    /**
     * What `?q=` finds: trích yếu, số/ký hiệu, the recipients' names and the places, folded (no marks,
     * lower case). Kept by database triggers (migration 20261207100000_search), never written here.
     */
    search: p.string().columnType('tsvector').nullable().onCreate(() => ''),
    createdAt: p.datetime().onCreate(() => new Date()).index(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type OutgoingDocument = InferEntity<typeof OutgoingDocumentSchema>;

/** A file of an outgoing document, as uploaded (exact bytes). */
export const DocumentAttachmentSchema = defineEntity({
  name: 'DocumentAttachment',
  tableName: 'document_attachment',
  properties: {
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().primary().fieldName('document_id').deleteRule('cascade'),
    index: p.smallint().primary(),
    name: p.string().length(255),
    contentType: p.string().length(150),
    size: p.integer(),
    sha256: p.string().length(64),
    content: p.blob().lazy(),
    /** For a PDF: its legal signatures as verified when the document was registered (issue 17). */
    pdfSignatures: p.json<PdfEvidence>().nullable(),
  },
});
export type DocumentAttachment = InferEntity<typeof DocumentAttachmentSchema>;

/** One (document, recipient): the sender's view of that recipient, moved by status packages. */
export const DeliverySchema = defineEntity({
  name: 'Delivery',
  tableName: 'delivery',
  uniques: [{ name: 'delivery_document_recipient_unique', properties: ['documentId', 'recipientCode'] }],
  properties: {
    id: p.uuid().primary(),
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().fieldName('document_id').index(),
    recipientCode: p.string().length(13).index(),
    /** The package this recipient gets: one per destination (this node, or each partner), signed once. */
    packageId: p.uuid().nullable(),
    /** After a recall: the recall package (BussinessDocType 1) of this recipient's destination. */
    recallPackageId: p.uuid().nullable(),
    /** For a remote recipient: the partner it is reached through, and the receipt the partner gave. */
    partnerId: p.string().length(100).nullable(),
    remoteReceipt: p.string().length(200).nullable(),
    state: p.enum(DELIVERY_STATES as unknown as DeliveryState[]).nativeEnumName('delivery_state').index(),
    statusCode: p.string().length(2).nullable(),
    statusAt: p.datetime().nullable(),
    /** The số đến the recipient gave, read from its signed 03. */
    arrivalNumber: p.integer().nullable(),
    /** The closed agency the document was addressed to when it went to this successor instead (issue 19). */
    redirectedFrom: p.string().length(13).nullable(),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Delivery = InferEntity<typeof DeliverySchema>;

/**
 * An update of a sent document (edXML BussinessDocType 2, cập nhật): the same DocumentId and number,
 * corrected metadata; what it changed and why. The document row holds the current version.
 */
export const DocumentUpdateSchema = defineEntity({
  name: 'DocumentUpdate',
  tableName: 'document_update',
  properties: {
    id: p.uuid().primary(),
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().fieldName('document_id').index(),
    reason: p.text(),
    /** Field → { from, to } of what changed. */
    changes: p.json<Record<string, { from: unknown; to: unknown }>>(),
    createdBy: p.string().length(100),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type DocumentUpdate = InferEntity<typeof DocumentUpdateSchema>;

/**
 * An update on its way to one recipient, and the recipient's answer: `requested` (its package is
 * signed), `sent` (the recipient holds it), then `accepted` (15) or `refused` (16) — or `superseded`
 * by a later update before it was answered.
 */
export const DELIVERY_UPDATE_STATES = ['requested', 'sent', 'accepted', 'refused', 'superseded'] as const;
export type DeliveryUpdateState = (typeof DELIVERY_UPDATE_STATES)[number];
export const DeliveryUpdateSchema = defineEntity({
  name: 'DeliveryUpdate',
  tableName: 'delivery_update',
  properties: {
    id: p.uuid().primary(),
    updateId: p.uuid().index(),
    deliveryId: p.uuid().index(),
    /** The update package (BussinessDocType 2) of this recipient's destination. */
    packageId: p.uuid(),
    state: p.enum(DELIVERY_UPDATE_STATES as unknown as DeliveryUpdateState[]).nativeEnumName('delivery_update_state').index(),
    answeredAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type DeliveryUpdate = InferEntity<typeof DeliveryUpdateSchema>;

/** The timeline of a document: every state change, status package and retry, oldest first. */
export const DocumentEventSchema = defineEntity({
  name: 'DocumentEvent',
  tableName: 'document_event',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().fieldName('document_id').index(),
    deliveryId: p.uuid().nullable(),
    recipientCode: p.string().length(13).nullable(),
    type: p.string().length(50),
    state: p.string().length(30).nullable(),
    statusCode: p.string().length(2).nullable(),
    statusId: p.uuid().nullable(),
    details: p.json<Record<string, unknown>>().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
});
export type DocumentEvent = InferEntity<typeof DocumentEventSchema>;
