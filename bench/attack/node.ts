/**
 * The node under attack: `lienthong start` (api + workers in one process) as a child process, in
 * production with Redis, on its own database and queue prefix (bench/lib/service.ts, as the bench
 * runs it); its directory (an honest sender and recipients, ten hostile clerks, a revoked clerk, a
 * partner); and the watch on it — exit (crash) and memory (RSS every 50 ms, with a safety cap past
 * which the harness kills it rather than let it take the machine).
 */
import { randomUUID } from 'node:crypto';
import { expectStatus, type Api } from '../lib/api.js';
import { codes, createDirectory, pool, type BenchPki } from '../lib/directory.js';
import { memoryOf } from '../lib/procfs.js';
import { migrateDatabase, scenarioBase, spawnApi, tail, type Child, type RunContext, type ScenarioBase } from '../lib/service.js';

export interface NodeUnderTest {
  base: ScenarioBase;
  child: Child;
  url: string;
  /** The operations listener (/metrics, /healthz) on a port of its own. */
  opsUrl?: string | undefined;
  api: Api;
}

/** A fresh database and queue prefix, migrated, and `lienthong start` (with `nodeArgs` for Node.js) on a free loopback port. */
export async function startNode(ctx: RunContext, nodeArgs: string[] = []): Promise<NodeUnderTest> {
  const base = await scenarioBase(ctx, 'attack', 'redis');
  await migrateDatabase(ctx, base);
  const { child, api, url, opsUrl } = await spawnApi(ctx, base, 'start', { nodeArgs, opsPort: true });
  return { base, child, url, opsUrl, api };
}

/** Starts the node again on the same database and queue prefix (after a crash, to count what was lost). */
export async function restartNode(ctx: RunContext, base: ScenarioBase, nodeArgs: string[] = []): Promise<NodeUnderTest> {
  const { child, api, url, opsUrl } = await spawnApi(ctx, base, 'start', { nodeArgs, opsPort: true });
  return { base, child, url, opsUrl, api };
}

export interface AttackDirectory {
  /** The honest sender (a district) and its clerk. */
  sender: { code: string; clerk: string };
  recipients: string[];
  /** One clerk token per hostile agency. */
  hostileClerks: string[];
  /** The token of a clerk whose token was revoked. */
  revokedToken: string;
  partner: { id: string; token: string; agency: string };
}

/**
 * Directory through the API (as bench/lib/directory.ts does): the honest district with its clerk and
 * `recipients` communes (each with its certificate), `hostile` agencies with one clerk each, a clerk
 * whose token is then revoked, and a partner (pull mode, so the node never calls out) serving one
 * remote agency.
 */
export async function createAttackDirectory(api: Api, admin: string, pki: BenchPki, opts: { recipients: number; hostile: number }): Promise<AttackDirectory> {
  const honest = await createDirectory(api, admin, pki, { family: 41, communes: opts.recipients });
  const h = codes(42);
  const agency = async (code: string, name: string, level: string, parentCode?: string) =>
    expectStatus(await api.call('POST', '/v1/agencies', { token: admin, body: { code, name, level, ...(parentCode ? { parentCode } : {}) } }), 201, `create agency ${code}`);
  const user = async (agencyCode: string, name: string) =>
    expectStatus(await api.call('POST', '/v1/users', { token: admin, body: { agencyCode, name, roles: ['clerk'] } }), 201, `create a clerk of ${agencyCode}`).json as {
      id: string;
      token: string;
    };
  await agency(h.district, 'UBND huyện thù địch (attack)', 'district');
  const hostileCodes = Array.from({ length: opts.hostile }, (_, i) => h.commune(i + 1));
  const hostileClerks = await pool(hostileCodes, 4, async (code, i) => {
    await agency(code, `UBND xã thù địch ${i + 1}`, 'commune', h.district);
    return (await user(code, `Văn thư thù địch ${i + 1}`)).token;
  });
  const revoked = await user(h.district, 'Văn thư đã nghỉ việc');
  expectStatus(await api.call('DELETE', `/v1/users/${revoked.id}`, { token: admin }), 200, 'revoke a clerk');
  const remote = '000.00.43.G01';
  await agency(remote, 'Sở ngoài tỉnh (attack)', 'department');
  const partnerId = `attack-peer-${randomUUID().slice(0, 8)}`;
  const partner = expectStatus(
    await api.call('POST', '/v1/partners', { token: admin, body: { id: partnerId, name: 'Hệ thống đối tác thù địch', kind: 'lienthong', mode: 'pull', agencies: [remote] } }),
    201,
    'create the partner',
  );
  return {
    sender: { code: honest.district.code, clerk: honest.district.clerk },
    recipients: honest.communes,
    hostileClerks,
    revokedToken: revoked.token,
    partner: { id: partnerId, token: partner.json.token as string, agency: remote },
  };
}

