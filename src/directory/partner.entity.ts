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
    /** Accept SHA-1 signatures from this partner (DESIGN.md §5: only when explicitly marked legacy). */
    legacy: p.boolean().default(false),
    /** push: we POST to its baseUrl; pull: it fetches from GET /exchange/v1/packages. */
    mode: p.enum(['push', 'pull'] as ('push' | 'pull')[]).nativeEnumName('partner_mode').default('push'),
    maxAttempts: p.integer().default(10),
    /** Circuit breaker: consecutive transport failures, and until when calls are paused. */
    consecutiveFailures: p.integer().default(0),
    circuitOpenUntil: p.datetime().nullable(),
    /** What last went wrong talking to it (transport, or its registration), and when; cleared by a success. */
    lastError: p.text().nullable(),
    lastErrorAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Partner = InferEntity<typeof PartnerSchema>;
