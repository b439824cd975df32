/**
 * The /healthz probe, in a process of its own (so the harness's busy event loop does not delay it):
 * `GET /healthz` every `intervalMs` on its own connection pool, each bounded by `timeoutMs`, whatever
 * the previous ones are doing (at most `timeoutMs / intervalMs` in flight). On the message "stop", or
 * after `maxSeconds`, it waits for the probes in flight and sends back every sample:
 * [sent at (ms epoch), duration (ms), HTTP status or 0 on failure].
 *
 *     node --import tsx bench/attack/probe-child.ts <baseUrl> <intervalMs> <timeoutMs> <maxSeconds>
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

const [baseUrl = '', intervalArg = '50', timeoutArg = '5000', maxArg = '600'] = process.argv.slice(2);
const intervalMs = Number(intervalArg);
const timeoutMs = Number(timeoutArg);
const maxMs = Number(maxArg) * 1000;
const url = new URL('/healthz', baseUrl);
const agent = new Agent({ connections: 2, pipelining: 1 });

export type Sample = [sentAt: number, ms: number, status: number];
const samples: Sample[] = [];
const inflight = new Set<Promise<void>>();
const maxInflight = Math.ceil(timeoutMs / intervalMs) + 1;

async function probe(): Promise<void> {
  const sentAt = Date.now();
  const t = performance.now();
  let status: number;
  try {
    const res = await request(url, { method: 'GET', dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) });
    await res.body.text();
    status = res.statusCode;
  } catch {
    status = 0;
  }
  samples.push([sentAt, performance.now() - t, status]);
}

let stopping = false;
const timer = setInterval(() => {
  if (stopping || inflight.size >= maxInflight) return;
  const p = probe().finally(() => inflight.delete(p));
  inflight.add(p);
}, intervalMs);

async function finish(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await Promise.all(inflight);
  await agent.close().catch(() => undefined);
  process.send?.({ samples }, () => process.exit(0));
  if (!process.send) process.exit(0);
}

process.on('message', (m) => {
  if (m === 'stop') void finish();
});
// The parent went away: stop too.
process.on('disconnect', () => process.exit(0));
setTimeout(() => void finish(), maxMs).unref();