/** The end of the node's log without its routine lines (one per answered request below 500). */
function lastWords(log: string, lines = 15): string {
  return tail(log, 400)
    .split('\n')
    .filter((l) => !(l.includes('"msg":"request"') && !/"status":5\d\d/.test(l)))
    .slice(-lines)
    .join('\n');
}

export interface Exit {
  at: number;
  code: number | null;
  signal: string | null;
  /** Why: "exited", or the harness killed it past the RSS cap. */
  cause: string;
  logTail: string;
}

/** Watches the node: its exit, and its RSS every `everyMs` (killed with SIGKILL past `capBytes`). */
export class NodeWatch {
  readonly timeline: Array<[number, number]> = [];
  peakRss = 0;
  exit: Exit | undefined;
  private killedForRss: number | undefined;
  /** Set by stop(): the harness is done, an exit now is its own doing. */
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly exited: Promise<void>;

  constructor(
    private readonly node: NodeUnderTest,
    private readonly capBytes: number,
    everyMs = 50,
    private readonly onExit: (exit: Exit) => void = () => undefined,
  ) {
    const proc = node.child.process;
    this.exited = new Promise<void>((resolve) => {
      const record = (code: number | null, signal: string | null) => {
        if (this.stopped) return resolve();
        this.exit ??= {
          at: Date.now(),
          code,
          signal,
          cause:
            this.killedForRss !== undefined
              ? `killed by the harness: RSS ${(this.killedForRss / 1_048_576).toFixed(0)} MiB passed the safety cap of ${(capBytes / 1_048_576).toFixed(0)} MiB`
              : signal
                ? `killed by ${signal}`
                : `exited with code ${code}`,
          logTail: lastWords(node.child.log),
        };
        if (!this.stopped) this.onExit(this.exit);
        resolve();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) record(proc.exitCode, proc.signalCode);
      else proc.once('exit', (code, signal) => record(code, signal));
    });
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  private sample(): void {
    if (!this.alive) return;
    const m = memoryOf(this.node.child.pid);
    if (!m || Number.isNaN(m.rss)) return;
    this.timeline.push([Date.now(), m.rss]);
    this.peakRss = Math.max(this.peakRss, m.rss, Number.isNaN(m.hwm) ? 0 : m.hwm);
    if (m.rss > this.capBytes && this.killedForRss === undefined) {
      this.killedForRss = m.rss;
      this.node.child.process.kill('SIGKILL');
    }
  }

  /** Highest RSS sample within [from, to]. */
  peakBetween(from: number, to: number): number {
    let peak = 0;
    for (const [t, v] of this.timeline) if (t >= from && t <= to) peak = Math.max(peak, v);
    return peak;
  }

  /** The kernel's high-water mark (VmHWM) now, if the process is still there. */
  hwm(): number {
    const m = memoryOf(this.node.child.pid);
    return m && !Number.isNaN(m.hwm) ? m.hwm : NaN;
  }

  /** Resolves when the node exits or `ms` pass. */
  async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return !this.alive;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
