import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * The one reader of `process.env` (STYLE.md). Everything else receives a `Config`.
 *
 * Variables of the operations contract (API.md "Running it"): DATABASE_URL, REDIS_URL, PORT,
 * LIENTHONG_ADMIN_TOKEN, LIENTHONG_MASTER_KEY, LIENTHONG_TRUST_DIR, LOG_LEVEL. The rest are ours and
 * have safe defaults. Secrets never have defaults: in development the CLI generates them into the
 * data folder (src/dev-defaults.ts); in production a missing secret stops the start.
 */

const optionalString = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string())
  .optional()
  .transform((s) => (s === '' ? undefined : s));

const url = (protocols: string[], example: string) =>
  optionalString.refine(
    (value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${example}` },
  );

const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

/** First path segments the hub's prefix may not take: the API's, the edge's and the console's own. */
const HUB_RESERVED = new Set(['v1', 'exchange', 'admin', 'assets', 'healthz', 'readyz', 'metrics', 'docs', 'openapi.json']);

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/lienthong'),
    REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    LIENTHONG_ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, {
      message: 'must be at least 24 characters',
    }),
    LIENTHONG_MASTER_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: 'must be at least 32 characters (e.g. `openssl rand -base64 32`)',
    }),
    LIENTHONG_TRUST_DIR: z.string().default('certs/trusted'),
    LIENTHONG_DATA_DIR: z.string().default('.data'),
    LIENTHONG_DEV_CA_DIR: z.string().default('certs/dev'),
    LIENTHONG_QUEUE_PREFIX: z.string().min(1).default('{lienthong}'),
    LIENTHONG_EMBEDDED_PG_PORT: positiveInt(54329),
    LIENTHONG_MAX_BODY_BYTES: positiveInt(50 * 1024 * 1024),
    LIENTHONG_JSON_BODY_BYTES: positiveInt(1024 * 1024),
    LIENTHONG_INFLIGHT_BODY_BYTES: positiveInt(160 * 1024 * 1024),
    LIENTHONG_CALLER_INFLIGHT_REQUESTS: positiveInt(64),
    LIENTHONG_SWEEP_EVERY_MS: positiveInt(30_000),
    LIENTHONG_JOB_LOCK_MS: positiveInt(30_000),
    LIENTHONG_EXCHANGE_RATE_PER_MINUTE: positiveInt(600),
    LIENTHONG_SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
    LIENTHONG_SWEEP_BATCH: positiveInt(1_000),
    LIENTHONG_WAITING_FOR_ARRIVAL_MS: positiveInt(24 * 3_600_000),
    LIENTHONG_CERT_VALIDITY_DAYS: positiveInt(730),
    LIENTHONG_ARCHIVE_AFTER_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
    LIENTHONG_CHECKPOINT_EVERY_MS: positiveInt(3_600_000),
    LIENTHONG_SIGNING_THREADS: z.coerce.number().int().min(0).max(64).optional(),
    LIENTHONG_PUBLIC_URL: url(['http:', 'https:'], 'https://lienthong.example.gov.vn'),
    // Set: /metrics leaves the main port and is served, without a token, on this port alone.
    LIENTHONG_METRICS_PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
    LIENTHONG_METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // `true`: a document addressed to a closed agency goes to its successor unless the request says
    // `"redirectClosed": false` (issue 19); `false` (the default): 422 AGENCY_CLOSED unless it says `true`.
    LIENTHONG_REDIRECT_CLOSED: z.enum(['true', 'false']).default('false'),
    // The axis-compatible hub (issue 19, src/hub): where its calls are mounted (`<prefix>/sendEdoc`…),
    // and how far a request's timestamp may be from this node's clock (seconds) before it is refused.
    LIENTHONG_HUB_PREFIX: z
      .string()
      .trim()
      .default('/axis')
      .refine((v) => /^(\/[A-Za-z0-9._~-]+)+$/.test(v) && !HUB_RESERVED.has(v.split('/')[1]!), {
        message: `must be a path like /axis (no trailing slash), outside ${[...HUB_RESERVED].map((s) => `/${s}`).join(', ')}`,
      }),
    LIENTHONG_HUB_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
    // Reminders (issue 18): e-mail over SMTP (unset: no e-mail; the console and webhooks still remind),
    // `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. LIENTHONG_SMTP_URL wins over SMTP_URL.
    SMTP_URL: url(['smtp:', 'smtps:'], 'smtp://user:password@mail.example.gov.vn:587'),
    LIENTHONG_SMTP_URL: url(['smtp:', 'smtps:'], 'smtp://user:password@mail.example.gov.vn:587'),
    LIENTHONG_MAIL_FROM: optionalString.refine((v) => v === undefined || /^[^\r\n]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(v), {
      message: 'must be an address, e.g. "Hệ thống liên thông <lienthong@example.gov.vn>"',
    }),
    LIENTHONG_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
    LIENTHONG_REMINDER_SCAN_BUDGET_MS: positiveInt(10_000),
    // Directory sync (issue 19): the axis partners whose getAgenciesList the nightly job compares with
    // the directory (comma-separated ids; none by default), when (cron, Asia/Ho_Chi_Minh), and whether it
    // applies what it finds (`true`) or only reports it (the default: a notice and a metric).
    LIENTHONG_DIRECTORY_SYNC_PARTNERS: z
      .string()
      .default('')
      .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
      .refine((ids) => ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id)), { message: 'must be partner ids separated by commas' }),
    LIENTHONG_DIRECTORY_SYNC_CRON: z
      .string()
      .trim()
      .default('0 2 * * *')
      .refine((v) => /^(\S+\s+){4}\S+$/.test(v), { message: 'must be a cron pattern of five fields, e.g. "0 2 * * *" (02:00 every night)' }),
    LIENTHONG_DIRECTORY_SYNC_APPLY: z.enum(['true', 'false']).default('false'),
    // `true`: `lienthong start` runs its job workers on a thread of their own (issue 11); off by default
    // until measured on a quiet machine (README, Security: it raised throughput, and memory).
    LIENTHONG_JOBS_THREAD: z.enum(['true', 'false']).default('false'),
  })
  .superRefine((env, ctx) => {
    if (env.LIENTHONG_METRICS_PORT !== undefined && env.LIENTHONG_METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['LIENTHONG_METRICS_PORT'], message: 'must differ from PORT' });
    }
    if ((env.LIENTHONG_SMTP_URL ?? env.SMTP_URL) !== undefined && env.LIENTHONG_MAIL_FROM === undefined) {
      ctx.addIssue({ code: 'custom', path: ['LIENTHONG_MAIL_FROM'], message: 'is required when SMTP_URL or LIENTHONG_SMTP_URL is set (the From of reminder e-mails)' });
    }
    if (env.NODE_ENV !== 'production') return;
    // Production never runs on generated secrets or the embedded fallbacks (DESIGN.md §7).
    for (const key of ['LIENTHONG_ADMIN_TOKEN', 'LIENTHONG_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL'] as const) {
      if (env[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
      }
    }
  });

