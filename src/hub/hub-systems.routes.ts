import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Secrets } from '../crypto/secret-box.js';
import { findPartner } from '../directory/directory.repository.js';
import { DomainError } from '../errors.js';
import { allow, requireAdmin } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { idempotent } from '../http/idempotency.js';
import { BEARER, COMMON_ERRORS, CONFLICT, IdempotencyHeader, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, listOf, page, PageQuery } from '../http/pagination.js';
import { AXIS_SIGNERS, DEFAULT_AXIS_SIGNING } from '../transport/axis-signing.js';
import { createHubSystem, hubSystemView, removeHubSystem, type HubActor } from './hub-systems.service.js';
import { findHubSystem, listHubSystems } from './hub.repository.js';

const tags = ['Hub (document systems)'];

const SECRET_SHOWN_ONCE_NOTE =
  'The secret is shown only in the first answer and is stored sealed, so this replay cannot show it. If it was lost, delete the system and register it again.';

const HubSystemInput = z
  .object({
    id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (max 100)')
      .optional()
      .openapi({ description: 'The system id the DMS sends as `systemid` (default: generated)' }),
    name: z.string().trim().min(1).max(300),
    partnerId: z.string().trim().min(1).max(100).openapi({ description: 'The pull partner it acts through: its agencies are the ones the system serves' }),
    signing: z
      .string()
      .refine((s) => Object.hasOwn(AXIS_SIGNERS, s), { message: `one of ${Object.keys(AXIS_SIGNERS).join(', ')}` })
      .optional()
      .openapi({ description: `How its requests are signed (src/transport/axis-signing.ts); default ${DEFAULT_AXIS_SIGNING}`, example: DEFAULT_AXIS_SIGNING }),
  })
  .strict()
  .openapi('HubSystemInput');

const HubSystemView = z
  .object({
    id: z.string(),
    name: z.string(),
    partnerId: z.string(),
    agencies: z.array(z.string()),
    signing: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('HubSystem');

const HubSystemCreated = HubSystemView.extend({
  secret: z.string().nullable().openapi({ description: 'The HMAC secret, shown once: null in a replay of an Idempotency-Key request' }),
  secretShownOnce: z.literal(true).optional(),
  note: z.string().optional(),
}).openapi('HubSystemCreated');

const IdParam = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

/** Admin routes of the hub: register, list and remove the document systems that call it. */
export function registerHubSystemRoutes(app: OpenAPIHono<AppEnv>, deps: { secrets: Secrets }): void {
  const actor = (c: { get(k: 'principal'): AppEnv['Variables']['principal']; get(k: 'requestId'): string }): HubActor => ({
    principal: requireAdmin(c.get('principal')),
    requestId: c.get('requestId'),
  });

  app.openapi(
    createRoute({
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/hub-systems',
      tags,
      security: BEARER,
      summary: 'Register a document system that speaks the axis SDK; its secret is shown once (admin)',
      description:
        'The system acts through a pull partner (POST /v1/partners with mode pull and its agencies; its agencies registered as remote agencies of that partner, with their certificates). ' +
        'Its requests are signed with the secret by the scheme named in `signing`.',
      request: { body: jsonBody(HubSystemInput), headers: IdempotencyHeader },
      responses: { 201: json(HubSystemCreated, 'The system and its secret'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json');
      const answer = await idempotent(
        c.get('em'),
        a.principal,
        c.req.header('idempotency-key'),
        'POST /v1/hub-systems',
        body,
        async (tx) => ({ status: 201, body: await createHubSystem(tx, a, body, deps.secrets) }),
        { redact: (created) => ({ ...created, secret: null, secretShownOnce: true as const, note: SECRET_SHOWN_ONCE_NOTE }) },
      );
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hub-systems',
      tags,
      security: BEARER,
      summary: 'List the hub systems (admin)',
      request: { query: PageQuery },
      responses: { 200: json(listOf(HubSystemView), 'A page of systems'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const em = c.get('em');
      const rows = await listHubSystems(em, decodeCursor(q.cursor, CURSOR_KEYS.code), q.limit + 1);
      const partners = new Map<string, Awaited<ReturnType<typeof findPartner>>>();
      for (const r of rows) if (!partners.has(r.partnerId)) partners.set(r.partnerId, await findPartner(em, r.partnerId));
      return c.json(page(rows, q.limit, (r) => r.id, (r) => hubSystemView(r, partners.get(r.partnerId) ?? null)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hub-systems/{id}',
      tags,
      security: BEARER,
      summary: 'One hub system (admin)',
      request: { params: IdParam },
      responses: { 200: json(HubSystemView, 'The system'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const { id } = c.req.valid('param');
      const system = await findHubSystem(c.get('em'), id);
      if (!system) throw new DomainError('NOT_FOUND', `No hub system ${id}.`);
      return c.json(hubSystemView(system, await findPartner(c.get('em'), system.partnerId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/hub-systems/{id}',
      tags,
      security: BEARER,
      summary: 'Remove a hub system: its requests are refused from now on (admin)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' }, ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      await removeHubSystem(c.get('em'), actor(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
