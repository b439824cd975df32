import { describe, expect, it } from 'vitest';
import { deadlineState, isUrgent } from '../calendar/deadlines.js';
import { inboxPriorityAndDue, isOpen, trackedDeadlines, warningStart } from './tracking.js';
import { WorkingCalendar, yearCalendar } from '../calendar/working-calendar.js';
import { HOUR_MS, workingDayLength } from '../calendar/working-time.js';

/** Vietnam wall-clock time. */
const vn = (local: string) => new Date(`${local}+07:00`);

// 2026 as announced (Tết 14–22 February), with the years around it by the law alone.
const calendar = new WorkingCalendar([yearCalendar(2025), yearCalendar(2026), yearCalendar(2027)]);

describe('warningStart: where "due soon" begins', () => {
  it('a deadline at 17:00 warns from the end of the working day before (its whole last working day left)', () => {
    expect(warningStart(calendar, vn('2026-03-04T17:00'), 7.5 * 3_600_000)).toEqual(vn('2026-03-03T17:00'));
    // Monday's deadline warns from Friday's close: the weekend has no working time.
    expect(warningStart(calendar, vn('2026-03-09T17:00'), 7.5 * 3_600_000)).toEqual(vn('2026-03-06T17:00'));
    // The first working day after Tết warns from the last one before it.
    expect(warningStart(calendar, vn('2026-02-23T17:00'), 7.5 * 3_600_000)).toEqual(vn('2026-02-13T17:00'));
  });

  it('an urgent deadline warns one working hour before it, the lunch break not counted', () => {
    expect(warningStart(calendar, vn('2026-03-04T14:30'), HOUR_MS)).toEqual(vn('2026-03-04T11:30'));
    expect(warningStart(calendar, vn('2026-03-04T10:00'), HOUR_MS)).toEqual(vn('2026-03-04T09:00'));
    expect(warningStart(calendar, vn('2026-03-04T08:30'), HOUR_MS)).toEqual(vn('2026-03-03T17:00'));
  });

  it('agrees with deadlineState at every moment around 200 deadlines drawn at random (seeded)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const start = vn('2025-12-01T00:00').getTime();
    let checked = 0;
    const wrong: string[] = [];
    for (let n = 0; n < 200; n++) {
      const arrivedAt = new Date(start + Math.floor(random() * 400) * 86_400_000 + Math.floor(random() * 96) * 900_000);
      const priority = Math.floor(random() * 4);
      const dueDate = new Date(arrivedAt.getTime() + Math.floor(random() * 20) * 86_400_000 + 7 * 3_600_000).toISOString().slice(0, 10);
      const tracked = trackedDeadlines(calendar, { arrivedAt, priority, dueDate });
      for (const [due, warnAt, urgent] of [
        [tracked.registrationDue, tracked.registrationWarnAt, isUrgent(priority)],
        [tracked.processingDue!, tracked.processingWarnAt!, false],
      ] as const) {
        // Moments on a 10-minute grid from three days before to the deadline, and the edges themselves.
        const moments = [warnAt.getTime() - 1, warnAt.getTime(), due.getTime()];
        for (let t = due.getTime() - 3 * 86_400_000; t <= due.getTime(); t += 600_000) moments.push(t);
        for (const t of moments) {
          const state = deadlineState(calendar, due, new Date(t), { urgent }).state;
          if ((state === 'due_soon') !== (t >= warnAt.getTime() && t <= due.getTime())) wrong.push(`${due.toISOString()} at ${new Date(t).toISOString()}: ${state}`);
          checked += 1;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(100_000);
  });
});

describe('trackedDeadlines', () => {
  it('stores the registration and processing deadlines with their warnings', () => {
    expect(trackedDeadlines(calendar, { arrivedAt: vn('2026-02-13T17:20'), priority: 0, dueDate: '2026-04-26' })).toEqual({
      registrationDue: vn('2026-02-23T17:00'),
      registrationWarnAt: vn('2026-02-13T17:00'),
      // Sunday 26/4/2026 is Giỗ Tổ, Monday 27/4 its nghỉ bù: the end of Tuesday 28/4.
      processingDue: vn('2026-04-28T17:00'),
      processingWarnAt: vn('2026-04-24T17:00'),
    });
    expect(trackedDeadlines(calendar, { arrivedAt: vn('2026-03-04T10:30'), priority: 3, dueDate: null })).toEqual({
      registrationDue: vn('2026-03-04T14:30'),
      registrationWarnAt: vn('2026-03-04T11:30'),
      processingDue: null,
      processingWarnAt: null,
    });
    expect(workingDayLength(calendar, vn('2026-03-04T10:30'))).toBe(7.5 * 3_600_000);
  });
});

describe('what an item carries', () => {
  it('reads the priority and the hạn xử lý of the verified header, and nothing else', () => {
    expect(inboxPriorityAndDue({ messageHeader: { dueDate: '2026/12/09', otherInfo: { priority: 2 } } })).toEqual({ priority: 2, dueDate: '2026-12-09' });
    expect(inboxPriorityAndDue({ messageHeader: { dueDate: '09/12/2026', otherInfo: {} } })).toEqual({ priority: 0, dueDate: null });
    expect(inboxPriorityAndDue({})).toEqual({ priority: 0, dueDate: null });
  });

  it('a deadline is open until its status came: 03 for the registration, 06 for the processing; a 02 or a 15 closes both', () => {
    const at = new Date();
    expect(isOpen({}, 'registration')).toBe(true);
    expect(isOpen({ registeredAt: at }, 'registration')).toBe(false);
    expect(isOpen({ registeredAt: at }, 'processing')).toBe(true);
    expect(isOpen({ registeredAt: at, completedAt: at }, 'processing')).toBe(false);
    expect(isOpen({ refusedAt: at }, 'processing')).toBe(false);
    expect(isOpen({ withdrawnAt: at }, 'registration')).toBe(false);
  });
});
