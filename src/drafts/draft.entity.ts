import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { OutgoingDocumentSchema } from '../delivery/document.entity.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { UserSchema } from '../directory/user.entity.js';
import type { DocumentInput } from '../documents/documents.schemas.js';
import type { StampTemplate } from '../pdf/stamp.js';

/**
 * Issuing with legal signatures (issue 17; NĐ 30/2020 Điều 5, 13–14, Phụ lục I): a draft (dự thảo)
 * is uploaded, the leader approves it with a personal signature in the PDF, and the văn thư gives it
 * the number and date and the agency's signature before it is sent.
 */

/**
 * - `draft`: uploaded, waiting for the leader;
 * - `approved`: the PDF carries the leader's signature, waiting for the văn thư;
 * - `issued`: numbered, signed by the agency and registered as an outgoing document;
 * - `withdrawn`: dropped before it was issued.
 */
export const DRAFT_STATES = ['draft', 'approved', 'issued', 'withdrawn'] as const;
export type DraftState = (typeof DRAFT_STATES)[number];

/** How the leader's signature came: made here with the key kept for the leader, or with the leader's own token. */
export const DRAFT_APPROVALS = ['node-signed', 'uploaded-signed'] as const;
export type DraftApproval = (typeof DRAFT_APPROVALS)[number];

/** The leader's signature as the approval found it. */
export interface LeaderSignatureValue {
  /** The certificate's CN: the leader's name. */
  signer: string;
  subject: string;
  issuer: string;
  fingerprintSha256: string;
  /** The signing time the signature claims. */
  signedAt: string | null;
}

/** The metadata of a draft: what POST /v1/documents takes, without the files (kept in draft_file). */
export type DraftInput = Omit<DocumentInput, 'attachments'>;

export const DraftSchema = defineEntity({
  name: 'Draft',
  tableName: 'draft',
  indexes: [{ name: 'draft_list_index', properties: ['agencyCode', 'createdAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    /** The user who uploaded it. */
    createdBy: p.string().length(100),
    state: p.enum(DRAFT_STATES as unknown as DraftState[]).nativeEnumName('draft_state').index(),
    input: p.json<DraftInput>(),
    approvedBy: p.string().length(100).nullable(),
    approvedAt: p.datetime().nullable(),
    approval: p.enum(DRAFT_APPROVALS as unknown as DraftApproval[]).nativeEnumName('draft_approval').nullable(),
    leaderSignature: p.json<LeaderSignatureValue>().nullable(),
    /** The PDF with the leader's signature: the draft's exact bytes followed by the signature's incremental update. */
    signedPdf: p.blob().$type<Buffer>().lazy(true, false).nullable(),
    signedSha256: p.string().length(64).nullable(),
    /** The outgoing document it became ("Cấp số và ký số"). */
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().fieldName('document_id').nullable(),
    issuedBy: p.string().length(100).nullable(),
    issuedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Draft = InferEntity<typeof DraftSchema>;

/** A file of a draft, as uploaded (exact bytes); the first is the PDF to be signed. */
export const DraftFileSchema = defineEntity({
  name: 'DraftFile',
  tableName: 'draft_file',
  properties: {
    draftId: () => p.manyToOne(DraftSchema).mapToPk().primary().fieldName('draft_id').deleteRule('cascade'),
    index: p.smallint().primary(),
    name: p.string().length(255),
    contentType: p.string().length(150),
    size: p.integer(),
    sha256: p.string().length(64),
    content: p.blob().$type<Buffer>().lazy(true, false),
  },
});
export type DraftFile = InferEntity<typeof DraftFileSchema>;

export const SIGNER_KEY_ORIGINS = ['issued', 'imported'] as const;
export type SignerKeyOrigin = (typeof SIGNER_KEY_ORIGINS)[number];

/**
 * A leader's signing key kept by the node for remote signing (issued by the node CA, or imported
 * from the leader's PKCS#12), encrypted with the master key as agency keys are: only src/crypto opens
 * it. One active key per user; a new one retires the old.
 */
export const SignerKeySchema = defineEntity({
  name: 'SignerKey',
  tableName: 'signer_key',
  indexes: [{ name: 'signer_key_active_user_unique', expression: 'create unique index "signer_key_active_user_unique" on "signer_key" ("user_id") where "active"' }],
  properties: {
    id: p.uuid().primary(),
    userId: () => p.manyToOne(UserSchema).mapToPk().fieldName('user_id').index(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code'),
    origin: p.enum(SIGNER_KEY_ORIGINS as unknown as SignerKeyOrigin[]).nativeEnumName('signer_key_origin'),
    serialNumber: p.string().length(80),
    subject: p.string().length(1000),
    issuer: p.string().length(1000),
    notBefore: p.datetime(),
    notAfter: p.datetime(),
    fingerprintSha256: p.string().length(64).unique(),
    certificatePem: p.text(),
    /** The CA certificates above it, its issuer first (PEM), carried in each signature's CMS. */
    chainPem: p.text().default(''),
    privateKeyEncrypted: p.text(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type SignerKey = InferEntity<typeof SignerKeySchema>;

/** The image of an agency's seal (con dấu), shown by its PDF signatures (Phụ lục I II.8). */
export const AgencySealSchema = defineEntity({
  name: 'AgencySeal',
  tableName: 'agency_seal',
  properties: {
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().primary().fieldName('agency_code'),
    png: p.blob().$type<Buffer>().lazy(true, false),
    size: p.integer(),
    sha256: p.string().length(64),
    width: p.integer(),
    height: p.integer(),
    /** Whether the PNG has an alpha channel or a transparent colour (the recommended kind). */
    transparent: p.boolean(),
    updatedBy: p.string().length(100),
    updatedAt: p.datetime(),
  },
});
export type AgencySeal = InferEntity<typeof AgencySealSchema>;

/** Where the leader's signature goes when the node signs and no box is given: a page and a box in PDF points. */
export interface SignatureBoxValue {
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An agency's stamp template: where the number and date go in drafts without fields, and the leader's signature box. */
export type StampTemplateValue = StampTemplate & { signature?: SignatureBoxValue };

export const AgencyStampTemplateSchema = defineEntity({
  name: 'AgencyStampTemplate',
  tableName: 'agency_stamp_template',
  properties: {
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().primary().fieldName('agency_code'),
    template: p.json<StampTemplateValue>(),
    updatedBy: p.string().length(100),
    updatedAt: p.datetime(),
  },
});
export type AgencyStampTemplate = InferEntity<typeof AgencyStampTemplateSchema>;
