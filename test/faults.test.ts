import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/runtime.js';
import { createLogger } from '../src/logger.js';
import { createDistrict, directive, sendDocument } from './acceptance/helpers.js';
import { freePort, RedisProcess } from './support/redis-server.js';
import { afterSweeps, eventually, startTestNode, type TestNode } from './support/runtime.js';

const ROOT = resolve(import.meta.dirname, '..');

let redis: RedisProcess;
beforeAll(async () => {
  redis = new RedisProcess(await freePort());
  await redis.start();
});
afterAll(async () => redis?.stop());

const fastSweep = { LIENTHONG_SWEEP_EVERY_MS: '500', LIENTHONG_SWEEP_GRACE_MS: '300', LIENTHONG_JOB_LOCK_MS: '2000' };

/** Counts that must come out exactly once per (document, recipient) whatever was retried. */
async function exactlyOnce(node: TestNode, deliveries: number): Promise<void> {
  const conn = node.runtime.orm.em.fork().getConnection();
  const [row] = await conn.execute<Array<{ items: string; distinct_items: string; receipts: string; arrived: string }>>(
    `select (select count(*) from inbox_item) as items,
            (select count(distinct (agency_code, document_id)) from inbox_item) as distinct_items,
            (select count(*) from status_record where code = '01') as receipts,
            (select count(*) from delivery where state = 'arrived') as arrived`,
  );
  expect(row).toEqual({ items: String(deliveries), distinct_items: String(deliveries), receipts: String(deliveries), arrived: String(deliveries) });
}

async function arrivedCount(node: TestNode): Promise<number> {
  const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ n: string }>>(`select count(*) as n from delivery where state = 'arrived'`);
  return Number(row?.n ?? 0);
}

describe('delivery survives faults', () => {
  it('a flushed Redis loses no work: the sweep finds it in PostgreSQL and nothing is delivered twice', async () => {
    // The api alone first: its jobs go to Redis, which is then flushed before any worker runs.
    const node = await startTestNode({ roles: { worker: false }, env: { REDIS_URL: redis.url, ...fastSweep } });
    try {
      const { district } = await createDistrict(node, 61, 4);
      for (let i = 0; i < 5; i++) expect((await sendDocument(node, district.clerk, directive({ to: [`children:${district.code}`] }))).status).toBe(201);
      const client = new Redis(redis.url);
      await client.flushall();
      const worker = await createRuntime(node.config, { roles: { worker: true }, logger: createLogger('silent') });
      try {
        await eventually(async () => (await arrivedCount(node)) === 20, 60_000, 200);
        // A second flush with everything done changes nothing.
        await client.flushall();
        await afterSweeps(node);
        await exactlyOnce(node, 20);
      } finally {
        client.disconnect();
        await worker.close();
      }
    } finally {
      await node.close();
    }
  }, 120_000);

  it('a worker killed with SIGKILL mid-run: another worker finishes, and every delivery arrives exactly once', async () => {
    const node = await startTestNode({ roles: { worker: false }, env: { REDIS_URL: redis.url, ...fastSweep } });
    const workers: ChildProcess[] = [];
    const startWorker = () => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'lienthong.js'), 'worker'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          DATABASE_URL: node.config.databaseUrl!,
          REDIS_URL: redis.url,
          LIENTHONG_QUEUE_PREFIX: node.config.queuePrefix,
          LIENTHONG_MASTER_KEY: node.config.masterKey!,
          LIENTHONG_ADMIN_TOKEN: node.config.adminToken!,
          LOG_LEVEL: 'warn',
          ...fastSweep,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      workers.push(child);
      return child;
    };
    try {
      const { district } = await createDistrict(node, 62, 6);
      const first = startWorker();
      for (let i = 0; i < 8; i++) expect((await sendDocument(node, district.clerk, directive({ to: [`children:${district.code}`] }))).status).toBe(201);
      await eventually(async () => (await arrivedCount(node)) >= 3, 60_000, 20);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const before = await arrivedCount(node);
      const second = startWorker();
      await eventually(async () => (await arrivedCount(node)) === 48, 90_000, 200);
      // The killed worker left work behind, which the second one finished (exactly once, below).
      expect(before).toBeLessThan(48);
      await exactlyOnce(node, 48);
      second.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
      expect(code).toBe(0);
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await node.close();
    }
  }, 180_000);
});
