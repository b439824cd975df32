import { registerAccountRoutes } from './accounts/accounts.routes.js';
import { registerConsole } from './console/console.routes.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createQueueBackend } from '../queues/backend.js';
import type { JobContext } from '../queues/context.js';
import { PROCESSORS } from '../queues/processors.js';
import { JobQueues } from '../queues/producer.js';
import { startWorkers, type WorkerHandle } from '../queues/worker.js';
import type { Config } from './config.js';
import { deriveMasterKey } from './crypto/keys.js';
import { createSecrets } from './crypto/secret-box.js';
import { RsaThread } from './crypto/rsa-pool.js';
import { KeyVault } from './crypto/vault.js';
import { registerCertificateRoutes } from './certificates/certificates.routes.js';
import { activeCertificateExpiries } from './certificates/certificates.repository.js';
import { EXPIRY_WARNING_DAYS, PkiService } from './certificates/pki.service.js';
import { connectOrm, migrate } from './db/orm.js';
import { registerDirectoryRoutes } from './directory/directory.routes.js';
import { readSyncDifferences } from './directory/sync.repository.js';
import { axisAgenciesReader } from '../queues/processors/directory-sync.js';
import { tokenResolver } from './directory/tokens.js';
import { registerDocumentRoutes } from './documents/documents.routes.js';
import type { PipelineDeps } from './delivery/verify-received.js';
import { VerifiedCache } from './delivery/verified-cache.js';
import { registerInboxRoutes } from './inbox/inbox.routes.js';
import { registerRegisterRoutes } from './registers/registers.routes.js';
import { DOCUMENT_TYPE_CATALOG } from './documents/type-catalog.js';
import { registerArchiveRoutes } from './archive/archive.routes.js';
import { registerCalendarRoutes } from './calendar/calendar.routes.js';
import { CalendarStore } from './calendar/calendar.store.js';
import { registerStatisticsRoutes } from './statistics/statistics.routes.js';
import { registerDeadlineGauges } from './statistics/statistics.metrics.js';
import { registerReminderRoutes } from './reminders/reminders.routes.js';
import { registerDraftRoutes } from './drafts/drafts.routes.js';
import { registerExchangeRoutes } from './exchange/exchange.routes.js';
import { registerHubRoutes } from './hub/hub.routes.js';
import { createApp } from './http/app.js';
import type { AppEnv } from './http/context.js';
import { Metrics } from './http/metrics.js';
import { latestSweep } from './ops/heartbeat.repository.js';
import { createLogger, type Logger } from './logger.js';
import { createSigning, type PackageSigning } from './edxml/sign-pool.js';

export interface RuntimeOptions {
  /** Which roles this process plays; `start` plays both. Default: both. */
  roles?: { api?: boolean; worker?: boolean };
  /** Apply pending migrations before anything else (default: false; the CLI's `start` does). */
  migrate?: boolean;
  logger?: Logger;
  /** Node's default process metrics (off in tests that build several runtimes). */
  defaultMetrics?: boolean;
  /** "Now" for the deadlines shown, filtered and counted (default: the system clock; tests fix it). */
  clock?: () => Date;
}

/** The handles of a running service (STYLE.md: one factory for the CLI and the tests). */
export interface Runtime {
  config: Config;
  app: OpenAPIHono<AppEnv>;
  orm: MikroORM;
  queues: JobQueues;
  metrics: Metrics;
  logger: Logger;
  workers: WorkerHandle | undefined;
  pki: PkiService;
  /** Stops workers (letting running jobs finish), closes queues, Redis and the ORM. Idempotent. */
  close(): Promise<void>;
}

