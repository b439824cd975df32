/**
 * Running the service for a scenario: in this process (`createRuntime`, api + workers, like
 * `npm start`), or as child processes (`node bin/lienthong.js start|api|worker|migrate`) with the
 * environment of the operations contract. Each scenario gets its own database and queue prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { httpApi, inProcessApi, type Api } from './api.js';
import { createDatabase, createQueuePrefix, onCleanup, REDIS_URL } from './infra.js';
import { installWireCounters } from './wire.js';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface RunContext {
  /** Scratch folder of the run. */
  dir: string;
  adminToken: string;
  masterKey: string;
  /** Service log level (default info, as in production). */
  logLevel: string;
}

export interface ScenarioBase {
  label: string;
  queue: 'redis' | 'postgres';
  databaseUrl: string;
  prefix: string;
  /** The environment of the operations contract for this scenario. */
  env: Record<string, string>;
  /** Drops the database and the Redis keys. */
  drop(): Promise<void>;
}

/** A fresh database and queue prefix, and the environment every process of the scenario gets. */
export async function scenarioBase(ctx: RunContext, label: string, queue: 'redis' | 'postgres'): Promise<ScenarioBase> {
  const db = await createDatabase(label);
  const q = createQueuePrefix(label);
  const env: Record<string, string> = {
    // Production with Redis (the production path); the PostgreSQL queue backend is refused in production,
    // so that scenario runs as development (the only difference: where the node CA is kept).
    NODE_ENV: queue === 'redis' ? 'production' : 'development',
    DATABASE_URL: db.url,
    LIENTHONG_QUEUE_PREFIX: q.prefix,
    LIENTHONG_ADMIN_TOKEN: ctx.adminToken,
    LIENTHONG_MASTER_KEY: ctx.masterKey,
    LIENTHONG_DATA_DIR: join(ctx.dir, 'data'),
    LIENTHONG_DEV_CA_DIR: join(ctx.dir, 'dev-ca'),
    LOG_LEVEL: ctx.logLevel,
    ...(queue === 'redis' ? { REDIS_URL } : {}),
    // To compare the two ways `start` runs its workers: LIENTHONG_JOBS_THREAD=true npm run attack.
    ...(process.env.LIENTHONG_JOBS_THREAD ? { LIENTHONG_JOBS_THREAD: process.env.LIENTHONG_JOBS_THREAD } : {}),
  };
  return {
    label,
    queue,
    databaseUrl: db.url,
    prefix: q.prefix,
    env,
    async drop() {
      await db.drop();
      if (queue === 'redis') await q.drop();
    },
  };
}

export interface InProcessNode {
  runtime: Runtime;
  api: Api;
  close(): Promise<void>;
}

/** api + workers in this process, logs to a file in the scratch folder. */
export async function startInProcess(ctx: RunContext, base: ScenarioBase): Promise<InProcessNode> {
  installWireCounters();
  const config = loadConfig(base.env);
  const logger: Logger = pino(
    { level: ctx.logLevel, base: { service: 'lienthong', scenario: base.label } },
    pino.destination({ dest: join(ctx.dir, `${base.label}.log`), sync: false }),
  );
  const runtime = await createRuntime(config, { migrate: true, logger });
  const close = onCleanup(`stop the in-process runtime of ${base.label}`, () => runtime.close());
  return { runtime, api: inProcessApi(runtime.app), close };
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface Child {
  role: string;
  process: ChildProcess;
  pid: number;
  log: string;
  /** SIGTERM, wait for the graceful exit (up to `timeoutMs`, then SIGKILL). Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Spawns `node [nodeArgs] bin/lienthong.js <role>` with the scenario environment; output to a log file. */
export function spawnRole(ctx: RunContext, base: ScenarioBase, role: 'start' | 'api' | 'worker' | 'migrate', opts: { name?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}): Child {
  const name = opts.name ?? role;
  const log = join(ctx.dir, `${base.label}-${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(REPO, 'bin', 'lienthong.js'), role], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...base.env, ...opts.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let stopping: Promise<number | null> | undefined;
  const stop = (timeoutMs = 15_000) =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })());
  onCleanup(`stop ${base.label}/${name} (pid ${child.pid})`, () => stop(5_000));
  return { role, process: child, pid: child.pid ?? -1, log, stop, exited };
}

/** Waits until `check` holds, the child exits (error with its log tail) or `timeoutMs` passes. */
export async function waitForChild(child: Child, what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${child.role} exited with ${child.process.exitCode} before ${what}:\n${tail(child.log)}`);
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${child.role} did not get ${what} within ${timeoutMs} ms:\n${tail(child.log)}`);
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts an api (or start) process on a free port and waits for /readyz. */
export async function spawnApi(
  ctx: RunContext,
  base: ScenarioBase,
  role: 'start' | 'api',
  opts: { nodeArgs?: string[]; opsPort?: boolean } = {},
): Promise<{ child: Child; api: Api; url: string; opsUrl?: string }> {
  const port = await freePort();
  // With opsPort, /metrics and /healthz also answer on an operations listener of their own (LIENTHONG_METRICS_PORT).
  const opsPort = opts.opsPort ? await freePort() : undefined;
  const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', ...(opsPort ? { LIENTHONG_METRICS_PORT: String(opsPort) } : {}) };
  const child = spawnRole(ctx, base, role, { env, ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}) });
  const url = `http://127.0.0.1:${port}`;
  await waitForChild(child, 'ready', async () => (await fetch(`${url}/readyz`)).status === 200);
  return { child, api: httpApi(url), url, ...(opsPort ? { opsUrl: `http://127.0.0.1:${opsPort}` } : {}) };
}

/** Starts a worker process and waits for its "workers: N queues" start-up line. */
export async function spawnWorker(ctx: RunContext, base: ScenarioBase, name: string, opts: { nodeArgs?: string[] } = {}): Promise<Child> {
  const child = spawnRole(ctx, base, 'worker', { name, env: { LOG_LEVEL: 'info' }, ...opts });
  await waitForChild(child, 'its workers started', async () => /workers: \d+ queues/.test(readFileSync(child.log, 'utf8')));
  return child;
}

/** Runs `lienthong migrate` to completion. */
export async function migrateDatabase(ctx: RunContext, base: ScenarioBase): Promise<void> {
  const child = spawnRole(ctx, base, 'migrate');
  const code = await child.exited;
  if (code !== 0) throw new Error(`migrate exited with ${code}:\n${tail(child.log)}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
