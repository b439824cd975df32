import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { MissingYear } from '../calendar/working-calendar.js';
import { CALENDAR_YEARS, isCalendarYear, type CalendarStore } from '../calendar/calendar.store.js';
import { CalendarYearSchema } from '../calendar/calendar.entity.js';
import { vietnamYear } from '../util/vietnam-time.js';
import { trackedDeadlines, type TrackedDeadlines } from './tracking.js';

/**
 * The stored deadlines of inbox items and deliveries (issue 18, deadline.entity.ts): keeping them
 * worked out, and the SQL conditions the lists filter with. Raw SQL on the caller's connection and
 * transaction.
 *
 * A row whose `computed_at` is null is to be worked out: new items and deliveries, a new due date or
 * priority (an accepted update), a delivery whose 01 just came, and every row whose deadlines fall in
 * or after a year an administrator just changed (the triggers of migration
 * 20261207130000_deadlines). Whoever needs the columns exact — a filtered list, a counter, the
 * metrics snapshot — first works out the rows still null in its scope (refreshInboxDeadlines,
 * refreshDeliveryDeadlines); in a steady state that is a lookup in a partial index that finds
 * nothing, or the few rows that came since.
 */

/** Rows read per statement (a sweep after a calendar change reads its rows in few statements) and written per statement. */
const READ_BATCH = 50_000;
const WRITE_BATCH = 10_000;

const run = <T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> =>
  sqlOn(em)<T[]>(sql, params);

/** Which rows to work out: those of some agencies (the recipients' for items, the senders' for deliveries), or all; at most `max`. */
export interface RefreshScope {
  agencyCodes?: readonly string[] | undefined;
  max?: number | undefined;
}

/**
 * Forgets the years this process keeps that an administrator changed since it read them, so that
 * what is stored is worked out on the calendar as it now is (another process's PUT reaches this one's
 * cache only after CALENDAR_TTL_MS otherwise, and the rows the PUT reset would be filled from the old
 * year in the meantime).
 */
async function freshCalendar(em: EntityManager, store: CalendarStore): Promise<void> {
  const rows = await em.find(CalendarYearSchema, {}, { fields: ['year', 'updatedAt'], disableIdentityMap: true });
  for (const row of rows) {
    if (!isCalendarYear(row.year)) continue;
    const cached = await store.year(em, row.year);
    if (cached.recorded?.at.getTime() !== row.updatedAt.getTime()) store.forget(row.year);
  }
}

interface PendingRow {
  id: string;
  /** As stored (microseconds): what the write compares with, so that a row that arrived or moved meanwhile is left for the next refresh. */
  arrivedText: string | null;
  arrivedAt: Date | null;
  priority: number;
  dueDate: string | null;
}

/** Works out the deadlines of `rows` on one load of the calendar; null for a row it cannot (not arrived, outside CALENDAR_YEARS). */
async function work(em: EntityManager, store: CalendarStore, rows: readonly PendingRow[]): Promise<Array<TrackedDeadlines | null>> {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (!r.arrivedAt) continue;
    const year = vietnamYear(r.arrivedAt);
    first = Math.min(first, year - 1);
    last = Math.max(last, year + 1, r.dueDate ? Number(r.dueDate.slice(0, 4)) + 1 : year);
  }
  if (first === Number.POSITIVE_INFINITY) return rows.map(() => null);
  const range: [number, number] = [Math.max(first, CALENDAR_YEARS.first), Math.min(last, CALENDAR_YEARS.last)];
  if (range[0] > range[1]) return rows.map(() => null);
  return store.run(em, range, (calendar) =>
    rows.map((r) => {
      if (!r.arrivedAt) return null;
      try {
        return trackedDeadlines(calendar, { arrivedAt: r.arrivedAt, priority: r.priority, dueDate: r.dueDate });
      } catch (error) {
        // A year the calendar covers is loaded by run() and asked again; one it does not, is none.
        if (error instanceof MissingYear && !isCalendarYear(error.year)) return null;
        throw error;
      }
    }),
  );
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

type Table = { name: 'inbox_item_deadline'; key: 'item_id' } | { name: 'delivery_deadline'; key: 'delivery_id' };
const INBOX: Table = { name: 'inbox_item_deadline', key: 'item_id' };
const DELIVERY: Table = { name: 'delivery_deadline', key: 'delivery_id' };

/**
 * Writes worked-out deadlines into `table`, only over rows still waiting and whose inputs are still
 * those they were worked out from: a row whose due date or arrival changed meanwhile (its trigger
 * reset it) waits for the next refresh, and another process that was first is not written over.
 */
