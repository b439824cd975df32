/**
 * Inside an in-process runtime, during a window: the event loop delay (how long a ready callback —
 * an HTTP request, a query result — waits behind synchronous work such as XML canonicalisation) and
 * the ORM's connection pool (connections in use, requests waiting for one).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Runtime } from '../../src/runtime.js';

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

export interface RuntimeStats {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  pool: { max: number; usedMean: number; usedMax: number; waitingMean: number; waitingMax: number; samplesWithWaiters: number } | null;
}

function poolOf(runtime: Runtime): TarnPool | null {
  try {
    const connection = runtime.orm.em.getConnection() as unknown as { getKnex(): { client: { pool?: TarnPool } } };
    return connection.getKnex().client.pool ?? null;
  } catch {
    return null;
  }
}

export function sampleRuntime(runtime: Runtime, everyMs = 50): { stop(): RuntimeStats } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const pool = poolOf(runtime);
  let n = 0;
  let used = 0;
  let usedMax = 0;
  let waiting = 0;
  let waitingMax = 0;
  let withWaiters = 0;
  const timer = setInterval(() => {
    if (!pool) return;
    const u = pool.numUsed();
    const w = pool.numPendingAcquires();
    n++;
    used += u;
    waiting += w;
    usedMax = Math.max(usedMax, u);
    waitingMax = Math.max(waitingMax, w);
    if (w > 0) withWaiters++;
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      h.disable();
      return {
        eventLoopDelayMs: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 },
        pool: pool
          ? { max: pool.max, usedMean: used / (n || 1), usedMax, waitingMean: waiting / (n || 1), waitingMax, samplesWithWaiters: withWaiters / (n || 1) }
          : null,
      };
    },
  };
}

export function describeRuntimeStats(s: RuntimeStats): string {
  const el = `event loop delay p50 ${s.eventLoopDelayMs.p50.toFixed(0)} ms, p99 ${s.eventLoopDelayMs.p99.toFixed(0)} ms, max ${s.eventLoopDelayMs.max.toFixed(0)} ms`;
  if (!s.pool) return el;
  const p = s.pool;
  return (
    `${el}; ORM pool (max ${p.max}): ${p.usedMean.toFixed(1)} connections in use on average (max ${p.usedMax}), ` +
    `${p.waitingMean.toFixed(1)} requests waiting for one on average (max ${p.waitingMax}, waiters present ${(100 * p.samplesWithWaiters).toFixed(0)}% of the time)`
  );
}
