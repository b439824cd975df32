import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { dayNumberOf, vietnamDayStartMs } from '../calendar/days.js';
import { isCalendarYear, type CalendarStore } from '../calendar/calendar.store.js';
import { vietnamToday } from '../util/vietnam-time.js';
import { emptyOutbox, mergeOutbox, writeReminders, type Outbox } from './outbox.js';
import type { DigestEntry } from './reminder.entity.js';
import { agenciesWithoutDigest, claimDigest, openDeliveries, openInboxItems, type OpenRow } from './reminders.repository.js';
import { pressingDeadlines } from './scan.js';
import { digestTitle } from './texts.js';

/** The digest goes at 07:30 Vietnam time, the start of the default working hours, on working days. */
export const DIGEST_AT_MINUTES = 7 * 60 + 30;
/** Deadlines a digest lists by name; the totals count them all. */
export const DIGEST_MAX_ENTRIES = 50;

export interface DigestOptions {
  now: Date;
  pageSize: number;
  /** Wall-clock time a run may take; the agencies left get theirs in the next run, the same day. */
  budgetMs: number;
  publicUrl?: string | undefined;
  mail: boolean;
}

export interface DigestResult {
  /** The Vietnam day the digests are of, or null when none is due at `now` (before 07:30, a day off). */
  day: string | null;
  /** Agencies whose digest of the day this run made (a listing one or an empty one). */
  made: number;
  /** Of those, the ones that listed something (and so reminded). */
  sent: number;
  outbox: Outbox;
}

/** The day whose digests are due at `now`: today in Vietnam from 07:30 on, when it is a working day. */
export async function digestDay(em: EntityManager, store: CalendarStore, now: Date): Promise<string | null> {
  const day = vietnamToday(now);
  if (now.getTime() < vietnamDayStartMs(dayNumberOf(day)) + DIGEST_AT_MINUTES * 60_000) return null;
  const year = Number(day.slice(0, 4));
  if (!isCalendarYear(year)) return null;
  return (await store.run(em, [year, year], (calendar) => calendar.isWorkingDay(day))) ? day : null;
}

/** Every open row of an agency on both sides, a page at a time. */
async function openRowsOf(em: EntityManager, agencyCode: string, pageSize: number): Promise<OpenRow[]> {
  const rows: OpenRow[] = [];
  for (const page of [openInboxItems, openDeliveries]) {
    let afterId: string | null = null;
    for (;;) {
      const batch: OpenRow[] = await page(em, { afterId, limit: pageSize, agencyCode });
      rows.push(...batch);
      if (batch.length < pageSize) break;
      afterId = batch.at(-1)!.id;
    }
  }
  return rows;
}

/**
 * The daily digest (issue 18): at 07:30 on a working day, each local agency gets one list of what is
 * due soon and overdue, on its inbox and on what it sent. Once per agency and day however many
 * workers run: the (agency, day) row is claimed in the transaction that writes the reminder and its
 * outbox rows. An agency with nothing pressing gets its row (so it is not looked at again that day)
 * and no message.
 */
export async function runDigests(em: EntityManager, store: CalendarStore, options: DigestOptions): Promise<DigestResult> {
  const started = Date.now();
  const result: DigestResult = { day: await digestDay(em, store, options.now), made: 0, sent: 0, outbox: emptyOutbox() };
  if (!result.day) return result;
  const day = result.day;
  let afterCode: string | null = null;
  for (;;) {
    const agencies = await agenciesWithoutDigest(em, day, options.now, afterCode, options.pageSize);
    for (const agency of agencies) {
      const pressing = await pressingDeadlines(em, store, await openRowsOf(em, agency.code, options.pageSize), options.now);
      const entries: DigestEntry[] = pressing
        .map((d) => ({
          side: d.row.side,
          subjectType: d.row.subjectType,
          subjectId: d.row.id,
          deadlineKind: d.kind,
          state: d.state,
          due: d.due.toISOString(),
          overdueWorkingDays: d.overdueWorkingDays,
          documentCode: d.row.documentCode,
          documentSubject: d.row.documentSubject,
          counterpart: d.row.counterpart,
        }))
        // Overdue first, the longest overdue first; then what falls due soonest.
        .sort((a, b) => (a.state === b.state ? (a.due < b.due ? -1 : a.due > b.due ? 1 : 0) : a.state === 'overdue' ? -1 : 1));
      const counts = { dueSoon: entries.filter((e) => e.state === 'due_soon').length, overdue: entries.filter((e) => e.state === 'overdue').length };
      const reminderId = entries.length ? randomUUID() : null;
      const outcome = await em.transactional(async (tx) => {
        if (!(await claimDigest(tx, { agencyCode: agency.code, day, ...counts, reminderId, at: options.now }))) return null;
        if (!reminderId) return emptyOutbox();
        const base = options.publicUrl?.replace(/\/+$/, '');
        const written = await writeReminders(
          tx,
          [
            {
              id: reminderId,
              agencyCode: agency.code,
              type: 'digest',
              deadlineKind: null,
              side: null,
              subjectType: null,
              subjectId: null,
              digestDay: day,
              due: null,
              title: digestTitle(day, counts),
              details: {
                counts,
                entries: entries.slice(0, DIGEST_MAX_ENTRIES),
                ...(entries.length > DIGEST_MAX_ENTRIES ? { more: entries.length - DIGEST_MAX_ENTRIES } : {}),
                ...(base ? { link: `${base}/inbox` } : {}),
              },
              createdAt: options.now,
            },
          ],
          { mail: options.mail },
        );
        return written.outbox;
      });
      if (outcome) {
        result.made += 1;
        if (reminderId) result.sent += 1;
        mergeOutbox(result.outbox, outcome);
      }
      if (Date.now() - started >= options.budgetMs) return result;
    }
    if (agencies.length < options.pageSize) return result;
    afterCode = agencies.at(-1)!.code;
  }
}
