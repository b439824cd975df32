import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PartnerSchema } from './partner.entity.js';

/** Administrative levels of DESIGN.md §4. */
export const AGENCY_LEVELS = ['province', 'department', 'district', 'commune', 'other'] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

/** The legal act that closed, merged or split an agency (e.g. Nghị quyết 1654/NQ-UBTVQH15 of 2025-06-16). */
export interface AgencyDecisionValue {
  number: string;
  /** YYYY-MM-DD, the day the act was signed. */
  date: string;
  link?: string;
}

/**
 * An agency (cơ quan), keyed by its mã định danh (`000.00.33.H33`, QCVN 102). `endpointType`
 * says whether it has an inbox on this node (`local`) or is reached through a partner (`remote`).
 */
export const AgencySchema = defineEntity({
  name: 'Agency',
  tableName: 'agency',
  properties: {
    code: p.string().length(13).primary(),
    name: p.string().length(500),
    /**
     * The administrative unit where the agency sits (địa danh: "Kiên Lương", "Bình An"), the default
     * place of promulgation of its documents (NĐ 30/2020 Phụ lục I II.4.a).
     */
    administrativeUnit: p.string().length(200).nullable(),
    level: p.enum(AGENCY_LEVELS as unknown as AgencyLevel[]).nativeEnumName('agency_level'),
    parentCode: () => p.manyToOne(AgencySchema).mapToPk().nullable().fieldName('parent_code').index(),
    address: p.string().length(500).nullable(),
    email: p.string().length(320).nullable(),
    phone: p.string().length(50).nullable(),
    fax: p.string().length(50).nullable(),
    website: p.string().length(300).nullable(),
    endpointType: p.enum(['local', 'remote'] as ('local' | 'remote')[]).nativeEnumName('agency_endpoint'),
    partnerId: () => p.manyToOne(PartnerSchema).mapToPk().nullable().fieldName('partner_id').index(),
    validFrom: p.date().nullable(),
    validTo: p.date().nullable(),
    active: p.boolean().default(true),
    /**
     * Reorganisation (issue 19): the agencies that took over from this one, the first of them the one
     * that receives documents still addressed here (a merger has one; a split several). Null: none.
     */
    successorCodes: p.array().columnType('text[]').nullable(),
    /** From this instant on the agency is closed: documents to it are refused (AGENCY_CLOSED) or redirected. */
    closedAt: p.datetime().nullable(),
    /** The legal act of the closing. */
    decision: p.json<AgencyDecisionValue>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type Agency = InferEntity<typeof AgencySchema>;
