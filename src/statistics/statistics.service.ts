import type { EntityManager } from '@mikro-orm/postgresql';
import { deadlineYears, documentDeadlines, type Deadline, type DeadlineInput } from '../calendar/deadlines.js';
import { CALENDAR_YEARS, type CalendarStore } from '../calendar/calendar.store.js';
import { workingDayLength, workingTimeBetween } from '../calendar/working-time.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import { inboxDeadlineInput, isOpen } from '../deadlines/tracking.js';
import { DomainError } from '../errors.js';
import { isAdmin, type Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { vietnamDayStart } from '../util/vietnam-time.js';
import { allLocalAgencies, findAgencyRow, isWithin, localChildren, receivedItems, sentCounts, type AgencyRow, type ReceivedRow } from './statistics.repository.js';

/**
 * Statistics per agency and month (issue 18): how many documents each agency sent and received,
 * how many of those received were registered (03) by their registration deadline and completed (06)
 * by their due date, how long those took in working days, and which are overdue. Worked out when
 * asked, on the working-day calendar, from the dates the inbox items keep; a month is a month of
 * Vietnam time.
 *
 * A deadline counts once it is settled — met (in time or late), or passed without being met: a
 * document still open before its deadline is not yet a success nor a failure. A refusal (02) meets
 * the registration deadline (the document was dealt with) and leaves nothing to process; a document
 * recalled (15) before it was registered or completed counts for neither.
 */

/** `YYYY-MM`. */
export const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** How one deadline fared over a month's documents. */
export interface DeadlineFigures {
  /** Documents whose deadline is settled: met, or passed without being met. */
  counted: number;
  /** Met by the deadline. */
  inTime: number;
  /** inTime / counted, 4 decimals; null when nothing counted. */
  share: number | null;
  /** Mean working days from the arrival to the 03 (or the 06) of those met, 2 decimals; null when none. */
  meanWorkingDays: number | null;
}

export interface OverdueEntry {
  itemId: string;
  documentId: string;
  subject: string;
  sender: { code: string; name: string };
  receivedAt: string;
  kind: Deadline['kind'];
  due: string;
  overdueWorkingDays: number;
  /** Still not met (false: met late). */
  open: boolean;
}

export interface AgencyFigures {
  code: string;
  name: string;
  parentCode: string | null;
  level: string;
  sent: number;
  received: number;
  registration: DeadlineFigures;
  processing: DeadlineFigures;
  overdue: { count: number; open: number; items: OverdueEntry[] };
}

export interface MonthStatistics {
  month: string;
  /** The first and the last day of the month. */
  from: string;
  to: string;
  /** The instant the states were worked out at. */
  at: string;
  agencies: AgencyFigures[];
}

/** How many overdue documents an agency's entry lists (the count is whole). */
export const MAX_OVERDUE_LISTED = 500;

/** The first instant of the month and of the next one (Vietnam time), and its first and last day. */
export function monthRange(month: string): { from: Date; to: Date; first: string; last: string } {
  const m = MONTH.exec(month);
  if (!m) throw invalidField('month', { en: 'must be a month YYYY-MM', vi: 'phải là một tháng dạng YYYY-MM' });
  const year = Number(m[1]);
  const number = Number(m[2]);
  if (year < CALENDAR_YEARS.first || year > CALENDAR_YEARS.last) {
    throw invalidField('month', {
      en: `must be in a year the working calendar covers (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last})`,
      vi: `phải thuộc các năm lịch làm việc có dữ liệu (${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last})`,
    });
  }
  const first = `${m[1]}-${m[2]}-01`;
  const next = number === 12 ? `${year + 1}-01-01` : `${m[1]}-${String(number + 1).padStart(2, '0')}-01`;
  const to = vietnamDayStart(next);
  return { from: vietnamDayStart(first), to, first, last: new Date(to.getTime() - 86_400_000 + 7 * 3_600_000).toISOString().slice(0, 10) };
}

/**
 * The agencies a caller sees, for `agency` (default: its own; an administrator without one: every
 * agency this node holds): that agency and its children side by side. A user sees its own agency
 * and those below it; an administrator, all. 404 for an agency the directory does not know.
 */
export async function statisticsScope(em: EntityManager, principal: Principal, agency: string | undefined): Promise<AgencyRow[]> {
  const own = principal.kind === 'user' ? principal.agencyCode : undefined;
  const code = agency ?? own;
  if (!code) {
    if (!isAdmin(principal)) throw new DomainError('FORBIDDEN', 'Statistics are for the users of an agency and administrators.');
    return allLocalAgencies(em);
  }
  const row = await findAgencyRow(em, code);
  if (!row) throw new DomainError('NOT_FOUND', `No agency ${code}.`, { vi: `Không có cơ quan ${code}.` });
  if (!isAdmin(principal) && (!own || !(await isWithin(em, code, own)))) {
    throw new DomainError('FORBIDDEN', `Agency ${own ?? '?'} may see its own statistics and those of the agencies below it, not ${code}'s.`, {
      vi: `Cơ quan chỉ xem được thống kê của mình và của các cơ quan trực thuộc, không xem được của ${code}.`,
    });
  }
  return [row, ...(await localChildren(em, code))];
}

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

/** Working days (of the arrival year's working day) from `from` to `to`. */
const workingDays = (calendar: WorkingCalendar, from: Date, to: Date): number => workingTimeBetween(calendar, from, to) / workingDayLength(calendar, from);

class Tally {
  counted = 0;
  inTime = 0;
  private days = 0;
  private met = 0;

  add(settled: boolean, inTime: boolean, days: number | null): void {
    if (!settled) return;
    this.counted += 1;
    if (inTime) this.inTime += 1;
    if (days !== null) {
      this.days += days;
      this.met += 1;
    }
  }

  figures(): DeadlineFigures {
    return {
      counted: this.counted,
      inTime: this.inTime,
      share: this.counted ? round(this.inTime / this.counted, 4) : null,
      meanWorkingDays: this.met ? round(this.days / this.met, 2) : null,
    };
  }
}

/** One item's share of the figures, on a loaded calendar. */
function itemFigures(calendar: WorkingCalendar, row: ReceivedRow, input: DeadlineInput, now: Date) {
  const deadlines = documentDeadlines(calendar, input, now);
  const registration = deadlines.find((d) => d.kind === 'registration')!;
  const processing = deadlines.find((d) => d.kind === 'processing');
  // Recalled before it was dealt with: neither a success nor a failure of the recipient.
  const recalledFirst = (done: Date | null) => !!row.withdrawnAt && (!done || row.withdrawnAt < done);
  const registeredOrRefused = row.registeredAt ?? row.refusedAt;
  const reg = {
    skip: recalledFirst(registeredOrRefused),
    settled: !!registeredOrRefused || registration.state === 'overdue',
    inTime: !!registeredOrRefused && registeredOrRefused <= new Date(registration.due),
    days: row.registeredAt ? workingDays(calendar, row.receivedAt, row.registeredAt) : null,
  };
  const proc = processing
    ? {
        skip: recalledFirst(row.completedAt),
        settled: !!row.completedAt || processing.state === 'overdue',
        inTime: !!row.completedAt && row.completedAt <= new Date(processing.due),
        days: row.completedAt ? workingDays(calendar, row.receivedAt, row.completedAt) : null,
      }
    : null;
  const overdue = deadlines
    .filter((d) => d.state === 'overdue')
    .map((d) => ({ deadline: d, open: isOpen(row, d.kind) && !(d.kind === 'registration' ? reg.skip : proc?.skip) }));
  return { reg, proc, overdue };
}

/** The statistics of `agencies` for `month` at `now`. */
export async function monthStatistics(em: EntityManager, calendar: CalendarStore, month: string, agencies: readonly AgencyRow[], now: Date): Promise<MonthStatistics> {
  const range = monthRange(month);
  const codes = agencies.map((a) => a.code);
  const [sent, rows] = codes.length ? await Promise.all([sentCounts(em, codes, range.from, range.to), receivedItems(em, codes, range.from, range.to)]) : [new Map<string, number>(), []];
  const inputs = rows.map((r) => inboxDeadlineInput(r, r));
  const [first, last] = deadlineYears(inputs, now);
  const years: [number, number] = [Math.max(Math.min(first, range.from.getUTCFullYear()), CALENDAR_YEARS.first), Math.min(last, CALENDAR_YEARS.last)];
  const figures = await calendar.run(em, years, (cal) => rows.map((row, i) => itemFigures(cal, row, inputs[i]!, now)));

  const byAgency = new Map(
    agencies.map((a) => [a.code, { registration: new Tally(), processing: new Tally(), received: 0, overdue: [] as OverdueEntry[] }]),
  );
  rows.forEach((row, i) => {
    const f = figures[i]!;
    const tally = byAgency.get(row.agencyCode)!;
    tally.received += 1;
    if (!f.reg.skip) tally.registration.add(f.reg.settled, f.reg.inTime, f.reg.days);
    if (f.proc && !f.proc.skip) tally.processing.add(f.proc.settled, f.proc.inTime, f.proc.days);
    for (const o of f.overdue) {
      tally.overdue.push({
        itemId: row.id,
        documentId: row.documentId,
        subject: row.subject,
        sender: { code: row.senderCode, name: row.senderName },
        receivedAt: row.receivedAt.toISOString(),
        kind: o.deadline.kind,
        due: o.deadline.due,
        overdueWorkingDays: o.deadline.overdueWorkingDays,
        open: o.open,
      });
    }
  });
  return {
    month,
    from: range.first,
    to: range.last,
    at: now.toISOString(),
    agencies: agencies.map((a) => {
      const t = byAgency.get(a.code)!;
      const overdue = [...t.overdue].sort((x, y) => Number(y.open) - Number(x.open) || y.overdueWorkingDays - x.overdueWorkingDays || x.due.localeCompare(y.due));
      return {
        code: a.code,
        name: a.name,
        parentCode: a.parentCode,
        level: a.level,
        sent: sent.get(a.code) ?? 0,
        received: t.received,
        registration: t.registration.figures(),
        processing: t.processing.figures(),
        overdue: { count: overdue.length, open: overdue.filter((o) => o.open).length, items: overdue.slice(0, MAX_OVERDUE_LISTED) },
      };
    }),
  };
}
