import { isUrgent, processingDeadline, registrationDeadline, type DeadlineInput } from '../calendar/deadlines.js';
import { vietnamDayNumber, vietnamDayStartMs } from '../calendar/days.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import { HOUR_MS, workingDayLength } from '../calendar/working-time.js';
import type { OutgoingDocument } from '../delivery/document.entity.js';
import type { InboxItem } from '../delivery/inbox.entity.js';
import { edxmlDateToIso, isEdxmlDate } from '../edxml/dates.js';

/**
 * What is stored of an item's deadlines (issue 18), so that a list filter is an indexed condition
 * instead of a computation over every row: each deadline and the instant from which it is "due soon".
 * The state (`on_time`, `due_soon`, `overdue`) and the overdue working days are still worked out when
 * read (calendar/deadlines.ts); these columns only let SQL find the rows.
 */
export interface TrackedDeadlines {
  registrationDue: Date;
  registrationWarnAt: Date;
  processingDue: Date | null;
  processingWarnAt: Date | null;
}

const MINUTE_MS = 60_000;

/**
 * The earliest instant from which at most `warningMs` of working time is left until `due`: the
 * instant deadlineState starts to answer `due_soon` (it asks `workingTimeBetween(now, due) ≤
 * warning`). Found by walking back `warningMs` of working time from `due`; when that lands on the
 * opening of a working period, the time off before it (a lunch break, a night, Tết) adds no working
 * time, so the warning starts at the end of the period before.
 */
export function warningStart(calendar: WorkingCalendar, due: Date, warningMs: number): Date {
  const t = due.getTime();
  let left = warningMs;
  for (let n = vietnamDayNumber(due); ; n--) {
    const start = vietnamDayStartMs(n);
    const periods = calendar.periodsOn(n);
    for (let i = periods.length - 1; i >= 0; i--) {
      const [from, to] = periods[i]!;
      const a = start + from * MINUTE_MS;
      const b = Math.min(start + to * MINUTE_MS, t);
      if (b <= a) continue;
      if (b - left > a) return new Date(b - left);
      left -= b - a;
      if (left === 0) return endOfPeriodBefore(calendar, n, i);
    }
  }
}

/** The end of the working period before period `i` of day `n` (walking back over days off). */
function endOfPeriodBefore(calendar: WorkingCalendar, n: number, i: number): Date {
  if (i > 0) return new Date(vietnamDayStartMs(n) + calendar.periodsOn(n)[i - 1]![1] * MINUTE_MS);
  for (let day = n - 1; ; day--) {
    const last = calendar.periodsOn(day).at(-1);
    if (last) return new Date(vietnamDayStartMs(day) + last[1] * MINUTE_MS);
  }
}

/**
 * The deadlines to store for an incoming document (calendar/deadlines.ts): registration from its
 * arrival (urgent: two working hours, due soon in the last one), processing from its hạn xử lý (due
 * soon within its last working day).
 */
export function trackedDeadlines(calendar: WorkingCalendar, input: Pick<DeadlineInput, 'arrivedAt' | 'priority' | 'dueDate'>): TrackedDeadlines {
  const registrationDue = registrationDeadline(calendar, input.arrivedAt, input.priority);
  const registrationWarning = isUrgent(input.priority) ? HOUR_MS : workingDayLength(calendar, registrationDue);
  const processingDue = input.dueDate ? processingDeadline(calendar, input.dueDate) : null;
  return {
    registrationDue,
    registrationWarnAt: warningStart(calendar, registrationDue, registrationWarning),
    processingDue,
    processingWarnAt: processingDue ? warningStart(calendar, processingDue, workingDayLength(calendar, processingDue)) : null,
  };
}

/** What the deadlines of an item depend on, besides its dates: its priority and hạn xử lý from the verified header. */
export function inboxPriorityAndDue(metadata: Record<string, unknown>): { priority: number; dueDate: string | null } {
  const header = (metadata as { messageHeader?: { dueDate?: unknown; otherInfo?: { priority?: unknown } } }).messageHeader;
  const priority = Number(header?.otherInfo?.priority ?? 0);
  const due = header?.dueDate;
  return { priority: Number.isInteger(priority) ? priority : 0, dueDate: typeof due === 'string' && isEdxmlDate(due) ? edxmlDateToIso(due) : null };
}

/**
 * The dates a document's deadlines are worked out from, in the terms of calendar/deadlines.ts. A
 * recall accepted (15) settles what was still open at that moment: nothing is left to register or to
 * process once the copy is destroyed.
 */
function settled(input: DeadlineInput, withdrawnAt: Date | null | undefined): DeadlineInput {
  if (!withdrawnAt) return input;
  return { ...input, registeredAt: input.registeredAt ?? (input.refusedAt ? null : withdrawnAt), completedAt: input.completedAt ?? withdrawnAt };
}

/** An inbox item's deadline input: it arrived when received; `marks`, its row of deadlines (deadline.entity.ts). */
export function inboxDeadlineInput(item: Pick<InboxItem, 'receivedAt' | 'metadata'>, marks: DeadlineMarks | null | undefined): DeadlineInput {
  const { priority, dueDate } = inboxPriorityAndDue(item.metadata);
  return settled(
    { arrivedAt: item.receivedAt, priority, dueDate, registeredAt: marks?.registeredAt ?? null, refusedAt: marks?.refusedAt ?? null, completedAt: marks?.completedAt ?? null },
    marks?.withdrawnAt,
  );
}

/** A delivery's deadline input, as its sender follows it up, from its row of deadlines; none before it arrived (its 01). */
export function deliveryDeadlineInput(doc: Pick<OutgoingDocument, 'priority' | 'dueDate'>, delivery: DeadlineMarks & { arrivedAt?: Date | null }): DeadlineInput | null {
  if (!delivery.arrivedAt) return null;
  return settled(
    {
      arrivedAt: delivery.arrivedAt,
      priority: doc.priority,
      dueDate: doc.dueDate ?? null,
      registeredAt: delivery.registeredAt ?? null,
      refusedAt: delivery.refusedAt ?? null,
      completedAt: delivery.completedAt ?? null,
    },
    delivery.withdrawnAt,
  );
}

/** What tells whether a deadline is still to be met: the dates its row keeps of the 03, 02, 06 and 15. */
export type DeadlineMarks = { registeredAt?: Date | null; refusedAt?: Date | null; completedAt?: Date | null; withdrawnAt?: Date | null };

/** Whether a deadline of this kind is still to be met (registration: no 03, 02 nor 15 yet; processing: no 06, 02 nor 15). */
export function isOpen(marks: DeadlineMarks, kind: 'registration' | 'processing'): boolean {
  if (marks.refusedAt || marks.withdrawnAt) return false;
  return kind === 'registration' ? !marks.registeredAt : !marks.completedAt;
}
