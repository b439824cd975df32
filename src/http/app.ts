import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobQueues } from '../../queues/producer.js';
import { Admission } from './admission.js';
import { authenticate, requireAdmin, requirePrincipal, type TokenResolver } from './auth.js';
import { announcedLength, carriesBody, jsonDocumentLimit, readBodyLimited } from './body.js';
import { principalKey, type AppEnv } from './context.js';
import { mountDocs } from './docs.js';
import { mountMetricsRoute, type Metrics } from './metrics.js';
import { problemResponse, toDomainError, validationError } from './problem.js';
import { withTimeout } from '../util/timeout.js';

export interface AppDeps {
  config: Config;
  orm: MikroORM;
  queues: JobQueues;
  metrics: Metrics;
  logger: Logger;
  /** Turns a bearer token into a principal (the directory's tokenResolver). */
  resolveToken: TokenResolver;
  /** Modules add their routes here (directory, documents, inbox, exchange, the console…). */
  modules: Array<(app: OpenAPIHono<AppEnv>, edge: Edge) => void>;
}

/** The edge's middleware, for modules that take bodies on routes of their own (the console's forms). */
export interface Edge {
  /** Admission and the byte limit of a body (see createApp); needs the caller authenticated first. */
  boundBody: MiddlewareHandler<AppEnv>;
}

export const API_VERSION = '0.1.0';

/** Health probes and metric scrapes: their request lines are logged at debug. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Builds the HTTP application: middleware, health, docs, metrics, dashboard and module routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { config, orm, queues, metrics, logger } = deps;
  const app = new OpenAPIHono<AppEnv>({
    // Every zod failure of body, query, params or headers becomes a 422 problem with field errors.
    defaultHook: (result, c) => {
      if (!result.success) {
        // The validator hands the hook what it parsed (`data`), though its type does not say so.
        const input = (result as { data?: unknown }).data;
        throw validationError(result.error, result.target === 'json' ? 'request body' : result.target, { input, urlPath: c.req.path });
      }
    },
  });

  // Request id, a fresh ORM context, and one log line per request.
  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('em', orm.em.fork());
    c.set('principal', undefined);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath || 'unmatched';
    const status = String(c.res.status);
    c.header('x-request-id', requestId);
    metrics.httpRequests.inc({ method: c.req.method, route, status });
    metrics.httpDuration.observe({ method: c.req.method, route, status }, seconds);
    // Probes and scrapes arrive every few seconds: at info they would bury the requests people make.
    logger[PROBE_PATHS.has(c.req.path) ? 'debug' : 'info'](
      { requestId, method: c.req.method, route, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) },
      'request',
    );
  });

  app.onError((error, c) => {
    const response = problemResponse(c, toDomainError(error, logger, c.get('requestId')));
    // A request refused before its body was read: close the connection instead of draining a body
    // that may be hundreds of megabytes long (asked of the headers: see carriesBody).
    if (response.status >= 400 && !c.req.raw.bodyUsed && carriesBody(c.req.raw)) response.headers.set('connection', 'close');
    return response;
  });
  app.notFound((c) => problemResponse(c, new DomainError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}.`)));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    const probe = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = `failing: ${error instanceof Error ? error.message : 'unknown error'}`;
      }
    };
    await Promise.all([
      probe('db', () => withTimeout(orm.em.getConnection().execute('select 1'), 2_000, 'PostgreSQL did not answer')),
      probe('queue', () => queues.backend.ping(2_000)),
    ]);
    // `queue` is the check of the job queues, on whichever backend holds them (`backends.queue`:
    // redis, or postgres in the zero-setup mode). API.md named it `redis` first: that key stays, with
    // the same answer, for the clients that read it.
    checks.redis = checks.queue!;
    const ok = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ok ? 'ok' : 'unavailable', checks, backends: { queue: queues.backend.kind } }, ok ? 200 : 503);
  });
  // Admin only, from a snapshot; absent here when LIENTHONG_METRICS_PORT serves it apart (metrics.ts).
  mountMetricsRoute(app, metrics, config, deps.resolveToken);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'lienthong',
      version: API_VERSION,
      description:
        'Inter-agency electronic document exchange (edXML, QCVN 102:2016). Errors are application/problem+json with a stable `code`.',
    },
  });
  mountDocs(app, '/openapi.json');

  // The edge, in this order for every API request (issue 11): authenticate — 401 before a byte of
  // the body is read; admit — the body's weight against this process's and this caller's in-flight
  // budget, 503 with Retry-After beyond it; then bound the body by the bytes actually read, whatever
  // its content type claims. Authorisation by role runs next, as route middleware, before the
  // route's validator parses the body (see `allow` in auth.ts).
  const admission = new Admission({
    processBytes: Math.max(config.inflightBodyBytes, jsonDocumentLimit(config.maxBodyBytes)),
    callerBytes: Math.max(1, Math.floor(config.inflightBodyBytes / 2)),
    callerRequests: config.callerInflightRequests,
  });
  const edge: Edge = { boundBody: boundBody(config, admission) };
  for (const prefix of ['/v1/*', '/exchange/*']) {
    app.use(prefix, authenticate(deps.resolveToken, { required: true }));
    app.use(prefix, edge.boundBody);
  }

  mountQueueDashboard(app, deps);
  for (const register of deps.modules) register(app, edge);
  return app;
}

/**
 * Routes that carry documents read their own bodies, streamed with the package and upload limits
 * (src/http/body.ts); every other route's body is at most `maxJsonBodyBytes`.
 */
