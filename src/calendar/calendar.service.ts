import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { DomainError, type FieldError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { validationDetail } from '../http/problem-messages.js';
import { fieldError, type Predicate } from '../http/validation-messages.js';
import { saveCalendarYear } from './calendar.repository.js';
import { MAX_RANGE_DAYS, MAX_WORKING_DAYS, type CalendarYearInput } from './calendar.schemas.js';
import { CALENDAR_YEARS, isCalendarYear, YearOutOfCalendar, type CalendarStore } from './calendar.store.js';
import { deadlineYears, documentDeadlines, type Deadline, type DeadlineInput } from './deadlines.js';
import { addDays, daysBetween, yearOf, type Day } from './days.js';
import { nationalDayAdjacentOptions, statutoryHolidays, TET_WINDOW_DAYS, type Holiday } from './holidays.js';
import { lunarNewYear } from './lunar.js';
import { MissingYear, minutesOf, type AnnouncedDay, type DayInfo, type WorkingPeriod, type YearCalendar, type YearData } from './working-calendar.js';

export interface CalendarActor {
  principal: Principal;
  requestId: string;
}

/** 31/12/2025 for 2025-12-31: dates in Vietnamese messages. */
const vietnameseDate = (day: Day): string => day.split('-').reverse().join('/');

const OUT_OF_CALENDAR: Predicate = {
  en: `is outside the years the calendar covers (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}: the holidays of Bộ luật Lao động 2019 apply from 2021)`,
  vi: `nằm ngoài các năm lịch làm việc có dữ liệu (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}: ngày nghỉ lễ theo Bộ luật Lao động 2019 áp dụng từ năm 2021)`,
};

/** GET /v1/calendar/{year}. */
export function yearView(calendar: YearCalendar) {
  return {
    year: calendar.year,
    holidays: calendar.holidays.map((h) => ({ ...h })),
    tetDays: calendar.tetDays,
    nationalDayAdjacent: calendar.nationalDayAdjacent,
    daysOff: calendar.daysOff,
    workingDays: calendar.workingDays,
    workingHours: calendar.workingHours,
    updatedAt: calendar.recorded?.at.toISOString() ?? null,
    updatedBy: calendar.recorded?.by ?? null,
  };
}

/** PUT /v1/calendar/{year}: replaces the year's data (admin), audited; this process reads it back at once. */
export async function saveYear(em: EntityManager, store: CalendarStore, actor: CalendarActor, year: number, input: CalendarYearInput): Promise<YearCalendar> {
  const data: YearData = input;
  checkYearData(year, data);
  await em.transactional(async (tx) => {
    await saveCalendarYear(tx, year, data, `${actor.principal.kind}:${actor.principal.id}`);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'calendar.year_saved',
      subjectType: 'calendar_year',
      subjectId: String(year),
      details: { ...data },
      requestId: actor.requestId,
    });
  });
  store.forget(year);
  return store.year(em, year);
}

/** Field errors gathered over a body, to be thrown at once. */
class Problems {
  readonly errors: FieldError[] = [];
  constructor(readonly year: number) {}

  add(path: string, predicate: Predicate): void {
    this.errors.push(fieldError(path, predicate));
  }

  /** Whether `day` is in the year; an error on `path` when not. */
  inYear(path: string, day: Day): boolean {
    if (yearOf(day) === this.year) return true;
    this.add(path, { en: `(${day}) is not in ${this.year}`, vi: `(${vietnameseDate(day)}) không thuộc năm ${this.year}` });
    return false;
  }

  twice(path: string, day: Day): void {
    this.add(path, { en: `(${day}) is listed twice`, vi: `(${vietnameseDate(day)}) bị liệt kê hai lần` });
  }
}

/**
 * What a schema cannot see in a year's data: dates in the year, Tết near mùng 1, the day beside
 * Quốc khánh, each date once, no holiday of the law made a working day, working periods in order.
 * Every problem at once, each on its field.
 */
