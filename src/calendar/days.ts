/**
 * Civil days as `YYYY-MM-DD` strings. A day of the calendar is a date on the wall in Vietnam, not an
 * instant: arithmetic runs on UTC midnights so that the server's own time zone never shifts a day.
 */
export type Day = string;

const MS_PER_DAY = 86_400_000;

const utcMidnight = (day: Day): number => Date.parse(`${day}T00:00:00Z`);

/** `day` moved by `n` days (negative: back). */
export function addDays(day: Day, n: number): Day {
  return new Date(utcMidnight(day) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Days from `a` to `b` (0 when equal, negative when `b` is before `a`). */
export function daysBetween(a: Day, b: Day): number {
  return Math.round((utcMidnight(b) - utcMidnight(a)) / MS_PER_DAY);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: Day): number {
  return new Date(utcMidnight(day)).getUTCDay();
}

/**
 * Saturday and Sunday: the weekly rest days of cán bộ, công chức, viên chức (the 40-hour week of
 * Quyết định 188/1999/QĐ-TTg).
 */
export function isWeekend(day: Day): boolean {
  const d = weekday(day);
  return d === 0 || d === 6;
}

/** The year of a day. */
export const yearOf = (day: Day): number => Number(day.slice(0, 4));

/** The day of a year, month and day of month (all numbers as on the wall). */
export function dayOf(year: number, month: number, dayOfMonth: number): Day {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
}

/** Every day from `from` to `to`, both included (empty when `to` is before `from`). */
export function daysFrom(from: Day, to: Day): Day[] {
  const n = daysBetween(from, to);
  return Array.from({ length: Math.max(0, n + 1) }, (_, i) => addDays(from, i));
}

/**
 * Day numbers: days since 1970-01-01, for the loops that count working days and hours over
 * thousands of items, where building a string and a Date for every day would dominate the time.
 */
export type DayNumber = number;

/** Vietnam is UTC+7 all year (as src/util/vietnam-time.ts). */
const VIETNAM_OFFSET_MS = 7 * 3_600_000;

export const dayNumberOf = (day: Day): DayNumber => utcMidnight(day) / MS_PER_DAY;

export const dayOfNumber = (n: DayNumber): Day => new Date(n * MS_PER_DAY).toISOString().slice(0, 10);

/** The number of the day an instant falls on in Vietnam. */
export const vietnamDayNumber = (at: Date): DayNumber => Math.floor((at.getTime() + VIETNAM_OFFSET_MS) / MS_PER_DAY);

/** The instant (ms) a day begins in Vietnam. */
export const vietnamDayStartMs = (n: DayNumber): number => n * MS_PER_DAY - VIETNAM_OFFSET_MS;

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export const weekdayOfNumber = (n: DayNumber): number => (((n + 4) % 7) + 7) % 7;
