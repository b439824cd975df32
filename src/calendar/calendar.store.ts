import type { EntityManager } from '@mikro-orm/postgresql';
import { findCalendarYears, yearDataOf } from './calendar.repository.js';
import { MissingYear, WorkingCalendar, yearCalendar, type YearCalendar } from './working-calendar.js';

/**
 * The years the calendar answers for: from 2021, when Bộ luật Lao động 2019 and its list of holidays
 * took effect (the years before had other holidays), to the last year of the lunar tables.
 */
export const CALENDAR_YEARS = { first: 2021, last: 2199 } as const;

/**
 * How long a process trusts a year it read. Several API processes and workers run: an
 * administrator's PUT reaches the others within this time (and the process that took it at once).
 */
export const CALENDAR_TTL_MS = 30_000;

/** A question about a year the calendar does not cover (CALENDAR_YEARS). */
export class YearOutOfCalendar extends Error {
  constructor(readonly year: number) {
    super(`The working calendar covers ${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}, not ${year}.`);
    this.name = 'YearOutOfCalendar';
  }
}

export const isCalendarYear = (year: number): boolean => Number.isInteger(year) && year >= CALENDAR_YEARS.first && year <= CALENDAR_YEARS.last;

export interface CalendarStoreOptions {
  /** Default CALENDAR_TTL_MS. */
  ttlMs?: number;
  /** Milliseconds now (tests move it). */
  clock?: () => number;
}

/**
 * The years of the working calendar, read from the database and kept for a short time. The database
 * is the only state processes share: a cached year is a copy that expires, never something another
 * process needs to see.
 */
export class CalendarStore {
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly cache = new Map<number, { calendar: YearCalendar; readAt: number }>();

  constructor(options: CalendarStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? CALENDAR_TTL_MS;
    this.clock = options.clock ?? Date.now;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs < 0) throw new RangeError(`CalendarStore ttlMs must be a number ≥ 0, not ${this.ttlMs}.`);
  }

  /** The calendars of the years `first`–`last`, from the cache or in one query; YearOutOfCalendar beyond CALENDAR_YEARS. */
  async years(em: EntityManager, first: number, last: number): Promise<YearCalendar[]> {
    for (const year of [first, last]) if (!isCalendarYear(year)) throw new YearOutOfCalendar(year);
    const now = this.clock();
    const stale: number[] = [];
    for (let year = first; year <= last; year++) {
      const hit = this.cache.get(year);
      if (!hit || now - hit.readAt > this.ttlMs) stale.push(year);
    }
    if (stale.length) {
      const rows = new Map((await findCalendarYears(em, stale[0]!, stale.at(-1)!)).map((r) => [r.year, r]));
      for (const year of stale) {
        const row = rows.get(year);
        const calendar = row ? yearCalendar(year, yearDataOf(row), { at: row.updatedAt, by: row.updatedBy }) : yearCalendar(year);
        this.cache.set(year, { calendar, readAt: now });
      }
    }
    const calendars: YearCalendar[] = [];
    for (let year = first; year <= last; year++) calendars.push(this.cache.get(year)!.calendar);
    return calendars;
  }

  /** One year's calendar. */
  async year(em: EntityManager, year: number): Promise<YearCalendar> {
    return (await this.years(em, year, year))[0]!;
  }

  /**
   * Runs `compute` on a calendar of the years `first`–`last`; when it asks about another year, loads
   * that one too and runs it again (a count of working days may run past the years one guessed).
   */
  async run<T>(em: EntityManager, [first, last]: [number, number], compute: (calendar: WorkingCalendar) => T): Promise<T> {
    let range: [number, number] = [Math.max(first, CALENDAR_YEARS.first), Math.min(last, CALENDAR_YEARS.last)];
    if (range[0] > range[1]) throw new YearOutOfCalendar(first < CALENDAR_YEARS.first ? first : last);
    for (;;) {
      const calendar = new WorkingCalendar(await this.years(em, range[0], range[1]));
      try {
        return compute(calendar);
      } catch (error) {
        if (!(error instanceof MissingYear)) throw error;
        if (!isCalendarYear(error.year)) throw new YearOutOfCalendar(error.year);
        range = [Math.min(range[0], error.year), Math.max(range[1], error.year)];
      }
    }
  }

  /** Drops a year this process just changed, so that its next read is the new one. */
  forget(year: number): void {
    this.cache.delete(year);
  }
}
