/**
 * End-to-end benchmark of the exchange (issue 7). One command from a clean clone, with PostgreSQL on
 * 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379:
 *
 *     npm run bench                                  all scenarios, full sizes (~4–5 min on 2 cores)
 *     npm run bench -- --quick                       smaller sizes (~2 min)
 *     npm run bench -- --only throughput,fanout      a subset
 *     npm run bench -- --only throughput --profile   + a CPU profile of the measured window
 *
 * Prints a table and writes bench/results.json. See bench/README.md for what each figure measures.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBenchPki } from './lib/directory.js';
import { cleanupAll, cleanupMark, createScratchDir, installSignalCleanup, preflight, runSecrets } from './lib/infra.js';
import { FULL, QUICK, type ScenarioResult, type Sizes } from './lib/result.js';
import { REPO, type RunContext } from './lib/service.js';
import { CONSOLE_FULL, CONSOLE_QUICK, consolePages } from './scenarios/console.js';
import { cryptoCeiling } from './scenarios/crypto.js';
import { fanout } from './scenarios/fanout.js';
import { largePackage } from './scenarios/large.js';
import { search } from './scenarios/search.js';
import { deadlines } from './scenarios/deadlines.js';
import { latency } from './scenarios/latency.js';
import { inProcessThroughput, scaleOut, type Shared } from './scenarios/throughput.js';

const SCENARIO_LIMIT_MS = 8 * 60_000;
/** The wide fan-out builds a directory of 10,000 agencies through the API before it starts. */
const WIDE_LIMIT_MS = 25 * 60_000;
const SCENARIOS = ['crypto', 'throughput', 'latency', 'fanout', 'fanout-10k', 'large', 'pg-queue', 'scale-out', 'search', 'console', 'deadlines'] as const;
type ScenarioId = (typeof SCENARIOS)[number];

const HELP = `npm run bench -- [options]

  --only a,b,…          scenarios to run (default: all): ${SCENARIOS.join(', ')}
  --quick               smaller sizes (quick check, ~2 min)
  --profile             CPU profiles: throughput, pg-queue and fanout in-process (inspector, measured window
                        only), scale-out workers with --cpu-prof; written to bench/profiles/, summarised on stdout
  --documents N         throughput documents (default 200; quick 30)
  --rate N              latency scenario: documents per second (default 50; quick 5)
  --duration S          latency scenario: seconds of sending (default 30; quick 8)
  --communes N          fan-out size (default 1000; quick 100)
  --wide-communes N     fanout-10k size (default 10000; quick 1000); its directory takes a few minutes
  --large-mb N          large package attachment, MB (default 20; quick 2)
  --attachment-bytes N  attachment of every throughput/latency document (default 3400 → ~10 KB package)
  --keep                keep the scratch folder (service logs) and print where it is
  --log-level L         service log level (default info, as in production)
  --out FILE            results file (default bench/results.json)
`;

function parse(): { only: Set<ScenarioId>; sizes: Sizes; quick: boolean; profile: boolean; keep: boolean; logLevel: string; out: string } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      documents: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      communes: { type: 'string' },
      'wide-communes': { type: 'string' },
      'large-mb': { type: 'string' },
      'attachment-bytes': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      out: { type: 'string', default: join(REPO, 'bench', 'results.json') },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const only = new Set<ScenarioId>();
  for (const s of (values.only ?? SCENARIOS.join(',')).split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"; choose from ${SCENARIOS.join(', ')}`);
    only.add(s as ScenarioId);
  }
  const base = values.quick ? QUICK : FULL;
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const sizes: Sizes = structuredClone(base);
  sizes.throughput.documents = num(values.documents, 'documents') ?? sizes.throughput.documents;
  sizes.latency.rate = num(values.rate, 'rate') ?? sizes.latency.rate;
  sizes.latency.durationMs = (num(values.duration, 'duration') ?? sizes.latency.durationMs / 1000) * 1000;
  sizes.fanout.communes = Math.round(num(values.communes, 'communes') ?? sizes.fanout.communes);
  sizes.fanoutWide.communes = Math.round(num(values['wide-communes'], 'wide-communes') ?? sizes.fanoutWide.communes);
  sizes.large.attachmentBytes = Math.round((num(values['large-mb'], 'large-mb') ?? sizes.large.attachmentBytes / 1e6) * 1e6);
  sizes.attachmentBytes = Math.round(num(values['attachment-bytes'], 'attachment-bytes') ?? sizes.attachmentBytes);
  return { only, sizes, quick: values.quick ?? false, profile: values.profile ?? false, keep: values.keep ?? false, logLevel: values['log-level'] ?? 'info', out: values.out ?? join(REPO, 'bench', 'results.json') };
}

