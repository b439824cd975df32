/**
 * What every scenario stands on: the PostgreSQL server and Redis the bench talks to, a fresh database
 * and a unique BullMQ prefix per scenario, a scratch folder, and one cleanup list that runs on normal
 * exit, on a scenario's failure and on Ctrl-C (databases dropped, Redis keys deleted, children killed).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { excludeFromWire } from './wire.js';

export const PG_ADMIN_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Cleanup = { label: string; run: () => Promise<unknown> | unknown };
const cleanups: Cleanup[] = [];

/** Registers a cleanup step; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(label: string, run: () => Promise<unknown> | unknown): () => Promise<void> {
  const entry: Cleanup = { label, run };
  cleanups.push(entry);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    await entry.run();
  };
}

/** How many cleanup steps are pending: `cleanupAll(mark)` later undoes only what came after. */
export function cleanupMark(): number {
  return cleanups.length;
}

/**
 * Runs the pending cleanup steps registered after `mark` (default: all), newest first, each for at
 * most 30 s; errors are reported, not thrown.
 */
export async function cleanupAll(mark = 0): Promise<void> {
  while (cleanups.length > mark) {
    const entry = cleanups.pop()!;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => entry.run()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out after 30 s')), 30_000);
          timer.unref();
        }),
      ]);
    } catch (error) {
      process.stderr.write(`cleanup "${entry.label}" failed: ${String(error)}\n`);
    } finally {
      clearTimeout(timer);
    }
  }
}

let interrupted = false;
/** Ctrl-C / SIGTERM: clean up what the run created, then exit 130. */
export function installSignalCleanup(): void {
  const handler = (signal: string) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: cleaning up (databases, Redis keys, child processes)…\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

/** Fails with a message that says what to start when PostgreSQL or Redis does not answer. */
export async function preflight(needRedis: boolean): Promise<{ postgres: string; redis: string | undefined }> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  let postgres: string;
  try {
    await client.connect();
    postgres = ((await client.query<{ v: string }>("select current_setting('server_version') v")).rows[0]?.v ?? '?').split(' ')[0] ?? '?';
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer at ${PG_ADMIN_URL} (${(error as Error).message}). Start it (see .ci/run) or set BENCH_DATABASE_ADMIN_URL.`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  let redis: string | undefined;
  if (needRedis) {
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      const info = await r.info('server');
      redis = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    } catch (error) {
      throw new Error(`Redis does not answer at ${REDIS_URL} (${(error as Error).message}). Start it (see .ci/run) or set BENCH_REDIS_URL.`, { cause: error });
    } finally {
      r.disconnect();
    }
  }
  return { postgres, redis };
}

/** A fresh database for one scenario, dropped by `drop()` or by the global cleanup. */
export async function createDatabase(label: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `lt_bench_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = onCleanup(`drop database ${name}`, async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(`drop database if exists "${name}" with (force)`);
    } finally {
      await client.end();
    }
  });
  return { url: url.toString(), name, drop };
}

/** A unique BullMQ prefix (with the hash tag the service uses); its keys are deleted on cleanup. */
export function createQueuePrefix(label: string): { prefix: string; drop(): Promise<void> } {
  const prefix = `{lt-bench-${label.replace(/[^a-z0-9]/gi, '-').toLowerCase()}-${randomBytes(3).toString('hex')}}`;
  const drop = onCleanup(`delete Redis keys ${prefix}:*`, () => deleteRedisKeys(`${prefix}:*`));
  return { prefix, drop };
}

async function deleteRedisKeys(pattern: string): Promise<number> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  r.on('error', () => undefined);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return deleted;
}

/** A scratch folder for this run (logs, dev CA, data dir); removed on cleanup unless kept. */
export function createScratchDir(keep: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-bench-'));
  if (!keep) onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Secrets for one run (never written anywhere but the scratch folder's child environments). */
export function runSecrets(): { adminToken: string; masterKey: string } {
  return {
    adminToken: `lt_admin_bench_${randomBytes(18).toString('base64url')}`,
    masterKey: randomBytes(32).toString('base64'),
  };
}

/** A pg client on a scenario database, closed on cleanup. */
export async function sqlClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  excludeFromWire(client);
  await client.connect();
  onCleanup('close a bench SQL client', () => client.end().catch(() => undefined));
  return client;
}
