/** Starts and stops the /healthz probe (bench/attack/probe-child.ts), and summarises its samples by phase. */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { onCleanup } from '../lib/infra.js';
import { summarize } from '../lib/stats.js';
import type { Sample } from './probe-child.js';

export interface Probe {
  pid: number;
  /** Stops probing; resolves with every sample (empty if the probe died). */
  stop(): Promise<Sample[]>;
}

export function startProbe(baseUrl: string, opts: { intervalMs: number; timeoutMs: number; maxSeconds: number }): Probe {
  const child = fork(join(import.meta.dirname, 'probe-child.ts'), [baseUrl, String(opts.intervalMs), String(opts.timeoutMs), String(opts.maxSeconds)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise<Sample[]>((resolve) => {
    child.once('message', (m) => resolve(((m as { samples?: Sample[] }).samples ?? []) as Sample[]));
    child.once('exit', () => resolve([]));
  });
  const kill = onCleanup(`stop the /healthz probe (pid ${child.pid})`, () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    pid: child.pid ?? -1,
    async stop() {
      if (child.connected) child.send('stop');
      let timer: NodeJS.Timeout | undefined;
      const samples = await Promise.race([result, new Promise<Sample[]>((r) => (timer = setTimeout(() => r([]), opts.timeoutMs + 10_000)))]);
      clearTimeout(timer);
      await kill();
      return samples;
    },
  };
}

export interface ProbeSummary {
  probes: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

/** Probes sent within [from, to] (ms epoch); failures (no answer in time, not 200) count in `failed`, and as their duration in the percentiles. */
export function probeSummary(samples: readonly Sample[], from: number, to: number): ProbeSummary {
  const window = samples.filter(([at]) => at >= from && at <= to);
  const s = summarize(window.map(([, ms]) => ms));
  return { probes: window.length, failed: window.filter(([, , status]) => status !== 200).length, p50: s.p50, p99: s.p99, max: s.max };
}
