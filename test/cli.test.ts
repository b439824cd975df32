import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runningPostmaster } from '../src/db/embedded.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode } from './support/runtime.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'lienthong.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Started {
  // Only what the CLI needs: no DATABASE_URL or REDIS_URL leaks in from the test environment.
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

async function readyz(port: number): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined;
  }
}

// A data folder outside the checkout, reachable by the `postgres` user when the tests run as root,
// so the embedded path is tested the same wherever the checkout lives.
const dataDir = mkdtempSync(join(tmpdir(), 'lienthong-cli-'));
chmodSync(dataDir, 0o711);

afterAll(() => {
  // A server orphaned on purpose below (SIGKILLed parent) must not outlive the tests.
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* already gone */
    }
  }
  setTimeout(() => rmSync(dataDir, { recursive: true, force: true }), 2_000).unref();
});

describe('the lienthong CLI', () => {
  it('exits 2 and names the variable when the configuration is bad', async () => {
    const started = run(['start'], { DATABASE_URL: 'mysql://nope' });
    expect(await started.exit).toBe(2);
    expect(started.output()).toContain('DATABASE_URL must be a URL like postgres://');
  });

  it('prints usage for an unknown command', async () => {
    const started = run(['frobnicate'], {});
    expect(await started.exit).toBe(2);
    expect(started.output()).toContain('Usage: lienthong');
  });

  it(
    'starts with nothing configured (embedded PostgreSQL, PostgreSQL queues), reuses its data, survives a SIGKILL, and stops cleanly on SIGTERM',
    async () => {
      const pgPort = await freePort();
      const env = { LIENTHONG_DATA_DIR: dataDir, LIENTHONG_EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info' };

      // 1. First start: initialises the cluster, generates the admin token, serves /readyz.
      const port1 = await freePort();
      const first = run(['start'], { ...env, PORT: String(port1) });
      const ready = await eventually(async () => {
        const r = await readyz(port1);
        return r?.status === 200 ? r : undefined;
      }, 120_000, 250);
      expect(ready.body).toEqual({ status: 'ok', checks: { db: 'ok', queue: 'ok', redis: 'ok' }, backends: { queue: 'postgres' } });
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      expect(first.output()).toContain(`Admin token:  ${token}`);
      expect(first.output()).toContain('/docs');
      expect(first.output()).toContain('queues: BullMQ on PostgreSQL');
      const created = await fetch(`http://127.0.0.1:${port1}/v1/agencies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: '000.00.33.H33', name: 'UBND huyện Kiên Lương', level: 'district' }),
      });
      expect(created.status).toBe(201);
      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(0);
      expect(first.output()).toContain('"msg":"stopped"');

      // 2. Second start reuses the data; then SIGKILL leaves an orphaned server and a postmaster.pid.
      const port2 = await freePort();
      const second = run(['start'], { ...env, PORT: String(port2) });
      await eventually(async () => (await readyz(port2))?.status === 200, 60_000, 250);
      const agency = await fetch(`http://127.0.0.1:${port2}/v1/agencies/000.00.33.H33`, { headers: { authorization: `Bearer ${token}` } });
      expect(agency.status).toBe(200);
      second.child.kill('SIGKILL');
      await second.exit;

      // 3. Third start after the SIGKILL comes up all the same: it takes the orphaned server over
      //    and stops it when it stops, so the orphan does not outlive it.
      expect(runningPostmaster(join(dataDir, 'pg'))).toBeDefined();
      const port3 = await freePort();
      const third = run(['start'], { ...env, PORT: String(port3) });
      await eventually(async () => (await readyz(port3))?.status === 200, 60_000, 250);
      expect(third.output()).toContain('taking over the embedded PostgreSQL left running by an earlier start');
      third.child.kill('SIGTERM');
      expect(await third.exit).toBe(0);
      expect(runningPostmaster(join(dataDir, 'pg'))).toBeUndefined();
    },
    240_000,
  );
});

describe('graceful shutdown', () => {
  it('closes every connection it opened (no open handles after close)', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const node = await startTestNode({});
    await node.runtime.queues.enqueue('sweep', { trigger: 'manual' });
    expect(sockets()).toBeGreaterThan(before);
    await node.close();
    await eventually(async () => sockets() <= before, 5_000, 50);
  });
});