/** Builds the service from a resolved configuration (database URL and master key present). */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  if (!config.databaseUrl) throw new Error('createRuntime needs config.databaseUrl (the CLI starts an embedded PostgreSQL when it is unset)');
  if (!config.masterKey) throw new Error('createRuntime needs config.masterKey (the CLI generates one in development)');
  const logger = options.logger ?? createLogger(config.logLevel);
  const roles = { api: options.roles?.api ?? true, worker: options.roles?.worker ?? true };
  const masterKey = deriveMasterKey(config.masterKey);
  const secrets = createSecrets(masterKey);

  const orm = await connectOrm(config.databaseUrl);
  const backend = createQueueBackend({ redisUrl: config.redisUrl, databaseUrl: config.databaseUrl, prefix: config.queuePrefix });
  const queues = new JobQueues(backend);
  let workers: WorkerHandle | undefined;
  let signing: PackageSigning | undefined;
  let rsa: RsaThread | undefined;
  let closed: Promise<void> | undefined;

  const close = () =>
    (closed ??= (async () => {
      await workers?.close().catch((err: unknown) => logger.error({ err }, 'closing workers'));
      await queues.close();
      await backend.close();
      await orm.close(true);
      await signing?.close();
      await rsa?.close();
    })());

  try {
    if (options.migrate) {
      const applied = await migrate(orm);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    signing = createSigning({ threads: config.signingThreads, limits: { maxBytes: config.maxBodyBytes }, logger });
    // With signing threads, the RSA step of their signatures goes to a key thread, not the event loop.
    if (config.signingThreads > 0) rsa = new RsaThread(logger);
    const pki = new PkiService({
      vault: new KeyVault(masterKey, rsa),
      signing,
      logger,
      trustDir: config.trustDir,
      devCaDir: config.env === 'production' ? undefined : config.devCaDir,
      agencyCertificateDays: config.certificateValidityDays,
    });
    const pipeline: PipelineDeps = { pki, limits: { maxBytes: config.maxBodyBytes }, secrets, verified: new VerifiedCache() };
    // Creates the node CA on the very first start (and certs/dev/ca.pem in development).
    await pki.nodeCa(orm.em.fork());
    // Every gauge below is read into a snapshot at most every 30 s, never by a scrape (http/metrics.ts).
    const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? false, logger });
    // One working-day calendar per process: its years are read once and kept for CALENDAR_TTL_MS (issue 18).
    const calendar = new CalendarStore();
    const clock = options.clock ?? (() => new Date());
    registerDeadlineGauges(metrics, orm, calendar, clock);
    metrics.gauge(
      'lienthong_directory_sync_differences',
      'What the latest nightly directory sync of each axis partner found and left to an administrator, by kind (0 once applied)',
      ['partner', 'kind'],
      (set) => readSyncDifferences(orm.em.fork(), set),
    );
    metrics.gauge('lienthong_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async (set) => {
      // Read from the queue backend (on PostgreSQL, a scan of its job table): part of the snapshot too.
      for (const [queue, byState] of Object.entries(await queues.counts())) {
        for (const [state, n] of Object.entries(byState)) set({ queue, state }, n);
      }
    });
    metrics.gauge('lienthong_sweep_last_run_timestamp_seconds', 'When a worker last ran the sweep (heartbeat); 0 if never', [], async (set) => {
      const latest = await latestSweep(orm.em.fork());
      set({}, latest ? latest.at.getTime() / 1000 : 0);
    });
    metrics.gauge(
      'lienthong_certificate_expiry_days',
      'Days until each active agency certificate expires',
      ['agency', 'serial'],
      async (set) => {
        for (const c of await activeCertificateExpiries(orm.em.fork())) {
          set({ agency: c.agencyCode, serial: c.serialNumber }, (c.notAfter.getTime() - Date.now()) / 86_400_000);
        }
      },
    );
    metrics.gauge('lienthong_deliveries', 'Deliveries by state (failed ones wait for an operator retry)', ['state'], async (set) => {
      const rows = await orm.em.fork().getConnection().execute<Array<{ state: string; n: string }>>(`select state, count(*) as n from delivery group by state`);
      for (const r of rows) set({ state: r.state }, Number(r.n));
    });
    metrics.gauge(
      'lienthong_deliveries_waiting_too_long',
      'Remote deliveries handed over to a partner whose 01 has not come back within LIENTHONG_WAITING_FOR_ARRIVAL_MS',
      [],
      async (set) => {
        const rows = await orm.em
          .fork()
          .getConnection()
          .execute<Array<{ n: string }>>(`select count(*) as n from delivery where state = 'sending' and partner_id is not null and last_error like 'No arrival (01)%'`);
        set({}, Number(rows[0]?.n ?? 0));
      },
    );
    metrics.gauge(
      'lienthong_recalls_unanswered',
      'Deliveries whose recall (13) has had no answer (15/16) within LIENTHONG_WAITING_FOR_ARRIVAL_MS',
      [],
      async (set) => {
        const rows = await orm.em
          .fork()
          .getConnection()
          .execute<Array<{ n: string }>>(`select count(*) as n from delivery where state = 'recall_requested' and last_error like 'No answer (15 or 16)%'`);
        set({}, Number(rows[0]?.n ?? 0));
      },
    );
    metrics.gauge('lienthong_partner_circuit_open', 'Partners paused by the circuit breaker (1 = paused)', ['partner'], async (set) => {
      const rows = await orm.em.fork().getConnection().execute<Array<{ id: string; open: boolean }>>(`select id, coalesce(circuit_open_until > now(), false) as open from partner`);
      for (const r of rows) set({ partner: r.id }, r.open ? 1 : 0);
    });
    metrics.gauge(
      'lienthong_certificates_expiring_soon',
      `Active agency certificates expiring within ${EXPIRY_WARNING_DAYS} days`,
      [],
      async (set) => {
        const soon = (await activeCertificateExpiries(orm.em.fork())).filter(
          (c) => c.notAfter.getTime() - Date.now() < EXPIRY_WARNING_DAYS * 86_400_000,
        );
        set({}, soon.length);
      },
    );
    const app = createApp({
      config,
      orm,
      queues,
      metrics,
      logger,
      resolveToken: tokenResolver(config.adminToken),
      modules: [
        (a) =>
          registerDirectoryRoutes(a, {
            sealSecret: (plain) => secrets.seal(plain),
            certificateSummary: (code) => pki.summary(orm.em.fork(), code),
            axisAgencies: axisAgenciesReader(secrets),
          }),
        (a) => registerCertificateRoutes(a, pki),
        (a) => registerDocumentRoutes(a, { pipeline, queues, maxBodyBytes: config.maxBodyBytes, redirectClosed: config.redirectClosed, calendar, clock }),
        (a) => registerInboxRoutes(a, { pki, queues, calendar, clock }),
        (a) => registerRegisterRoutes(a, { types: DOCUMENT_TYPE_CATALOG }),
        (a) => registerArchiveRoutes(a, { pki, archiveAfterDays: config.archiveAfterDays }),
        (a) => registerExchangeRoutes(a, { pipeline, queues, maxBodyBytes: config.maxBodyBytes, ratePerMinute: config.exchangeRatePerMinute }),
        (a) => registerHubRoutes(a, { pipeline, queues, secrets, logger, prefix: config.hubPrefix, maxBodyBytes: config.maxBodyBytes, ratePerMinute: config.exchangeRatePerMinute, clockSkewSeconds: config.hubClockSkewSeconds }),
        (a) => registerAccountRoutes(a),
        (a) => registerCalendarRoutes(a, { store: calendar }),
        (a) => registerStatisticsRoutes(a, { calendar, clock }),
        (a) => registerReminderRoutes(a, { sealSecret: (plain) => secrets.seal(plain) }),
        (a) => registerDraftRoutes(a, { pki, vault: new KeyVault(masterKey), queues, maxBodyBytes: config.maxBodyBytes, redirectClosed: config.redirectClosed, signingKeyDays: config.certificateValidityDays }),
        (a, edge) => registerConsole(a, { pki, pipeline, queues, publicUrl: config.publicUrl, maxBodyBytes: config.maxBodyBytes, boundBody: edge.boundBody, archiveAfterDays: config.archiveAfterDays, redirectClosed: config.redirectClosed, calendar, clock }),
      ],
    });
    if (roles.worker) {
      const ctx: JobContext = {
        orm,
        config,
        logger,
        queues,
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
        pipeline,
      };
      workers = await startWorkers(ctx, PROCESSORS);
    }
    return { config, app, orm, queues, metrics, logger, workers, pki, close };
  } catch (error) {
    await close();
    throw error;
  }
}
