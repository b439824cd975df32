import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { signatureHeaders } from './signature.js';
import { beginAttempt, deliveryToSend, recordAttempt, settleDelivery } from './webhooks.repository.js';

/** What the `webhook` job needs besides the database. */
export interface WebhookSendDeps {
  /** Opens the sealed secret (src/crypto/secret-box.ts through the runtime's Secrets). */
  openSecret(blob: string): string;
  /** How long one attempt waits for the receiver's answer. */
  timeoutMs: number;
  /** The clock of the signature timestamp and the log. */
  now?: () => Date;
}

/**
 * Thrown when the receiver should be tried again (no answer in time, a refused connection, 5xx, 408,
 * 429): the job fails and BullMQ retries it with exponential back-off until its attempts run out.
 */
export class WebhookRetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRetry';
  }
}

export type WebhookSendOutcome = 'delivered' | 'failed' | 'cancelled' | 'skipped';

const USER_AGENT = 'lienthong-webhooks/1';

/**
 * One attempt at a delivery: sign `<timestamp>.<body>` with the webhook's secret and POST it. 2xx
 * delivers; an answer worth waiting for (see WebhookRetry) throws for a retry unless this is the last
 * attempt, which fails the delivery; any other answer (3xx — redirects are not followed — or 4xx)
 * fails it at once. Every attempt is logged, without the receiver's answer body.
 */
export async function sendWebhookDelivery(em: EntityManager, deps: WebhookSendDeps, deliveryId: string, options: { lastAttempt: boolean }): Promise<WebhookSendOutcome> {
  const now = deps.now ?? (() => new Date());
  const delivery = await deliveryToSend(em, deliveryId);
  if (!delivery || delivery.state !== 'pending') return 'skipped';
  if (delivery.webhookDeleted) {
    await settleDelivery(em, deliveryId, { state: 'cancelled', status: null, error: 'the webhook was deleted', at: now() });
    return 'cancelled';
  }
  const started = now();
  const attempt = await beginAttempt(em, deliveryId, started);
  if (attempt === null) return 'skipped';
  let secret: string;
  try {
    secret = deps.openSecret(delivery.secretSealed);
  } catch {
    // Sealed under another master key (or altered): no attempt can ever sign it; trying again would loop.
    await settleDelivery(em, deliveryId, { state: 'failed', status: null, error: 'the webhook secret cannot be opened with this node\'s master key', at: now() });
    return 'failed';
  }
  const t0 = performance.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': USER_AGENT,
        'x-lienthong-event': delivery.eventType,
        'x-lienthong-event-id': delivery.eventId,
        'x-lienthong-delivery': delivery.id,
        ...signatureHeaders(secret, delivery.body, started),
      },
    });
    status = res.status;
    // The answer's body is not ours to keep: read and dropped, so the connection can be reused.
    await res.body?.cancel().catch(() => undefined);
    if (status < 200 || status >= 300) error = `HTTP ${status}`;
  } catch (e) {
    error = transportReason(e, deps.timeoutMs);
  }
  const durationMs = Math.round(performance.now() - t0);
  const at = now();
  await recordAttempt(em, { id: randomUUID(), deliveryId, attempt, at: started, status, error, durationMs });
  if (status !== null && status >= 200 && status < 300) {
    await settleDelivery(em, deliveryId, { state: 'delivered', status, error: null, at });
    return 'delivered';
  }
  const retryable = status === null || status >= 500 || status === 408 || status === 429;
  if (retryable && !options.lastAttempt) {
    await settleDelivery(em, deliveryId, { state: 'pending', status, error, at });
    throw new WebhookRetry(`webhook delivery ${deliveryId}: ${error ?? 'no answer'}; tried again later`);
  }
  await settleDelivery(em, deliveryId, { state: 'failed', status, error: retryable ? `${error ?? 'no answer'} (gave up after ${attempt} attempts)` : error, at });
  return 'failed';
}

/** Why no answer came, in a few words and without the URL (its query may carry the receiver's own key). */
function transportReason(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return 'request failed';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return `request failed: ${cause?.code ?? cause?.message ?? error.message}`.slice(0, 480);
}
