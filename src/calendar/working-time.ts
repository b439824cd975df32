import { dayNumberOf, dayOfNumber, vietnamDayNumber, vietnamDayStartMs, type Day, type DayNumber } from './days.js';
import { minutesOf, type WorkingCalendar } from './working-calendar.js';

/**
 * Working time between instants: only the working periods of working days count, on the wall clock
 * in Vietnam (Asia/Ho_Chi_Minh, UTC+7 all year), whatever the server's time zone.
 */

const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** When the working hours of a working day end (17:00 by default). */
export function endOfWorkingDay(calendar: WorkingCalendar, day: Day | DayNumber): Date {
  const n = typeof day === 'number' ? day : dayNumberOf(day);
  const last = calendar.periodsOn(n).at(-1);
  if (!last) throw new RangeError(`${dayOfNumber(n)} is not a working day.`);
  return new Date(vietnamDayStartMs(n) + last[1] * MINUTE_MS);
}

/** How long a working day is in the year of the instant `at` (7 h 30 min by default). */
export function workingDayLength(calendar: WorkingCalendar, at: Date): number {
  return calendar.workingHoursOf(vietnamDayNumber(at)).reduce((sum, p) => sum + (minutesOf(p.to) - minutesOf(p.from)) * MINUTE_MS, 0);
}

/**
 * The instant `ms` of working time after `at`. Time outside the working periods does not run: from
 * 16:30 with two hours, the answer is 09:00 on the next working day (by default hours).
 */
export function addWorkingTime(calendar: WorkingCalendar, at: Date, ms: number): Date {
  const t = at.getTime();
  let left = ms;
  // Each pass looks at one day; MissingYear stops the walk at the end of the loaded years.
  for (let n = vietnamDayNumber(at); ; n++) {
    const start = vietnamDayStartMs(n);
    for (const [from, to] of calendar.periodsOn(n)) {
      const [a, b] = [Math.max(start + from * MINUTE_MS, t), start + to * MINUTE_MS];
      if (a >= b) continue;
      if (a + left <= b) return new Date(a + left);
      left -= b - a;
    }
  }
}

/**
 * The working time from `a` to `b` (0 when `b` is not after `a`). With `atMost`, the count stops
 * once past it (the answer is then some value above `atMost`): "is it within a working day?" need
 * not walk the months to a far deadline.
 */
export function workingTimeBetween(calendar: WorkingCalendar, a: Date, b: Date, atMost = Infinity): number {
  if (b <= a) return 0;
  const [t0, t1] = [a.getTime(), b.getTime()];
  const last = vietnamDayNumber(b);
  let sum = 0;
  for (let n = vietnamDayNumber(a); n <= last && sum <= atMost; n++) {
    const start = vietnamDayStartMs(n);
    for (const [from, to] of calendar.periodsOn(n)) sum += Math.max(0, Math.min(start + to * MINUTE_MS, t1) - Math.max(start + from * MINUTE_MS, t0));
  }
  return sum;
}

/** Working days after the day of `after` up to the day of `until`, that one included (0 on the same day). */
export function workingDaysAfter(calendar: WorkingCalendar, after: Date, until: Date): number {
  return calendar.countWorkingDays(vietnamDayNumber(after), vietnamDayNumber(until));
}
