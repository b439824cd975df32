import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runningPostmaster } from '../src/db/embedded.js';
import { freePort } from './support/redis-server.js';
import { eventually } from './support/runtime.js';

/**
 * Ctrl-C in a terminal (issue 15): the terminal sends SIGINT to the whole foreground process group.
 * Here a real `lienthong start` (zero-setup: embedded PostgreSQL, queues on PostgreSQL) runs as the
 * leader of its own process group, and the test signals that group as a terminal does. Next to the
 * running server, the CLI finds the server's database from the data folder (its port included).
 */
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'lienthong.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(args: string[], env: Record<string, string>, options: { ownGroup?: boolean } = {}): Started {
  // Only what the CLI needs: no DATABASE_URL or REDIS_URL leaks in from the test environment.
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // The leader of a new process group, as a shell makes of a foreground command.
    detached: options.ownGroup ?? false,
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

/** The process group of a process (/proc/<pid>/stat: pid (comm) state ppid pgrp …). */
const processGroupOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);

/** Ctrl-C: SIGINT to every process of the group, as the terminal sends it. */
const ctrlC = (started: Started) => process.kill(-started.child.pid!, 'SIGINT');

async function ready(port: number): Promise<unknown> {
  return eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    return res?.status === 200 ? res.json() : undefined;
  }, 60_000, 200);
}

const dataDir = mkdtempSync(join(tmpdir(), 'lienthong-shutdown-'));
const otherDataDir = mkdtempSync(join(tmpdir(), 'lienthong-shutdown-other-'));
// Reachable by the `postgres` user when the tests run as root (see cli.test.ts).
chmodSync(dataDir, 0o711);
chmodSync(otherDataDir, 0o711);
const databaseDir = join(dataDir, 'pg');

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // Left running only if the test failed half-way: stop it before its folder goes.
  const left = runningPostmaster(databaseDir);
  if (left) {
    process.kill(left.pid, 'SIGINT');
    await eventually(async () => !runningPostmaster(databaseDir), 10_000, 100).catch(() => undefined);
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherDataDir, { recursive: true, force: true });
});

describe('Ctrl-C on a zero-setup start', () => {
  it(
    'stops cleanly with exit 0 (PostgreSQL stopped last, no 57P01), the CLI finds the running server, and the data is there on restart',
    async () => {
      const pgPort = await freePort();
      const env = { LIENTHONG_DATA_DIR: dataDir, LIENTHONG_EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info' };

      const port1 = await freePort();
      const first = run(['start'], { ...env, PORT: String(port1) }, { ownGroup: true });
      expect(await ready(port1)).toEqual({ status: 'ok', checks: { db: 'ok', queue: 'ok', redis: 'ok' }, backends: { queue: 'postgres' } });
      // The embedded PostgreSQL is not in the terminal's process group: its Ctrl-C cannot reach it.
      const postmaster = runningPostmaster(databaseDir);
      expect(postmaster?.port).toBe(pgPort);
      expect(processGroupOf(postmaster!.pid)).not.toBe(processGroupOf(first.child.pid!));

      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      const created = await fetch(`http://127.0.0.1:${port1}/v1/agencies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: '000.00.70.H33', name: 'UBND huyện Thử Nghiệm', level: 'district' }),
      });
      expect(created.status).toBe(201);

      // The CLI next to the running server (`migrate` here: `seed --demo` and every other command
      // that needs the database take the same path), told only the data folder: it finds the
      // server's PostgreSQL from .data, port included, and leaves it running.
      const cli = run(['migrate'], { LIENTHONG_DATA_DIR: dataDir });
      expect(await cli.exit, cli.output()).toBe(0);
      expect(cli.output()).toContain(`using the embedded PostgreSQL of the lienthong process ${first.child.pid} (port ${pgPort}`);
      expect(cli.output()).toContain('database is up to date');
      expect(cli.output()).not.toMatch(/port .*taken|still running|taking over/i);
      expect(runningPostmaster(databaseDir)?.pid).toBe(postmaster!.pid);

      // From a folder that is not the server's, on the server's port: the truth, and what to do.
      const elsewhere = run(['seed', '--demo'], { LIENTHONG_DATA_DIR: otherDataDir, LIENTHONG_EMBEDDED_PG_PORT: String(pgPort) });
      expect(await elsewhere.exit).toBe(1);
      expect(elsewhere.output()).toContain(`Port ${pgPort} (LIENTHONG_EMBEDDED_PG_PORT) is taken by the embedded PostgreSQL of another data folder (${databaseDir})`);
      expect(elsewhere.output()).toContain(`LIENTHONG_DATA_DIR=${dataDir}`);
      expect(elsewhere.output()).not.toContain('    at ');

      ctrlC(first);
      expect(await first.exit, first.output()).toBe(0);
      const log = first.output();
      expect(log).not.toMatch(/57P01|administrator command|Unhandled|uncaught/i);
      expect(log).toContain('"msg":"stopped"');
      // Probes are logged at debug: /readyz was asked many times above, and is not in the info log.
      expect(log).not.toContain('"path":"/readyz"');
      expect(log).toContain('"path":"/v1/agencies"');
      // Said once per process.
      expect(log.match(/LIENTHONG_MASTER_KEY is not set/g)).toHaveLength(1);
      expect(runningPostmaster(databaseDir)).toBeUndefined();
      expect(existsSync(join(dataDir, 'embedded-postgres.json'))).toBe(false);

      // A clean restart, with everything still there.
      const port2 = await freePort();
      const second = run(['start'], { ...env, PORT: String(port2) }, { ownGroup: true });
      await ready(port2);
      const agency = await fetch(`http://127.0.0.1:${port2}/v1/agencies/000.00.70.H33`, { headers: { authorization: `Bearer ${token}` } });
      expect(agency.status).toBe(200);
      expect(await agency.json()).toMatchObject({ name: 'UBND huyện Thử Nghiệm' });
      expect(second.output()).not.toMatch(/stale postmaster\.pid|taking over/);
      ctrlC(second);
      expect(await second.exit, second.output()).toBe(0);
      expect(runningPostmaster(databaseDir)).toBeUndefined();
    },
    90_000,
  );
});