const DOCUMENT_ROUTES: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/v1\/documents\/?$/ },
  { method: 'POST', path: /^\/v1\/documents\/[^/]+\/replace\/?$/ },
  // An update may carry new files (issue 12), as JSON or multipart, like the two above.
  { method: 'POST', path: /^\/v1\/documents\/[^/]+\/update\/?$/ },
  { method: 'POST', path: /^\/exchange\/v1\/packages\/?$/ },
  // Drafts to be signed (issue 17): the upload, and the PDF a leader signed with their own token.
  { method: 'POST', path: /^\/v1\/drafts\/?$/ },
  { method: 'POST', path: /^\/v1\/drafts\/[^/]+\/approve\/?$/ },
  // The console's compose and draft forms (multipart, with files).
  { method: 'POST', path: /^\/compose\/?$/ },
  { method: 'POST', path: /^\/drafts\/?$/ },
  { method: 'POST', path: /^\/drafts\/[^/]+\/approve-signed\/?$/ },
];

/** What an unannounced body weighs before its first bytes are read. */
const UNANNOUNCED_FIRST_BYTES = 64 * 1024;

const carriesDocuments = (method: string, path: string): boolean => DOCUMENT_ROUTES.some((r) => r.method === method && r.path.test(path));

/** Admission and the byte limit of a request body (see createApp). Runs after authentication. */
function boundBody(config: Config, admission: Admission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const request = c.req.raw;
    if (!carriesBody(request)) return next();
    const streamed = carriesDocuments(c.req.method, c.req.path);
    const max = streamed ? jsonDocumentLimit(config.maxBodyBytes) : config.maxJsonBodyBytes;
    const announced = announcedLength(request);
    if (announced !== undefined && announced > max) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `The body (${announced} bytes) exceeds the limit of ${max} bytes for this route.`);
    }
    // An unannounced (chunked) body starts small and takes more of the budgets as it is read.
    const ticket = admission.acquire(principalKey(requirePrincipal(c.get('principal'))), announced ?? UNANNOUNCED_FIRST_BYTES);
    try {
      if (!streamed) {
        // Read here, counted chunk by chunk, so that no parser downstream can be handed more.
        c.req.raw = new Request(request, { body: await readBodyLimited(request, max, { onProgress: ticket.grow }) });
      } else if (announced === undefined) {
        // The route reads it; the budget follows as it does. (An announced length needs no meter:
        // the HTTP parser never delivers more than Content-Length.)
        let read = 0;
        const meter = new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            read += chunk.byteLength;
            ticket.grow(read);
            controller.enqueue(chunk);
          },
        });
        c.req.raw = new Request(request, { body: request.body?.pipeThrough(meter) ?? null, duplex: 'half' } as RequestInit);
      }
      await next();
    } finally {
      ticket.release();
    }
  };
}

/**
 * BullMQ's dashboard for admins at /admin/queues. Browsers send no bearer token, so it also takes
 * HTTP Basic auth with the admin token as password (any user name).
 */
function mountQueueDashboard(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const board = new Hono({ strict: false });
  const adapter = new HonoAdapter(serveStatic).setBasePath('/admin/queues');
  createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q as never)),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'lienthong queues' } },
  });
  board.route('/', adapter.registerPlugin());
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!c.req.header('authorization')) {
      // Ask the browser for credentials (user name: anything; password: the admin token).
      return c.body(null, 401, { 'www-authenticate': 'Basic realm="lienthong admin", charset="UTF-8"' });
    }
    requireAdmin(c.get('principal'));
    await next();
  };
  app.use('/admin/queues', authenticate(deps.resolveToken), guard);
  app.use('/admin/queues/*', authenticate(deps.resolveToken), guard);
  app.route('/admin/queues', board);
}
