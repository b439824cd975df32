import { serve, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../util/timeout.js';
import { authenticate, requireAdmin, type TokenResolver } from './auth.js';
import type { AppEnv } from './context.js';

/** The database and queue gauges are read at most this often, whatever the number of scrapes. */
export const SNAPSHOT_MAX_AGE_MS = 30_000;
/** How long the very first scrape of a process waits for the first snapshot. */
const FIRST_SNAPSHOT_WAIT_MS = 5_000;
/** A source slower than this counts as failing, so that a hung query cannot freeze the snapshot. */
const SOURCE_TIMEOUT_MS = 20_000;

/** Reads one gauge's values from its source (PostgreSQL, the queue backend) into `set`. */
export type GaugeReader = (set: (labels: Record<string, string>, value: number) => void) => Promise<void>;

interface SnapshotSource {
  name: string;
  gauge: Gauge;
  read: GaugeReader;
}

export interface MetricsOptions {
  /** Node's default process metrics (off in tests that build several runtimes). */
  defaultMetrics: boolean;
  logger: Logger;
  maxAgeMs?: number;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/**
 * Prometheus metrics of one runtime, in a registry of its own (tests run several runtimes in one
 * process). HTTP counters are counted in memory. Everything read from PostgreSQL or the queue
 * backend (deliveries by state, circuits, certificate expiries, queue depths, the sweep heartbeat)
 * is a snapshot: a scrape answers the last one and, when it is older than 30 s, starts one refresh
 * in the background, shared by every scrape meanwhile. However often /metrics is called, the
 * database sees those queries at most twice a minute, and no scrape waits for them (except the
 * first one of the process, for at most 5 s, so that it is not empty).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly sources: SnapshotSource[] = [];
  private readonly snapshotTimestamp: Gauge;
  private readonly sourceFailing: Gauge<'gauge'>;
  private readonly failing = new Set<string>();
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  private hasSnapshot = false;
  private refreshing: Promise<void> | undefined;

  constructor(options: MetricsOptions) {
    this.logger = options.logger;
    this.maxAgeMs = options.maxAgeMs ?? SNAPSHOT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'lienthong_' });
    this.httpRequests = new Counter({
      name: 'lienthong_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'lienthong_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.snapshotTimestamp = new Gauge({
      name: 'lienthong_metrics_snapshot_timestamp_seconds',
      help: 'When the database and queue gauges were last read (they are refreshed at most every 30 s); 0 if never',
      registers: [this.registry],
    });
    this.snapshotTimestamp.set(0);
    this.sourceFailing = new Gauge({
      name: 'lienthong_metrics_gauge_failing',
      help: 'Snapshot gauges whose last read failed (1): they show their last values',
      labelNames: ['gauge'],
      registers: [this.registry],
    });
  }

  /** Adds a gauge read from PostgreSQL or the queue backend: part of the snapshot, never read by a scrape. */
  gauge(name: string, help: string, labelNames: string[], read: GaugeReader): void {
    this.sources.push({ name, gauge: new Gauge({ name, help, labelNames, registers: [this.registry] }), read });
  }

  /**
   * Reads every snapshot gauge again; calls during a refresh share it. Never rejects: a failing
   * source keeps its last values and is logged once, when it starts failing (and when it recovers).
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.readSources().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The Prometheus text of the counters and of the last snapshot (see the class comment). */
  async scrape(): Promise<string> {
    if (this.now() - this.lastStartedAt >= this.maxAgeMs) void this.refresh();
    if (!this.hasSnapshot && this.refreshing) {
      await withTimeout(this.refreshing, FIRST_SNAPSHOT_WAIT_MS, 'first metrics snapshot').catch(() => undefined);
    }
    return this.registry.metrics();
  }

  private async readSources(): Promise<void> {
    const startedAt = this.now();
    this.lastStartedAt = startedAt;
    await Promise.all(
      this.sources.map(async (source) => {
        const values: Array<[Record<string, string>, number]> = [];
        try {
          const read = source.read((labels, value) => values.push([labels, value]));
          await withTimeout(read, SOURCE_TIMEOUT_MS, `reading ${source.name} took more than ${SOURCE_TIMEOUT_MS} ms`);
        } catch (err) {
          if (!this.failing.has(source.name)) this.logger.warn({ err, gauge: source.name }, 'a metrics gauge cannot be read; it keeps its last values');
          this.failing.add(source.name);
          this.sourceFailing.set({ gauge: source.name }, 1);
          return;
        }
        if (this.failing.delete(source.name)) this.logger.info({ gauge: source.name }, 'a metrics gauge can be read again');
        this.sourceFailing.set({ gauge: source.name }, 0);
        // Replaced in one synchronous step: a scrape never sees a gauge half rewritten.
        source.gauge.reset();
        for (const [labels, value] of values) source.gauge.set(labels, value);
      }),
    );
    this.snapshotTimestamp.set(startedAt / 1000);
    this.hasSnapshot = true;
  }
}

/** Answers a scrape: the Prometheus text with its content type. */
async function scrapeResponse(metrics: Metrics): Promise<Response> {
  return new Response(await metrics.scrape(), { status: 200, headers: { 'content-type': metrics.registry.contentType } });
}

/**
 * GET /metrics on the main port, for admins only (the bootstrap token or a user with the admin
 * role): it names every agency, certificate serial and partner. When LIENTHONG_METRICS_PORT is set
 * the metrics are served by `serveMetrics` instead, and the main port has no /metrics at all.
 */
export function mountMetricsRoute(app: OpenAPIHono<AppEnv>, metrics: Metrics, config: Pick<Config, 'metricsPort'>, resolveToken: TokenResolver): void {
  if (config.metricsPort !== undefined) return;
  app.get('/metrics', authenticate(resolveToken), async (c) => {
    requireAdmin(c.get('principal'));
    return scrapeResponse(metrics);
  });
}

/**
 * The app of the separate operations listener: GET /metrics and GET /healthz, nothing else. An
 * orchestrator's liveness probe on this port is not queued behind the API port's connections: Node
 * accepts one connection per turn of the event loop and listener, so a wave of uploads on the API
 * port delays a probe there by seconds even when the loop itself is free (issue 11, README).
 */
export function metricsApp(metrics: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', () => scrapeResponse(metrics));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  return app;
}

/**
 * Serves GET /metrics without a token on its own port, LIENTHONG_METRICS_HOST (loopback unless the
 * operator says otherwise): whoever can reach that address can read the metrics, so it is meant
 * for a Prometheus (or an agent) on the same host. Resolves once listening; close it on shutdown.
 */
export function serveMetrics(metrics: Metrics, config: Pick<Config, 'metricsPort' | 'metricsHost'>): Promise<ServerType> {
  const port = config.metricsPort;
  if (port === undefined) return Promise.reject(new Error('serveMetrics needs config.metricsPort (LIENTHONG_METRICS_PORT)'));
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: metricsApp(metrics).fetch, port, hostname: config.metricsHost }, () => resolvePromise(server));
    server.on('error', reject);
  });
}
