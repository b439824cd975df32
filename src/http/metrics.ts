import type { EntityManager } from '@mikro-orm/postgresql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueues } from '../../queues/producer.js';
import { latestSweep } from '../ops/heartbeat.repository.js';

/**
 * Prometheus metrics of one runtime, in a registry of its own (tests run several runtimes in one
 * process). Queue depths and the worker heartbeat are read at scrape time from Redis/PostgreSQL,
 * so any api process reports the same numbers whichever worker did the work.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(deps: { queues: JobQueues; em: () => EntityManager; defaultMetrics: boolean }) {
    if (deps.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'lienthong_' });
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
    new Gauge({
      name: 'lienthong_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          const counts = await deps.queues.counts();
          for (const [queue, byState] of Object.entries(counts)) {
            for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
          }
        } catch {
          /* queue backend down: /readyz says so; the scrape still answers */
        }
      },
    });
    new Gauge({
      name: 'lienthong_sweep_last_run_timestamp_seconds',
      help: 'When a worker last ran the sweep (heartbeat); 0 if never',
      registers: [this.registry],
      async collect() {
        try {
          const latest = await latestSweep(deps.em());
          this.set(latest ? latest.at.getTime() / 1000 : 0);
        } catch {
          /* database down: /readyz says so */
        }
      },
    });
  }

  /** Lets a module add its own gauges computed at scrape time. */
  gauge(name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, value: number) => void) => Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          await read((labels, value) => this.set(labels, value));
        } catch {
          /* a failing source must not break the scrape */
        }
      },
    });
  }
}
