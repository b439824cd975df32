/** What a scenario hands back: rows for the printed table, details for bench/results.json. */

export type Outcome = 'ok' | 'did not finish' | 'failed' | 'integrity' | 'skipped';

export interface Row {
  metric: string;
  value: string;
  /** The target, when it has one, e.g. "≥ 500". */
  target?: string;
  /** Whether the value meets the target (undefined: no target). */
  met?: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  outcome: Outcome;
  /** How the service ran and was called, in a few words. */
  setup: string;
  seconds: number;
  rows: Row[];
  notes: string[];
  details: Record<string, unknown>;
}

/** Sizes of one run (full, or --quick), and the shared bits scenarios need. */
export interface Sizes {
  throughput: { documents: number; recipients: number; concurrency: number; warmup: number; timeoutMs: number };
  latency: { rate: number; recipients: number; durationMs: number; drainMs: number };
  fanout: { communes: number; timeoutMs: number };
  /** The wide fan-out of issue 16: one directive to 10,000 recipients. */
  fanoutWide: { communes: number; timeoutMs: number };
  large: { attachmentBytes: number; recipients: number; timeoutMs: number };
  attachmentBytes: number;
}

export const FULL: Sizes = {
  throughput: { documents: 200, recipients: 10, concurrency: 16, warmup: 4, timeoutMs: 240_000 },
  latency: { rate: 50, recipients: 10, durationMs: 30_000, drainMs: 60_000 },
  fanout: { communes: 1_000, timeoutMs: 120_000 },
  fanoutWide: { communes: 10_000, timeoutMs: 600_000 },
  large: { attachmentBytes: 20 * 1_000_000, recipients: 1, timeoutMs: 240_000 },
  attachmentBytes: 3_400,
};

export const QUICK: Sizes = {
  throughput: { documents: 30, recipients: 10, concurrency: 16, warmup: 2, timeoutMs: 90_000 },
  latency: { rate: 5, recipients: 10, durationMs: 8_000, drainMs: 30_000 },
  fanout: { communes: 100, timeoutMs: 90_000 },
  fanoutWide: { communes: 1_000, timeoutMs: 120_000 },
  large: { attachmentBytes: 2 * 1_000_000, recipients: 1, timeoutMs: 90_000 },
  attachmentBytes: 3_400,
};
