import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runningPostmaster, startEmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { freePort } from './support/redis-server.js';

/**
 * What the zero-setup database says when it cannot start (issue 15: "say the truth"), without a
 * PostgreSQL: the start with a real server, Ctrl-C and the CLI next to it are in shutdown.test.ts.
 */
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-embedded-'));
  chmodSync(dir, 0o711);
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the embedded PostgreSQL', () => {
  it('on a port another program holds, says so (port, folder, what to do) before initialising anything', async () => {
    const port = await freePort();
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    const dir = dataDir();
    try {
      const started = startEmbeddedPostgres({ dataDir: dir, port, logger: createLogger('silent') });
      await expect(started).rejects.toMatchObject({
        name: 'SetupError',
        message: expect.stringContaining(`Port ${port} (LIENTHONG_EMBEDDED_PG_PORT) is taken by another program, and no embedded PostgreSQL is running for ${join(dir, 'pg')}`),
      });
      await expect(started).rejects.toThrow(/choose another port with LIENTHONG_EMBEDDED_PG_PORT, or set DATABASE_URL/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('reads a running server from its postmaster.pid, and ignores one whose process is gone or is not PostgreSQL', () => {
    const dir = join(dataDir(), 'pg');
    mkdirSync(dir);
    const pidFile = (pid: number) =>
      writeFileSync(join(dir, 'postmaster.pid'), [pid, dir, '1700000000', '54329', '/tmp', 'localhost', '  1234', 'ready   ', ''].join('\n'));
    expect(runningPostmaster(dir)).toBeUndefined();
    // This test's own process: alive, but not a PostgreSQL server (a pid reused after a crash).
    pidFile(process.pid);
    expect(runningPostmaster(dir)).toBeUndefined();
    // A pid that no process has.
    pidFile(2 ** 22 + 1);
    expect(runningPostmaster(dir)).toBeUndefined();
  });
});
