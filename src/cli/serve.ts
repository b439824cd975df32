import { serve, type ServerType } from '@hono/node-server';
import { loadConfigOrReport, type Config } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { createLogger, type Logger } from '../logger.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { connectOrm, migrate } from '../db/orm.js';
import { serveMetrics } from '../http/metrics.js';

export type Role = 'start' | 'api' | 'worker' | 'migrate';

/**
 * Runs one role of the service until SIGINT/SIGTERM: `start` (migrate, api and workers in one
 * process), `api`, `worker`, or `migrate` (apply migrations and exit).
 */
export async function runRole(role: Role, env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, process.stderr);
  if (!config) return 2;
  const logger = createLogger(config.logLevel, { role });
  const resolved = await resolveDevelopmentDefaults(config, logger);
  const cfg = resolved.config;

  if (role === 'migrate') {
    const orm = await connectOrm(cfg.databaseUrl!);
    try {
      const applied = await migrate(orm);
      logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
    } finally {
      await orm.close(true);
      await resolved.stop();
    }
    return 0;
  }

  const runtime = await startWithRetry(logger, () =>
    createRuntime(cfg, {
      roles: { api: role !== 'worker', worker: role !== 'api' },
      migrate: role === 'start',
      logger,
      defaultMetrics: true,
    }),
  );
  logger.info(`database: PostgreSQL ${redactUrl(cfg.databaseUrl!)}${config.databaseUrl ? '' : ' (embedded, data in ' + cfg.dataDir + '/pg)'}`);
  logger.info(`queues: ${runtime.queues.backend.description}`);
  logger.info(`workers: ${runtime.workers ? `${runtime.workers.workers.length} queues in this process` : 'none in this process'}`);

  const servers: ServerType[] = [];
  if (role !== 'worker') {
    servers.push(await listen(runtime, cfg));
    const base = cfg.publicUrl ?? `http://localhost:${cfg.port}`;
    logger.info(`api: listening on ${cfg.host}:${cfg.port}; docs at ${base}/docs`);
    if (cfg.metricsPort !== undefined) {
      // /metrics leaves the main port for its own listener, without a token (LIENTHONG_METRICS_PORT).
      servers.push(await serveMetrics(runtime.metrics, cfg));
      logger.info(`metrics: listening on ${cfg.metricsHost}:${cfg.metricsPort}/metrics`);
    } else {
      logger.info('metrics: GET /metrics on the api port, admin token required');
    }
    if (resolved.generatedAdminToken) {
      // Printed once per start, on stdout, for the developer who ran `npm start`.
      process.stdout.write(
        `\n  lienthong is running at ${base}\n  API docs:     ${base}/docs\n  Admin token:  ${cfg.adminToken}\n  (kept in ${cfg.dataDir}/admin-token; set LIENTHONG_ADMIN_TOKEN to choose your own)\n\n`,
      );
    }
  }
  return waitForShutdown(runtime, servers, logger, resolved.stop);
}

function listen(runtime: Runtime, cfg: Config): Promise<ServerType> {
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: runtime.app.fetch, port: cfg.port, hostname: cfg.host }, () => resolvePromise(server));
    server.on('error', reject);
  });
}

function waitForShutdown(runtime: Runtime, servers: ServerType[], logger: Logger, stopDatabase: () => Promise<void>): Promise<number> {
  return new Promise((resolvePromise) => {
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: no new requests, finishing running jobs');
      // Stop accepting connections first (the api and the metrics listener); in-flight requests complete.
      await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
      await runtime.close();
      await stopDatabase().catch((err: unknown) => logger.warn({ err }, 'stopping the embedded PostgreSQL'));
      logger.info('stopped');
      resolvePromise(0);
    };
    process.once('SIGINT', (s) => void shutdown(s));
    process.once('SIGTERM', (s) => void shutdown(s));
  });
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', '57P01', '57P03', '08006', '08001']);

/**
 * PostgreSQL restarting, or still starting next to us (compose, a failover): wait for it rather
 * than exit. Anything else (a bad migration, a wrong password) fails at once.
 */
async function startWithRetry<T>(logger: Logger, start: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? '');
      if (!TRANSIENT.has(code) || attempt >= attempts) throw error;
      logger.warn({ attempt, code }, 'the database is not reachable yet; trying again in 2 s');
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
