/**
 * Scenarios 1, 6 and 7: N documents × R local recipients sent with concurrency C, until every delivery
 * has its signed 01 carried back. The same measurement on three deployments:
 *   throughput     api + workers in this process, BullMQ on Redis      (in-process app.request)
 *   pg-queue       api + workers in this process, BullMQ on PostgreSQL (in-process app.request)
 *   scale-out      one `lienthong api` + two `lienthong worker` processes, Redis (HTTP on loopback)
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Api } from '../lib/api.js';
import { createDirectory, directiveBody, type BenchPki } from '../lib/directory.js';
import { sqlClient } from '../lib/infra.js';
import {
  completionByDocument,
  describeIntegrity,
  integrity,
  sendClosedLoop,
  waitForDeliveries,
  type Integrity,
} from '../lib/load.js';
import { CpuMeter, describeCpu, type CpuReport } from '../lib/procfs.js';
import { formatSummary, startProfiler, summarizeProfile, type CpuProfile, type ProfileSummary } from '../lib/profile.js';
import type { Row, ScenarioResult, Sizes } from '../lib/result.js';
import {
  migrateDatabase,
  scenarioBase,
  spawnApi,
  spawnWorker,
  startInProcess,
  type RunContext,
} from '../lib/service.js';
import { fmt, ms, summarize } from '../lib/stats.js';
import { describeWire, topStatements, wireDiff, wireSnapshot } from '../lib/wire.js';
import { describeRuntimeStats, sampleRuntime, type RuntimeStats } from '../lib/runtime-stats.js';
import { describeSessions, sampleSessions, type SessionStats } from '../lib/pgstat.js';
import type { Runtime } from '../../src/runtime.js';

export interface Shared {
  ctx: RunContext;
  pki: BenchPki;
  sizes: Sizes;
  /** Single-core native RSA-2048 sign ops/s, measured at the start of the run. */
  rsaSignsPerSecond: number | undefined;
  /** Record a CPU profile of the measured window (in-process scenarios), written under this folder. */
  profileDir: string | undefined;
  /** Scenario 1's deliveries/s, once measured (the latency scenario compares its offered load to it). */
  measuredDeliveriesPerSecond?: number;
  log(line: string): void;
}

/** A small PDF-like attachment (binary header, random body) of `size` bytes, base64. */
export function attachment(size: number, name = 'van-ban.pdf'): { name: string; contentType: string; contentBase64: string } {
  const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const tailBytes = Buffer.from('\n%%EOF\n', 'latin1');
  const body = randomBytes(Math.max(0, size - head.length - tailBytes.length));
  return { name, contentType: 'application/pdf', contentBase64: Buffer.concat([head, body, tailBytes]).toString('base64') };
}

export interface ThroughputMeasurement {
  finished: boolean;
  documents: number;
  deliveries: number;
  deliveriesDone: number;
  windowMs: number;
  sendMs: number;
  deliveriesPerSecond: number;
  documentsPerSecond: number;
  acceptedPerSecond: number;
  postLatency: ReturnType<typeof summarize>;
  docLatency: ReturnType<typeof summarize>;
  integrity: Integrity;
  cpu: CpuReport;
  /** What the PostgreSQL sessions were doing (pg_stat_activity). */
  sessions: SessionStats;
  /** Event loop delay and ORM pool occupancy (in-process scenarios only). */
  runtimeStats?: RuntimeStats;
  /** Round trips of the window (in-process scenarios only). */
  wire?: ReturnType<typeof wireDiff> & { perDelivery: string; topStatementsPerDelivery: string[] };
  profile?: { file: string; summary: ProfileSummary };
}

/**
 * The measured part, common to the three deployments: warm-up documents first (JIT, KeyObject and
 * trust caches, connection pools), then the timed batch.
 */
