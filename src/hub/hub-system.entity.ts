import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PartnerSchema } from '../directory/partner.entity.js';

/**
 * A document-management system that speaks the national axis SDK to this node (the hub, issue 19):
 * its system id (the SDK's `systemid`) and the secret its requests are signed with, sealed with the
 * master key like a partner's credentials. It acts through a pull partner: the agencies it serves are
 * that partner's (what it may send for, ingest checks), documents for them wait in that partner's
 * pull list (the agencies are remote agencies of that partner), and what it sends is received as
 * from that partner. Several systems may share a partner (two installations of one DMS).
 */
export const HubSystemSchema = defineEntity({
  name: 'HubSystem',
  tableName: 'hub_system',
  properties: {
    id: p.string().length(100).primary(),
    name: p.string().length(300),
    partnerId: () => p.manyToOne(PartnerSchema).mapToPk().fieldName('partner_id').index().deleteRule('cascade'),
    /** The HMAC secret, sealed with the master key (src/crypto/secret-box.ts); shown once, at creation. */
    secretEncrypted: p.text(),
    /** The signing scheme of src/transport/axis-signing.ts its requests use. */
    signing: p.string().length(50),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** When a request of the system last passed authentication (updated at most once a minute). */
    lastUsedAt: p.datetime().nullable(),
  },
});
export type HubSystem = InferEntity<typeof HubSystemSchema>;

/**
 * Signatures already taken (replay protection): a signed request is accepted once. In PostgreSQL,
 * not in process memory, since several api processes answer the same systems; kept until the
 * request's timestamp leaves the accepted window, after which the timestamp check refuses it anyway.
 */
export const HubSeenRequestSchema = defineEntity({
  name: 'HubSeenRequest',
  tableName: 'hub_seen_request',
  properties: {
    systemId: p.string().length(100).primary(),
    /** SHA-256 (hex) of the authentication headers the request carried. */
    signatureHash: p.string().length(64).primary(),
    expiresAt: p.datetime().index(),
  },
});
export type HubSeenRequest = InferEntity<typeof HubSeenRequestSchema>;
