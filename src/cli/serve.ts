import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { loadConfigOrReport, type Config } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { createLogger, type Logger } from '../logger.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { connectOrm, migrate } from '../db/orm.js';
import { serveMetrics } from '../http/metrics.js';
import { JobsThread } from './jobs-thread.js';

export type Role = 'start' | 'api' | 'worker' | 'migrate';

/**
 * Runs one role of the service until SIGINT/SIGTERM: `start` (migrate, api and workers in one
 * process; with LIENTHONG_JOBS_THREAD=true the workers on a thread of their own: src/cli/jobs-thread.ts), `api`, `worker`, or
 * `migrate` (apply migrations and exit).
 *
 * Shutdown, in every role: the first SIGINT or SIGTERM stops the listeners, lets running requests and
 * jobs finish, closes the queues and the pools, and only then stops the embedded PostgreSQL (which
 * runs in a process group of its own, so a terminal's Ctrl-C does not reach it first); exit code 0.
 * A second signal exits at once (the embedded PostgreSQL is still stopped, by its exit hook).
 */
export async function runRole(role: Role, env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, process.stderr);
  if (!config) return 2;
  const logger = createLogger(config.logLevel, { role });
  const signals = new ShutdownSignals(logger);
  try {
    const resolved = await resolveDevelopmentDefaults(config, logger);
    try {
      return await serveRole(role, config, resolved.config, logger, signals, resolved.generatedAdminToken);
    } finally {
      await resolved.stop().catch((err: unknown) => logger.warn({ err }, 'stopping the embedded PostgreSQL'));
      if (signals.received) logger.info('stopped');
    }
  } finally {
    signals.dispose();
  }
}

async function serveRole(role: Role, config: Config, cfg: Config, logger: Logger, signals: ShutdownSignals, generatedAdminToken: boolean): Promise<number> {
  if (role === 'migrate') {
    const orm = await connectOrm(cfg.databaseUrl!);
    try {
      const applied = await migrate(orm);
      logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
    } finally {
      await orm.close(true);
    }
    return 0;
  }
  if (signals.received) return 0;

  // With LIENTHONG_JOBS_THREAD=true, `start` keeps the loop that answers HTTP for HTTP: its workers run on a thread of their own.
  const workersOnThread = role === 'start' && cfg.jobsThread;
  const runtime = await startWithRetry(logger, signals, () =>
    createRuntime(cfg, {
      roles: { api: role !== 'worker', worker: role === 'worker' || (role === 'start' && !workersOnThread) },
      migrate: role === 'start',
      logger,
      defaultMetrics: true,
    }),
  );
  if (!runtime) return 0;
  const servers: ServerType[] = [];
  let jobs: JobsThread | undefined;
  try {
    logger.info(`database: PostgreSQL ${redactUrl(cfg.databaseUrl!)}${config.databaseUrl ? '' : ' (embedded, data in ' + resolve(cfg.dataDir, 'pg') + ')'}`);
    logger.info(`queues: ${runtime.queues.backend.description}`);
    if (workersOnThread && !signals.received) {
      const started = await JobsThread.start(cfg, logger);
      jobs = started.thread;
      logger.info(`workers: ${started.queues} queues on the jobs thread of this process`);
    } else {
      logger.info(`workers: ${runtime.workers ? `${runtime.workers.workers.length} queues in this process` : 'none in this process'}`);
    }
    if (role !== 'worker' && !signals.received) {
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
      if (generatedAdminToken) {
        // Printed once per start, on stdout, for the developer who ran `npm start`.
        const logins = await consoleLogins(runtime);
        process.stdout.write(
          `\n  lienthong is running at ${base}\n  Console:      ${base}/  (Vietnamese web console for clerks and leaders)\n` +
            (logins === 0 ? `                nobody can log in yet: run \`npx lienthong seed --demo\` in another terminal; it prints a login per demo agency\n` : '') +
            `  API docs:     ${base}/docs\n  Admin token:  ${cfg.adminToken}\n  (kept in ${cfg.dataDir}/admin-token; set LIENTHONG_ADMIN_TOKEN to choose your own)\n  Stop with Ctrl-C.\n\n`,
        );
      }
    }
    await signals.first;
  } finally {
    // Stop accepting connections first (the api and the metrics listener); in-flight requests complete.
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
    await jobs?.close();
    await runtime.close();
  }
  return 0;
}

/** How many users can log in to the console (have a password). */
async function consoleLogins(runtime: Runtime): Promise<number> {
  const rows = await runtime.orm.em.fork().getConnection().execute<Array<{ n: string }>>(`select count(*) as n from app_user where password_hash is not null and active`);
  return Number(rows[0]?.n ?? 0);
}

function listen(runtime: Runtime, cfg: Config): Promise<ServerType> {
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: runtime.app.fetch, port: cfg.port, hostname: cfg.host }, () => resolvePromise(server));
    server.on('error', reject);
  });
}

/** Within this long of the first, a signal is the first one delivered again, not a second Ctrl-C. */
const REPEATED_SIGNAL_MS = 1_000;

/**
 * SIGINT and SIGTERM, listened to from the very start (a Ctrl-C during initdb or the migrations
 * stops cleanly too): the first starts the shutdown, a second one exits at once.
 */
class ShutdownSignals {
  received: NodeJS.Signals | undefined;
  readonly first: Promise<NodeJS.Signals>;
  private resolveFirst!: (signal: NodeJS.Signals) => void;
  private receivedAt = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.received) {
      // The same Ctrl-C, delivered twice: by the terminal to the process group, and forwarded by a
      // parent that launched us (npm, npx). A person's second Ctrl-C comes later than this.
      if (Date.now() - this.receivedAt < REPEATED_SIGNAL_MS) return;
      this.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    this.received = signal;
    this.receivedAt = Date.now();
    this.logger.info({ signal }, 'shutting down: no new requests, finishing running jobs (send the signal again to exit at once)');
    this.resolveFirst(signal);
  };

  constructor(private readonly logger: Logger) {
    this.first = new Promise((r) => (this.resolveFirst = r));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
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
async function startWithRetry<T>(logger: Logger, signals: ShutdownSignals, start: () => Promise<T>, attempts = 30): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? '');
      if (!TRANSIENT.has(code) || attempt >= attempts) throw error;
      logger.warn({ attempt, code }, 'the database is not reachable yet; trying again in 2 s');
      // A signal while waiting ends the wait: nothing was started that needs closing.
      if ((await Promise.race([signals.first, new Promise((r) => setTimeout(r, 2_000, 'retry'))])) !== 'retry') return undefined;
    }
  }
}
