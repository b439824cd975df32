import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { DomainError } from '../errors.js';
import { requirePrincipal, requireUser } from '../http/auth.js';
import { isAdmin, type Principal } from '../http/context.js';
import { newWebhookSecret } from './signature.js';
import { WEBHOOK_EVENTS, WebhookSchema, type Webhook, type WebhookEvent } from './webhook.entity.js';
import { agencyExists, cancelPending, findWebhook, insertDeliveries, liveWebhookCount, subscribers } from './webhooks.repository.js';

export interface WebhookActor {
  principal: Principal;
  requestId: string;
}

export interface WebhookView {
  id: string;
  agencyCode: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  createdAt: string;
}

export const webhookView = (w: Webhook): WebhookView => ({
  id: w.id,
  agencyCode: w.agencyCode,
  url: w.url,
  events: w.events,
  description: w.description ?? null,
  createdAt: w.createdAt.toISOString(),
});

/**
 * The agency whose webhooks the caller manages: a clerk's own (naming another → 403); an
 * administrator names one (`agencyCode`), or lists every agency's when listing.
 */
export function webhookAgency(principal: Principal | undefined, agencyCode: string | undefined, purpose: 'write' | 'read'): string | undefined {
  const p = requirePrincipal(principal);
  if (isAdmin(p)) {
    if (!agencyCode && purpose === 'write') {
      throw new DomainError('VALIDATION_FAILED', 'An administrator names the agency the webhook is for.', {
        errors: [{ path: 'agencyCode', message: 'is required for an administrator' }],
        vi: 'Quản trị viên cần ghi rõ cơ quan (agencyCode) của webhook.',
      });
    }
    return agencyCode;
  }
  const user = requireUser(p, ['clerk']);
  if (agencyCode && agencyCode !== user.agencyCode) {
    throw new DomainError('FORBIDDEN', `Only clerks of ${agencyCode} (or an administrator) manage its webhooks.`, {
      vi: `Chỉ văn thư của ${agencyCode} (hoặc quản trị viên) được quản lý webhook của cơ quan này.`,
    });
  }
  return user.agencyCode;
}

/** The caller may see or change this webhook: an administrator, or a clerk of its agency; else 404 (not ours to reveal). */
export async function ownWebhook(em: EntityManager, principal: Principal | undefined, id: string): Promise<Webhook> {
  const p = requirePrincipal(principal);
  const webhook = await findWebhook(em, id);
  if (!webhook || (!isAdmin(p) && webhookAgency(p, undefined, 'read') !== webhook.agencyCode)) throw new DomainError('NOT_FOUND', `No webhook ${id}.`);
  return webhook;
}

/** Each reminder is sent to every webhook of its agency: a bound on the fan-out one clerk can create. */
export const MAX_WEBHOOKS_PER_AGENCY = 10;

export interface WebhookInput {
  url: string;
  events?: WebhookEvent[] | undefined;
  description?: string | undefined;
}

/**
 * Subscribes a URL of an agency. The secret is made here, sealed for the database, and returned once:
 * the answer is the only place it is ever in clear (the Idempotency-Key record keeps a copy without it).
 */
export async function createWebhook(
  em: EntityManager,
  actor: WebhookActor,
  agencyCode: string,
  input: WebhookInput,
  seal: (plain: string) => string,
): Promise<WebhookView & { secret: string }> {
  return em.transactional(async (tx) => {
    if (!(await agencyExists(tx, agencyCode))) throw new DomainError('VALIDATION_FAILED', `No agency ${agencyCode}.`, { errors: [{ path: 'agencyCode', message: `no agency ${agencyCode}` }] });
    if ((await liveWebhookCount(tx, agencyCode)) >= MAX_WEBHOOKS_PER_AGENCY) {
      throw new DomainError('CONFLICT', `${agencyCode} already has ${MAX_WEBHOOKS_PER_AGENCY} webhooks; delete one first.`, {
        vi: `${agencyCode} đã có ${MAX_WEBHOOKS_PER_AGENCY} webhook; hãy xóa bớt trước.`,
      });
    }
    const secret = newWebhookSecret();
    const webhook = tx.create(WebhookSchema, {
      id: randomUUID(),
      agencyCode,
      url: input.url,
      secretSealed: seal(secret),
      events: [...new Set(input.events?.length ? input.events : WEBHOOK_EVENTS)],
      description: input.description ?? null,
      createdBy: `${actor.principal.kind}:${actor.principal.id}`,
      createdAt: new Date(),
      deletedAt: null,
    });
    recordAudit(tx, {
      actor: actor.principal,
      action: 'webhook.created',
      subjectType: 'webhook',
      subjectId: webhook.id,
      agencyCode,
      // The URL and the events; never the secret.
      details: { url: webhook.url, events: webhook.events },
      requestId: actor.requestId,
    });
    await tx.flush();
    return { ...webhookView(webhook), secret };
  });
}

/** Unsubscribes: no new deliveries, the waiting ones are cancelled, the log stays. */
export async function deleteWebhook(em: EntityManager, actor: WebhookActor, id: string): Promise<void> {
  await em.transactional(async (tx) => {
    const webhook = await ownWebhook(tx, actor.principal, id);
    const at = new Date();
    webhook.deletedAt = at;
    const cancelled = await cancelPending(tx, id, at);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'webhook.deleted',
      subjectType: 'webhook',
      subjectId: id,
      agencyCode: webhook.agencyCode,
      details: { url: webhook.url, cancelled },
      requestId: actor.requestId,
    });
    await tx.flush();
  });
}

/** An event for the webhooks of some agencies. `id` is stable: the receiver's key to drop a repeat. */
export interface WebhookEventInput {
  id: string;
  type: WebhookEvent;
  agencyCode: string;
  createdAt: Date;
  data: Record<string, unknown>;
}

/** The JSON text a webhook receives for an event, the same bytes on every attempt. */
export const eventBody = (event: WebhookEventInput): string =>
  JSON.stringify({ id: event.id, type: event.type, agencyCode: event.agencyCode, createdAt: event.createdAt.toISOString(), data: event.data });

/**
 * Writes the outbox rows of events for every live subscription of their agencies, in the caller's
 * transaction; returns the ids of the deliveries to enqueue once it commits.
 */
export async function queueWebhookEvents(tx: EntityManager, events: readonly WebhookEventInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const type of WEBHOOK_EVENTS) {
    const ofType = events.filter((e) => e.type === type);
    if (!ofType.length) continue;
    const hooks = await subscribers(tx, ofType.map((e) => e.agencyCode), type);
    const rows = ofType.flatMap((event) =>
      hooks
        .filter((h) => h.agencyCode === event.agencyCode)
        .map((h) => ({ id: randomUUID(), webhookId: h.id, eventId: event.id, eventType: event.type, body: eventBody(event), createdAt: event.createdAt })),
    );
    ids.push(...(await insertDeliveries(tx, rows)));
  }
  return ids;
}