async function store(em: EntityManager, table: Table, rows: readonly PendingRow[], worked: ReadonlyArray<TrackedDeadlines | null>): Promise<void> {
  const values = rows.map((r, i) => {
    const w = worked[i];
    return {
      id: r.id,
      arrived: r.arrivedText,
      priority: r.priority,
      due: r.dueDate,
      rd: iso(w?.registrationDue),
      rw: iso(w?.registrationWarnAt),
      pd: iso(w?.processingDue),
      pw: iso(w?.processingWarnAt),
    };
  });
  await run(
    em,
    `update ${table.name} as t set registration_due = v.rd, registration_warn_at = v.rw, processing_due = v.pd, processing_warn_at = v.pw, computed_at = now()
       from jsonb_to_recordset(?::jsonb) as v(id uuid, arrived timestamptz, priority smallint, due date, rd timestamptz, rw timestamptz, pd timestamptz, pw timestamptz)
      where t.${table.key} = v.id and t.computed_at is null
        and t.arrived_at is not distinct from v.arrived and t.priority = v.priority and t.due_date is not distinct from v.due`,
    [JSON.stringify(values)],
  );
}

/**
 * Keyset pages over the rows of `select` (ordered by id, after `?`, limited by `?`) until none is
 * left or `max` is reached, each page worked out and written in batches; a batch is written while
 * the next one is worked out (two connections of the pool; one, in order, inside a transaction).
 */
async function refresh(
  em: EntityManager,
  calendar: CalendarStore,
  table: Table,
  select: (after: string, limit: number) => Promise<PendingRow[]>,
  max: number,
): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  let writing: Promise<void> = Promise.resolve();
  try {
    while (done < max) {
      const page = await select(after, Math.min(READ_BATCH, max - done));
      if (page.length === 0) break;
      for (let i = 0; i < page.length; i += WRITE_BATCH) {
        const rows = page.slice(i, i + WRITE_BATCH);
        const worked = await work(em, calendar, rows);
        await writing;
        writing = store(em, table, rows, worked);
      }
      done += page.length;
      after = page.at(-1)!.id;
      if (page.length < READ_BATCH) break;
    }
  } finally {
    await writing;
  }
  return done;
}

/** `arrived_at` as ISO 8601 text to the microsecond (a Date would lose the microseconds the database keeps). */
const ARRIVED_TEXT = `to_char(arrived_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as arrived_at`;

const agencyList = (scope: RefreshScope): string | null => (scope.agencyCodes ? JSON.stringify(scope.agencyCodes) : null);

/**
 * Works out the stored deadlines of the inbox items still waiting for them (of some agencies, or all),
 * at most `scope.max` rows. Returns how many rows it wrote.
 */
export async function refreshInboxDeadlines(em: EntityManager, calendar: CalendarStore, scope: RefreshScope = {}): Promise<number> {
  await freshCalendar(em, calendar);
  const agencies = agencyList(scope);
  return refresh(
    em,
    calendar,
    INBOX,
    async (after, limit) => {
      const rows = await run<{ id: string; arrived_at: string; priority: number; due_date: string | null }>(
        em,
        `select item_id as id, ${ARRIVED_TEXT}, priority, to_char(due_date, 'YYYY-MM-DD') as due_date
           from inbox_item_deadline
          where computed_at is null and item_id > ?::uuid ${agencies ? `and agency_code in (select jsonb_array_elements_text(?::jsonb))` : ''}
          order by item_id limit ?`,
        agencies ? [after, agencies, limit] : [after, limit],
      );
      return rows.map((r) => ({ id: r.id, arrivedText: r.arrived_at, arrivedAt: new Date(r.arrived_at), priority: Number(r.priority), dueDate: r.due_date }));
    },
    scope.max ?? Number.POSITIVE_INFINITY,
  );
}

/**
 * Works out the stored deadlines of the deliveries still waiting for them (of the documents of some
 * sending agencies, or all), at most `scope.max` rows. A delivery without its 01 has none yet.
 */
export async function refreshDeliveryDeadlines(em: EntityManager, calendar: CalendarStore, scope: RefreshScope = {}): Promise<number> {
  await freshCalendar(em, calendar);
  const agencies = agencyList(scope);
  return refresh(
    em,
    calendar,
    DELIVERY,
    async (after, limit) => {
      const rows = await run<{ id: string; arrived_at: string | null; priority: number; due_date: string | null }>(
        em,
        `select d.delivery_id as id, ${ARRIVED_TEXT}, d.priority, to_char(d.due_date, 'YYYY-MM-DD') as due_date
           from delivery_deadline d
          where d.computed_at is null and d.delivery_id > ?::uuid
                ${agencies ? `and d.document_id in (select id from outgoing_document where agency_code in (select jsonb_array_elements_text(?::jsonb)))` : ''}
          order by d.delivery_id limit ?`,
        agencies ? [after, agencies, limit] : [after, limit],
      );
      return rows.map((r) => ({ id: r.id, arrivedText: r.arrived_at, arrivedAt: r.arrived_at ? new Date(r.arrived_at) : null, priority: Number(r.priority), dueDate: r.due_date }));
    },
    scope.max ?? Number.POSITIVE_INFINITY,
  );
}

