import { describe, expect, it } from 'vitest';
import { addDays, dayNumberOf, daysFrom, isWeekend } from './days.js';
import { WorkingCalendar, MissingYear, yearCalendar, type YearData } from './working-calendar.js';

/**
 * The working days of 2024–2026 against the days off the Government announced for cán bộ, công chức,
 * viên chức (announced each autumn for the next year by the ministry in charge of labour — now Bộ Nội
 * vụ — after the Prime Minister's approval; dates as announced, the documents' numbers not cited here).
 * Each year's announcement is recorded as data (PUT /v1/calendar/{year}); the law computes the rest.
 */
const ANNOUNCED: Record<number, YearData> = {
  // 2024: Tết from Thursday 8 to Wednesday 14 February (29 tháng Chạp Quý Mão to mùng 5 Giáp Thìn):
  // five days of Tết from 8 February, mùng 1 and mùng 2 on the weekend give 13 and 14 off.
  // 30/4–1/5: off Saturday 27 April to Wednesday 1 May, Monday 29 April swapped for Saturday 4 May.
  // 2/9: off Saturday 31 August to Tuesday 3 September (2/9 and 3/9, the law's default).
  2024: {
    tetDays: ['2024-02-08', '2024-02-09', '2024-02-10', '2024-02-11', '2024-02-12'],
    daysOff: [{ date: '2024-04-29', name: 'Nghỉ hoán đổi với thứ Bảy 04/5/2024' }],
    workingDays: [{ date: '2024-05-04', name: 'Làm bù cho thứ Hai 29/4/2024' }],
  },
  // 2025: Tết from Saturday 25 January to Sunday 2 February, the five days Monday 27 to Friday 31.
  // 30/4–1/5: off Wednesday 30 April to Sunday 4 May, Friday 2 May swapped for Saturday 26 April.
  // 2/9: off Saturday 30 August to Tuesday 2 September, Monday 1/9 the day beside it.
  2025: {
    tetDays: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'],
    nationalDayAdjacent: '2025-09-01',
    daysOff: [{ date: '2025-05-02', name: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' }],
    workingDays: [{ date: '2025-04-26', name: 'Làm bù cho thứ Sáu 02/5/2025' }],
  },
  // 2026: Tết from Saturday 14 to Sunday 22 February — the law's own five days (16–20 February, the
  // lunar year's last day and mùng 1–4) between two weekends: nothing to record for Tết.
  2026: { daysOff: [], workingDays: [] },
};

const calendarOf = (...years: number[]) => new WorkingCalendar(years.map((y) => yearCalendar(y, ANNOUNCED[y])));
const offDays = (calendar: WorkingCalendar, from: string, to: string) => daysFrom(from, to).filter((d) => !calendar.isWorkingDay(d));
/** The days from `first` to `last`, every one of them. */
const span = (first: string, last: string) => daysFrom(first, last);

describe('the working days of 2024–2026, as the Government announced them', () => {
  const calendar = calendarOf(2024, 2025, 2026);

  it('2024: Tết 8–14 February; 27 April–1 May with Saturday 4 May worked; 31 August–3 September', () => {
    expect(offDays(calendar, '2024-02-01', '2024-02-29')).toEqual([
      '2024-02-03', '2024-02-04', ...span('2024-02-08', '2024-02-14'), '2024-02-17', '2024-02-18', '2024-02-24', '2024-02-25',
    ]);
    expect(offDays(calendar, '2024-04-25', '2024-05-06')).toEqual([...span('2024-04-27', '2024-05-01'), '2024-05-05']);
    expect(calendar.dayInfo('2024-05-04')).toEqual({ date: '2024-05-04', working: true });
    expect(offDays(calendar, '2024-08-29', '2024-09-05')).toEqual(span('2024-08-31', '2024-09-03'));
    expect(calendar.dayInfo('2024-04-18')).toEqual({ date: '2024-04-18', working: false, holiday: 'Giỗ Tổ Hùng Vương' });
  });

  it('2025: Tết 25 January–2 February; 30 April–4 May with Saturday 26 April worked; 30 August–2 September', () => {
    expect(offDays(calendar, '2025-01-20', '2025-02-07')).toEqual(span('2025-01-25', '2025-02-02'));
    expect(offDays(calendar, '2025-04-24', '2025-05-06')).toEqual(['2025-04-27', ...span('2025-04-30', '2025-05-04')]);
    expect(calendar.dayInfo('2025-04-26')).toEqual({ date: '2025-04-26', working: true });
    expect(calendar.dayInfo('2025-05-02')).toEqual({ date: '2025-05-02', working: false, holiday: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' });
    expect(offDays(calendar, '2025-08-28', '2025-09-05')).toEqual(span('2025-08-30', '2025-09-02'));
    expect(calendar.dayInfo('2025-04-07').holiday).toBe('Giỗ Tổ Hùng Vương');
  });

  it('2026: Tết 14–22 February; Giỗ Tổ on Sunday 26 April, Monday 27 April off in its place', () => {
    expect(offDays(calendar, '2026-02-09', '2026-02-27')).toEqual(span('2026-02-14', '2026-02-22'));
    expect(calendar.days('2026-04-25', '2026-05-04')).toEqual([
      { date: '2026-04-25', working: false },
      { date: '2026-04-26', working: false, holiday: 'Giỗ Tổ Hùng Vương' },
      { date: '2026-04-27', working: false, holiday: 'Nghỉ bù' },
      { date: '2026-04-28', working: true },
      { date: '2026-04-29', working: true },
      { date: '2026-04-30', working: false, holiday: 'Ngày Chiến thắng' },
      { date: '2026-05-01', working: false, holiday: 'Ngày Quốc tế Lao động' },
      { date: '2026-05-02', working: false },
      { date: '2026-05-03', working: false },
      { date: '2026-05-04', working: true },
    ]);
  });
});

describe('counting working days', () => {
  it('across the year boundary: 1/1 is off, and 1/1/2028 on a Saturday gives Monday 3/1 off', () => {
    const calendar = calendarOf(2026, 2027, 2028);
    expect(calendar.addWorkingDays('2026-12-31', 1)).toBe('2027-01-04'); // Friday 1/1/2027 off, then the weekend
    expect(calendar.addWorkingDays('2027-01-04', -1)).toBe('2026-12-31');
    expect(calendar.addWorkingDays('2027-12-31', 1)).toBe('2028-01-04');
    expect(calendar.dayInfo('2028-01-03')).toEqual({ date: '2028-01-03', working: false, holiday: 'Nghỉ bù' });
  });

  it('the Friday before Tết 2026 plus one working day is the Monday after it', () => {
    expect(calendarOf(2026).addWorkingDays('2026-02-13', 1)).toBe('2026-02-23');
  });

  it('0 days is the day itself when it is worked, else the next working day; negative counts go back', () => {
    const calendar = calendarOf(2026);
    expect(calendar.addWorkingDays('2026-02-13', 0)).toBe('2026-02-13');
    expect(calendar.addWorkingDays('2026-02-14', 0)).toBe('2026-02-23');
    expect(calendar.addWorkingDays('2026-02-23', -1)).toBe('2026-02-13');
    expect(calendar.addWorkingDays('2026-03-02', -5)).toBe('2026-02-23');
  });

  it('counts the working days between two days, across years, as a walk over the days does', () => {
    const calendar = calendarOf(2024, 2025, 2026);
    const walk = (after: string, until: string) => daysFrom(addDays(after, 1), until).filter((d) => calendar.isWorkingDay(d)).length;
    for (const [after, until] of [
      ['2024-01-01', '2024-01-01'],
      ['2024-02-07', '2024-02-15'],
      ['2024-12-30', '2025-01-02'],
      ['2024-03-15', '2026-11-20'],
      ['2025-06-01', '2025-05-01'],
    ] as const) {
      expect(calendar.countWorkingDays(dayNumberOf(after), dayNumberOf(until)), `${after}..${until}`).toBe(Math.max(0, walk(after, until)));
    }
    // After Wednesday 7 February 2024, up to Thursday 15: Tết takes 8–14, so only the 15th.
    expect(calendar.countWorkingDays(dayNumberOf('2024-02-07'), dayNumberOf('2024-02-15'))).toBe(1);
  });

  it('a count that runs past the loaded years asks for the next one (MissingYear), never guesses', () => {
    const calendar = calendarOf(2026);
    let caught: unknown;
    try {
      calendar.addWorkingDays('2026-12-30', 5);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MissingYear);
    expect((caught as MissingYear).year).toBe(2027);
  });

  it('by the law alone every holiday costs exactly one working day, on a weekend or not (the nghỉ bù)', () => {
    for (const year of [2027, 2028, 2029, 2030, 2031]) {
      const calendar = calendarOf(year);
      const days = daysFrom(`${year}-01-01`, `${year}-12-31`);
      const weekdays = days.filter((d) => !isWeekend(d)).length;
      const worked = days.filter((d) => calendar.isWorkingDay(d)).length;
      // Tết Dương lịch, five days of Tết, Giỗ Tổ, 30/4, 1/5, two days of Quốc khánh.
      expect(worked, String(year)).toBe(weekdays - 11);
    }
  });
});