export type Env = z.infer<typeof EnvSchema>;

/** Everything the service needs to know about its surroundings. */
export interface Config {
  env: Env['NODE_ENV'];
  /** undefined → the CLI starts an embedded PostgreSQL (development only). */
  databaseUrl: string | undefined;
  /** undefined → BullMQ runs on its PostgreSQL backend in the same database. */
  redisUrl: string | undefined;
  host: string;
  port: number;
  adminToken: string | undefined;
  masterKey: string | undefined;
  trustDir: string;
  dataDir: string;
  devCaDir: string;
  queuePrefix: string;
  embeddedPgPort: number;
  /** Largest package or upload (XML, multipart files) on the routes that carry documents. */
  maxBodyBytes: number;
  /** Largest body on every other route, whatever its content type says (issue 11). */
  maxJsonBodyBytes: number;
  /** Request-body bytes one process reads and checks at once; more waits outside (503, Retry-After). */
  inflightBodyBytes: number;
  /** Requests with a body one caller may have in progress in one process. */
  callerInflightRequests: number;
  sweepEveryMs: number;
  /** How long a worker's lock on a job lasts without renewal: a killed worker's jobs run again after it. */
  jobLockMs: number;
  /** Exchange API calls one partner may make per minute (429 beyond). */
  exchangeRatePerMinute: number;
  /** Unfinished work younger than this is left to the fast path; older is enqueued again. */
  sweepGraceMs: number;
  /** Items of each kind the sweep enqueues again per run, oldest first. */
  sweepBatch: number;
  /** A remote delivery handed over this long ago without its 01 is flagged (not sent again). */
  waitingForArrivalMs: number;
  /** Validity of agency certificates issued by the node CA. */
  certificateValidityDays: number;
  /** Documents not finished this many days after they were sent are sealed anyway (a snapshot). */
  archiveAfterDays: number;
  /** How often the head of each agency's archive chain is signed by the node (when it grew). */
  checkpointEveryMs: number;
  /** Worker threads that compute package signatures (0: the main thread signs). */
  signingThreads: number;
  publicUrl: string | undefined;
  /** Serve /metrics on this port (no token) instead of on the main port (admin token). */
  metricsPort: number | undefined;
  /** The address of the metrics listener: loopback unless the operator opens it wider. */
  metricsHost: string;
  logLevel: Env['LOG_LEVEL'];
  /** Documents to a closed agency go to its successor when the request does not say (LIENTHONG_REDIRECT_CLOSED). */
  redirectClosed: boolean;
  /** Where the axis-compatible hub's calls are mounted (LIENTHONG_HUB_PREFIX, default /axis). */
  hubPrefix: string;
  /** How far (seconds) a hub request's signed timestamp may be from now; a signature is taken once within it. */
  hubClockSkewSeconds: number;
  /** Where reminder e-mails are sent (SMTP_URL / LIENTHONG_SMTP_URL); undefined: no e-mail. */
  smtpUrl: string | undefined;
  /** The From of reminder e-mails (LIENTHONG_MAIL_FROM). */
  mailFrom: string | undefined;
  /** How long one webhook attempt waits for the receiver's answer. */
  webhookTimeoutMs: number;
  /** Wall-clock time one reminder scan may take; it goes on where it stopped at the next sweep. */
  reminderScanBudgetMs: number;
  /** Axis partners the nightly directory sync reads (LIENTHONG_DIRECTORY_SYNC_PARTNERS); empty: no nightly sync. */
  directorySyncPartners: string[];
  /** When the nightly directory sync runs: a cron pattern in Asia/Ho_Chi_Minh (LIENTHONG_DIRECTORY_SYNC_CRON). */
  directorySyncCron: string;
  /** The nightly sync applies what it finds instead of only reporting it (LIENTHONG_DIRECTORY_SYNC_APPLY=true). */
  directorySyncApply: boolean;
  /** `start` runs the job workers on their own thread, off the loop that answers HTTP (LIENTHONG_JOBS_THREAD). */
  jobsThread: boolean;
}

