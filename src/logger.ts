import { createRequire } from 'node:module';
import { DriverException } from '@mikro-orm/core';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The service logger, secrets redacted: JSON lines (one per request, one per job outcome) for log
 * collectors, or, when stdout is a terminal, one readable line each (pino-pretty) for the person who
 * ran `npm start`. `destination` defaults to stdout (tests pass a stream to read what was logged).
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
  const stream = destination ?? (process.stdout.isTTY ? terminalStream() : undefined);
  return stream ? pino(options, stream) : pino(options);
}

/** Fields every line carries, which a person at a terminal does not need to read each time. */
const QUIET_FIELDS = new Set(['level', 'time', 'msg', 'service', 'role', 'pid', 'hostname', 'err']);

/**
 * A line for a person: `GET /v1/documents → 201 (12 ms)` for a request, otherwise the message
 * followed by its fields as `key=value`, and an error's stack on the lines below.
 */
export function formatForTerminal(log: Record<string, unknown>): string {
  if (log.msg === 'request' && typeof log.method === 'string') {
    return `${log.method} ${String(log.path)} → ${String(log.status)} (${String(log.ms)} ms)`;
  }
  const fields = Object.entries(log)
    .filter(([key, value]) => !QUIET_FIELDS.has(key) && value !== undefined)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
    });
  const err = log.err as { type?: string; message?: string; stack?: string } | undefined;
  const trace = err ? `\n    ${(err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`).split('\n').join('\n    ')}` : '';
  return [String(log.msg ?? ''), ...fields].join(' ') + trace;
}

/**
 * pino-pretty in this thread (synchronous: nothing is lost when the process exits) writing to
 * `destination` (default stdout), or undefined when it is not installed: JSON lines then.
 */
export function terminalStream(destination?: NodeJS.WritableStream): DestinationStream | undefined {
  try {
    const build = createRequire(import.meta.url)('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
    return build({
      colorize: destination === undefined,
      sync: true,
      ...(destination ? { destination } : {}),
      translateTime: 'SYS:HH:MM:ss.l',
      hideObject: true,
      messageFormat: (log: Record<string, unknown>) => formatForTerminal(log),
    });
  } catch {
    return undefined;
  }
}

const warned = new Set<string>();

/**
 * Logs a start-up warning once per process, whatever the number of runtimes built in it: an
 * operator reads a warning said again and again as a new problem.
 */
export function warnOnce(logger: Logger, key: string, fields: Record<string, unknown>, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  logger.warn(fields, message);
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
