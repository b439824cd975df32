import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PartnerSchema } from './partner.entity.js';

/** Administrative levels of DESIGN.md §4. */
export const AGENCY_LEVELS = ['province', 'department', 'district', 'commune', 'other'] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

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
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type Agency = InferEntity<typeof AgencySchema>;
