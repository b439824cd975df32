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
  /**
   * Deliver a document to one recipient (local inbox, or a partner). `batch`: more local deliveries
   * of the same document made by the same job, in one transaction (the route step's first pass).
   */
  deliver: { deliveryId: string; batch?: string[] };
  /** Carry a signed status package to the other side. */
  status: { statusId: string };
  /** Take a document's update (BussinessDocType 2) to one recipient: its inbox here, or its partner. */
  update: { deliveryUpdateId: string };
  /** Poll an axis partner for packages waiting for us (AXIS.md: poll, fetch, acknowledge). */
  poll: { partnerId: string };
  /** Seal a finished document (sender) or inbox item (recipient) into its agency's hash chain. */
  archive: { subject: 'document' | 'inbox-item'; id: string };
  /** Sign the head of an agency's archive chain (node checkpoint). */
  checkpoint: { agencyCode: string };
  /** Purge attachments whose retention period ran out. */
  retention: { trigger: 'sweep' };
  /** Repeatable: heartbeat, and re-enqueue of unfinished work found in PostgreSQL. */
  sweep: { trigger: 'schedule' | 'manual' };
  /** Deadlines that crossed a threshold and the day's digests become reminders (issue 18; enqueued by the sweep). */
  remind: { trigger: 'sweep' };
  /** Send one reminder's e-mail (a reminder_mail outbox row). */
  mail: { mailId: string };
  /** POST one signed webhook delivery (a webhook_delivery outbox row), retried with back-off. */
  webhook: { deliveryId: string };
  /**
   * Repeatable (LIENTHONG_DIRECTORY_SYNC_CRON): the axis dry run of the directory sync for every partner
   * of LIENTHONG_DIRECTORY_SYNC_PARTNERS, or for `partnerId` alone; a notice and a metric when the lists
   * differ, applied only with LIENTHONG_DIRECTORY_SYNC_APPLY=true (issue 19).
   */
  'directory-sync': { trigger: 'schedule' | 'manual'; partnerId?: string };
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
  update: { jobId: (p) => `update-${p.deliveryUpdateId}`, attempts: 8, concurrency: 4 },
  // One poll per partner at a time; the sweep starts the next one.
  poll: { jobId: (p) => `poll-${p.partnerId}`, attempts: 1, concurrency: 2 },
  archive: { jobId: (p) => `archive-${p.subject}-${p.id}`, attempts: 5, concurrency: 2 },
  checkpoint: { jobId: (p) => `checkpoint-${p.agencyCode}`, attempts: 5, concurrency: 1 },
  retention: { jobId: () => 'retention', attempts: 3, concurrency: 1 },
  sweep: {
    // A manual sweep gets its own id so it is not swallowed by a scheduled one that is running.
    jobId: (p) => (p.trigger === 'manual' ? `sweep-manual-${Date.now()}` : 'sweep'),
    attempts: 1,
    concurrency: 1,
  },
  // One scan at a time per queue: the id is fixed, and the sweep enqueues the next one.
  remind: { jobId: () => 'remind', attempts: 1, concurrency: 1 },
  mail: { jobId: (p) => `mail-${p.mailId}`, attempts: 8, concurrency: 4 },
  // 10 attempts with the registry's exponential back-off (1 s, 2 s, 4 s … about 8.5 minutes in all).
  webhook: { jobId: (p) => `webhook-${p.deliveryId}`, attempts: 10, concurrency: 8 },
  // The axis answers again at the next run: no retry. A manual run is not swallowed by a scheduled one.
  'directory-sync': {
    jobId: (p) => (p.trigger === 'manual' ? `directory-sync-manual-${p.partnerId ?? 'all'}-${Date.now()}` : 'directory-sync'),
    attempts: 1,
    concurrency: 1,
  },
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];
