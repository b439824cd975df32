import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { Metrics, SNAPSHOT_MAX_AGE_MS } from './metrics.js';

/** A Metrics on a clock the test moves, logging into an array. */
function setup() {
  let now = 1_000_000_000_000;
  const logs: Array<{ level: number; msg: string; gauge?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as (typeof logs)[number]);
      done();
    },
  });
  const metrics = new Metrics({ defaultMetrics: false, logger: createLogger('info', {}, stream), now: () => now });
  return { metrics, logs, tick: (ms: number) => (now += ms), now: () => now };
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** A promise the test resolves by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('metrics snapshot', () => {
  it('reads the sources once for the first scrape, then answers from the snapshot until it is 30 s old', async () => {
    const { metrics, tick, now } = setup();
    let reads = 0;
    let rows = 5;
    metrics.gauge('test_rows', 'rows', ['state'], async (set) => {
      reads += 1;
      set({ state: 'sent' }, rows);
    });

    const first = await metrics.scrape();
    expect(reads).toBe(1);
    expect(value(first, 'test_rows{state="sent"}')).toBe(5);
    expect(value(first, 'lienthong_metrics_snapshot_timestamp_seconds')).toBe(now() / 1000);

    rows = 6;
    for (let i = 0; i < 50; i++) await metrics.scrape();
    tick(SNAPSHOT_MAX_AGE_MS - 1);
    const cached = await metrics.scrape();
    expect(reads).toBe(1);
    expect(value(cached, 'test_rows{state="sent"}')).toBe(5);

    tick(1);
    // The scrape that finds the snapshot 30 s old starts a refresh and does not wait for it…
    await metrics.scrape();
    expect(reads).toBe(2);
    await metrics.refresh();
    // …the next one sees it.
    const fresh = await metrics.scrape();
    expect(value(fresh, 'test_rows{state="sent"}')).toBe(6);
    expect(value(fresh, 'lienthong_metrics_snapshot_timestamp_seconds')).toBe(now() / 1000);
    expect(reads).toBe(2);
  });

  it('answers the old snapshot at once while a slow refresh runs, and runs one refresh for many scrapes', async () => {
    const { metrics, tick } = setup();
    let reads = 0;
    const gate = deferred();
    let slow = false;
    metrics.gauge('test_slow', 'slow', [], async (set) => {
      reads += 1;
      if (slow) await gate.promise;
      set({}, reads);
    });
    await metrics.scrape();
    slow = true;
    tick(SNAPSHOT_MAX_AGE_MS);
    const during = await Promise.all(Array.from({ length: 20 }, () => metrics.scrape()));
    expect(reads).toBe(2);
    for (const text of during) expect(value(text, 'test_slow')).toBe(1);
    tick(SNAPSHOT_MAX_AGE_MS);
    await metrics.scrape();
    expect(reads).toBe(2); // still one refresh in flight: no second one
    gate.resolve();
    await metrics.refresh();
    expect(value(await metrics.scrape(), 'test_slow')).toBe(2);
  });

  it('keeps the last values of a failing source, marks it, and logs the failure once', async () => {
    const { metrics, logs, tick } = setup();
    let fail = false;
    metrics.gauge('test_flaky', 'flaky', [], async (set) => {
      if (fail) throw new Error('database down');
      set({}, 7);
    });
    metrics.gauge('test_steady', 'steady', [], async (set) => set({}, 1));
    await metrics.scrape();

    fail = true;
    for (let i = 0; i < 3; i++) {
      tick(SNAPSHOT_MAX_AGE_MS);
      await metrics.refresh();
    }
    const text = await metrics.scrape();
    expect(value(text, 'test_flaky')).toBe(7);
    expect(value(text, 'test_steady')).toBe(1);
    expect(value(text, 'lienthong_metrics_gauge_failing{gauge="test_flaky"}')).toBe(1);
    expect(logs.filter((l) => l.gauge === 'test_flaky' && l.level === 40)).toHaveLength(1);

    fail = false;
    tick(SNAPSHOT_MAX_AGE_MS);
    await metrics.refresh();
    expect(value(await metrics.scrape(), 'lienthong_metrics_gauge_failing{gauge="test_flaky"}')).toBe(0);
    expect(logs.filter((l) => l.gauge === 'test_flaky' && l.level === 30)).toHaveLength(1);
  });

  it('counts HTTP requests in memory, outside the snapshot', async () => {
    const { metrics } = setup();
    metrics.httpRequests.inc({ method: 'GET', route: '/healthz', status: '200' });
    expect(await metrics.scrape()).toContain('lienthong_http_requests_total{method="GET",route="/healthz",status="200"} 1');
    metrics.httpRequests.inc({ method: 'GET', route: '/healthz', status: '200' });
    expect(await metrics.scrape()).toContain('lienthong_http_requests_total{method="GET",route="/healthz",status="200"} 2');
  });
});
