/**
 * `npm run chaos`: the exchange under faults, end to end, with real processes.
 *
 * Starts its own PostgreSQL (embedded, in a temp folder, so it can be restarted) and its own
 * redis-server, one api process and two worker processes; loads a district and eight communes;
 * sends documents steadily while it SIGKILLs a worker (and starts another), flushes Redis, and
 * restarts PostgreSQL. Then it waits for recovery and counts, from PostgreSQL:
 * documents sent / deliveries expected / delivered / duplicated / lost. Exits 1 unless every
 * delivery arrived exactly once. Bounded: it gives up after LIENTHONG_CHAOS_TIMEOUT_MS (180 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { freePort, RedisProcess } from '../support/redis-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = Number(process.env.LIENTHONG_CHAOS_DOCS ?? 30);
const TIMEOUT = Number(process.env.LIENTHONG_CHAOS_TIMEOUT_MS ?? 180_000);
const DISTRICT = '000.00.90.H33';
const COMMUNES = Array.from({ length: 8 }, (_, i) => `000.0${i + 1}.90.H33`);
const log = (msg: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lienthong-chaos-'));
  chmodSync(dataDir, 0o711);
  const pgPort = await freePort();
  const logger = createLogger('warn');
  let db = await startEmbeddedPostgres({ dataDir, port: pgPort, logger });
  const redis = new RedisProcess(await freePort());
  await redis.start();
  const apiPort = await freePort();
  const adminToken = `lt_admin_${randomBytes(18).toString('base64url')}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    LIENTHONG_ADMIN_TOKEN: adminToken,
    LIENTHONG_MASTER_KEY: randomBytes(32).toString('base64'),
    LIENTHONG_QUEUE_PREFIX: `{chaos-${randomUUID().slice(0, 6)}}`,
    LIENTHONG_SWEEP_EVERY_MS: '1000',
    LIENTHONG_SWEEP_GRACE_MS: '2000',
    LIENTHONG_JOB_LOCK_MS: '3000',
    LIENTHONG_DEV_CA_DIR: join(dataDir, 'ca'),
    LOG_LEVEL: 'error',
    PORT: String(apiPort),
  };
  const children: ChildProcess[] = [];
  let stopping = false;
  let crashes = 0;
  const run = (role: 'start' | 'api' | 'worker') => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'lienthong.js'), role], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && !stopping) {
        crashes += 1;
        log(`${role} process ${child.pid} exited on its own (code ${code}, signal ${signal})`);
      }
    });
    return child;
  };
  const base = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };

  try {
    // Migrate once, then the roles apart: one api, two workers.
    const migrate = spawn(process.execPath, [join(ROOT, 'bin', 'lienthong.js'), 'migrate'], { cwd: ROOT, env, stdio: 'inherit' });
    await new Promise((r) => migrate.on('exit', r));
    run('api');
    let worker1 = run('worker');
    run('worker');
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) break;
      await sleep(200);
    }
    log(`api on ${base}, two workers, PostgreSQL :${pgPort} (embedded), Redis :${redis.port}`);

    const clerks: Record<string, string> = {};
    for (const [code, level, parentCode] of [[DISTRICT, 'district', undefined], ...COMMUNES.map((c) => [c, 'commune', DISTRICT])] as Array<[string, string, string | undefined]>) {
      await call('POST', '/v1/agencies', adminToken, { code, name: `Đơn vị ${code}`, level, ...(parentCode ? { parentCode } : {}) });
      await call('POST', `/v1/agencies/${code}/certificates`, adminToken, {});
      clerks[code] = (await call('POST', '/v1/users', adminToken, { agencyCode: code, name: 'clerk', roles: ['clerk'] })).json.token as string;
    }

    // Send steadily; every document has an Idempotency-Key, so a send retried after a fault is
    // never a second document.
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < DOCS; i++) {
        const key = `chaos-${i}`;
        for (let attempt = 0; attempt < 60; attempt++) {
          const res = await call(
            'POST',
            '/v1/documents',
            clerks[DISTRICT]!,
            { type: 'CT', notation: 'CT-UBND', subject: `Chaos ${i}`, signer: { fullName: 'A', position: 'Chủ tịch' }, to: [`children:${DISTRICT}`] },
            { 'idempotency-key': key },
          ).catch(() => ({ status: 0, json: {} }));
          if (res.status === 201) {
            sent += 1;
            break;
          }
          await sleep(500);
        }
        await sleep(100);
      }
    })();

    await sleep(1_000);
    log('fault: SIGKILL worker 1, start worker 3');
    worker1.kill('SIGKILL');
    worker1 = run('worker');
    await sleep(1_000);
    log('fault: FLUSHALL on Redis');
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    await sleep(1_000);
    log('fault: restart PostgreSQL');
    await db.stop();
    await sleep(1_500);
    db = await startEmbeddedPostgres({ dataDir, port: pgPort, logger });
    await sending;
    log(`sent ${sent} documents; waiting for recovery`);

    const expected = sent * COMMUNES.length;
    const deadline = Date.now() + TIMEOUT;
    const count = async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ arrived: string; items: string; distinct_items: string; receipts: string; docs: string }>(
          `select (select count(*) from delivery where state = 'arrived') as arrived,
                  (select count(*) from inbox_item) as items,
                  (select count(distinct (agency_code, document_id)) from inbox_item) as distinct_items,
                  (select count(*) from status_record where code = '01') as receipts,
                  (select count(*) from outgoing_document) as docs`,
        );
        return rows[0]!;
      } finally {
        await c.end();
      }
    };
    let last = await count();
    while (Date.now() < deadline && Number(last.arrived) < expected) {
      await sleep(1_000);
      last = await count();
    }
    const delivered = Number(last.arrived);
    const duplicated = Number(last.items) - Number(last.distinct_items) + Math.max(0, Number(last.receipts) - Number(last.distinct_items));
    const lost = expected - delivered;
    process.stdout.write(
      `\ndocuments sent: ${sent} (rows: ${last.docs})\ndeliveries expected: ${expected}\ndelivered: ${delivered}\nduplicated: ${duplicated}\nlost: ${lost}\nprocesses that died on their own: ${crashes}\n`,
    );
    return lost === 0 && duplicated === 0 && crashes === 0 && Number(last.docs) === sent ? 0 : 1;
  } finally {
    stopping = true;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await sleep(2_000);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await redis.stop();
    await db.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
