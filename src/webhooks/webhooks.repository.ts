/**
 * Every database access of the webhooks (STYLE.md: only repositories touch the ORM). Raw SQL runs on
 * the transaction's own connection, so an outbox row is written in the transaction that made its event.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { WebhookSchema, type Webhook, type WebhookAttempt, type WebhookDeliveryState, type WebhookEvent } from './webhook.entity.js';

function sql<T extends Array<Record<string, unknown>> = Array<Record<string, unknown>>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T> {
  return sqlOn(em)<T>(query, params);
}

export async function agencyExists(em: EntityManager, code: string): Promise<boolean> {
  return (await sql(em, `select 1 from agency where code = ?`, [code])).length > 0;
}

/** The agency's webhooks not deleted. */
export async function liveWebhookCount(em: EntityManager, agencyCode: string): Promise<number> {
  const [row] = await sql<Array<{ n: string }>>(em, `select count(*) as n from webhook where agency_code = ? and deleted_at is null`, [agencyCode]);
  return Number(row?.n ?? 0);
}

export async function findWebhook(em: EntityManager, id: string): Promise<Webhook | null> {
  return em.findOne(WebhookSchema, { id, deletedAt: null });
}

/** An agency's subscriptions (or every agency's), newest first, keyset on (createdAt, id). */
export async function listWebhooks(em: EntityManager, filter: { agencyCode?: string; before?: { at: Date; id: string }; limit: number }): Promise<Webhook[]> {
  return em.find(
    WebhookSchema,
    {
      deletedAt: null,
      ...(filter.agencyCode ? { agencyCode: filter.agencyCode } : {}),
      ...(filter.before ? { $or: [{ createdAt: { $lt: filter.before.at } }, { createdAt: filter.before.at, id: { $lt: filter.before.id } }] } : {}),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: filter.limit },
  );
}

/** The live subscriptions of these agencies to `event`. */
export async function subscribers(em: EntityManager, agencyCodes: readonly string[], event: WebhookEvent): Promise<Array<{ id: string; agencyCode: string }>> {
  if (!agencyCodes.length) return [];
  const rows = await sql<Array<{ id: string; agency_code: string }>>(
    em,
    // Lists travel as JSON: the query builder would spread a JS array into separate values.
    `select id, agency_code from webhook
      where deleted_at is null and ? = any(events) and agency_code in (select jsonb_array_elements_text(?::jsonb))`,
    [event, JSON.stringify([...new Set(agencyCodes)])],
  );
  return rows.map((r) => ({ id: r.id, agencyCode: r.agency_code }));
}

export interface DeliveryRow {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  body: string;
  createdAt: Date;
}

