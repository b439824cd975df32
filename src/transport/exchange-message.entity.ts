import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PackageSchema } from '../packages/package.entity.js';

/**
 * A package that crossed (or waits to cross) the boundary with a partner system.
 * - `in`: received on the exchange API or fetched from the axis; its id is the `receiptId`.
 *   `dedupKey` makes the same package received twice answer with the first receipt.
 * - `out`: waiting for a partner in pull mode (`GET /exchange/v1/packages`) until acknowledged.
 */
export const ExchangeMessageSchema = defineEntity({
  name: 'ExchangeMessage',
  tableName: 'exchange_message',
  uniques: [
    { name: 'exchange_message_dedup_unique', properties: ['direction', 'dedupKey'] },
    { name: 'exchange_message_external_unique', properties: ['partnerId', 'direction', 'externalId'] },
  ],
  // The pull list: a partner's waiting messages in arrival order.
  indexes: [{ name: 'exchange_message_pull_index', properties: ['partnerId', 'state', 'seq'] }],
  properties: {
    id: p.uuid().primary(),
    direction: p.enum(['in', 'out'] as ('in' | 'out')[]).nativeEnumName('exchange_direction'),
    partnerId: p.string().length(100).nullable().index(),
    packageId: () => p.manyToOne(PackageSchema).mapToPk().fieldName('package_id').index(),
    kind: p.enum(['edoc', 'status'] as ('edoc' | 'status')[]).nativeEnumName('exchange_kind'),
    senderCode: p.string().length(13),
    recipientCodes: p.array().columnType('text[]'),
    /** in: sha256 of the bytes, or of DocumentId + sender + recipient set (the same document resent). */
    dedupKey: p.string().length(100).nullable(),
    /** The partner's own id for the package (the axis docId), when it has one. */
    externalId: p.string().length(200).nullable(),
    /** out: the delivery or status this message carries. */
    deliveryId: p.uuid().nullable(),
    statusId: p.uuid().nullable(),
    state: p.enum(['received', 'waiting', 'acked'] as ('received' | 'waiting' | 'acked')[]).nativeEnumName('exchange_state').index(),
    /** Arrival order: the pull list is listed by it, and its cursor carries it (a recall package before its 13). */
    seq: p.bigint('string').autoincrement().unique(),
    /** out: when the partner first fetched the bytes; a recall withdraws only what was never fetched. */
    fetchedAt: p.datetime().nullable(),
    ackedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()).index(),
  },
});
export type ExchangeMessage = InferEntity<typeof ExchangeMessageSchema>;
