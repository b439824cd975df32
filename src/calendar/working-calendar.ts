import { dayNumberOf, dayOf, dayOfNumber, daysFrom, weekdayOfNumber, yearOf, type Day, type DayNumber } from './days.js';
import { statutoryHolidays, type GovernmentChoices, type Holiday } from './holidays.js';

/** A day the year's announcement names: a weekday given off, or a Saturday worked in its place. */
export interface AnnouncedDay {
  date: Day;
  name: string;
}

/** A stretch of working time on the wall clock in Vietnam, `HH:MM`. */
export interface WorkingPeriod {
  from: string;
  to: string;
}

/**
 * The working hours when the year's data say nothing: 07:30–11:30 and 13:30–17:00 (issue 18). Each
 * province sets its own office hours; an administrator records theirs in the year's data.
 */
export const DEFAULT_WORKING_HOURS: readonly WorkingPeriod[] = [
  { from: '07:30', to: '11:30' },
  { from: '13:30', to: '17:00' },
];

/** What an administrator records of a year (PUT /v1/calendar/{year}): the Government's announcements. */
export interface YearData extends GovernmentChoices {
  daysOff: readonly AnnouncedDay[];
  workingDays: readonly AnnouncedDay[];
  workingHours?: readonly WorkingPeriod[] | null;
}

/** One day as GET /v1/calendar/working-days answers it. */
export interface DayInfo {
  date: Day;
  working: boolean;
  /** The holiday's name, when the day is off for one (a plain weekend has none). */
  holiday?: string;
}

/** A year worked out: the law's holidays with the year's choices, and the announced changes on top. */
export interface YearCalendar {
  year: number;
  holidays: Holiday[];
  daysOff: AnnouncedDay[];
  workingDays: AnnouncedDay[];
  workingHours: WorkingPeriod[];
  /** The Government's choices as recorded (null: the default of the law). */
  tetDays: Day[] | null;
  nationalDayAdjacent: Day | null;
  /** Who last recorded the year's data, and when; null: nobody, the law alone. */
  recorded: { at: Date; by: string } | null;
}

/** Minutes after midnight of `HH:MM`. */
export const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The year's calendar from the law and the data an administrator recorded (none: the law alone). */
export function yearCalendar(year: number, data?: YearData | null, recorded: YearCalendar['recorded'] = null): YearCalendar {
  return {
    year,
    holidays: statutoryHolidays(year, { tetDays: data?.tetDays, nationalDayAdjacent: data?.nationalDayAdjacent }),
    daysOff: [...(data?.daysOff ?? [])].sort(byDate),
    workingDays: [...(data?.workingDays ?? [])].sort(byDate),
    workingHours: [...(data?.workingHours?.length ? data.workingHours : DEFAULT_WORKING_HOURS)],
    tetDays: data?.tetDays?.length ? [...data.tetDays] : null,
    nationalDayAdjacent: data?.nationalDayAdjacent ?? null,
    recorded,
  };
}

const byDate = (a: { date: Day }, b: { date: Day }): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);

/** A question about a year the calendar was not given: the caller loads it and asks again. */
export class MissingYear extends Error {
  constructor(readonly year: number) {
    super(`The working calendar of ${year} is not loaded.`);
    this.name = 'MissingYear';
  }
}

/**
 * The lookups of one year: which days are off and why, and a flag and a running count per day (by
 * day number) for the loops of the deadline functions.
 */
interface YearIndex {
  calendar: YearCalendar;
  off: Map<Day, string>;
  /** The day number of 1 January. */
  first: DayNumber;
  /** 1 for a working day, by day of the year (0 = 1 January). */
  working: Uint8Array;
  /** Working days of the year before each day of it; the last entry is the year's total. */
  before: Int32Array;
  /** The working periods as minutes after midnight. */
  periods: Array<[number, number]>;
}

function indexYear(calendar: YearCalendar): YearIndex {
  const off = new Map<Day, string>();
  // The announcement's own words win over the law's name for the same day.
  for (const h of calendar.holidays) if (!off.has(h.date)) off.set(h.date, h.name);
  for (const d of calendar.daysOff) off.set(d.date, d.name);
  const worked = new Set(calendar.workingDays.map((d) => dayNumberOf(d.date)));
  const offNumbers = new Set([...off.keys()].map(dayNumberOf));
  const first = dayNumberOf(dayOf(calendar.year, 1, 1));
  const length = dayNumberOf(dayOf(calendar.year + 1, 1, 1)) - first;
  const working = new Uint8Array(length);
  const before = new Int32Array(length + 1);
  for (let i = 0; i < length; i++) {
    const n = first + i;
    const weekday = weekdayOfNumber(n);
    working[i] = worked.has(n) || (!offNumbers.has(n) && weekday !== 0 && weekday !== 6) ? 1 : 0;
    before[i + 1] = before[i]! + working[i]!;
  }
  return { calendar, off, first, working, before, periods: calendar.workingHours.map((p) => [minutesOf(p.from), minutesOf(p.to)]) };
}

