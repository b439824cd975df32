import { describe, expect, it } from 'vitest';
import { weekday } from './days.js';
import { defaultTetDays, HOLIDAY_NAMES, statutoryHolidays } from './holidays.js';

const H = HOLIDAY_NAMES;
const listed = (year: number, choices?: Parameters<typeof statutoryHolidays>[1]) =>
  statutoryHolidays(year, choices).map((h) => (h.compensates ? [h.date, h.name, h.compensates] : [h.date, h.name]));

describe('the holidays of Bộ luật Lao động 2019 Điều 112', () => {
  it('2026 by the law alone: Tết the lunar year’s last day and mùng 1–4, Giỗ Tổ on a Sunday gives Monday off', () => {
    expect(listed(2026)).toEqual([
      ['2026-01-01', H.newYear],
      ['2026-02-16', H.tet], // 29 tháng Chạp Ất Tỵ (the month has no 30th)
      ['2026-02-17', H.tet],
      ['2026-02-18', H.tet],
      ['2026-02-19', H.tet],
      ['2026-02-20', H.tet],
      ['2026-04-26', H.hungKings], // Sunday
      ['2026-04-27', H.compensation, '2026-04-26'],
      ['2026-04-30', H.victory],
      ['2026-05-01', H.labour],
      ['2026-09-02', H.nationalDay],
      ['2026-09-03', H.nationalDay],
    ]);
    expect(weekday('2026-04-26')).toBe(0);
  });

  it('holidays on a weekend take the next working days in turn, skipping the holidays after them (2023: off 29/4–3/5)', () => {
    // Giỗ Tổ on Saturday 29/4/2023 and 30/4 on Sunday: the next working days after 1/5 (Monday) are 2/5 and 3/5,
    // the five days off that 2023 had.
    const spring = listed(2023).filter(([date]) => date! >= '2023-04-01' && date! <= '2023-05-31');
    expect(spring).toEqual([
      ['2023-04-29', H.hungKings],
      ['2023-04-30', H.victory],
      ['2023-05-01', H.labour],
      ['2023-05-02', H.compensation, '2023-04-29'],
      ['2023-05-03', H.compensation, '2023-04-30'],
    ]);
  });

  it('1/1 on a Saturday gives Monday 3/1 off (2022)', () => {
    expect(listed(2022).slice(0, 2)).toEqual([
      ['2022-01-01', H.newYear],
      ['2022-01-03', H.compensation, '2022-01-01'],
    ]);
  });

  it('two days of Tết on a weekend give two days after Tết (2024 by the law alone: 9–13 February, then 14 and 15)', () => {
    expect(defaultTetDays(2024)).toEqual(['2024-02-09', '2024-02-10', '2024-02-11', '2024-02-12', '2024-02-13']);
    const compensations = statutoryHolidays(2024).filter((h) => h.name === H.compensation);
    expect(compensations).toEqual([
      { date: '2024-02-14', name: H.compensation, compensates: '2024-02-10' },
      { date: '2024-02-15', name: H.compensation, compensates: '2024-02-11' },
    ]);
  });

  it('the Government’s choices replace the defaults: the five days of Tết, 1/9 instead of 3/9 (2023: off 1–4/9)', () => {
    const autumn = listed(2023, { nationalDayAdjacent: '2023-09-01' }).filter(([date]) => date!.startsWith('2023-09'));
    // 2/9/2023 was a Saturday: with Friday 1/9 beside it, Monday 4/9 is its nghỉ bù.
    expect(autumn).toEqual([
      ['2023-09-01', H.nationalDay],
      ['2023-09-02', H.nationalDay],
      ['2023-09-04', H.compensation, '2023-09-02'],
    ]);
    const tet = statutoryHolidays(2025, { tetDays: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'] }).filter((h) => h.name === H.tet);
    expect(tet.map((h) => h.date)).toEqual(['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31']);
  });
});
