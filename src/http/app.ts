import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobQueues } from '../../queues/producer.js';
import { authenticate, requireAdmin } from './auth.js';
import type { AppEnv } from './context.js';
import { mountDocs } from './docs.js';
import type { Metrics } from './metrics.js';
import { problemResponse, toDomainError, validationError } from './problem.js';
import { withTimeout } from '../util/timeout.js';

export interface AppDeps {
  config: Config;
  orm: MikroORM;
  queues: JobQueues;
  metrics: Metrics;
  logger: Logger;
  /** Modules add their routes here (directory, documents, inbox, exchange…). */
  modules: Array<(app: OpenAPIHono<AppEnv>) => void>;
}

export const API_VERSION = '0.1.0';

/** Builds the HTTP application: middleware, health, docs, metrics, dashboard and module routes. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { config, orm, queues, metrics, logger } = deps;
  const app = new OpenAPIHono<AppEnv>({
    // Every zod failure of body, query, params or headers becomes a 422 problem with field errors.
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target === 'json' ? 'request body' : result.target);
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
    logger.info(
      { requestId, method: c.req.method, route, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) },
      'request',
    );
  });

  app.onError((error, c) => problemResponse(c, toDomainError(error, logger, c.get('requestId'))));
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
      // API.md names the queue check "redis". In the zero-setup mode the queues run on PostgreSQL,
      // and the same key reports that backend, so clients read one shape in every mode.
      probe('redis', () => queues.backend.ping(2_000)),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ok ? 'ok' : 'unavailable', checks }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  });

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

  // JSON bodies are bounded before they are parsed; packages and uploads stream with their own limits.
  app.use('/v1/*', async (c, next) => {
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('application/json')) {
      return bodyLimit({
        maxSize: config.maxJsonBodyBytes,
        onError: () => {
          throw new DomainError('PAYLOAD_TOO_LARGE', `The JSON body exceeds ${config.maxJsonBodyBytes} bytes.`);
        },
      })(c, next);
    }
    return next();
  });
  app.use('/v1/*', authenticate(config.adminToken));
  app.use('/exchange/*', authenticate(config.adminToken));

  mountQueueDashboard(app, deps);
  for (const register of deps.modules) register(app);
  return app;
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
  app.use('/admin/queues', authenticate(deps.config.adminToken), guard);
  app.use('/admin/queues/*', authenticate(deps.config.adminToken), guard);
  app.route('/admin/queues', board);
}