export function checkYearData(year: number, data: YearData): void {
  const problems = new Problems(year);
  const tetOk = checkTetDays(problems, data.tetDays ?? []);
  const adjacentOk = checkNationalDayAdjacent(problems, data.nationalDayAdjacent);
  checkDaysOff(problems, data.daysOff);
  // The holidays by law with those of the year's choices that are sound.
  const holidays = statutoryHolidays(year, { tetDays: tetOk ? data.tetDays : null, nationalDayAdjacent: adjacentOk ? data.nationalDayAdjacent : null });
  checkWorkingDays(problems, data, holidays);
  checkWorkingHours(problems, data.workingHours ?? []);
  const { errors } = problems;
  if (errors.length) {
    throw new DomainError('VALIDATION_FAILED', validationDetail(errors, 'request body', 'en'), { errors, vi: validationDetail(errors, 'request body', 'vi') });
  }
}

/** The Government chooses Tết's five days around mùng 1 (Điều 112.1.b); whether all are sound. */
function checkTetDays(problems: Problems, tetDays: readonly Day[]): boolean {
  const count = problems.errors.length;
  const tet = lunarNewYear(problems.year);
  tetDays.forEach((day, i) => {
    const path = `tetDays.${i}`;
    if (!problems.inYear(path, day)) return;
    if (Math.abs(daysBetween(tet, day)) > TET_WINDOW_DAYS) {
      problems.add(path, {
        en: `(${day}) is more than ${TET_WINDOW_DAYS} days from mùng 1 Tết, ${tet}`,
        vi: `(${vietnameseDate(day)}) cách mùng 1 Tết (${vietnameseDate(tet)}) quá ${TET_WINDOW_DAYS} ngày`,
      });
    } else if (tetDays.indexOf(day) !== i) problems.twice(path, day);
  });
  return problems.errors.length === count;
}

/** The day beside Quốc khánh is the day before or after it (Điều 112.1.đ); whether it is. */
function checkNationalDayAdjacent(problems: Problems, adjacent: Day | null | undefined): boolean {
  const [before, after] = nationalDayAdjacentOptions(problems.year);
  if (!adjacent || adjacent === before || adjacent === after) return true;
  problems.add('nationalDayAdjacent', {
    en: `must be ${before} or ${after}, the day before or after Quốc khánh`,
    vi: `phải là ${vietnameseDate(before)} hoặc ${vietnameseDate(after)}, ngày liền kề trước hoặc sau Quốc khánh`,
  });
  return false;
}

function checkDaysOff(problems: Problems, daysOff: readonly AnnouncedDay[]): void {
  const dates = daysOff.map((d) => d.date);
  daysOff.forEach((d, i) => {
    const path = `daysOff.${i}.date`;
    if (problems.inYear(path, d.date) && dates.indexOf(d.date) !== i) problems.twice(path, d.date);
  });
}

/** A day worked in a swap is a weekend day or a weekday, never a day off by law nor one of the days given off. */
function checkWorkingDays(problems: Problems, data: YearData, holidays: readonly Holiday[]): void {
  const dates = data.workingDays.map((d) => d.date);
  const off = new Set(data.daysOff.map((d) => d.date));
  data.workingDays.forEach((d, i) => {
    const path = `workingDays.${i}.date`;
    if (!problems.inYear(path, d.date)) return;
    const holiday = holidays.find((h) => h.date === d.date);
    if (dates.indexOf(d.date) !== i) problems.twice(path, d.date);
    else if (off.has(d.date)) problems.add(path, { en: `(${d.date}) is also in daysOff`, vi: `(${vietnameseDate(d.date)}) cũng có trong danh sách ngày nghỉ (daysOff)` });
    else if (holiday) {
      problems.add(path, {
        en: `(${d.date}) is ${holiday.name}, a day off by law (Bộ luật Lao động 2019 Điều 112): it cannot be a working day`,
        vi: `(${vietnameseDate(d.date)}) là ngày ${holiday.name}, ngày nghỉ theo Bộ luật Lao động 2019 Điều 112, không thể là ngày làm việc`,
      });
    }
  });
}

/** Working periods each ending after it starts, in order, not overlapping. */
function checkWorkingHours(problems: Problems, periods: readonly WorkingPeriod[]): void {
  periods.forEach((p, i) => {
    const previous = periods[i - 1];
    if (minutesOf(p.from) >= minutesOf(p.to)) {
      problems.add(`workingHours.${i}.to`, { en: `(${p.to}) must be after the period's start, ${p.from}`, vi: `(${p.to}) phải sau giờ bắt đầu ${p.from}` });
    } else if (previous && minutesOf(p.from) < minutesOf(previous.to)) {
      problems.add(`workingHours.${i}.from`, {
        en: `(${p.from}) must not be before the end of the period before it, ${previous.to}`,
        vi: `(${p.from}) không được trước giờ kết thúc của khoảng trước đó (${previous.to})`,
      });
    }
  });
}