/**
 * What a list can be filtered by (GET /v1/inbox, GET /v1/documents, the console): each given part
 * must hold for some deadline of the row; all given parts must hold.
 */
export interface DeadlineFilter {
  /** `any`: a deadline whose state is overdue (met late included, as `deadlines[].state` says); `open`: one overdue and still not met. */
  overdue?: 'any' | 'open' | undefined;
  /** A deadline due soon (not met, within its warning). */
  dueSoon?: boolean | undefined;
  /** A deadline not met yet that is due before this instant (the start of a day in Vietnam). */
  dueBefore?: Date | undefined;
}

export const hasDeadlineFilter = (f: DeadlineFilter | undefined): f is DeadlineFilter => !!f && (f.overdue !== undefined || f.dueSoon === true || f.dueBefore !== undefined);

/**
 * The SQL condition of `filter` at `now` over the columns of alias `a`, a row of inbox_item_deadline
 * or delivery_deadline (the same columns), with its parameters. The open parts match the partial indexes of the
 * migration (registration: not registered, refused nor withdrawn; processing: due date set, not
 * completed, refused nor withdrawn).
 */
export function deadlineCondition(a: string, filter: DeadlineFilter, now: Date): { sql: string; params: unknown[] } {
  const regOpen = `${a}.registered_at is null and ${a}.refused_at is null and ${a}.withdrawn_at is null`;
  const procApplies = `${a}.processing_due is not null and ${a}.refused_at is null`;
  const procOpen = `${procApplies} and ${a}.completed_at is null and ${a}.withdrawn_at is null`;
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter.overdue === 'any') {
    // Overdue once passed, and still overdue when met late (calendar/deadlines.ts deadlineState).
    parts.push(
      `(${a}.registration_due < coalesce(${a}.registered_at, ${a}.refused_at, ${a}.withdrawn_at, ?::timestamptz) or (${procApplies} and ${a}.processing_due < coalesce(${a}.completed_at, ${a}.withdrawn_at, ?::timestamptz)))`,
    );
    params.push(now, now);
  } else if (filter.overdue === 'open') {
    parts.push(`((${regOpen} and ${a}.registration_due < ?::timestamptz) or (${procOpen} and ${a}.processing_due < ?::timestamptz))`);
    params.push(now, now);
  }
  if (filter.dueSoon) {
    parts.push(
      `((${regOpen} and ${a}.registration_warn_at <= ?::timestamptz and ${a}.registration_due >= ?::timestamptz) or (${procOpen} and ${a}.processing_warn_at <= ?::timestamptz and ${a}.processing_due >= ?::timestamptz))`,
    );
    params.push(now, now, now, now);
  }
  if (filter.dueBefore) {
    parts.push(`((${regOpen} and ${a}.registration_due < ?::timestamptz) or (${procOpen} and ${a}.processing_due < ?::timestamptz))`);
    params.push(filter.dueBefore, filter.dueBefore);
  }
  return { sql: parts.length ? parts.join(' and ') : 'true', params };
}

/** Open overdue and due-soon items of an agency's inbox, by agency (all agencies when `agencyCodes` is absent). */
export async function inboxDeadlineCounts(em: EntityManager, now: Date, agencyCodes?: readonly string[]): Promise<Map<string, { overdue: number; dueSoon: number }>> {
  const overdue = deadlineCondition('a', { overdue: 'open' }, now);
  const soon = deadlineCondition('a', { dueSoon: true }, now);
  const rows = await run<{ agency_code: string; overdue: string; due_soon: string }>(
    em,
    `select a.agency_code, count(*) filter (where ${overdue.sql}) as overdue, count(*) filter (where ${soon.sql}) as due_soon
       from inbox_item_deadline a
      where ((a.registered_at is null and a.refused_at is null and a.withdrawn_at is null)
          or (a.processing_due is not null and a.completed_at is null and a.refused_at is null and a.withdrawn_at is null))
        ${agencyCodes ? 'and a.agency_code in (select jsonb_array_elements_text(?::jsonb))' : ''}
      group by a.agency_code`,
    [...overdue.params, ...soon.params, ...(agencyCodes ? [JSON.stringify(agencyCodes)] : [])],
  );
  return new Map(rows.map((r) => [r.agency_code, { overdue: Number(r.overdue), dueSoon: Number(r.due_soon) }]));
}
