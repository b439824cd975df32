/**
 * Round trips, counted in this process: every `pg.Client#query` (MikroORM/knex and BullMQ's
 * PostgreSQL backend both end there) by statement kind, and every ioredis command by name. Only for
 * the in-process scenarios, where the service runs in the bench's own process; the bench's own
 * polling clients are excluded. Divided by the deliveries of the window it gives "SQL statements and
 * transactions per delivery", the figure behind "each delivery is its own transaction + N round trips".
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface WireCounts {
  sql: Record<string, number>;
  redis: Record<string, number>;
  /** By statement (the first 120 characters, queue commands by name). */
  statements: Record<string, number>;
}

const counts: WireCounts = { sql: {}, redis: {}, statements: {} };
const excluded = new WeakSet<object>();
let installed = false;

/** BullMQ's PostgreSQL backend sends fixed command texts: name them (`queue:add_job`, …). */
const queueCommands = new Map<string, string>();
try {
  const require = createRequire(import.meta.url);
  const scripts = require(join(dirname(require.resolve('bullmq')), 'postgres', 'sql-scripts.js')) as { SQL_COMMANDS?: Record<string, string> };
  for (const [name, text] of Object.entries(scripts.SQL_COMMANDS ?? {})) queueCommands.set(text, name);
} catch {
  /* another bullmq layout: its statements are counted by their first word */
}

const KINDS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'with', 'savepoint', 'release']);

/** [kind, statement key]: the first word, without regular expressions (this runs on every query). */
function classify(text: string): [string, string] {
  // BullMQ's commands all start with a comment and are short; looking a long statement up in the
  // map would hash (and flatten) all of it — a 100 KB JSON insert, say — on every query.
  if (text.length <= 4096 && text.charCodeAt(0) === 45 /* - */) {
    const named = queueCommands.get(text);
    if (named) return [`queue:${named}`, `queue:${named}`];
  }
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  let j = i;
  while (j < text.length && j - i < 10) {
    const c = text.charCodeAt(j) | 32;
    if (c < 97 || c > 122) break;
    j++;
  }
  const word = text.slice(i, j).toLowerCase();
  return [KINDS.has(word) ? word : 'other', text.slice(i, i + 120)];
}

/** Patches pg and ioredis once (idempotent). */
export function installWireCounters(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: object, ...args: unknown[]) {
    if (!excluded.has(this)) {
      const first = args[0];
      const text = typeof first === 'string' ? first : typeof (first as { text?: unknown })?.text === 'string' ? (first as { text: string }).text : '';
      const [kind, statement] = classify(text);
      counts.sql[kind] = (counts.sql[kind] ?? 0) + 1;
      counts.statements[statement] = (counts.statements[statement] ?? 0) + 1;
    }
    return query.apply(this, args);
  };
  const rproto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const send = rproto.sendCommand;
  rproto.sendCommand = function (this: object, ...args: unknown[]) {
    const name = String((args[0] as { name?: unknown })?.name ?? '?').toLowerCase();
    counts.redis[name] = (counts.redis[name] ?? 0) + 1;
    return send.apply(this, args);
  };
}

/** A client of the bench itself (polling): not counted. */
export function excludeFromWire(client: object): void {
  excluded.add(client);
}

export function wireSnapshot(): WireCounts {
  return { sql: { ...counts.sql }, redis: { ...counts.redis }, statements: { ...counts.statements } };
}

export function wireDiff(before: WireCounts, after: WireCounts): WireCounts & { sqlTotal: number; queueSql: number; redisTotal: number; transactions: number } {
  const d = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0)) as Record<string, number>;
  const sql = d(before.sql, after.sql);
  const redis = d(before.redis, after.redis);
  const statements = d(before.statements, after.statements);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const queueSql = sum(Object.fromEntries(Object.entries(sql).filter(([k]) => k.startsWith('queue:'))));
  return { sql, redis, statements, sqlTotal: sum(sql) - queueSql, queueSql, redisTotal: sum(redis), transactions: sql.begin ?? 0 };
}

/** The most frequent statements, per delivery: "  3.0  select … from delivery … for update". */
export function topStatements(w: ReturnType<typeof wireDiff>, deliveries: number, top = 20): string[] {
  // MikroORM inlines values into the SQL text: fold them so one statement shape is one line.
  const shapes = new Map<string, number>();
  for (const [k, v] of Object.entries(w.statements)) {
    const shape = k.replace(/'(?:[^']|'')*'?/g, '?').replace(/\b\d+\b/g, 'N').replace(/\s+/g, ' ');
    shapes.set(shape, (shapes.get(shape) ?? 0) + v);
  }
  return [...shapes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${(v / deliveries).toFixed(2).padStart(6)}  ${k.replace(/\s+/g, ' ')}`);
}

/** "SQL 23.1/delivery (select 12.0, insert 4.1, …; 3.0 transactions), Redis 6.2/delivery (evalsha 4.0, …)". */
export function describeWire(w: ReturnType<typeof wireDiff>, deliveries: number): string {
  const per = (n: number) => (n / deliveries).toFixed(1);
  const parts = (r: Record<string, number>) =>
    Object.entries(r)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => `${k} ${per(v)}`)
      .join(', ');
  const own = Object.fromEntries(Object.entries(w.sql).filter(([k]) => !k.startsWith('queue:')));
  const queue = Object.fromEntries(Object.entries(w.sql).filter(([k]) => k.startsWith('queue:')));
  return (
    `per delivery: SQL statements ${per(w.sqlTotal)} (${parts(own)}), transactions ${per(w.transactions)}` +
    (w.queueSql ? `; queue SQL statements ${per(w.queueSql)} (${parts(queue)})` : '') +
    (w.redisTotal ? `; Redis commands ${per(w.redisTotal)} (${parts(w.redis)})` : '')
  );
}
