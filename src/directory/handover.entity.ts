import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AgencyDecisionValue } from './agency.entity.js';

/** A chain record a handover appended: the closed agency's (`handover`) and the successor's (`takeover`). */
export interface HandoverRecordRef {
  agency: string;
  role: 'handover' | 'takeover';
  index: number;
  hash: string;
}

/**
 * A handover (issue 19, DESIGN.md §4 "Reorganisation"): a closed agency's open work given to its
 * successor under the legal act that closed it — open inbox items, outgoing documents still followed
 * up, its users deactivated — with the signed record appended to both archive chains. Agency codes are
 * plain columns, like the archive's: nothing here may follow a later change of the agency rows.
 */
export const AgencyHandoverSchema = defineEntity({
  name: 'AgencyHandover',
  tableName: 'agency_handover',
  properties: {
    id: p.uuid().primary(),
    fromCode: p.string().length(13).index(),
    toCode: p.string().length(13).index(),
    decision: p.json<AgencyDecisionValue>().nullable(),
    performedAt: p.datetime(),
    /** Who asked for it (`admin:bootstrap`, `user:<id>`). */
    performedBy: p.string().length(150),
    requestId: p.string().length(100).nullable(),
    inboxItems: p.integer(),
    documents: p.integer(),
    usersDeactivated: p.integer(),
    records: p.json<HandoverRecordRef[]>(),
  },
});
export type AgencyHandover = InferEntity<typeof AgencyHandoverSchema>;

/** `skipped-item`: an open inbox item left with the closed agency, its successor holding the same package. */
export const HANDOVER_ITEM_KINDS = ['inbox-item', 'document', 'skipped-item'] as const;
export type HandoverItemKind = (typeof HANDOVER_ITEM_KINDS)[number];

/**
 * One thing a handover moved. An inbox item changes agency (its id, statuses and audit trail stay);
 * an outgoing document stays the closed agency's — its number is in that agency's register — and is
 * followed up by the successor from then on: this row is what says so. Unique per (kind, subject,
 * from): handing over the same agency again moves nothing twice.
 */
export const AgencyHandoverItemSchema = defineEntity({
  name: 'AgencyHandoverItem',
  tableName: 'agency_handover_item',
  uniques: [{ name: 'agency_handover_item_subject_unique', properties: ['kind', 'subjectId', 'fromCode'] }],
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    handoverId: p.uuid().index(),
    kind: p.string().length(20),
    subjectId: p.uuid().index(),
    fromCode: p.string().length(13),
    toCode: p.string().length(13).index(),
    /** edXML DocumentId of the item or document. */
    documentId: p.string().length(300),
    /** SHA-256 of its (document) package, as the signed record names it. */
    sha256: p.string().length(64).nullable(),
  },
});
export type AgencyHandoverItem = InferEntity<typeof AgencyHandoverItemSchema>;