export async function measureThroughput(
  shared: Shared,
  opts: {
    api: Api;
    clerk: string;
    recipients: string[];
    databaseUrl: string;
    cpuWatch: Map<number, string>;
    profileName?: string;
    /** The in-process runtime: count SQL statements and Redis commands, sample event loop and pool. */
    runtime?: Runtime;
  },
): Promise<ThroughputMeasurement> {
  const { documents, concurrency, warmup, timeoutMs } = shared.sizes.throughput;
  const att = attachment(shared.sizes.attachmentBytes);
  const body = (n: number) => directiveBody(opts.recipients, n, att);
  const sql = await sqlClient(opts.databaseUrl);
  const statSql = await sqlClient(opts.databaseUrl);
  const r = opts.recipients.length;

  if (warmup > 0) {
    await sendClosedLoop(opts.api, opts.clerk, warmup, Math.min(concurrency, warmup), (n) => body(100_000 + n));
    const w = await waitForDeliveries(sql, warmup * r, 60_000);
    if (!w.finished) throw new Error(`the warm-up did not finish: ${w.progress.done}/${warmup * r} deliveries in 60 s`);
  }
  const before = new Set((await sql.query<{ id: string }>('select id from outgoing_document')).rows.map((x) => x.id));

  const cpu = new CpuMeter(opts.cpuWatch);
  const wireBefore = opts.runtime ? wireSnapshot() : undefined;
  const rt = opts.runtime ? sampleRuntime(opts.runtime) : undefined;
  const sessionSampler = sampleSessions(statSql, new URL(opts.databaseUrl).pathname.slice(1));
  const profiler = opts.profileName && shared.profileDir ? await startProfiler() : undefined;
  const t0 = Date.now();
  const sent = await sendClosedLoop(opts.api, opts.clerk, documents, concurrency, body);
  const sendMs = Date.now() - t0;
  const wait = await waitForDeliveries(sql, (warmup + documents) * r, timeoutMs - sendMs, {
    onProgress: (p, elapsed) => shared.log(`    … ${p.done - warmup * r}/${documents * r} deliveries after ${ms(elapsed + sendMs)}`),
  });
  const tEnd = Date.now();
  let profile: ThroughputMeasurement['profile'];
  if (profiler && opts.profileName && shared.profileDir) {
    const file = join(shared.profileDir, `${opts.profileName}.cpuprofile`);
    const p = await profiler.stop(file);
    profile = { file, summary: await summarizeProfile(p) };
  }
  const cpuReport = cpu.stop();
  const wire = wireBefore ? wireDiff(wireBefore, wireSnapshot()) : undefined;
  const runtimeStats = rt?.stop();
  const sessions = await sessionSampler.stop();
  await statSql.end();

  const byDoc = await completionByDocument(sql);
  const measured = sent.map((s) => ({ s, c: byDoc.get(s.id) })).filter((x) => !before.has(x.s.id));
  const doneTimes = measured.map((x) => x.c?.doneAt ?? NaN).filter((t) => Number.isFinite(t));
  const end = wait.finished && doneTimes.length ? Math.max(...doneTimes) : tEnd;
  const windowMs = end - t0;
  const deliveriesDone = wait.progress.done - warmup * r;
  const integ = await integrity(sql);
  await sql.end();
  return {
    finished: wait.finished,
    documents,
    deliveries: documents * r,
    deliveriesDone,
    windowMs,
    sendMs,
    deliveriesPerSecond: (deliveriesDone * 1000) / windowMs,
    documentsPerSecond: (measured.filter((x) => x.c && x.c.carried === x.c.deliveries).length * 1000) / windowMs,
    acceptedPerSecond: (documents * 1000) / sendMs,
    postLatency: summarize(sent.map((s) => s.acceptedAt - s.sentAt)),
    docLatency: summarize(measured.filter((x) => x.c && Number.isFinite(x.c.doneAt)).map((x) => x.c!.doneAt - x.s.acceptedAt)),
    integrity: integ,
    cpu: cpuReport,
    sessions,
    ...(runtimeStats ? { runtimeStats } : {}),
    ...(wire
      ? { wire: { ...wire, perDelivery: describeWire(wire, Math.max(1, deliveriesDone)), topStatementsPerDelivery: topStatements(wire, Math.max(1, deliveriesDone)) } }
      : {}),
    ...(profile ? { profile } : {}),
  };
}

