import { DomainError } from '../src/errors.js';
import type { AnyQueue, QueueBackend } from './backend.js';
import { JOB_NAMES, JOBS, type JobName, type JobPayloads } from './jobs.js';

export type QueueCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>;

/**
 * Producer side of the job registry. Jobs carry ids, never bodies or keys (DESIGN.md §6). When the
 * backend is unreachable `enqueue` throws UNAVAILABLE at once, so the API answers 503.
 */
export class JobQueues {
  private readonly queues = new Map<JobName, AnyQueue>();

  constructor(readonly backend: QueueBackend) {
    for (const name of JOB_NAMES) this.queues.set(name, backend.createQueue(name));
  }

  /** The BullMQ queue of a job kind (for the worker, the dashboard and metrics). */
  queue(name: JobName): AnyQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no queue for job ${name}`);
    return queue;
  }

  all(): AnyQueue[] {
    return [...this.queues.values()];
  }

  /** Adds a job with its deterministic id; a job with the same id already waiting is left alone. */
  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: { delayMs?: number } = {}): Promise<string> {
    const definition = JOBS[name];
    const jobId = definition.jobId(payload);
    try {
      await this.queue(name).add(name, payload, {
        jobId,
        attempts: definition.attempts,
        backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
        delay: options.delayMs,
        // Finished jobs are removed: PostgreSQL keeps the outcome (states, lastError, timeline), and a
        // job id must be free again for the sweep or an operator's retry to enqueue the same work.
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was changed. Try again shortly.', {
        cause: error,
      });
    }
    return jobId;
  }

  /** Adds many jobs of one kind at once (one round trip); ids as for `enqueue`. */
  async enqueueMany<N extends JobName>(name: N, payloads: Array<JobPayloads[N]>): Promise<void> {
    if (payloads.length === 0) return;
    const definition = JOBS[name];
    try {
      await this.queue(name).addBulk(
        payloads.map((data) => ({
          name,
          data,
          opts: {
            jobId: definition.jobId(data),
            attempts: definition.attempts,
            backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    } catch (error) {
      throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; try again shortly.', { cause: error });
    }
  }

  /** Job counts per queue, for /metrics and operators. */
  async counts(): Promise<Record<JobName, QueueCounts>> {
    const entries = await Promise.all(
      JOB_NAMES.map(async (name) => {
        const c = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        return [name, c as QueueCounts] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<JobName, QueueCounts>;
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close().catch(() => undefined)));
  }
}
