/**
 * The typed job registry (STYLE.md "A typed job registry"). One queue per job kind, one payload
 * type per job, one processor per job (queues/processors.ts), and a deterministic job id derived from
 * what the job acts on, so enqueueing the same work twice is harmless.
 *
 * BullMQ refuses `:` in custom job ids, so ids read `deliver-<deliveryId>` rather than the
 * `deliver:<deliveryId>` of DESIGN.md §6; the meaning is the same.
 */
export interface JobPayloads {
  /** Build and sign the edoc package of a queued document. */
  sign: { documentId: string };
  /** Hand a signed document to its deliveries. */
  route: { documentId: string };
  /** Deliver a document to one recipient (local inbox, or a partner). */
  deliver: { deliveryId: string };
  /** Carry a signed status package to the other side. */
  status: { statusId: string };
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
  sign: { jobId: (p) => `sign-${p.documentId}`, attempts: 5, concurrency: 4 },
  route: { jobId: (p) => `route-${p.documentId}`, attempts: 5, concurrency: 4 },
  deliver: { jobId: (p) => `deliver-${p.deliveryId}`, attempts: 8, concurrency: 8 },
  status: { jobId: (p) => `status-${p.statusId}`, attempts: 8, concurrency: 8 },
  sweep: {
    // A manual sweep gets its own id so it is not swallowed by a scheduled one that is running.
    jobId: (p) => (p.trigger === 'manual' ? `sweep-manual-${Date.now()}` : 'sweep'),
    attempts: 1,
    concurrency: 1,
  },
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];
