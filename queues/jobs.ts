/**
 * The typed job registry (STYLE.md "A typed job registry"). One queue per job kind, one payload
 * type per job, one processor per job (queues/processors.ts), and a deterministic job id derived from
 * what the job acts on, so enqueueing the same work twice is harmless.
 *
 * BullMQ refuses `:` in custom job ids, so ids read `deliver-<deliveryId>` rather than the
 * `deliver:<deliveryId>` of DESIGN.md §6; the meaning is the same.
 */
export interface JobPayloads {
  /** Repeatable: heartbeat, and re-enqueue of unfinished work found in PostgreSQL. */
  sweep: { trigger: 'schedule' | 'manual' };
}

export type JobName = keyof JobPayloads;

export interface JobDefinition<N extends JobName> {
  /** Deterministic id of the job for this payload. */
  jobId(payload: JobPayloads[N]): string;
  /** Attempts before the job is given up (the step's state then says why). */
  attempts: number;
  /** How many jobs of this kind one worker process runs at once. */
  concurrency: number;
}

export const JOBS: { [N in JobName]: JobDefinition<N> } = {
  sweep: {
    // A manual sweep gets its own id so it is not swallowed by a scheduled one that is running.
    jobId: (p) => (p.trigger === 'manual' ? `sweep-manual-${Date.now()}` : 'sweep'),
    attempts: 1,
    concurrency: 1,
  },
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];
