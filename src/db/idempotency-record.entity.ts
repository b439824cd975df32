import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The first answer to a POST carrying an `Idempotency-Key` (API.md "Conventions"), per principal.
 * The same key and body returns this answer again; the same key with another body is a 409.
 */
export const IdempotencyRecordSchema = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_record',
  properties: {
    principal: p.string().length(150).primary(),
    key: p.string().length(200).primary(),
    route: p.string().length(200),
    requestHash: p.string().length(64),
    status: p.integer(),
    body: p.json<unknown>(),
    createdAt: p.datetime().onCreate(() => new Date()).index(),
  },
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecordSchema>;
