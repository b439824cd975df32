import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../http/context.js';
import { AuditEventSchema, type AuditEvent } from './audit-event.entity.js';

export interface AuditInput {
  actor: Principal | { kind: 'system'; id: string };
  action: string;
  subjectType: string;
  subjectId: string;
  agencyCode?: string | null;
  details?: Record<string, unknown>;
  requestId?: string;
}

/** Appends an audit event to the unit of work of `em` (flushed with the change it records). */
export function recordAudit(em: EntityManager, input: AuditInput): void {
  em.create(AuditEventSchema, {
    at: new Date(),
    actorType: input.actor.kind,
    actorId: input.actor.id,
    agencyCode: input.agencyCode ?? (input.actor.kind === 'user' ? input.actor.agencyCode : null),
    action: input.action,
    subjectType: input.subjectType,
    subjectId: input.subjectId,
    details: input.details ?? null,
    requestId: input.requestId ?? null,
  });
}

/** Audit events, newest first, keyset-paginated by id. */
export async function listAudit(
  em: EntityManager,
  filter: { agencyCode?: string; subjectType?: string; subjectId?: string; beforeId?: string; limit: number },
): Promise<AuditEvent[]> {
  return em.find(
    AuditEventSchema,
    {
      ...(filter.agencyCode ? { agencyCode: filter.agencyCode } : {}),
      ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
      ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
      ...(filter.beforeId ? { id: { $lt: filter.beforeId } } : {}),
    },
    { orderBy: { id: 'desc' }, limit: filter.limit },
  );
}