function table(results: ScenarioResult[]): string {
  const head = ['scenario', 'metric', 'value', 'target', ''];
  const body: string[][] = [];
  for (const r of results) {
    r.rows.forEach((row, i) => {
      body.push([
        i === 0 ? r.title : '',
        row.metric,
        row.value,
        row.target ?? '',
        row.met === undefined ? '' : row.met ? 'met' : 'not met',
      ]);
    });
    if (r.rows.length === 0 || r.outcome !== 'ok') body.push([r.rows.length ? '' : r.title, 'outcome', r.outcome, '', '']);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parse();
  installSignalCleanup();
  const needRedis = [...args.only].some((s) => s !== 'crypto' && s !== 'pg-queue');
  const versions = await preflight(needRedis);
  const ctx: RunContext = { dir: createScratchDir(args.keep), ...runSecrets(), logLevel: args.logLevel };
  const profileDir = args.profile ? join(REPO, 'bench', 'profiles') : undefined;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    // Profiles are large and machine-specific: the folder ignores itself.
    writeFileSync(join(profileDir, '.gitignore'), '*\n');
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date();
  log(`lienthong bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, PostgreSQL ${versions.postgres}${versions.redis ? `, Redis ${versions.redis}` : ''}`);
  log(`mode: ${args.quick ? 'quick' : 'full'}; scenarios: ${[...args.only].join(', ')}${args.keep ? `; scratch folder ${ctx.dir}` : ''}\n`);

  const pki = await createBenchPki();
  const shared: Shared = { ctx, pki, sizes: args.sizes, rsaSignsPerSecond: undefined, profileDir, log };
  const results: ScenarioResult[] = [];
  const wantsRatio = ['throughput', 'pg-queue', 'scale-out'].some((s) => args.only.has(s as ScenarioId));
  if (args.only.has('crypto') || wantsRatio) {
    const c = cryptoCeiling(pki);
    shared.rsaSignsPerSecond = c.signsPerSecond;
    if (args.only.has('crypto')) results.push(c.result);
  }

  const run = async (id: ScenarioId, fn: () => Promise<ScenarioResult>) => {
    if (!args.only.has(id)) return;
    log(`▶ ${id}`);
    const t = Date.now();
    const mark = cleanupMark();
    let watchdog: NodeJS.Timeout | undefined;
    try {
      // Each scenario bounds its own waits; this is the backstop against anything that hangs.
      const r = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          const limit = id === 'fanout-10k' ? WIDE_LIMIT_MS : SCENARIO_LIMIT_MS;
          watchdog = setTimeout(() => reject(new Error(`${id} did not finish within ${limit / 60_000} min (watchdog)`)), limit);
        }),
      ]);
      results.push(r);
      log(`  ${r.outcome} in ${((Date.now() - t) / 1000).toFixed(1)} s: ${r.rows.map((x) => `${x.metric} = ${x.value}`).join('; ')}`);
      for (const n of r.notes) log(`  · ${n}`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`  FAILED: ${message}`);
      results.push({ id, title: id, outcome: 'failed', setup: '', seconds: (Date.now() - t) / 1000, rows: [], notes: [message.split('\n')[0] ?? message], details: { error: message } });
      // A scenario that failed half-way may have left a runtime or children behind: clean up now.
      await cleanupAll(mark);
    } finally {
      clearTimeout(watchdog);
    }
  };

  try {
    await run('throughput', () => inProcessThroughput(shared, 'throughput', 'redis'));
    await run('latency', () => latency(shared));
    await run('fanout', () => fanout(shared));
    await run('fanout-10k', () => fanout(shared, 'fanout-10k'));
    await run('large', () => largePackage(shared));
    await run('pg-queue', () => inProcessThroughput(shared, 'pg-queue', 'postgres'));
    await run('scale-out', () => scaleOut(shared));
    await run('search', () => search(shared, args.quick ? 20_000 : 100_000));
    await run('console', () => consolePages(shared, args.quick ? CONSOLE_QUICK : CONSOLE_FULL));
    await run('deadlines', () => deadlines(shared, args.quick ? 20_000 : 100_000));
  } finally {
    await cleanupAll();
  }

  const order = (id: string) => ['throughput', 'latency', 'fanout', 'fanout-10k', 'crypto', 'large', 'pg-queue', 'scale-out', 'search', 'console', 'deadlines'].indexOf(id);
  results.sort((a, b) => order(a.id) - order(b.id));
  log(`\n${table(results)}\n`);
  const file = args.out;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        seconds: (Date.now() - startedAt.getTime()) / 1000,
        command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model, memoryBytes: totalmem(), postgres: versions.postgres, redis: versions.redis },
        mode: args.quick ? 'quick' : 'full',
        sizes: args.sizes,
        rsaSignsPerSecond: shared.rsaSignsPerSecond,
        scenarios: results,
      },
      null,
      2,
    )}\n`,
  );
  log(`results: ${file}; total ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  if (results.some((r) => r.outcome === 'failed')) process.exitCode = 1;
}

await main();
