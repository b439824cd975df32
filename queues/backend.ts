import { randomUUID } from 'node:crypto';
import { Queue, Worker, withBackend, createPostgresBackend, type Processor, type WorkerOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { withTimeout } from '../src/util/timeout.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the seam erases BullMQ's backend type parameters on purpose */
export type AnyQueue = Queue<any, any, string, any, any, any, any, any>;
export type AnyWorker = Worker<any, any, string, any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const Pg = withBackend(createPostgresBackend);

/**
 * The one seam that chooses where BullMQ keeps its jobs: Redis (production, ~13× faster) or BullMQ's
 * PostgreSQL backend in the service's own database (the zero-setup default). The rest of the code
 * asks this object for queues and workers and cannot tell which it got.
 */
export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  /** One line for the start-up log, without credentials. */
  readonly description: string;
  createQueue(name: string): AnyQueue;
  createWorker(name: string, processor: Processor, options: Pick<WorkerOptions, 'concurrency' | 'lockDuration'>): AnyWorker;
  /** Resolves when the backend answers; rejects quickly when it does not. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface QueueBackendOptions {
  redisUrl: string | undefined;
  databaseUrl: string;
  /** Key prefix (Redis, with a hash tag for Cluster) or schema suffix (PostgreSQL). */
  prefix: string;
}

/** Builds the backend named by the configuration: Redis when a URL is given, else PostgreSQL. */
export function createQueueBackend(options: QueueBackendOptions): QueueBackend {
  return options.redisUrl
    ? new RedisQueueBackend(options.redisUrl, options.prefix)
    : new PostgresQueueBackend(options.databaseUrl, options.prefix);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

class RedisQueueBackend implements QueueBackend {
  readonly kind = 'redis' as const;
  readonly description: string;
  private readonly producer: Redis;
  private readonly workerOptions: RedisOptions;
  private readonly closers: Array<() => Promise<unknown>> = [];

  constructor(url: string, private readonly prefix: string) {
    this.description = `BullMQ on Redis ${redact(url)} (prefix ${prefix})`;
    // Producers fail fast when Redis is down (DESIGN.md §6): no offline queue, one retry, short
    // connect timeout, so the API answers 503 instead of hanging with half the work written.
    this.producer = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.producer.on('error', () => {
      /* surfaced through ping() and failed commands; ioredis reconnects by itself */
    });
    // Workers retry their connection forever (maxRetriesPerRequest: null is required by BullMQ).
    this.workerOptions = { ...parseRedisUrl(url), maxRetriesPerRequest: null, enableOfflineQueue: true };
  }

  createQueue(name: string): AnyQueue {
    const queue = new Queue(name, { connection: this.producer, prefix: this.prefix });
    queue.on('error', () => {
      /* a producer error is reported to the caller of add(); avoid unhandled 'error' events */
    });
    this.closers.push(() => queue.close());
    return queue;
  }

  createWorker(name: string, processor: Processor, options: Pick<WorkerOptions, 'concurrency' | 'lockDuration'>): AnyWorker {
    const connection = new Redis(this.workerOptions);
    connection.on('error', () => undefined);
    const worker = new Worker(name, processor, {
      connection,
      prefix: this.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDuration,
      stalledInterval: options.lockDuration,
      autorun: false,
    });
    this.closers.push(async () => {
      await worker.close();
      connection.disconnect();
    });
    return worker;
  }

  async ping(timeoutMs = 1_000): Promise<void> {
    await withTimeout(this.producer.ping(), timeoutMs, 'Redis did not answer PING');
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    this.producer.disconnect();
  }
}

class PostgresQueueBackend implements QueueBackend {
  readonly kind = 'postgres' as const;
  readonly description: string;
  private readonly connection: { connectionString: string; schema: string; migrate: boolean; max: number };
  private readonly closers: Array<() => Promise<unknown>> = [];
  private readonly probe: AnyQueue;

  constructor(databaseUrl: string, prefix: string) {
    // BullMQ's tables live in their own schema ("bullmq", ignored by our schema diff). A prefix
    // other than the default gives each test its own schema.
    const schema = prefix === '{lienthong}' ? 'bullmq' : `bullmq_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    this.connection = { connectionString: databaseUrl, schema, migrate: true, max: 5 };
    this.description = `BullMQ on PostgreSQL ${redact(databaseUrl)} (schema ${schema})`;
    this.probe = this.createQueue(`probe-${randomUUID().slice(0, 8)}`);
  }

  createQueue(name: string): AnyQueue {
    const queue = new Pg.Queue(name, { connection: this.connection });
    queue.on('error', () => undefined);
    this.closers.push(() => queue.close());
    return queue;
  }

  createWorker(name: string, processor: Processor, options: Pick<WorkerOptions, 'concurrency' | 'lockDuration'>): AnyWorker {
    const worker = new Pg.Worker(name, processor, {
      connection: this.connection,
      concurrency: options.concurrency,
      lockDuration: options.lockDuration,
      stalledInterval: options.lockDuration,
      autorun: false,
    });
    this.closers.push(() => worker.close());
    return worker;
  }

  async ping(timeoutMs = 1_000): Promise<void> {
    await withTimeout(this.probe.getJobCounts('waiting'), timeoutMs, 'the PostgreSQL queue backend did not answer');
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
  }
}

function parseRedisUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
