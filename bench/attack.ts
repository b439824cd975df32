/**
 * `npm run attack` — the floods of issue 11 against a real node, while an honest clerk keeps sending
 * documents and a probe measures /healthz. See bench/README.md ("npm run attack") and `--help`.
 *
 *     npm run attack                    two phases of 30 s (baseline, attack): ~2–3 min on 2 cores
 *     npm run attack -- --seconds 10    a shorter run
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import type { Api } from './lib/api.js';
import { createBenchPki } from './lib/directory.js';
import { cleanupAll, createScratchDir, installSignalCleanup, preflight, runSecrets, sqlClient } from './lib/infra.js';
import { completionByDocument } from './lib/load.js';
import { CpuMeter, type CpuReport } from './lib/procfs.js';
import { REPO, sleep, type RunContext } from './lib/service.js';
import { fmt, mib } from './lib/stats.js';
import { attachment } from './scenarios/throughput.js';
import { checkDelivered, honestBody, runHonest, throughput, waitDelivered, type HonestDoc, type LostReport } from './attack/honest.js';
import { undiciApi } from './attack/http.js';
import { createAttackDirectory, NodeWatch, restartNode, startNode, type Exit, type NodeUnderTest } from './attack/node.js';
import { runAttack, Tracker, type AttackSizes, type AttackSummary } from './attack/plan.js';
import { probeSummary, startProbe } from './attack/probe.js';
import { byKind, codes, kindTable, verdict } from './attack/report.js';

const HELP = `npm run attack -- [options]

Starts a node (\`lienthong start\`: api + workers in one process, production, Redis, its own database
and queue prefix), then runs two phases of the same length while a probe GETs /healthz every 50 ms:
  1. baseline: an honest clerk keeps --concurrency POST /v1/documents in flight (JSON, a 3.4 KB PDF,
     --recipients local recipients);
  2. attack: the same honest clerk, plus the floods of issue 11 — waves of --uploads concurrent hostile
     uploads from --clerks clerks (200 MB JSON in six Content-Type spellings to five routes, chunked /
     declared / lying Content-Length; <a/> × --elements and one element with --attributes attributes
     as application/xml; 40 MB multipart forms with bogus files), the 200 MB JSON matrix without a
     token, the partner pushing floods to /exchange/v1/packages, and --unauth requests with bad or
     missing tokens.
Then: the node still answers (/healthz, one document end to end), and every document the honest
clerk got a 201 for has reached \`arrived\` at every recipient (GET /v1/documents/{id}); if the node
died, it is started again on the same database and queue to count what was lost.

Prints the honest throughput under attack as a share of the baseline (target ≥ 50 %), the /healthz
p99 under attack (≤ 100 ms), the node's peak RSS (≤ 1 GiB), crashed and lost (0), and a table of the
hostile requests by kind and answer; writes every figure to --out.

Exit code: 0 when the run completed and the node neither crashed nor lost a document — even if
targets were missed (read PASS/FAIL); 1 if the node crashed (or was killed past --rss-cap-mib) or
an accepted document was lost, or the harness itself failed.

  --seconds N         length of each phase (default 30)
  --concurrency N     honest POSTs in flight (default 4)
  --recipients N      local recipients per honest document (default 3, of 5)
  --uploads N         concurrent hostile uploads per wave (default 200)
  --clerks N          hostile clerks the uploads are spread over (default 10)
  --wave-every S      at most one wave of uploads every S seconds (default 10)
  --unauth N          unauthenticated requests over the attack phase (default 1000)
  --json-mb N         size of the oversized JSON bodies, MB (default 200)
  --elements N        <a/> elements of the element flood (default 6000000 ≈ 24 MB)
  --attributes N      attributes of the one-element flood (default 200000)
  --multipart-mb N    size of the multipart uploads, MB (default 40)
  --rss-cap-mib N     safety cap: the harness kills the node past this RSS and reports a crash
                      (default 4096)
  --keep              keep the scratch folder (node log, results copy) and print where it is
  --log-level L       node log level (default info, as in production)
  --node-args="A B"   extra Node.js options for the node's process, split on spaces (write it with
                      "=": its value starts with a dash), e.g. --node-args="--cpu-prof
                      --cpu-prof-dir=/tmp/prof" (the main thread's profile is the file with .0.001.
                      in its name) or --node-args="--import ./my-preload.mjs"
  --out FILE          results file (default bench/attack-results.json)
`;

interface Args {
  seconds: number;
  concurrency: number;
  recipients: number;
  clerks: number;
  rssCapBytes: number;
  sizes: AttackSizes;
  keep: boolean;
  logLevel: string;
  nodeArgs: string[];
  out: string;
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '4' },
      recipients: { type: 'string', default: '3' },
      uploads: { type: 'string', default: '200' },
      clerks: { type: 'string', default: '10' },
      'wave-every': { type: 'string', default: '10' },
      unauth: { type: 'string', default: '1000' },
      'json-mb': { type: 'string', default: '200' },
      elements: { type: 'string', default: '6000000' },
      attributes: { type: 'string', default: '200000' },
      'multipart-mb': { type: 'string', default: '40' },
      'rss-cap-mib': { type: 'string', default: '4096' },
      keep: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      'node-args': { type: 'string', default: '' },
      out: { type: 'string', default: join(REPO, 'bench', 'attack-results.json') },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (name: keyof typeof values, max: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name} must be a number in (0, ${max}]`);
    return n;
  };
  const seconds = num('seconds', 600);
  return {
    seconds,
    concurrency: Math.round(num('concurrency', 64)),
    recipients: Math.round(num('recipients', 5)),
    clerks: Math.round(num('clerks', 100)),
    rssCapBytes: num('rss-cap-mib', 1_048_576) * 1_048_576,
    sizes: {
      jsonBytes: Math.round(num('json-mb', 10_000) * 1e6),
      elements: Math.round(num('elements', 1e9)),
      attributes: Math.round(num('attributes', 1e7)),
      multipartBytes: Math.round(num('multipart-mb', 10_000) * 1e6),
      uploads: Math.round(num('uploads', 10_000)),
      unauth: Math.round(num('unauth', 1e6)),
      waveEverySeconds: num('wave-every', 600),
      requestTimeoutMs: Math.max(10_000, seconds * 1_000),
    },
    keep: values.keep ?? false,
    logLevel: values['log-level'] ?? 'info',
    nodeArgs: (values['node-args'] ?? '').split(/\s+/).filter(Boolean),
    out: values.out ?? join(REPO, 'bench', 'attack-results.json'),
  };
}

const log = (line = '') => process.stdout.write(`${line}\n`);
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const msFmt = (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')} ms` : '—');

function cpuLine(r: CpuReport): string {
  const per = (s: number | undefined) => ((s ?? 0) / r.seconds).toFixed(2);
  return (
    `node ${per(r.processes.node)}, harness ${per((r.processes.harness ?? 0) + (r.processes.probe ?? 0))}, postgres ${per(r.groups.postgres)}, ` +
    `redis ${per(r.groups.redis)}, other ${per(r.groups.other)} cores` +
    (r.machineBusy === null ? '' : ` — machine ${(r.machineBusy * 100).toFixed(0)} % busy of ${r.cores}`)
  );
}

/** One honest document end to end after the attack: 201, then every recipient `arrived` (≤ 30 s). */
async function endToEnd(api: Api, token: string, body: unknown): Promise<{ ok: boolean; ms: number; detail: string }> {
  const t = Date.now();
  try {
    const res = await api.call('POST', '/v1/documents', { token, body });
    if (res.status !== 201) return { ok: false, ms: Date.now() - t, detail: `POST answered ${res.status}` };
    const id = res.json.id as string;
    while (Date.now() - t < 30_000) {
      const doc = await api.call('GET', `/v1/documents/${id}`, { token });
      const recipients = (doc.json?.recipients ?? []) as Array<{ state: string }>;
      if (recipients.length && recipients.every((r) => r.state === 'arrived')) return { ok: true, ms: Date.now() - t, detail: 'delivered' };
      await sleep(200);
    }
    return { ok: false, ms: Date.now() - t, detail: 'not delivered within 30 s' };
  } catch (error) {
    return { ok: false, ms: Date.now() - t, detail: String((error as Error).message) };
  }
}