/** GET /v1/calendar/working-days: every day from `from` to `to`, both included. */
export async function workingDaysView(em: EntityManager, store: CalendarStore, from: Day, to: Day): Promise<{ from: Day; to: Day; workingDays: number; days: DayInfo[] }> {
  const length = daysBetween(from, to) + 1;
  if (length < 1) throw invalidField('to', { en: `(${to}) must not be before from (${from})`, vi: `(${vietnameseDate(to)}) không được trước ngày bắt đầu (${vietnameseDate(from)})` });
  if (length > MAX_RANGE_DAYS) {
    throw invalidField('to', {
      en: `must be at most ${MAX_RANGE_DAYS} days from from, both included (asked: ${length}); ask in parts`,
      vi: `không được cách ngày bắt đầu quá ${MAX_RANGE_DAYS} ngày, tính cả hai đầu (đang hỏi ${length} ngày); hãy hỏi thành nhiều lần`,
    });
  }
  for (const [field, day] of [['from', from], ['to', to]] as const) {
    if (yearOf(day) < CALENDAR_YEARS.first || yearOf(day) > CALENDAR_YEARS.last) throw invalidField(field, OUT_OF_CALENDAR);
  }
  const days = await store.run(em, [yearOf(from), yearOf(to)], (calendar) => calendar.days(from, to));
  return { from, to, workingDays: days.filter((d) => d.working).length, days };
}

/** GET /v1/calendar/add-working-days. */
export async function addWorkingDaysView(em: EntityManager, store: CalendarStore, from: Day, days: number): Promise<{ from: Day; days: number; date: Day }> {
  if (yearOf(from) < CALENDAR_YEARS.first || yearOf(from) > CALENDAR_YEARS.last) throw invalidField('from', OUT_OF_CALENDAR);
  if (Math.abs(days) > MAX_WORKING_DAYS) throw invalidField('days', { en: `must be between −${MAX_WORKING_DAYS} and ${MAX_WORKING_DAYS}`, vi: `phải trong khoảng −${MAX_WORKING_DAYS} đến ${MAX_WORKING_DAYS}` });
  // A year has at least about 240 working days: guess the years the count runs over, load more if not.
  const reach = addDays(from, Math.sign(days) * Math.ceil((Math.abs(days) * 366) / 240 + 14));
  const years: [number, number] = [Math.min(yearOf(from), yearOf(reach)), Math.max(yearOf(from), yearOf(reach))];
  try {
    const date = await store.run(em, years, (calendar) => calendar.addWorkingDays(from, days));
    return { from, days, date };
  } catch (error) {
    if (!(error instanceof YearOutOfCalendar)) throw error;
    throw invalidField('days', {
      en: `takes the count outside the years the calendar covers (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last})`,
      vi: `đưa phép đếm ra ngoài các năm lịch làm việc có dữ liệu (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last})`,
    });
  }
}

/**
 * The deadlines of each document of a list at `now`, in order, on one load of the calendar (issue 18:
 * `deadlines` on inbox items and deliveries, computed when read). A document whose dates fall outside
 * the calendar's years (CALENDAR_YEARS) has none, rather than failing the whole list.
 */
export async function deadlinesFor(em: EntityManager, store: CalendarStore, inputs: readonly DeadlineInput[], now: Date): Promise<Deadline[][]> {
  if (!inputs.length) return [];
  const [first, last] = deadlineYears(inputs, now);
  return store.run(em, [Math.max(first, CALENDAR_YEARS.first), Math.min(last, CALENDAR_YEARS.last)], (calendar) =>
    inputs.map((input) => {
      try {
        return documentDeadlines(calendar, input, now);
      } catch (error) {
        // A year the calendar could load is loaded by run() and asked again; one it cannot, is none.
        if (error instanceof MissingYear && !isCalendarYear(error.year)) return [];
        throw error;
      }
    }),
  );
}
