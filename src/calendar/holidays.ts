import { addDays, dayOf, isWeekend, type Day } from './days.js';
import { hungKingsDay, lunarNewYearsEve } from './lunar.js';

/**
 * The public holidays of Bộ luật Lao động 2019, Điều 112 (in force since 1 January 2021), as the
 * names people read on a calendar.
 */
export const HOLIDAY_NAMES = {
  newYear: 'Tết Dương lịch',
  tet: 'Tết Nguyên đán',
  hungKings: 'Giỗ Tổ Hùng Vương',
  victory: 'Ngày Chiến thắng',
  labour: 'Ngày Quốc tế Lao động',
  nationalDay: 'Quốc khánh',
  compensation: 'Nghỉ bù',
} as const;

/** A day off by law: a holiday, or the day off in place of one that fell on a weekend (`compensates`). */
export interface Holiday {
  date: Day;
  name: string;
  /** For a nghỉ bù: the holiday it stands for. */
  compensates?: Day;
}

/**
 * What Điều 112 leaves to the Government each year: which five days of Tết (khoản 1.b, "Thủ tướng
 * Chính phủ quyết định cụ thể ngày nghỉ"), and whether the second day of Quốc khánh is 1 or 3
 * September (khoản 1.đ, "01 ngày liền kề trước hoặc sau").
 */
export interface GovernmentChoices {
  /** The five days of Tết Nguyên đán; default: the last day of the lunar year and mùng 1–4. */
  tetDays?: readonly Day[] | null;
  /** 1 or 3 September of the year; default 3 September. */
  nationalDayAdjacent?: Day | null;
}

/** The five days of Tết when the Government has not said otherwise: the lunar year's last day and mùng 1–4. */
export function defaultTetDays(year: number): Day[] {
  const eve = lunarNewYearsEve(year);
  return [0, 1, 2, 3, 4].map((n) => addDays(eve, n));
}

/** How far from mùng 1 a chosen Tết day may be: the Government's choices have stayed within a week of it. */
export const TET_WINDOW_DAYS = 10;

/** The two days Quốc khánh may take besides 2 September. */
export const nationalDayAdjacentOptions = (year: number): [Day, Day] => [dayOf(year, 9, 1), dayOf(year, 9, 3)];

/**
 * The holidays of `year` by law, with the Government's choices, sorted by date. The swaps announced
 * each year (a Saturday worked for a weekday off) are not here: they apply on top (working-calendar.ts).
 *
 * Điều 112 khoản 3: a holiday that falls on a weekly rest day gives a day off on the next working
 * day. Several such holidays (two days of Tết on a weekend) take the next working days in turn,
 * skipping the holidays themselves, so a holiday is never "compensated" by another one.
 */
export function statutoryHolidays(year: number, choices: GovernmentChoices = {}): Holiday[] {
  const tet = choices.tetDays?.length ? [...choices.tetDays] : defaultTetDays(year);
  const holidays: Holiday[] = [
    { date: dayOf(year, 1, 1), name: HOLIDAY_NAMES.newYear },
    ...tet.map((date) => ({ date, name: HOLIDAY_NAMES.tet })),
    { date: hungKingsDay(year), name: HOLIDAY_NAMES.hungKings },
    { date: dayOf(year, 4, 30), name: HOLIDAY_NAMES.victory },
    { date: dayOf(year, 5, 1), name: HOLIDAY_NAMES.labour },
    { date: dayOf(year, 9, 2), name: HOLIDAY_NAMES.nationalDay },
    { date: choices.nationalDayAdjacent ?? dayOf(year, 9, 3), name: HOLIDAY_NAMES.nationalDay },
  ].sort(byDate);
  return [...holidays, ...compensations(holidays)].sort(byDate);
}

const byDate = (a: { date: Day }, b: { date: Day }): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);

/** The nghỉ bù of Điều 112 khoản 3 for `holidays` (sorted by date). */
function compensations(holidays: readonly Holiday[]): Holiday[] {
  const off = new Set(holidays.map((h) => h.date));
  const given: Holiday[] = [];
  for (const holiday of holidays) {
    if (!isWeekend(holiday.date)) continue;
    let day = addDays(holiday.date, 1);
    while (isWeekend(day) || off.has(day)) day = addDays(day, 1);
    off.add(day);
    given.push({ date: day, name: HOLIDAY_NAMES.compensation, compensates: holiday.date });
  }
  return given;
}
