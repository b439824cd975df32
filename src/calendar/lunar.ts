import { getLunarDate, getSolarDate } from '@dqcai/vn-lunar';
import { addDays, dayOf, type Day } from './days.js';

/**
 * The Vietnamese lunar calendar (âm lịch), from @dqcai/vn-lunar: Hồ Ngọc Đức's tables, computed for
 * Vietnam's meridian (UTC+7, the official rule since 1968). The Chinese calendar (UTC+8, as in
 * lunar-javascript) puts some new moons on the next day: Tết 1985, 2007 and 2030 fall a day or a
 * month apart, and so does Giỗ Tổ in 2037 and 2038 (see lunar.test.ts).
 *
 * The package's type declarations do not resolve under NodeNext (extension-less relative imports),
 * so its two functions are typed here, by what they return.
 */
interface SolarDate {
  day: number;
  month: number;
  year: number;
}
interface LunarDate extends SolarDate {
  leap: boolean;
}
const solarOf = getSolarDate as (day: number, month: number, year: number, leap?: boolean) => SolarDate;
const lunarOf = getLunarDate as (day: number, month: number, year: number) => LunarDate;

/** The years the package's tables cover (it answers day 0 beyond them). */
export const LUNAR_YEARS = { first: 1200, last: 2199 } as const;

/**
 * The solar day of a lunar date of a (non-leap) month. Throws for a date the lunar year does not have
 * (the 30th of a 29-day month): the package would silently answer the next month's first day.
 */
export function solarDayOfLunar(lunarDay: number, lunarMonth: number, lunarYear: number): Day {
  if (!Number.isInteger(lunarYear) || lunarYear < LUNAR_YEARS.first || lunarYear > LUNAR_YEARS.last) {
    throw new RangeError(`The lunar calendar covers the years ${LUNAR_YEARS.first}–${LUNAR_YEARS.last}, not ${lunarYear}.`);
  }
  const solar = solarOf(lunarDay, lunarMonth, lunarYear, false);
  const back = lunarOf(solar.day, solar.month, solar.year);
  if (back.day !== lunarDay || back.month !== lunarMonth || back.year !== lunarYear || back.leap) {
    throw new RangeError(`Lunar year ${lunarYear} has no day ${lunarDay} of month ${lunarMonth}.`);
  }
  return dayOf(solar.year, solar.month, solar.day);
}

/** Mùng 1 Tết: the first day of the first lunar month of `year`. */
export const lunarNewYear = (year: number): Day => solarDayOfLunar(1, 1, year);

/** The last day of the lunar year that ends before Tết of `year` (29 or 30 tháng Chạp). */
export const lunarNewYearsEve = (year: number): Day => addDays(lunarNewYear(year), -1);

/** Giỗ Tổ Hùng Vương: the 10th day of the third lunar month. */
export const hungKingsDay = (year: number): Day => solarDayOfLunar(10, 3, year);
