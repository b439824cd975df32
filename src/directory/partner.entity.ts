import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const PARTNER_KINDS = ['lienthong', 'axis'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/**
 * A remote system: a peer lienthong node or the provincial/national axis. `agencies` are the agency
 * codes it may act for on the exchange API (a package from any other sender is refused). Those codes
 * need not be in our directory: the axis serves agencies all over the country.
 */
export const PartnerSchema = defineEntity({
  name: 'Partner',
  tableName: 'partner',
  indexes: [{ name: 'partner_agencies_gin', properties: ['agencies'], type: 'gin' }],
  properties: {
    id: p.string().length(100).primary(),
    name: p.string().length(300),
    kind: p.enum(PARTNER_KINDS as unknown as PartnerKind[]).nativeEnumName('partner_kind'),
    baseUrl: p.string().length(2000).nullable(),
    /** Outbound credentials, encrypted with the master key (never returned by the API). */
    credentialsEncrypted: p.text().nullable(),
    agencies: p.array().columnType('text[]'),
    tokenHash: p.string().length(64).unique(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Partner = InferEntity<typeof PartnerSchema>;
