import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

/** MikroORM options for one database. Migrations are listed in code so tsx, vitest and node agree. */
export function ormOptions(databaseUrl: string, overrides: Partial<Options> = {}): Options {
  return {
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    // BullMQ's PostgreSQL backend keeps its tables in their own schema: never diff or drop them.
    schemaGenerator: { ignoreSchema: ['bullmq'] },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'src/db/migrations',
      pathTs: 'src/db/migrations',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      migrationsList: MIGRATIONS,
    },
    // Every job and request holds at most one connection at a time (raw SQL inside a transaction runs
    // on the transaction's connection), so the pool only bounds concurrency, it cannot deadlock.
    pool: { min: 0, max: 20 },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    // Off in every environment: MikroORM's query log prints each statement with its parameters
    // inlined (file bytes, token hashes). Errors are logged by src/logger.ts without them.
    debug: false,
    ...overrides,
  };
}

/** Connects to the database (no migration). */
export async function connectOrm(databaseUrl: string, overrides: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, overrides));
  stripStatementFromErrors(orm);
  return orm;
}

/**
 * MikroORM inlines every parameter into the SQL it sends, and knex then prefixes a failing query's
 * error message with that whole statement: a 500 from an INSERT would carry a file's bytes in hex
 * into the log, a delivery's `lastError` and the job's failure reason. knex emits `query-error`
 * (synchronously, before the error is thrown on) with the statement it prefixed, so the prefix is
 * removed here, at the source, and every consumer sees only the driver's own message.
 */
function stripStatementFromErrors(orm: MikroORM): void {
  orm.em
    .getConnection()
    .getKnex()
    .on('query-error', (error: unknown, query: { sql?: unknown; bindings?: unknown }) => {
      if (!(error instanceof Error) || typeof query?.sql !== 'string') return;
      const bound = Array.isArray(query.bindings) && query.bindings.length > 0;
      const prefix = `${query.sql} - `;
      if (!bound && error.message.startsWith(prefix)) error.message = error.message.slice(prefix.length);
    });
}

// Any constant shared by every process of the service; pg_advisory_lock takes a bigint.
const MIGRATION_LOCK = 4_815_162_342;

/**
 * Applies every pending migration; returns the names applied. Several api processes may start at
 * once: a session-level advisory lock makes them migrate one after another, not concurrently.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}
