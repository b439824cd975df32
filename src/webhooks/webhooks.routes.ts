import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../errors.js';
import { allow, requireUserOrAdmin } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { idempotent } from '../http/idempotency.js';
import { BEARER, COMMON_ERRORS, CONFLICT, IdempotencyHeader, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, listOf, page, PageQuery, timeKey } from '../http/pagination.js';
import { WEBHOOK_EVENTS } from './webhook.entity.js';
import { DEFAULT_TOLERANCE_SECONDS } from './signature.js';
import { deliveryLog, listWebhooks } from './webhooks.repository.js';
import { WebhookCreatedSchema, WebhookDeliverySchema, WebhookInputSchema, WebhookListQuery, WebhookSchema } from './webhooks.schemas.js';
import { createWebhook, deleteWebhook, MAX_WEBHOOKS_PER_AGENCY, ownWebhook, webhookAgency, webhookView } from './webhooks.service.js';

export interface WebhookDeps {
  /** Seals a new secret with the node's master key (the runtime's Secrets). */
  sealSecret(plain: string): string;
}

const tags = ['Webhooks'];
const IdParam = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

/** A path id that is no UUID names nothing (404, not a 500 from the database). */
function uuidParam(id: string): string {
  if (!z.uuid().safeParse(id).success) throw new DomainError('NOT_FOUND', `No webhook ${id}.`);
  return id;
}

const SECRET_SHOWN_ONCE_NOTE =
  'The secret is shown only in the first answer and is kept only sealed, so this replay cannot show it. If it was lost, delete this webhook and create a new one.';

const SIGNING =
  'Each event is POSTed as JSON `{ id, type, agencyCode, createdAt, data }` with `X-Lienthong-Timestamp` (Unix seconds) and ' +
  '`X-Lienthong-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`; check it in constant time and refuse ' +
  `a timestamp more than ${DEFAULT_TOLERANCE_SECONDS} s from your clock. A 2xx answer delivers; no answer within the timeout, 408, 429 or 5xx is tried again ` +
  'with exponential back-off; any other answer (redirects are not followed) fails the delivery. Delivery is at least once: drop a repeated `id`.';

/** Signed webhooks an agency's own system subscribes to (issue 18). */
export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>, deps: WebhookDeps): void {
  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'post',
      path: '/v1/webhooks',
      tags,
      security: BEARER,
      summary: "Subscribe a URL of the agency's system to its events; the signing secret is shown once (a clerk, or an administrator)",
      description: `Events: ${WEBHOOK_EVENTS.join(', ')}. At most ${MAX_WEBHOOKS_PER_AGENCY} webhooks per agency (409 beyond). ${SIGNING}`,
      request: { body: jsonBody(WebhookInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(WebhookCreatedSchema, 'The webhook and its secret'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const principal = c.get('principal')!;
      const agencyCode = webhookAgency(principal, body.agencyCode, 'write')!;
      const actor = { principal, requestId: c.get('requestId') };
      const answer = await idempotent(
        c.get('em'),
        principal,
        c.req.header('idempotency-key'),
        'POST /v1/webhooks',
        body,
        async (tx) => ({ status: 201, body: await createWebhook(tx, actor, agencyCode, body, deps.sealSecret) }),
        // The secret is shown once: the stored answer, and so any replay, carries none.
        { redact: (created) => ({ ...created, secret: null, secretShownOnce: true as const, note: SECRET_SHOWN_ONCE_NOTE }) },
      );
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      tags,
      security: BEARER,
      summary: "The agency's webhooks, newest first (never their secrets)",
      request: { query: PageQuery.extend(WebhookListQuery.shape) },
      responses: { 200: json(listOf(WebhookSchema), 'A page of webhooks'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const agencyCode = webhookAgency(c.get('principal'), q.agency, 'read');
      const rows = await listWebhooks(c.get('em'), { agencyCode, before: decodeCursor(q.cursor, CURSOR_KEYS.time), limit: q.limit + 1 });
      return c.json(page(rows, q.limit, (w) => timeKey(w.createdAt, w.id), webhookView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}',
      tags,
      security: BEARER,
      summary: 'One webhook',
      request: { params: IdParam },
      responses: { 200: json(WebhookSchema, 'The webhook'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => c.json(webhookView(await ownWebhook(c.get('em'), c.get('principal'), uuidParam(c.req.valid('param').id))), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      tags,
      security: BEARER,
      summary: 'Unsubscribe: nothing more is sent, deliveries still waiting are cancelled, the log stays',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const principal = requireUserOrAdmin(c.get('principal'));
      await deleteWebhook(c.get('em'), { principal, requestId: c.get('requestId') }, uuidParam(c.req.valid('param').id));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      tags,
      security: BEARER,
      summary: "The webhook's delivery log, newest first: each event, its state and every attempt (status, error, duration)",
      request: { params: IdParam, query: PageQuery },
      responses: { 200: json(listOf(WebhookDeliverySchema), 'A page of deliveries'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const webhook = await ownWebhook(c.get('em'), c.get('principal'), uuidParam(c.req.valid('param').id));
      const q = c.req.valid('query');
      const rows = await deliveryLog(c.get('em'), webhook.id, decodeCursor(q.cursor, CURSOR_KEYS.time), q.limit + 1);
      return c.json(
        page(
          rows,
          q.limit,
          (r) => timeKey(r.createdAt, r.id),
          (r) => ({
            ...r,
            createdAt: r.createdAt.toISOString(),
            deliveredAt: r.deliveredAt?.toISOString() ?? null,
            log: r.log.map((a) => ({ ...a, at: a.at.toISOString() })),
          }),
        ),
        200,
      );
    },
  );
}
