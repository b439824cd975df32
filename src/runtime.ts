import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createQueueBackend } from '../queues/backend.js';
import type { JobContext } from '../queues/context.js';
import { PROCESSORS } from '../queues/processors.js';
import { JobQueues } from '../queues/producer.js';
import { startWorkers, type WorkerHandle } from '../queues/worker.js';
import type { Config } from './config.js';
import { deriveMasterKey } from './crypto/keys.js';
import { sealSecret } from './crypto/secret-box.js';
import { connectOrm, migrate } from './db/orm.js';
import { registerDirectoryRoutes } from './directory/directory.routes.js';
import { createApp } from './http/app.js';
import type { AppEnv } from './http/context.js';
import { Metrics } from './http/metrics.js';
import { createLogger, type Logger } from './logger.js';

export interface RuntimeOptions {
  /** Which roles this process plays; `start` plays both. Default: both. */
  roles?: { api?: boolean; worker?: boolean };
  /** Apply pending migrations before anything else (default: false; the CLI's `start` does). */
  migrate?: boolean;
  logger?: Logger;
  /** Node's default process metrics (off in tests that build several runtimes). */
  defaultMetrics?: boolean;
}

/** The handles of a running service (STYLE.md: one factory for the CLI and the tests). */
export interface Runtime {
  config: Config;
  app: OpenAPIHono<AppEnv>;
  orm: MikroORM;
  queues: JobQueues;
  metrics: Metrics;
  logger: Logger;
  workers: WorkerHandle | undefined;
  /** Stops workers (letting running jobs finish), closes queues, Redis and the ORM. Idempotent. */
  close(): Promise<void>;
}

/** Builds the service from a resolved configuration (database URL and master key present). */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  if (!config.databaseUrl) throw new Error('createRuntime needs config.databaseUrl (the CLI starts an embedded PostgreSQL when it is unset)');
  if (!config.masterKey) throw new Error('createRuntime needs config.masterKey (the CLI generates one in development)');
  const logger = options.logger ?? createLogger(config.logLevel);
  const roles = { api: options.roles?.api ?? true, worker: options.roles?.worker ?? true };
  const masterKey = deriveMasterKey(config.masterKey);

  const orm = await connectOrm(config.databaseUrl);
  const backend = createQueueBackend({ redisUrl: config.redisUrl, databaseUrl: config.databaseUrl, prefix: config.queuePrefix });
  const queues = new JobQueues(backend);
  let workers: WorkerHandle | undefined;
  let closed: Promise<void> | undefined;

  const close = () =>
    (closed ??= (async () => {
      await workers?.close().catch((err: unknown) => logger.error({ err }, 'closing workers'));
      await queues.close();
      await backend.close();
      await orm.close(true);
    })());

  try {
    if (options.migrate) {
      const applied = await migrate(orm);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    const metrics = new Metrics({ queues, em: () => orm.em.fork(), defaultMetrics: options.defaultMetrics ?? false });
    const app = createApp({
      config,
      orm,
      queues,
      metrics,
      logger,
      modules: [
        (a) =>
          registerDirectoryRoutes(a, {
            sealSecret: (plain) => sealSecret(plain, masterKey),
          }),
      ],
    });
    if (roles.worker) {
      const ctx: JobContext = {
        orm,
        config,
        logger,
        queues,
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      };
      workers = await startWorkers(ctx, PROCESSORS);
    }
    return { config, app, orm, queues, metrics, logger, workers, close };
  } catch (error) {
    await close();
    throw error;
  }
}
