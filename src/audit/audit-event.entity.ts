import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Who did what, when. Append-only: a trigger in the migration refuses UPDATE and DELETE, so the
 * trail cannot be rewritten through the application or by accident.
 */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    at: p.datetime().onCreate(() => new Date()).index(),
    actorType: p.string().length(20),
    actorId: p.string().length(100).nullable(),
    agencyCode: p.string().length(13).nullable().index(),
    action: p.string().length(100),
    subjectType: p.string().length(50),
    subjectId: p.string().length(200),
    details: p.json<Record<string, unknown>>().nullable(),
    requestId: p.string().length(100).nullable(),
  },
});
export type AuditEvent = InferEntity<typeof AuditEventSchema>;
