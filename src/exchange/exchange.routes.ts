import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findPartner } from '../directory/directory.repository.js';
import type { Partner } from '../directory/partner.entity.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { DomainError } from '../errors.js';
import { requirePrincipal } from '../http/auth.js';
import { readBodyLimited } from '../http/body.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, json, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, PageQuery } from '../http/pagination.js';
import { packageBytes } from '../packages/packages.repository.js';
import type { JobQueues } from '../../queues/producer.js';
import { packagesByIds } from './exchange.repository.js';
import { ingestPackage } from './ingest.js';
import { acknowledge, markFetched, pulledMessage, waitingFor } from '../transport/outbound.js';
import { enforceRateLimit } from './rate-limit.js';

export interface ExchangeDeps {
  pipeline: PipelineDeps;
  queues: JobQueues;
  maxBodyBytes: number;
  ratePerMinute: number;
}

const tags = ['Exchange (partners)'];
const ReceiptParam = z.object({ receiptId: z.string().max(64).openapi({ param: { name: 'receiptId', in: 'path' } }) });

/** The partner calling, from its token; users and admins get 403 here (partners only). */
async function partnerOf(c: Context<AppEnv>): Promise<Partner> {
  const principal = requirePrincipal(c.get('principal'));
  if (principal.kind !== 'partner') throw new DomainError('FORBIDDEN', 'The exchange API is for partner systems (a partner token).');
  const partner = await findPartner(c.get('em'), principal.id);
  if (!partner || !partner.active) throw new DomainError('UNAUTHENTICATED', 'This partner is not active.');
  return partner;
}

