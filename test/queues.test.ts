import { describe, expect, it } from 'vitest';
import { assertProcessorsComplete } from '../queues/worker.js';
import { PROCESSORS } from '../queues/processors.js';
import { eventually, startTestNode } from './support/runtime.js';

async function heartbeats(node: Awaited<ReturnType<typeof startTestNode>>): Promise<number> {
  const rows = await node.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ sweeps: string }>>('select sweeps from worker_heartbeat');
  return rows.reduce((sum, r) => sum + Number(r.sweeps), 0);
}

describe('job registry and workers', () => {
  it('refuses to start when a job has no processor, or a processor has no job', () => {
    expect(() => assertProcessorsComplete({})).toThrow(/no processor for sign, route, deliver, status/);
    const { deliver: _deliver, ...withoutDeliver } = PROCESSORS;
    expect(() => assertProcessorsComplete(withoutDeliver)).toThrow(/no processor for deliver$/);
    expect(() => assertProcessorsComplete({ ...PROCESSORS, ghost: async () => undefined })).toThrow(/processor without a job: ghost/);
    expect(() => assertProcessorsComplete(PROCESSORS)).not.toThrow();
  });

  for (const backend of ['redis', 'postgres'] as const) {
    it(`processes jobs on the ${backend} backend (the sweep writes its heartbeat)`, async () => {
      const node = await startTestNode({ queue: backend });
      try {
        expect(node.runtime.queues.backend.kind).toBe(backend);
        const before = await heartbeats(node);
        await node.runtime.queues.enqueue('sweep', { trigger: 'manual' });
        await eventually(async () => (await heartbeats(node)) > before, 20_000, 100);
        const metrics = await node.call('GET', '/metrics', { token: node.adminToken });
        const stamp = Number(/^lienthong_sweep_last_run_timestamp_seconds (\S+)$/m.exec(metrics.text)?.[1]);
        expect(stamp).toBeGreaterThan(Date.now() / 1000 - 60);
        const ready = await node.call('GET', '/readyz');
        expect(ready.status).toBe(200);
        // The queue check names the backend it asked (issue 15: not "redis" when the jobs are in PostgreSQL).
        expect(ready.json).toMatchObject({ checks: { queue: 'ok', redis: 'ok' }, backends: { queue: backend } });
      } finally {
        await node.close();
      }
    });
  }

  it('gives a job a deterministic id, so enqueueing the same scheduled work twice is harmless', async () => {
    const node = await startTestNode({ roles: { worker: false } });
    try {
      const a = await node.runtime.queues.enqueue('sweep', { trigger: 'schedule' });
      const b = await node.runtime.queues.enqueue('sweep', { trigger: 'schedule' });
      expect(a).toBe('sweep');
      expect(b).toBe(a);
      const counts = await node.runtime.queues.queue('sweep').getJobCounts('waiting', 'delayed', 'prioritized');
      expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0)).toBe(1);
    } finally {
      await node.close();
    }
  });
});
