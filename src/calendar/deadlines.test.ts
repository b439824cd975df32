import { describe, expect, it } from 'vitest';
import { deadlineState, deadlineYears, documentDeadlines, processingDeadline, registrationDeadline } from './deadlines.js';
import { WorkingCalendar, yearCalendar } from './working-calendar.js';
import { addWorkingTime, workingTimeBetween } from './working-time.js';

/** Vietnam wall-clock time. */
const vn = (local: string) => new Date(`${local}+07:00`);

// 2026 by the law alone (Tết 14–22 February, as announced); 2025 with its announced Tết (25/1–2/2).
const calendar = new WorkingCalendar([
  yearCalendar(2025, { tetDays: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'], daysOff: [], workingDays: [] }),
  yearCalendar(2026),
  yearCalendar(2027),
]);

describe('the registration deadline (NĐ 30/2020: the same working day, at the latest the next one)', () => {
  it('a directive received on the afternoon before Tết, after hours, is due at the end of the first working day after Tết', () => {
    expect(registrationDeadline(calendar, vn('2026-02-13T17:20'), 0)).toEqual(vn('2026-02-23T17:00'));
    expect(registrationDeadline(calendar, vn('2025-01-24T17:30'), 1)).toEqual(vn('2025-02-03T17:00'));
  });

  it('within the working day (lunch break included), the end of that day; on a day off, the end of the next working day', () => {
    expect(registrationDeadline(calendar, vn('2026-02-13T15:00'), 0)).toEqual(vn('2026-02-13T17:00'));
    expect(registrationDeadline(calendar, vn('2026-02-13T12:10'), 0)).toEqual(vn('2026-02-13T17:00'));
    expect(registrationDeadline(calendar, vn('2026-02-13T06:45'), 0)).toEqual(vn('2026-02-13T17:00'));
    expect(registrationDeadline(calendar, vn('2026-02-13T17:00'), 0)).toEqual(vn('2026-02-23T17:00'));
    expect(registrationDeadline(calendar, vn('2026-03-07T09:00'), 0)).toEqual(vn('2026-03-09T17:00'));
  });

  it('urgent (thượng khẩn and above): two working hours, the lunch break and the nights not counted', () => {
    expect(registrationDeadline(calendar, vn('2026-03-04T08:00'), 2)).toEqual(vn('2026-03-04T10:00'));
    expect(registrationDeadline(calendar, vn('2026-03-04T10:30'), 3)).toEqual(vn('2026-03-04T14:30'));
    expect(registrationDeadline(calendar, vn('2026-03-04T09:30'), 2)).toEqual(vn('2026-03-04T11:30'));
    expect(registrationDeadline(calendar, vn('2026-02-13T16:30'), 4)).toEqual(vn('2026-02-23T09:00'));
    expect(registrationDeadline(calendar, vn('2026-02-13T20:00'), 2)).toEqual(vn('2026-02-23T09:30'));
  });

  it('counts its hours across the year boundary: from 16:00 on 31/12/2026 to 08:30 on Monday 4/1/2027', () => {
    expect(addWorkingTime(calendar, vn('2026-12-31T16:00'), 2 * 3_600_000)).toEqual(vn('2027-01-04T08:30'));
    expect(workingTimeBetween(calendar, vn('2026-12-31T16:00'), vn('2027-01-04T08:30'))).toBe(2 * 3_600_000);
  });
});

describe('the processing deadline (hạn xử lý)', () => {
  it('is the end of the working hours of the due date', () => {
    expect(processingDeadline(calendar, '2026-03-04')).toEqual(vn('2026-03-04T17:00'));
  });

  it('moves to the end of the next working day when the due date is a day off (Bộ luật Dân sự 2015 Điều 148.5)', () => {
    // Sunday 26/4/2026 is Giỗ Tổ and Monday 27/4 its nghỉ bù.
    expect(processingDeadline(calendar, '2026-04-26')).toEqual(vn('2026-04-28T17:00'));
  });
});

describe('where a deadline stands', () => {
  const due = vn('2026-03-04T17:00'); // Wednesday

  it('past its due date over a weekend: overdue 3 working days (Thursday, Friday, Monday)', () => {
    expect(deadlineState(calendar, due, vn('2026-03-09T10:00'))).toEqual({ state: 'overdue', overdueWorkingDays: 3 });
  });

  it('late by less than a day: overdue, 0 working days; done late: overdue until it was done', () => {
    expect(deadlineState(calendar, due, vn('2026-03-04T17:30'))).toEqual({ state: 'overdue', overdueWorkingDays: 0 });
    expect(deadlineState(calendar, due, vn('2026-03-20T10:00'), { doneAt: vn('2026-03-05T09:00') })).toEqual({ state: 'overdue', overdueWorkingDays: 1 });
  });

  it('done in time: on time, whenever it is asked', () => {
    expect(deadlineState(calendar, due, vn('2026-03-20T10:00'), { doneAt: vn('2026-03-04T16:59') })).toEqual({ state: 'on_time', overdueWorkingDays: 0 });
  });

  it('due soon within one working day of it (7 h 30 min of working time), on time before', () => {
    expect(deadlineState(calendar, due, vn('2026-03-03T16:00')).state).toBe('on_time'); // 8 h 30 min left
    expect(deadlineState(calendar, due, vn('2026-03-03T17:00')).state).toBe('due_soon'); // one working day left
    expect(deadlineState(calendar, due, vn('2026-03-04T16:59')).state).toBe('due_soon');
  });

  it('urgent: due soon within one working hour', () => {
    const urgentDue = vn('2026-03-04T14:30');
    expect(deadlineState(calendar, urgentDue, vn('2026-03-04T11:00'), { urgent: true }).state).toBe('on_time'); // 30 min + 1 h
    expect(deadlineState(calendar, urgentDue, vn('2026-03-04T12:00'), { urgent: true }).state).toBe('due_soon'); // the lunch break does not count
  });
});

describe('the deadlines of an incoming document', () => {
  const directive = { arrivedAt: vn('2026-02-13T17:20'), priority: 0, dueDate: '2026-03-04' };

  it('registration and processing, each with its state, in ISO 8601', () => {
    const deadlines = documentDeadlines(calendar, { ...directive, registeredAt: vn('2026-02-23T08:15') }, vn('2026-03-09T10:00'));
    expect(deadlines).toEqual([
      { kind: 'registration', due: '2026-02-23T10:00:00.000Z', state: 'on_time', overdueWorkingDays: 0 },
      { kind: 'processing', due: '2026-03-04T10:00:00.000Z', state: 'overdue', overdueWorkingDays: 3 },
    ]);
  });

  it('not yet registered on the Monday after Tết at 16:00: registration due soon', () => {
    expect(documentDeadlines(calendar, directive, vn('2026-02-23T16:00'))[0]).toMatchObject({ kind: 'registration', state: 'due_soon' });
  });

  it('completed (06) by the due date: processing on time; refused (02): registration settled, nothing to process', () => {
    const done = documentDeadlines(calendar, { ...directive, registeredAt: vn('2026-02-23T08:15'), completedAt: vn('2026-03-04T11:00') }, vn('2026-03-09T10:00'));
    expect(done[1]).toMatchObject({ kind: 'processing', state: 'on_time', overdueWorkingDays: 0 });
    const refused = documentDeadlines(calendar, { ...directive, refusedAt: vn('2026-02-24T08:00') }, vn('2026-03-09T10:00'));
    expect(refused).toEqual([{ kind: 'registration', due: '2026-02-23T10:00:00.000Z', state: 'overdue', overdueWorkingDays: 1 }]);
  });

  it('names the years a list of them needs: from the earliest arrival to the year after the latest due date or now', () => {
    expect(deadlineYears([directive, { arrivedAt: vn('2025-12-30T09:00'), priority: 0 }], vn('2026-03-09T10:00'))).toEqual([2025, 2027]);
  });
});