/**
 * Working days and hours over the years it is given, synchronously: the deadline functions run in
 * loops over thousands of items, so the years are loaded first (calendar.store.ts) and a question
 * about any other year throws MissingYear.
 *
 * A day is worked when the year's data make it a working day (a Saturday worked in a swap); else it
 * is off when it is a holiday by law, a nghỉ bù or a day the data give off; else when it is a weekend.
 */
export class WorkingCalendar {
  private readonly years: YearIndex[];
  /** The year the last question was about: items of a list mostly fall in the same one. */
  private recent: YearIndex | undefined;

  constructor(years: Iterable<YearCalendar>) {
    this.years = [...years].map(indexYear).sort((a, b) => a.first - b.first);
  }

  /** The year's calendar, or MissingYear. */
  year(year: number): YearCalendar {
    const found = this.years.find((y) => y.calendar.year === year);
    if (!found) throw new MissingYear(year);
    return found.calendar;
  }

  isWorkingDay(day: Day): boolean {
    return this.isWorkingDayNumber(dayNumberOf(day));
  }

  isWorkingDayNumber(n: DayNumber): boolean {
    const index = this.locate(n);
    return index.working[n - index.first] === 1;
  }

  /** The day as GET /v1/calendar/working-days shows it. */
  dayInfo(day: Day): DayInfo {
    const working = this.isWorkingDay(day);
    const holiday = working ? undefined : this.locate(dayNumberOf(day)).off.get(day);
    return holiday === undefined ? { date: day, working } : { date: day, working, holiday };
  }

  /** Every day from `from` to `to`, both included. */
  days(from: Day, to: Day): DayInfo[] {
    return daysFrom(from, to).map((d) => this.dayInfo(d));
  }

  /**
   * The `n`th working day after `from` (before it when `n` is negative). With 0: `from` when it is a
   * working day, else the first working day after it — the day a count "from today" starts on.
   */
  addWorkingDays(from: Day, n: number): Day {
    return dayOfNumber(this.addWorkingDayNumbers(dayNumberOf(from), n));
  }

  addWorkingDayNumbers(from: DayNumber, n: number): DayNumber {
    if (!Number.isInteger(n)) throw new RangeError(`addWorkingDays needs a whole number of days, not ${n}.`);
    if (n === 0) return this.isWorkingDayNumber(from) ? from : this.addWorkingDayNumbers(from, 1);
    const step = n > 0 ? 1 : -1;
    let day = from;
    for (let left = Math.abs(n); left > 0; ) {
      day += step;
      if (this.isWorkingDayNumber(day)) left -= 1;
    }
    return day;
  }

  /** Working days after day `after` up to day `until`, that one included (0 when `until` is not after `after`). */
  countWorkingDays(after: DayNumber, until: DayNumber): number {
    let count = 0;
    for (let day = after + 1; day <= until; ) {
      const index = this.locate(day);
      const last = Math.min(until, index.first + index.working.length - 1);
      count += index.before[last + 1 - index.first]! - index.before[day - index.first]!;
      day = last + 1;
    }
    return count;
  }

  /** The working periods of a day, as minutes after midnight; none on a day off. */
  periodsOn(n: DayNumber): ReadonlyArray<readonly [number, number]> {
    const index = this.locate(n);
    return index.working[n - index.first] === 1 ? index.periods : [];
  }

  /** The working hours in force in the year of day `n`, working day or not. */
  workingHoursOf(n: DayNumber): readonly WorkingPeriod[] {
    return this.locate(n).calendar.workingHours;
  }

  private locate(n: DayNumber): YearIndex {
    const recent = this.recent;
    if (recent && n >= recent.first && n - recent.first < recent.working.length) return recent;
    const found = this.years.find((y) => n >= y.first && n - y.first < y.working.length);
    if (!found) throw new MissingYear(yearOf(dayOfNumber(n)));
    this.recent = found;
    return found;
  }
}