function rows(m: ThroughputMeasurement, shared: Shared, withTargets: boolean): Row[] {
  const out: Row[] = [
    {
      metric: 'deliveries/s (send → last 01 carried)',
      value: fmt(m.deliveriesPerSecond),
      ...(withTargets ? { target: '≥ 500', met: m.finished && m.deliveriesPerSecond >= 500 } : {}),
    },
    { metric: 'documents/s (all 01 back)', value: fmt(m.documentsPerSecond) },
    { metric: `window / POST phase (${m.documents} docs)`, value: `${ms(m.windowMs)} / ${ms(m.sendMs)}` },
    { metric: 'POST /v1/documents p50 / p99', value: `${ms(m.postLatency.p50)} / ${ms(m.postLatency.p99)}` },
    {
      metric: 'CPU ms per delivery: lienthong / PostgreSQL',
      value: `${fmt((1000 * m.cpu.groups.lienthong) / Math.max(1, m.deliveriesDone))} / ${fmt((1000 * m.cpu.groups.postgres) / Math.max(1, m.deliveriesDone))}`,
    },
  ];
  if (shared.rsaSignsPerSecond) {
    const ratio = m.deliveriesPerSecond / shared.rsaSignsPerSecond;
    out.push({ metric: 'deliveries/s ÷ RSA signs/s (1 core)', value: ratio.toFixed(3), ...(withTargets ? { target: '≥ 0.5', met: m.finished && ratio >= 0.5 } : {}) });
  }
  out.push({ metric: 'exactly once (inbox items, 01s)', value: m.integrity.ok ? 'yes' : 'NO', target: 'yes', met: m.integrity.ok });
  return out;
}

function details(m: ThroughputMeasurement): Record<string, unknown> {
  return {
    ...m,
    cpu: { ...m.cpu, summary: describeCpu(m.cpu) },
    profile: m.profile ? { file: m.profile.file, summary: m.profile.summary } : undefined,
  };
}

function notes(m: ThroughputMeasurement, shared: Shared): string[] {
  const out = [
    `CPU during the window: ${describeCpu(m.cpu)}`,
    `integrity: ${describeIntegrity(m.integrity)}`,
    ...(m.wire ? [`round trips from the service, ${m.wire.perDelivery}`] : []),
    ...(m.runtimeStats ? [describeRuntimeStats(m.runtimeStats)] : []),
    describeSessions(m.sessions),
    `per-document send accepted → all ${shared.sizes.throughput.recipients} 01s: p50 ${ms(m.docLatency.p50)}, p99 ${ms(m.docLatency.p99)}`,
  ];
  if (!m.finished) out.unshift(`did not finish: ${m.deliveriesDone}/${m.deliveries} deliveries within ${ms(shared.sizes.throughput.timeoutMs)}`);
  if (m.profile) out.push(`CPU profile: ${m.profile.file}`);
  return out;
}

/** Scenario 1 (queue 'redis') and 6 (queue 'postgres'): everything in this process. */
export async function inProcessThroughput(shared: Shared, id: string, queue: 'redis' | 'postgres'): Promise<ScenarioResult> {
  const started = Date.now();
  const base = await scenarioBase(shared.ctx, id, queue);
  const node = await startInProcess(shared.ctx, base);
  try {
    const dir = await createDirectory(node.api, shared.ctx.adminToken, shared.pki, { family: 1, communes: shared.sizes.throughput.recipients });
    const m = await measureThroughput(shared, {
      api: node.api,
      clerk: dir.district.clerk,
      recipients: dir.communes,
      databaseUrl: base.databaseUrl,
      cpuWatch: new Map([[process.pid, 'bench+service']]),
      profileName: id,
      runtime: node.runtime,
    });
    if (queue === 'redis' && m.finished) shared.measuredDeliveriesPerSecond = m.deliveriesPerSecond;
    if (m.profile) shared.log(formatSummary(m.profile.summary, `CPU profile of ${id}`));
    if (m.profile && m.wire) shared.log(`\nSQL statements per delivery (most frequent):\n${m.wire.topStatementsPerDelivery.join('\n')}\n`);
    const t = shared.sizes.throughput;
    return {
      id,
      title: queue === 'redis' ? '1. Throughput (BullMQ on Redis)' : '6. Throughput, PostgreSQL queue backend',
      outcome: !m.finished ? 'did not finish' : m.integrity.ok ? 'ok' : 'integrity',
      setup: `${t.documents} docs × ${t.recipients} recipients, concurrency ${t.concurrency}, ${shared.sizes.attachmentBytes} B attachment; api + workers in the bench process (app.request), ${queue === 'redis' ? 'Redis' : 'PostgreSQL'} queues`,
      seconds: (Date.now() - started) / 1000,
      rows: rows(m, shared, queue === 'redis'),
      notes: notes(m, shared),
      details: details(m),
    };
  } finally {
    await node.close();
    await base.drop();
  }
}

