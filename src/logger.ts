import { DriverException } from '@mikro-orm/core';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The service logger: JSON lines (one per request, one per job outcome), secrets redacted.
 * `destination` defaults to stdout (tests pass a stream to read what was logged).
 */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'lienthong', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every `err` goes through one serializer: see compactError.
    serializers: { err: compactError },
    redact: { paths: ['req.headers.authorization', '*.token', '*.privateKeyPem', '*.credentials'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Errors are logged by type, message, code and stack only: driver errors carry whole client
 * objects (connection parameters, sockets) that would flood the log. Database errors are reduced
 * further (databaseErrorFields): their messages and properties quote the statement and the values
 * it wrote, which may be a file's bytes or a token's hash.
 */
export function compactError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause instanceof Error ? { cause: compactError(error.cause) } : {};
  const database = databaseErrorFields(error);
  if (database) {
    return { type: error.constructor.name, ...database, stack: `${error.constructor.name}: ${database.message}\n${stackFrames(error)}`, ...cause };
  }
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    stack: error.stack,
    ...cause,
  };
}

/** What may be said of a database error: where it happened, never what was written. */
export interface DatabaseErrorFields {
  message: string;
  /** The SQLSTATE (23505 unique violation, 22001 value too long…). */
  code?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  routine?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_MESSAGE = 300;

/**
 * The loggable part of a PostgreSQL error (from MikroORM, knex or pg), or undefined for any other
 * error. The driver's message is kept without what can carry values: MikroORM's "\n - detail: Key
 * (…)=(…)" suffix (the key or the whole failing row), the quoted input of a data exception (class
 * 22: `invalid input syntax for type uuid: "…"`), and any statement text left in front of it (see
 * `stripStatementFromErrors` in src/db/orm.ts, which removes the statement at its source).
 */
export function databaseErrorFields(error: Error): DatabaseErrorFields | undefined {
  const e = error as Error & Record<'code' | 'severity' | 'schema' | 'table' | 'column' | 'constraint' | 'routine', unknown>;
  const sqlState = typeof e.code === 'string' && SQLSTATE.test(e.code) ? e.code : undefined;
  if (!(error instanceof DriverException) && !(sqlState && typeof e.severity === 'string')) return undefined;
  let message = error.message;
  const detail = message.indexOf('\n - detail: ');
  if (detail >= 0) message = message.slice(0, detail);
  if (STATEMENT.test(message)) {
    // A statement still in front of the message (an error that did not pass through our knex):
    // its values cannot be told apart from the driver's words, so nothing of it is kept.
    message = 'database error (statement and values withheld)';
  } else if (sqlState?.startsWith('22')) {
    const colon = message.indexOf(': ');
    if (colon >= 0) message = `${message.slice(0, colon)}: [value withheld]`;
  }
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : undefined);
  return Object.fromEntries(
    Object.entries({
      message,
      code: sqlState ?? text(e.code),
      schema: text(e.schema),
      table: text(e.table),
      column: text(e.column),
      constraint: text(e.constraint),
      routine: text(e.routine),
    }).filter(([, v]) => v !== undefined),
  ) as unknown as DatabaseErrorFields;
}

/** A message that begins with SQL: knex puts the statement (values inlined by MikroORM) first. */
const STATEMENT = /^\s*\(?\s*(insert|update|delete|select|with|create|alter|drop|truncate|copy|merge|call|do|lock|values)\b/i;

/** The "at …" lines of a stack, without its first lines (which repeat the message). */
function stackFrames(error: Error): string {
  return (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at .*:\d+:\d+\)?$/.test(line))
    .join('\n');
}