async function healthz(url: string): Promise<{ ok: boolean; ms: number; detail: string }> {
  const t = Date.now();
  try {
    const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(5_000) });
    await res.text();
    return { ok: res.status === 200, ms: Date.now() - t, detail: `HTTP ${res.status}` };
  } catch (error) {
    return { ok: false, ms: Date.now() - t, detail: String((error as Error).message) };
  }
}

async function main(args: Args): Promise<number> {
  installSignalCleanup();
  const versions = await preflight(true);
  const ctx: RunContext = { dir: createScratchDir(args.keep), ...runSecrets(), logLevel: args.logLevel };
  const startedAt = new Date();
  const phaseMs = args.seconds * 1_000;
  log(`lienthong attack — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, PostgreSQL ${versions.postgres}, Redis ${versions.redis}`);
  log(
    `phases of ${args.seconds} s; honest: ${args.concurrency} in flight × ${args.recipients} recipients; attack: waves of ${args.sizes.uploads} uploads from ${args.clerks} clerks, ` +
      `${args.sizes.unauth} unauthenticated, JSON ${fmt(args.sizes.jsonBytes / 1e6, 0)} MB, <a/> × ${args.sizes.elements.toLocaleString('en-US')}, ` +
      `${args.sizes.attributes.toLocaleString('en-US')} attributes, multipart ${fmt(args.sizes.multipartBytes / 1e6, 0)} MB${args.keep ? `; scratch folder ${ctx.dir}` : ''}`,
  );

  // ── Setup ────────────────────────────────────────────────────────────────────────────────
  const pki = await createBenchPki(2);
  const node = await startNode(ctx, args.nodeArgs);
  const tracker = new Tracker();
  let phase = 'setup';
  let crash: (Exit & { phase: string; secondsIntoPhase: number; inFlight: Record<string, number> }) | undefined;
  let phaseStart = Date.now();
  const watch = new NodeWatch(node, args.rssCapBytes, 50, (exit) => {
    crash = { ...exit, phase, secondsIntoPhase: (exit.at - phaseStart) / 1000, inFlight: tracker.snapshot() };
    log(`  ✖ the node died during ${phase}, ${crash.secondsIntoPhase.toFixed(1)} s in: ${exit.cause}`);
  });
  const alive = () => watch.alive;
  const dir = await createAttackDirectory(node.api, ctx.adminToken, pki, { recipients: Math.max(5, args.recipients), hostile: args.clerks });
  const sql = await sqlClient(node.base.databaseUrl);
  const honestAgent = new Agent({ connections: args.concurrency + 2 });
  const hostileAgent = new Agent({ keepAliveTimeout: 1_000 });
  const honestApi = undiciApi(node.url, honestAgent, 30_000);
  const body = honestBody(dir.recipients, args.recipients, attachment(3_400));
  const next = { n: 0 };
  log(`node pid ${node.child.pid} at ${node.url}; ${dir.recipients.length} recipient agencies, ${dir.hostileClerks.length} hostile clerks, partner ${dir.partner.id}`);

  // Warm-up: the honest loop for 2 s, delivered, so both phases start warm and with no backlog.
  const warm = await runHonest(honestApi, dir.sender.clerk, { until: Date.now() + 2_000, concurrency: args.concurrency, body, alive, next });
  await waitDelivered(sql, warm.accepted.map((d) => d.id), 30_000);
  const probe = startProbe(node.url, { intervalMs: 50, timeoutMs: 5_000, maxSeconds: args.seconds * 2 + 300 });
  // The same probe on the operations listener (LIENTHONG_METRICS_PORT), where an orchestrator's liveness probe goes.
  const opsProbe = node.opsUrl ? startProbe(node.opsUrl, { intervalMs: 50, timeoutMs: 5_000, maxSeconds: args.seconds * 2 + 300 }) : undefined;
  await sleep(1_000);
  const watched = () =>
    new Map<number, string>([[node.child.pid, 'node'], [process.pid, 'harness'], [probe.pid, 'probe'], ...(opsProbe ? ([[opsProbe.pid, 'probe']] as Array<[number, string]>) : [])]);

  // ── Baseline ─────────────────────────────────────────────────────────────────────────────
  phase = 'baseline';
  const b0 = (phaseStart = Date.now());
  const bEnd = b0 + phaseMs;
  log(`▶ baseline: ${args.seconds} s of honest traffic (warm-up: ${warm.accepted.length} documents)`);
  let meter = new CpuMeter(watched());
  const baseline = await runHonest(honestApi, dir.sender.clerk, { until: bEnd, concurrency: args.concurrency, body, alive, next });
  const b1 = Date.now();
  const cpuBaseline = meter.stop();
  const baselineFigures = throughput(baseline, b0, bEnd);
  log(`  ${baselineFigures.accepted} documents accepted, ${fmt(baselineFigures.docsPerSecond)} docs/s; CPU ${cpuLine(cpuBaseline)}`);
  // The attack starts with no backlog (at most 30 s of waiting).
  const drain1 = alive() ? await waitDelivered(sql, baseline.accepted.map((d) => d.id), 30_000) : undefined;
  if (drain1) log(drain1.finished ? `  all delivered ${fmt(drain1.waitedMs / 1000)} s after the phase` : `  ${drain1.pending} documents not delivered 30 s after the phase (going on)`);

  // ── Attack ───────────────────────────────────────────────────────────────────────────────
  let attackSummary: AttackSummary | undefined;
  let attackHonest = baseline;
  let a0 = Date.now();
  let a1 = a0;
  let cpuAttack: CpuReport | undefined;
  const graceMs = 5_000;
  if (alive()) {
    phase = 'attack';
    a0 = phaseStart = Date.now();
    const aEnd = a0 + phaseMs;
    log(`▶ attack: ${args.seconds} s of honest traffic and floods`);
    meter = new CpuMeter(watched());
    [attackHonest, attackSummary] = await Promise.all([
      runHonest(honestApi, dir.sender.clerk, { until: aEnd, concurrency: args.concurrency, body, alive, next }),
      runAttack(
        { url: node.url, dispatcher: hostileAgent, clerks: dir.hostileClerks, partnerToken: dir.partner.token, revokedToken: dir.revokedToken, adminToken: ctx.adminToken, someAgency: dir.sender.code },
        args.sizes,
        tracker,
        aEnd,
        graceMs,
        alive,
      ),
    ]);
    a1 = Date.now();
    cpuAttack = meter.stop();
  }
  phase = 'after the attack';
  phaseStart = Date.now();
  const attackFigures = throughput(attackHonest, a0, a0 + phaseMs);
  if (attackSummary) {
    log(`  ${attackFigures.accepted} documents accepted, ${fmt(attackFigures.docsPerSecond)} docs/s; ${tracker.results.length} hostile requests (${attackSummary.waves} wave(s) of uploads)`);
    if (cpuAttack) log(`  CPU ${cpuLine(cpuAttack)}`);
  }

  // ── After: the node still serves, nothing lost ───────────────────────────────────────────
  const drain2 = alive() ? await waitDelivered(sql, attackHonest.accepted.map((d) => d.id), 60_000) : undefined;
  const drained = Date.now();
  const afterHealthz = alive() ? await healthz(node.url) : { ok: false, ms: 0, detail: 'node down' };
  const afterDocument = alive() ? await endToEnd(honestApi, dir.sender.clerk, body(next.n++)) : { ok: false, ms: 0, detail: 'node down' };
  await sleep(200);
  const samples = await probe.stop();
  const opsSamples = opsProbe ? await opsProbe.stop() : [];
  const docs: HonestDoc[] = [...warm.accepted, ...baseline.accepted, ...(attackSummary ? attackHonest.accepted : [])];
  let checkApi: Api = honestApi;
  let restarted: NodeUnderTest | undefined;
  let restartError: string | undefined;
  if (!alive()) {
    log('  starting the node again on the same database and queue, to count what was lost…');
    try {
      restarted = await restartNode(ctx, node.base, args.nodeArgs);
      checkApi = undiciApi(restarted.url, honestAgent, 30_000);
      // Jobs the dead process held come back after the lock and stall checks (2 × 30 s) or the sweep.
      const recovered = await waitDelivered(sql, docs.map((d) => d.id), 100_000);
      log(`  ${recovered.finished ? 'every accepted document delivered' : `${recovered.pending} accepted documents still not delivered`} ${fmt(recovered.waitedMs / 1000)} s after the restart`);
    } catch (error) {
      restartError = String((error as Error).message).split('\n')[0];
    }
  }
  const completion = await completionByDocument(sql).catch(() => new Map<string, { doneAt: number }>());
  const deliveredWithin = (from: number, to: number) => [...completion.values()].filter((c) => c.doneAt >= from && c.doneAt <= to).length;
  let lost: LostReport = { checked: docs.length, delivered: 0, lost: docs.map((d) => ({ id: d.id, states: `not checked: ${restartError ?? 'node down'}` })) };
  const checkStart = Date.now();
  if (!restartError) lost = await checkDelivered(checkApi, dir.sender.clerk, docs, Date.now() + 60_000);
  const checkEnd = Date.now();
  const peakHwm = watch.alive ? watch.hwm() : NaN;
  watch.stop();
  await sql.end().catch(() => undefined);

  // ── Figures ──────────────────────────────────────────────────────────────────────────────
  const probesBaseline = probeSummary(samples, b0, b1);
  const probesAttack = probeSummary(samples, a0, a1);
  const opsBaseline = probeSummary(opsSamples, b0, b1);
  const opsAttack = probeSummary(opsSamples, a0, a1);
  const peakRss = Math.max(watch.peakRss, Number.isFinite(peakHwm) ? peakHwm : 0);
  const rssBaseline = watch.peakBetween(b0, b1);
  const rssAttack = watch.peakBetween(a0, Date.now());
  // Where the peak came: the floods, the backlog they left (until every accepted document is
  // delivered), or the harness's own check of every document (one GET each, after the attack).
  const rssByPart = { attack: watch.peakBetween(a0, a1), drain: watch.peakBetween(a1, drained), check: watch.peakBetween(checkStart, checkEnd) };
  const rows = byKind(tracker.results);
  const notClean = rows.reduce((a, r) => a + r.notClean, 0);
  const share = attackSummary ? attackFigures.docsPerSecond / baselineFigures.docsPerSecond : NaN;
  const crashed = crash ? 1 : 0;
  const lostCount = lost.lost.length;
  const targets = {
    throughput: Number.isFinite(share) && share >= 0.5,
    healthzP99: probesAttack.probes > 0 && probesAttack.p99 <= 100,
    opsHealthzP99: opsAttack.probes > 0 && opsAttack.p99 <= 100,
    // A node that died has no peak to speak of: the figure is only up to its death.
    peakRss: peakRss <= 1_073_741_824 && !crash,
    noCrash: crashed === 0 && lostCount === 0,
  };

  log(`\n${kindTable(rows)}\n`);
  if (notClean) {
    log('not clean (first of each kind):');
    for (const r of rows) for (const e of r.examples) log(`  ${r.kind}: ${e}`);
    log('');
  }
  const fails = Object.entries(attackHonest.failures);
  log(
    `honest throughput: baseline ${fmt(baselineFigures.docsPerSecond)} docs/s, under attack ${fmt(attackFigures.docsPerSecond)} docs/s (${Number.isFinite(share) ? pct(share) : '—'})` +
      `   [≥ 50 %: ${verdict(targets.throughput)}]`,
  );
  log(
    `  POST p50/p99: baseline ${msFmt(baselineFigures.post.p50)} / ${msFmt(baselineFigures.post.p99)}, attack ${msFmt(attackFigures.post.p50)} / ${msFmt(attackFigures.post.p99)}; ` +
      `delivered during the phase: ${fmt(deliveredWithin(b0, bEnd) / args.seconds)} / ${fmt(deliveredWithin(a0, a0 + phaseMs) / args.seconds)} docs/s` +
      (fails.length ? `; honest failures under attack: ${fails.map(([k, v]) => `${k} ×${v}`).join(', ')}` : ''),
  );
  log(
    `/healthz p99: ${msFmt(probesAttack.p99)} (max ${msFmt(probesAttack.max)}), failed probes: ${probesAttack.failed} of ${probesAttack.probes}` +
      `   [≤ 100 ms: ${verdict(targets.healthzP99)}]   — baseline p50/p99 ${msFmt(probesBaseline.p50)} / ${msFmt(probesBaseline.p99)}, attack p50 ${msFmt(probesAttack.p50)}`,
  );
  if (opsProbe) {
    log(
      `/healthz on the operations port p99: ${msFmt(opsAttack.p99)} (max ${msFmt(opsAttack.max)}), failed probes: ${opsAttack.failed} of ${opsAttack.probes}` +
        `   [≤ 100 ms: ${verdict(targets.opsHealthzP99)}]   — baseline p50/p99 ${msFmt(opsBaseline.p50)} / ${msFmt(opsBaseline.p99)}, attack p50 ${msFmt(opsAttack.p50)}`,
    );
  }
  log(`peak RSS: ${mib(peakRss)}${crash ? ' (until it died)' : ''}   [≤ 1 GiB: ${verdict(targets.peakRss)}]   — baseline ${mib(rssBaseline)}, attack and after ${mib(rssAttack)}: during the floods ${mib(rssByPart.attack)}, until all delivered ${mib(rssByPart.drain)}, during the harness's check of every document ${mib(rssByPart.check)} (sampled every 50 ms; VmHWM included)`);
  log(`crashed: ${crashed}, lost: ${lostCount}   [${verdict(targets.noCrash)}]   — ${lost.delivered} of ${lost.checked} accepted documents delivered to every recipient`);
  log(`hostile requests: ${tracker.results.length}, not clean: ${notClean}${attackSummary ? ` (launched of planned: ${Object.entries(attackSummary.launched).map(([k, v]) => `${k} ${v}/${attackSummary?.planned[k] ?? '?'}`).join(', ')}; ${attackSummary.waves} wave(s) of uploads)` : ''}`);
  log(`after the attack: /healthz ${afterHealthz.ok ? 'ok' : 'FAILED'} (${afterHealthz.detail}, ${afterHealthz.ms} ms); one document end to end ${afterDocument.ok ? 'ok' : 'FAILED'} (${afterDocument.detail}, ${afterDocument.ms} ms)`);
  if (crash) {
    log(`\nthe node died during ${crash.phase}, ${crash.secondsIntoPhase.toFixed(1)} s in: ${crash.cause}`);
    const inFlight = Object.entries(crash.inFlight);
    log(`  in flight then: ${inFlight.slice(0, 10).map(([k, v]) => `${k} ×${v}`).join(', ') || 'no hostile request'}${inFlight.length > 10 ? `, … (${inFlight.length} kinds)` : ''}`);
    log(`  its log ends with (routine request lines left out):\n${crash.logTail.split('\n').map((l) => `    ${l.slice(0, 300)}`).join('\n')}`);
    if (restarted) log(`  restarted (pid ${restarted.child.pid}) to check the accepted documents`);
    if (restartError) log(`  could not start it again: ${restartError}`);
  }
  if (lostCount) for (const l of lost.lost.slice(0, 5)) log(`  lost: ${l.id} ${l.states}`);

  const result = {
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    command: `npm run attack${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    harnessMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model, memoryBytes: totalmem(), postgres: versions.postgres, redis: versions.redis },
    phases: { baseline: { from: b0, to: b1 }, attack: attackSummary ? { from: a0, to: a1 } : null },
    options: { phaseSeconds: args.seconds, honestConcurrency: args.concurrency, recipientsPerDocument: args.recipients, clerks: args.clerks, rssCapBytes: args.rssCapBytes, ...args.sizes },
    summary: {
      honestDocsPerSecond: { baseline: baselineFigures.docsPerSecond, attack: attackSummary ? attackFigures.docsPerSecond : null, share: Number.isFinite(share) ? share : null },
      healthz: { baseline: probesBaseline, attack: probesAttack },
      healthzOperationsPort: opsProbe ? { baseline: opsBaseline, attack: opsAttack } : null,
      peakRssBytes: peakRss,
      crashed,
      lost: lostCount,
      hostileRequests: tracker.results.length,
      notClean,
      targets,
    },
    honest: {
      baseline: { ...baselineFigures, deliveredDuringPhase: deliveredWithin(b0, bEnd) },
      attack: attackSummary ? { ...attackFigures, deliveredDuringPhase: deliveredWithin(a0, a0 + phaseMs) } : null,
      drainAfterBaselineMs: drain1?.waitedMs ?? null,
      drainAfterAttack: drain2 ?? null,
      lost,
    },
    cpu: { baseline: cpuBaseline, attack: cpuAttack ?? null },
    // Every probe: [sent at (ms epoch), duration (ms), HTTP status or 0].
    probes: samples,
    rss: { peak: peakRss, baselinePeak: rssBaseline, attackPeak: rssAttack, attackPhasePeak: rssByPart.attack, drainPeak: rssByPart.drain, checkPeak: rssByPart.check, timeline: watch.timeline.filter((_, i) => i % 10 === 0) },
    attack: attackSummary ?? null,
    hostile: { byKind: rows, byOutcomeAndCode: codes(tracker.results) },
    after: { healthz: afterHealthz, endToEnd: afterDocument, restarted: restarted !== undefined, restartError: restartError ?? null },
    crash: crash ?? null,
  };
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(args.out, text);
  if (args.keep) writeFileSync(join(ctx.dir, 'attack-results.json'), text);
  log(`\nresults: ${args.out}${args.keep ? ` (and ${join(ctx.dir, 'attack-results.json')}; node log ${node.child.log})` : ''}; total ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  await Promise.all([honestAgent.close(), hostileAgent.destroy()]).catch(() => undefined);
  return crashed || lostCount ? 1 : 0;
}

const args = parse();
/** Backstop against anything that hangs: every wait above is bounded, this bounds them all. */
const RUN_LIMIT_MS = (2 * args.seconds + 600) * 1_000;
let code = 1;
let watchdog: NodeJS.Timeout | undefined;
try {
  code = await Promise.race([
    main(args),
    new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => reject(new Error(`the run did not finish within ${RUN_LIMIT_MS / 60_000} min (watchdog)`)), RUN_LIMIT_MS);
    }),
  ]);
} catch (error) {
  process.stderr.write(`attack failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  clearTimeout(watchdog);
  await cleanupAll();
}
process.exit(code);