/** Scenario 7: one api process and two worker processes, HTTP on loopback. */
export async function scaleOut(shared: Shared, workers = 2): Promise<ScenarioResult> {
  const started = Date.now();
  const id = 'scale-out';
  const base = await scenarioBase(shared.ctx, id, 'redis');
  try {
    await migrateDatabase(shared.ctx, base);
    const nodeArgs = shared.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${shared.profileDir}`] : [];
    const api = await spawnApi(shared.ctx, base, 'api');
    const dir = await createDirectory(api.api, shared.ctx.adminToken, shared.pki, { family: 1, communes: shared.sizes.throughput.recipients });
    const children = await Promise.all(Array.from({ length: workers }, (_, i) => spawnWorker(shared.ctx, base, `worker-${i + 1}`, { nodeArgs })));
    const watch = new Map<number, string>([[api.child.pid, 'api'], ...children.map((c, i) => [c.pid, `worker-${i + 1}`] as [number, string])]);
    const m = await measureThroughput(shared, { api: api.api, clerk: dir.district.clerk, recipients: dir.communes, databaseUrl: base.databaseUrl, cpuWatch: watch });
    await Promise.all([api.child.stop(), ...children.map((c) => c.stop())]);
    const profiles = shared.profileDir ? await collectWorkerProfiles(shared, children.map((c, i) => ({ pid: c.pid, name: `scale-out-worker-${i + 1}` }))) : [];
    const t = shared.sizes.throughput;
    const out = rows(m, shared, false);
    return {
      id,
      title: `7. Scale-out: 1 api + ${workers} worker processes`,
      outcome: !m.finished ? 'did not finish' : m.integrity.ok ? 'ok' : 'integrity',
      setup: `${t.documents} docs × ${t.recipients} recipients, concurrency ${t.concurrency}; \`lienthong api\` + ${workers}× \`lienthong worker\` as child processes, HTTP on loopback, Redis`,
      seconds: (Date.now() - started) / 1000,
      rows: out,
      notes: [
        ...notes(m, shared),
        `no duplicate delivery: ${m.integrity.inboxItems} inbox items and ${m.integrity.statuses01} status 01 for ${m.integrity.deliveries} deliveries; ` +
          `${m.integrity.duplicateInboxItems} (agency, package) pairs and ${m.integrity.duplicate01} deliveries held twice`,
        ...profiles.map((p) => `CPU profile (whole process lifetime, --cpu-prof): ${p}`),
      ],
      details: details(m),
    };
  } finally {
    await base.drop();
  }
}


/**
 * `--cpu-prof` writes CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile per thread on exit: keep the
 * main thread's as <name>.cpuprofile (the other thread is tsx's module loader) and print its summary.
 */
async function collectWorkerProfiles(shared: Shared, procs: Array<{ pid: number; name: string }>): Promise<string[]> {
  const dir = shared.profileDir!;
  const out: string[] = [];
  for (const { pid, name } of procs) {
    const files = readdirSync(dir).filter((f) => f.startsWith('CPU.') && f.includes(`.${pid}.`));
    const main = files.find((f) => f.includes(`.${pid}.0.`));
    for (const f of files) if (f !== main) rmSync(join(dir, f), { force: true });
    if (!main) continue;
    const file = join(dir, `${name}.cpuprofile`);
    renameSync(join(dir, main), file);
    out.push(file);
    const summary = await summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 15);
    shared.log(formatSummary(summary, `CPU profile of ${name} (whole process)`));
  }
  return out;
}
