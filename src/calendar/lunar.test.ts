import { describe, expect, it } from 'vitest';
import { hungKingsDay, lunarNewYear, lunarNewYearsEve, solarDayOfLunar } from './lunar.js';

/**
 * Tết and Giỗ Tổ on the Vietnamese lunar calendar (UTC+7). The years where it parts from the Chinese
 * one (UTC+8) are the test of the library: Tết Ất Sửu 1985 (Vietnam 21/1, China 20/2), Tết Đinh Hợi
 * 2007 (17/2 and 18/2), Tết Canh Tuất 2030 (2/2 and 3/2: the new moon at 23:07 in Hà Nội is 00:07
 * the next day in Beijing), Giỗ Tổ 2037 and 2038.
 */
describe('the Vietnamese lunar calendar', () => {
  it.each([
    [1985, '1985-01-21'],
    [2007, '2007-02-17'],
    [2023, '2023-01-22'],
    [2024, '2024-02-10'],
    [2025, '2025-01-29'],
    [2026, '2026-02-17'],
    [2027, '2027-02-06'],
    [2030, '2030-02-02'],
  ])('Tết %i is %s', (year, day) => {
    expect(lunarNewYear(year)).toBe(day);
  });

  it.each([
    [2023, '2023-04-29'],
    [2024, '2024-04-18'],
    [2025, '2025-04-07'],
    [2026, '2026-04-26'],
    [2037, '2037-04-24'],
    [2038, '2038-04-13'],
  ])('Giỗ Tổ Hùng Vương (10/3 âm lịch) %i is %s', (year, day) => {
    expect(hungKingsDay(year)).toBe(day);
  });

  it("the lunar year's last day is the 29th or the 30th of tháng Chạp, whichever the year has", () => {
    expect(lunarNewYearsEve(2024)).toBe('2024-02-09'); // 30 tháng Chạp Quý Mão
    expect(lunarNewYearsEve(2025)).toBe('2025-01-28'); // 29 tháng Chạp Giáp Thìn: no 30th that year
    expect(solarDayOfLunar(29, 12, 2024)).toBe('2025-01-28');
  });

  it('refuses a day the lunar month does not have, and years beyond the tables', () => {
    // The library itself would answer mùng 1 of the next month for the 30th of a 29-day month.
    expect(() => solarDayOfLunar(30, 12, 2024)).toThrow(/has no day 30 of month 12/);
    expect(() => lunarNewYear(2200)).toThrow(/1200–2199/);
  });
});
