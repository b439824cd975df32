import { vietnamToday } from '../util/vietnam-time.js';
import { dayNumberOf, vietnamDayNumber, yearOf, type Day } from './days.js';
import type { WorkingCalendar } from './working-calendar.js';
import { addWorkingTime, endOfWorkingDay, HOUR_MS, workingDayLength, workingDaysAfter, workingTimeBetween } from './working-time.js';

/**
 * The deadlines of a document that came in (issue 18), as pure functions of a loaded calendar and a
 * `now` the caller passes: the same answer for the same inputs, in a request, a sweep or a test.
 *
 * - Registration (NĐ 30/2020 Điều 20–22, văn bản đến): registered, presented and passed on the day it
 *   arrives, at the latest the next working day; an urgent one at once — here within two working hours.
 * - Processing: by the document's hạn xử lý (`dueDate`), until its 06 (hoàn thành).
 */

/** `priority` from which a document is urgent: 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ (0 thường, 1 khẩn). */
export const URGENT_PRIORITY = 2;
/** The working time an urgent document has to be registered in. */
export const URGENT_REGISTRATION_MS = 2 * HOUR_MS;

export type DeadlineKind = 'registration' | 'processing';
export type DeadlineState = 'on_time' | 'due_soon' | 'overdue';

export interface DeadlineStatus {
  state: DeadlineState;
  /** Working days after the deadline's day up to now (or to when it was done), that day included; 0 unless overdue. */
  overdueWorkingDays: number;
}

/** One deadline as the API shows it on an inbox item or a delivery. */
export interface Deadline extends DeadlineStatus {
  kind: DeadlineKind;
  /** ISO 8601. */
  due: string;
}

export const isUrgent = (priority: number): boolean => priority >= URGENT_PRIORITY;

/**
 * When a document that arrived at `arrivedAt` must be registered: the end of the same working day; the
 * end of the next working day when it arrives after the day's working hours or on a day off; an urgent
 * one within two working hours (counted from the next opening when it arrives outside them).
 */
export function registrationDeadline(calendar: WorkingCalendar, arrivedAt: Date, priority: number): Date {
  if (isUrgent(priority)) return addWorkingTime(calendar, arrivedAt, URGENT_REGISTRATION_MS);
  const day = vietnamDayNumber(arrivedAt);
  if (calendar.isWorkingDayNumber(day)) {
    const end = endOfWorkingDay(calendar, day);
    if (arrivedAt < end) return end;
  }
  return endOfWorkingDay(calendar, calendar.addWorkingDayNumbers(day, 1));
}

/**
 * The end of the working hours of the hạn xử lý. A due date that is not a working day moves to the end
 * of the next working day, as a term does under Bộ luật Dân sự 2015 Điều 148 khoản 5 ("thời hạn kết
 * thúc tại thời điểm kết thúc ngày làm việc tiếp theo ngày nghỉ đó").
 */
export function processingDeadline(calendar: WorkingCalendar, dueDate: Day): Date {
  return endOfWorkingDay(calendar, calendar.addWorkingDayNumbers(dayNumberOf(dueDate), 0));
}

/**
 * Where a deadline stands at `now`: overdue once passed (and still overdue when it was done late,
 * counted until `doneAt`); done in time, on time; otherwise due soon within one working day of it —
 * one working hour for an urgent document — and on time before that.
 */
export function deadlineState(calendar: WorkingCalendar, due: Date, now: Date, options: { doneAt?: Date | null; urgent?: boolean } = {}): DeadlineStatus {
  const until = options.doneAt ?? now;
  if (until > due) return { state: 'overdue', overdueWorkingDays: workingDaysAfter(calendar, due, until) };
  if (options.doneAt) return { state: 'on_time', overdueWorkingDays: 0 };
  const warning = options.urgent ? HOUR_MS : workingDayLength(calendar, due);
  return { state: workingTimeBetween(calendar, now, due, warning) <= warning ? 'due_soon' : 'on_time', overdueWorkingDays: 0 };
}

/** What the deadlines of an incoming document are computed from (an inbox item, or a delivery on the sender's side). */
export interface DeadlineInput {
  /** When it arrived (its 01: the inbox item's `receivedAt`). */
  arrivedAt: Date;
  /** edXML Priority, 0–4. */
  priority: number;
  /** Hạn xử lý, `YYYY-MM-DD`; no processing deadline without one. */
  dueDate?: Day | null;
  /** When it was accepted and registered (its 03). */
  registeredAt?: Date | null;
  /** When it was refused (its 02): that settles registration, and there is nothing to process. */
  refusedAt?: Date | null;
  /** When it was completed (its 06). */
  completedAt?: Date | null;
}

/** The deadlines of one document at `now`: registration always, processing when it has a due date and was not refused. */
export function documentDeadlines(calendar: WorkingCalendar, input: DeadlineInput, now: Date): Deadline[] {
  const registration = registrationDeadline(calendar, input.arrivedAt, input.priority);
  const deadlines: Deadline[] = [
    {
      kind: 'registration',
      due: registration.toISOString(),
      ...deadlineState(calendar, registration, now, { doneAt: input.registeredAt ?? input.refusedAt, urgent: isUrgent(input.priority) }),
    },
  ];
  if (input.dueDate && !input.refusedAt) {
    const processing = processingDeadline(calendar, input.dueDate);
    // An urgent document's warning hour is that of its two-hour registration; a due date warns a day ahead.
    deadlines.push({ kind: 'processing', due: processing.toISOString(), ...deadlineState(calendar, processing, now, { doneAt: input.completedAt }) });
  }
  return deadlines;
}

/**
 * The years documentDeadlines may look at for these inputs: load them at once for a list
 * (CalendarStore.run loads any other one it meets).
 */
export function deadlineYears(inputs: Iterable<DeadlineInput>, now: Date): [number, number] {
  let first = yearOf(vietnamToday(now));
  let last = first;
  for (const input of inputs) {
    first = Math.min(first, yearOf(vietnamToday(input.arrivedAt)));
    if (input.dueDate) last = Math.max(last, yearOf(input.dueDate));
  }
  // The next working day after 31 December, or a deadline two working hours after 16:00 on it.
  return [first, last + 1];
}