/** Outbox rows, at most one per (webhook, event): a second writer of the same event adds nothing. */
export async function insertDeliveries(em: EntityManager, rows: readonly DeliveryRow[]): Promise<string[]> {
  if (!rows.length) return [];
  const inserted = await sql<Array<{ id: string }>>(
    em,
    `insert into webhook_delivery (id, webhook_id, event_id, event_type, body, state, attempts, created_at, updated_at)
     select x.id, x.webhook_id, x.event_id, x.event_type, x.body, 'pending', 0, x.created_at, x.created_at
       from jsonb_to_recordset(?::jsonb) as x(id uuid, webhook_id uuid, event_id uuid, event_type text, body text, created_at timestamptz)
     on conflict do nothing
     returning id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, webhook_id: r.webhookId, event_id: r.eventId, event_type: r.eventType, body: r.body, created_at: r.createdAt.toISOString() })))],
  );
  return inserted.map((r) => r.id);
}

/** What one attempt needs: the delivery, where it goes and the sealed key. */
export interface DeliveryToSend {
  id: string;
  state: WebhookDeliveryState;
  body: string;
  eventId: string;
  eventType: string;
  url: string;
  secretSealed: string;
  webhookDeleted: boolean;
}

export async function deliveryToSend(em: EntityManager, id: string): Promise<DeliveryToSend | null> {
  const [row] = await sql<Array<{ id: string; state: WebhookDeliveryState; body: string; event_id: string; event_type: string; url: string; secret_sealed: string; deleted_at: Date | null }>>(
    em,
    `select d.id, d.state, d.body, d.event_id, d.event_type, w.url, w.secret_sealed, w.deleted_at
       from webhook_delivery d join webhook w on w.id = d.webhook_id where d.id = ?`,
    [id],
  );
  return row
    ? { id: row.id, state: row.state, body: row.body, eventId: row.event_id, eventType: row.event_type, url: row.url, secretSealed: row.secret_sealed, webhookDeleted: row.deleted_at !== null }
    : null;
}

/** Counts an attempt on a pending delivery; its number, or null when the delivery is no longer pending. */
export async function beginAttempt(em: EntityManager, id: string, at: Date): Promise<number | null> {
  const [row] = await sql<Array<{ attempts: number }>>(em, `update webhook_delivery set attempts = attempts + 1, updated_at = ? where id = ? and state = 'pending' returning attempts`, [at, id]);
  return row ? row.attempts : null;
}

export async function recordAttempt(em: EntityManager, attempt: WebhookAttempt): Promise<void> {
  await sql(em, `insert into webhook_attempt (id, delivery_id, attempt, at, status, error, duration_ms) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`, [
    attempt.id,
    attempt.deliveryId,
    attempt.attempt,
    attempt.at,
    attempt.status ?? null,
    attempt.error ?? null,
    attempt.durationMs,
  ]);
}

/** Where a delivery stands after an attempt (still pending: it will be tried again). */
export async function settleDelivery(
  em: EntityManager,
  id: string,
  outcome: { state: WebhookDeliveryState; status: number | null; error: string | null; at: Date },
): Promise<void> {
  await sql(
    em,
    `update webhook_delivery set state = ?, last_status = ?, last_error = ?, updated_at = ?,
            delivered_at = case when ? = 'delivered' then ?::timestamptz else delivered_at end
      where id = ? and state = 'pending'`,
    [outcome.state, outcome.status, outcome.error, outcome.at, outcome.state, outcome.at, id],
  );
}

/** The webhook was unsubscribed: what was still waiting for it will not go. */
export async function cancelPending(em: EntityManager, webhookId: string, at: Date): Promise<number> {
  const rows = await sql<Array<{ id: string }>>(
    em,
    `update webhook_delivery set state = 'cancelled', updated_at = ? where webhook_id = ? and state = 'pending' returning id`,
    [at, webhookId],
  );
  return rows.length;
}

export interface DeliveryLogRow {
  id: string;
  eventId: string;
  eventType: string;
  state: WebhookDeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  log: Array<{ attempt: number; at: Date; status: number | null; error: string | null; durationMs: number }>;
}

/** A webhook's deliveries, newest first (keyset on created_at, id), each with its attempts. */
export async function deliveryLog(em: EntityManager, webhookId: string, before: { at: Date; id: string } | undefined, limit: number): Promise<DeliveryLogRow[]> {
  const rows = await sql<
    Array<{ id: string; event_id: string; event_type: string; state: WebhookDeliveryState; attempts: number; last_status: number | null; last_error: string | null; created_at: Date; delivered_at: Date | null }>
  >(
    em,
    `select id, event_id, event_type, state, attempts, last_status, last_error, created_at, delivered_at from webhook_delivery
      where webhook_id = ? ${before ? 'and (created_at, id) < (?, ?)' : ''}
      order by created_at desc, id desc limit ?`,
    before ? [webhookId, before.at, before.id, limit] : [webhookId, limit],
  );
  const attempts = rows.length
    ? await sql<Array<{ delivery_id: string; attempt: number; at: Date; status: number | null; error: string | null; duration_ms: number }>>(
        em,
        `select delivery_id, attempt, at, status, error, duration_ms from webhook_attempt
          where delivery_id in (select (jsonb_array_elements_text(?::jsonb))::uuid) order by delivery_id, attempt`,
        [JSON.stringify(rows.map((r) => r.id))],
      )
    : [];
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    state: r.state,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
    log: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({ attempt: a.attempt, at: new Date(a.at), status: a.status, error: a.error, durationMs: a.duration_ms })),
  }));
}

/** Pending deliveries made before `before`, oldest first: the sweep enqueues them again after a lost enqueue. */
export async function pendingDeliveries(em: EntityManager, before: Date, limit: number): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>(em, `select id from webhook_delivery where state = 'pending' and created_at < ? order by created_at limit ?`, [before, limit]);
  return rows.map((r) => r.id);
}
