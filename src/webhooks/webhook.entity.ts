import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';

/** The events an agency's system may subscribe to (issue 18: reminders before and after a deadline, the daily digest). */
export const WEBHOOK_EVENTS = ['reminder.due_soon', 'reminder.overdue', 'reminder.digest'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * A URL of an agency's own system that receives its events as signed JSON POSTs. The secret it
 * checks signatures with is shown once at creation and kept only sealed with the node's master key
 * (as partner credentials are): never in clear, never in a log, never in an answer after the first.
 */
export const WebhookSchema = defineEntity({
  name: 'Webhook',
  tableName: 'webhook',
  indexes: [{ name: 'webhook_agency_index', properties: ['agencyCode', 'createdAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code'),
    url: p.string().length(2000),
    /** The HMAC key, sealed (src/crypto/secret-box.ts). */
    secretSealed: p.text(),
    events: p.array<WebhookEvent>().columnType('text[]'),
    description: p.string().length(300).nullable(),
    createdBy: p.string().length(100),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** Unsubscribed (DELETE): no more deliveries; the row and its log stay for the audit trail. */
    deletedAt: p.datetime().nullable(),
  },
});
export type Webhook = InferEntity<typeof WebhookSchema>;

export const WEBHOOK_DELIVERY_STATES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

/**
 * One event for one webhook (an outbox row): written in the transaction that made the event, sent by
 * the `webhook` job. `body` is the exact JSON text sent, the same bytes on every attempt; the event id
 * in it lets the receiver drop a repeat (delivery is at least once: an answer lost on the way is sent again).
 */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  uniques: [{ name: 'webhook_delivery_event_unique', properties: ['webhookId', 'eventId'] }],
  indexes: [
    // The log of one webhook, newest first (GET /v1/webhooks/{id}/deliveries).
    { name: 'webhook_delivery_log_index', properties: ['webhookId', 'createdAt', 'id'] },
    // What the sweep sends again after a lost enqueue.
    { name: 'webhook_delivery_pending_index', expression: `create index "webhook_delivery_pending_index" on "webhook_delivery" ("created_at") where "state" = 'pending'` },
  ],
  properties: {
    id: p.uuid().primary(),
    webhookId: p.uuid(),
    eventId: p.uuid(),
    eventType: p.string().length(50),
    body: p.text(),
    state: p.enum(WEBHOOK_DELIVERY_STATES as unknown as WebhookDeliveryState[]).nativeEnumName('webhook_delivery_state'),
    attempts: p.integer().default(0),
    lastStatus: p.smallint().nullable(),
    lastError: p.string().length(500).nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDeliverySchema>;

/**
 * One try of a delivery: when, the HTTP status (null: no answer — a timeout or a refused connection)
 * and what went wrong. The receiver's answer body is never kept: a subscriber must not be able to read
 * what some internal address answers through the log.
 */
export const WebhookAttemptSchema = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  uniques: [{ name: 'webhook_attempt_delivery_attempt_unique', properties: ['deliveryId', 'attempt'] }],
  properties: {
    id: p.uuid().primary(),
    deliveryId: p.uuid(),
    attempt: p.smallint(),
    at: p.datetime(),
    status: p.smallint().nullable(),
    error: p.string().length(500).nullable(),
    durationMs: p.integer(),
  },
});
export type WebhookAttempt = InferEntity<typeof WebhookAttemptSchema>;
