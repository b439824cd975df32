import type { AnyWorker } from './backend.js';
import type { JobContext, JobProcessor } from './context.js';
import { JOB_NAMES, JOBS, type JobName } from './jobs.js';

export interface WorkerHandle {
  workers: AnyWorker[];
  /** Stops taking jobs, lets running ones finish (or releases them), closes connections. */
  close(): Promise<void>;
}

/** Checks that every job has one processor and no processor lacks a job, naming each problem. */
export function assertProcessorsComplete(processors: Record<string, unknown>): void {
  const missing = JOB_NAMES.filter((name) => typeof processors[name] !== 'function');
  const unknown = Object.keys(processors).filter((name) => !(JOB_NAMES as string[]).includes(name));
  if (missing.length || unknown.length) {
    throw new Error(
      `The job registry is inconsistent: ${[
        missing.length ? `no processor for ${missing.join(', ')}` : '',
        unknown.length ? `processor without a job: ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
}

/** Starts one BullMQ worker per job kind and the repeatable sweep. */
export async function startWorkers(
  ctx: JobContext,
  processors: { [N in JobName]: JobProcessor<N> },
): Promise<WorkerHandle> {
  assertProcessorsComplete(processors);
  const workers: AnyWorker[] = [];
  let closing = false;
  for (const name of JOB_NAMES) {
    const processor = processors[name] as JobProcessor<JobName>;
    const worker = ctx.queues.backend.createWorker(
      name,
      async (job) => {
        const started = Date.now();
        try {
          const result = await processor(job.data, ctx, job);
          ctx.logger.debug({ job: job.id, queue: name, ms: Date.now() - started }, 'job done');
          return result;
        } catch (error) {
          ctx.logger.warn({ job: job.id, queue: name, attempt: job.attemptsMade + 1, err: error }, 'job failed');
          throw error;
        }
      },
      { concurrency: JOBS[name].concurrency, lockDuration: ctx.config.jobLockMs },
    );
    // While closing, the backend tears its connections down on purpose: not worth an error line.
    worker.on('error', (err) => (closing ? ctx.logger.debug : ctx.logger.error).call(ctx.logger, { err, queue: name }, 'worker error'));
    workers.push(worker);
    void worker.run();
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // The schedule lives in Redis: upsert it again now and then, so a flushed or replaced Redis gets
  // its sweep back (upserting is idempotent, whatever the number of workers).
  const schedule = () =>
    ctx.queues
      .queue('sweep')
      .upsertJobScheduler('sweep-schedule', { every: ctx.config.sweepEveryMs }, { name: 'sweep', data: { trigger: 'schedule' } });
  await schedule();
  await scheduleDirectorySync(ctx);
  const keepScheduled = setInterval(() => {
    schedule().catch((err: unknown) => ctx.logger.warn({ err }, 'could not refresh the sweep schedule'));
    scheduleDirectorySync(ctx).catch((err: unknown) => ctx.logger.warn({ err }, 'could not refresh the directory sync schedule'));
  }, Math.max(ctx.config.sweepEveryMs, 1_000));
  keepScheduled.unref();
  return {
    workers,
    async close() {
      closing = true;
      clearInterval(keepScheduled);
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/** The id of the nightly directory sync's scheduler (issue 19). */
export const DIRECTORY_SYNC_SCHEDULER = 'directory-sync-schedule';

/**
 * The nightly directory sync, on LIENTHONG_DIRECTORY_SYNC_CRON in Vietnam time, while some partner is
 * configured for it (LIENTHONG_DIRECTORY_SYNC_PARTNERS); without one, the schedule is removed.
 */
async function scheduleDirectorySync(ctx: JobContext): Promise<void> {
  const queue = ctx.queues.queue('directory-sync');
  if (ctx.config.directorySyncPartners.length === 0) {
    await queue.removeJobScheduler(DIRECTORY_SYNC_SCHEDULER);
    return;
  }
  await queue.upsertJobScheduler(
    DIRECTORY_SYNC_SCHEDULER,
    { pattern: ctx.config.directorySyncCron, tz: 'Asia/Ho_Chi_Minh' },
    { name: 'directory-sync', data: { trigger: 'schedule' } },
  );
}