/** API.md "Exchange": peers and the provincial system push and pull edXML packages. */
export function registerExchangeRoutes(app: OpenAPIHono<AppEnv>, deps: ExchangeDeps): void {
  // Rate limit per partner on every exchange call (429 with Retry-After).
  app.use('/exchange/*', async (c, next) => {
    const principal = c.get('principal');
    if (principal?.kind === 'partner') {
      // RATE_LIMITED carries retryAfterSeconds; the problem answer turns it into Retry-After.
      await enforceRateLimit(c.get('em'), `exchange:${principal.id}`, deps.ratePerMinute);
    }
    await next();
  });

  app.post('/exchange/v1/packages', async (c) => {
    const partner = await partnerOf(c);
    const type = (c.req.header('content-type') ?? 'application/xml').toLowerCase();
    if (!type.startsWith('application/xml') && !type.startsWith('text/xml') && !type.startsWith('application/octet-stream')) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send one edXML package as application/xml.');
    }
    // Streamed with the size limit: an oversize body is refused without being buffered whole.
    const bytes = await readBodyLimited(c.req.raw, deps.maxBodyBytes, { shared: true });
    // Read for this request alone, into shared memory, and changed by nothing: handed over to the
    // verifier, which would otherwise copy it into shared memory a second time (issue 11).
    const result = await ingestPackage(c.get('em'), deps.pipeline, partner, bytes, { handOver: true });
    if (result.statusIds.length) await deps.queues.enqueueMany('status', result.statusIds.map((statusId) => ({ statusId }))).catch(() => undefined);
    // A status the graph kept or refused is received and recorded all the same: the answer says so.
    const notApplied = result.outcome && (result.outcome.kind === 'keep' || result.outcome.kind === 'refuse') ? { applied: false, reason: result.outcome.reason } : {};
    return c.json({ receiptId: result.receiptId, ...(result.duplicate ? { duplicate: true } : {}), ...notApplied }, result.duplicate ? 200 : 202);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/exchange/v1/packages',
    tags,
    security: BEARER,
    summary: 'Push one edXML package (edoc or status)',
    description:
      'Verified before anything is stored. The sender must be an agency the partner serves (403); every edoc recipient must be a local agency (422 UNKNOWN_RECIPIENT). ' +
      'The same package again (same bytes, or same DocumentId + sender + recipients) → 200 with the first receiptId. Bad XML → 400; bad signature → 422.',
    request: { body: { required: true, content: { 'application/xml': { schema: z.string() } } } },
    responses: {
      202: json(
        z.object({
          receiptId: z.string(),
          applied: z.literal(false).optional().openapi({ description: 'Present when a status was recorded but did not change the state (it crossed a recall, or the graph refuses it)' }),
          reason: z.string().optional(),
        }),
        'Accepted',
      ),
      200: json(z.object({ receiptId: z.string(), duplicate: z.boolean() }), 'Already received'),
      ...COMMON_ERRORS,
      429: { description: 'RATE_LIMITED, with Retry-After' },
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/exchange/v1/packages',
      tags,
      security: BEARER,
      summary: "Packages waiting for the partner's agencies (pull mode), oldest first",
      request: { query: PageQuery.extend({ to: z.string().max(13).optional() }) },
      responses: {
        200: json(
          z.object({
            items: z.array(z.object({ receiptId: z.string(), kind: z.string(), from: z.string(), to: z.array(z.string()), documentId: z.string(), sha256: z.string(), size: z.number(), createdAt: z.string() })),
            nextCursor: z.string().nullable(),
          }),
          'A page',
        ),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const partner = await partnerOf(c);
      const q = c.req.valid('query');
      // In arrival order (seq), so that a cursor kept between polls never skips a later package and a
      // recall package is listed before its 13.
      const after = decodeCursor(q.cursor, CURSOR_KEYS.serial);
      const em = c.get('em');
      const rows = await waitingFor(em, partner.id, { to: q.to, afterSeq: after, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit);
      const packages = await packagesByIds(em, items.map((m) => m.packageId));
      const last = items[items.length - 1];
      return c.json(
        {
          items: items.map((m) => ({
            receiptId: m.id,
            kind: m.kind,
            from: m.senderCode,
            to: m.recipientCodes,
            documentId: packages.get(m.packageId)?.documentId ?? '',
            sha256: packages.get(m.packageId)?.sha256 ?? '',
            size: packages.get(m.packageId)?.size ?? 0,
            createdAt: m.createdAt.toISOString(),
          })),
          nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null,
        },
        200,
      );
    },
  );

  app.get('/exchange/v1/packages/:receiptId', async (c) => {
    const partner = await partnerOf(c);
    const receiptId = c.req.param('receiptId');
    // Only what waits for this partner (not what it pushed itself); fetching marks it, so that a
    // recall from now on asks the recipient back instead of withdrawing it.
    const packageId = /^[0-9a-f-]{36}$/i.test(receiptId) ? await markFetched(c.get('em'), partner.id, receiptId) : null;
    if (!packageId) throw new DomainError('NOT_FOUND', `No package ${receiptId} for partner ${partner.id}.`);
    const bytes = await packageBytes(c.get('em'), packageId);
    return new Response(new Uint8Array(bytes), { status: 200, headers: { 'content-type': 'application/xml', 'content-length': String(bytes.length) } });
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/exchange/v1/packages/{receiptId}',
    tags,
    security: BEARER,
    summary: 'One package, exactly as signed (application/xml)',
    request: { params: ReceiptParam },
    responses: { 200: { description: 'The package', content: { 'application/xml': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND },
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/exchange/v1/packages/{receiptId}/ack',
      tags,
      security: BEARER,
      summary: 'The partner took the package; it leaves the pull list',
      request: { params: ReceiptParam },
      responses: { 200: json(z.object({ receiptId: z.string(), state: z.literal('acked') }), 'Acknowledged'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const partner = await partnerOf(c);
      const { receiptId } = c.req.valid('param');
      const em = c.get('em');
      const message = /^[0-9a-f-]{36}$/i.test(receiptId) ? await pulledMessage(em, partner.id, receiptId) : null;
      if (!message) throw new DomainError('NOT_FOUND', `No package ${receiptId} waiting for partner ${partner.id}.`);
      await acknowledge(em, partner.id, receiptId);
      return c.json({ receiptId, state: 'acked' as const }, 200);
    },
  );
}