/** Raised when the environment is wrong; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (default: `process.env`) into a Config, or throws ConfigError. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`),
    );
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    host: env.HOST,
    port: env.PORT,
    adminToken: env.LIENTHONG_ADMIN_TOKEN,
    masterKey: env.LIENTHONG_MASTER_KEY,
    trustDir: env.LIENTHONG_TRUST_DIR,
    dataDir: env.LIENTHONG_DATA_DIR,
    devCaDir: env.LIENTHONG_DEV_CA_DIR,
    queuePrefix: env.LIENTHONG_QUEUE_PREFIX,
    embeddedPgPort: env.LIENTHONG_EMBEDDED_PG_PORT,
    maxBodyBytes: env.LIENTHONG_MAX_BODY_BYTES,
    maxJsonBodyBytes: env.LIENTHONG_JSON_BODY_BYTES,
    inflightBodyBytes: env.LIENTHONG_INFLIGHT_BODY_BYTES,
    callerInflightRequests: env.LIENTHONG_CALLER_INFLIGHT_REQUESTS,
    sweepEveryMs: env.LIENTHONG_SWEEP_EVERY_MS,
    sweepGraceMs: env.LIENTHONG_SWEEP_GRACE_MS,
    sweepBatch: env.LIENTHONG_SWEEP_BATCH,
    waitingForArrivalMs: env.LIENTHONG_WAITING_FOR_ARRIVAL_MS,
    jobLockMs: env.LIENTHONG_JOB_LOCK_MS,
    exchangeRatePerMinute: env.LIENTHONG_EXCHANGE_RATE_PER_MINUTE,
    certificateValidityDays: env.LIENTHONG_CERT_VALIDITY_DAYS,
    archiveAfterDays: env.LIENTHONG_ARCHIVE_AFTER_DAYS,
    checkpointEveryMs: env.LIENTHONG_CHECKPOINT_EVERY_MS,
    // One per core beside the main thread's (at most 4): XML signing is CPU work the event loop
    // should not do while it serves requests and runs jobs.
    signingThreads: env.LIENTHONG_SIGNING_THREADS ?? Math.min(4, availableParallelism() - 1),
    publicUrl: env.LIENTHONG_PUBLIC_URL,
    metricsPort: env.LIENTHONG_METRICS_PORT,
    metricsHost: env.LIENTHONG_METRICS_HOST,
    logLevel: env.LOG_LEVEL,
    redirectClosed: env.LIENTHONG_REDIRECT_CLOSED === 'true',
    hubPrefix: env.LIENTHONG_HUB_PREFIX,
    hubClockSkewSeconds: env.LIENTHONG_HUB_CLOCK_SKEW_SECONDS,
    smtpUrl: env.LIENTHONG_SMTP_URL ?? env.SMTP_URL,
    mailFrom: env.LIENTHONG_MAIL_FROM,
    webhookTimeoutMs: env.LIENTHONG_WEBHOOK_TIMEOUT_MS,
    reminderScanBudgetMs: env.LIENTHONG_REMINDER_SCAN_BUDGET_MS,
    directorySyncPartners: env.LIENTHONG_DIRECTORY_SYNC_PARTNERS,
    directorySyncCron: env.LIENTHONG_DIRECTORY_SYNC_CRON,
    directorySyncApply: env.LIENTHONG_DIRECTORY_SYNC_APPLY === 'true',
    jobsThread: env.LIENTHONG_JOBS_THREAD === 'true',
  };
}

/** For entry points: the Config, or undefined after printing every problem to `stderr`. */
export function loadConfigOrReport(source: Record<string, string | undefined>, stderr: { write(s: string): unknown }): Config | undefined {
  try {
    return loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr.write(`${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}
