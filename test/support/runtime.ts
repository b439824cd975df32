import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { createTestDatabase, TEST_REDIS_URL } from './db.js';

export interface TestNode {
  runtime: Runtime;
  config: Config;
  adminToken: string;
  /** Calls the app in-process (no socket), JSON in and out. */
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  json: any;
}

/**
 * A runtime on its own fresh database and its own queue prefix, so test files run in parallel
 * without seeing each other's data or jobs.
 */
export async function startTestNode(
  options: RuntimeOptions & { queue?: 'redis' | 'postgres'; env?: Record<string, string> } = {},
): Promise<TestNode> {
  const db = await createTestDatabase();
  const adminToken = `lt_admin_${randomBytes(18).toString('base64url')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: options.queue === 'postgres' ? undefined : TEST_REDIS_URL,
    LIENTHONG_ADMIN_TOKEN: adminToken,
    LIENTHONG_MASTER_KEY: randomBytes(32).toString('base64'),
    LIENTHONG_QUEUE_PREFIX: `{lt-test-${randomUUID().slice(0, 8)}}`,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const runtime = await createRuntime(config, {
    migrate: true,
    logger: createLogger('silent'),
    ...options,
  });
  const call: TestNode['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await runtime.app.request(path, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    runtime,
    config,
    adminToken,
    call,
    async close() {
      await runtime.close();
      await db.drop();
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** Sweeps run so far by every worker of the node's database (the heartbeat's counter). */
async function sweepsSoFar(node: TestNode): Promise<number> {
  const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ n: string | null }>>(`select sum(sweeps) as n from worker_heartbeat`);
  return Number(row?.n ?? 0);
}

/**
 * Waits until `count` more sweeps have run: "nothing else happened" stated as "the recovery that
 * would have done it has run", instead of a fixed sleep that may be too short on a busy machine.
 */
export async function afterSweeps(node: TestNode, count = 2, timeoutMs = 30_000): Promise<void> {
  const start = await sweepsSoFar(node);
  await eventually(async () => (await sweepsSoFar(node)) >= start + count, timeoutMs, 100);
}
