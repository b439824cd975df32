import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { deadlinesFor } from '../calendar/calendar.service.js';
import type { CalendarStore } from '../calendar/calendar.store.js';
import type { DeadlineKind } from '../calendar/deadlines.js';
import { emptyOutbox, mergeOutbox, writeReminders, type Outbox } from './outbox.js';
import type { ReminderSubject } from './reminder.entity.js';
import { openDeliveries, openInboxItems, saveScanCursor, scanCursor, type OpenRow, type ReminderRow } from './reminders.repository.js';
import { deadlineTitle } from './texts.js';

/** A running deadline that is due soon or has passed, at the moment of the scan. */
export interface PressingDeadline {
  row: OpenRow;
  kind: DeadlineKind;
  state: 'due_soon' | 'overdue';
  due: Date;
  overdueWorkingDays: number;
}

/**
 * The deadlines of these open rows that press at `now`, computed by the calendar's pure functions
 * (the same the API shows): the registration deadline only while the item waits for its 03 or 02,
 * the processing one while the document is open (OPEN_STATES).
 */
export async function pressingDeadlines(em: EntityManager, store: CalendarStore, rows: readonly OpenRow[], now: Date): Promise<PressingDeadline[]> {
  if (!rows.length) return [];
  const all = await deadlinesFor(em, store, rows.map((r) => ({ arrivedAt: r.arrivedAt, priority: r.priority, dueDate: r.dueDate })), now);
  return rows.flatMap((row, i) =>
    (all[i] ?? [])
      .filter((d) => d.state !== 'on_time' && (d.kind === 'processing' || row.state === 'arrived'))
      .map((d) => ({ row, kind: d.kind, state: d.state as 'due_soon' | 'overdue', due: new Date(d.due), overdueWorkingDays: d.overdueWorkingDays })),
  );
}

/**
 * Whether a deadline reminds this side. Every reminder goes to the agency whose item or delivery it
 * is; the sender is not told that a registration is due soon — that is the day the document arrives,
 * one message per recipient for every document sent — only that it was missed.
 */
const remindsSide = (d: PressingDeadline): boolean => d.row.side === 'recipient' || d.kind === 'processing' || d.state === 'overdue';

/** The console link of an item (recipient) or an outgoing document (sender). */
export function consoleLink(publicUrl: string | undefined, row: Pick<OpenRow, 'subjectType' | 'id' | 'outgoingDocumentId'>): string | undefined {
  if (!publicUrl) return undefined;
  const base = publicUrl.replace(/\/+$/, '');
  return row.subjectType === 'inbox_item' ? `${base}/inbox/${row.id}` : `${base}/outgoing/${row.outgoingDocumentId}`;
}

/** The reminder of a pressing deadline. */
export function deadlineReminder(d: PressingDeadline, now: Date, publicUrl: string | undefined): ReminderRow {
  const { row } = d;
  const link = consoleLink(publicUrl, row);
  return {
    id: randomUUID(),
    agencyCode: row.agencyCode,
    type: d.state,
    deadlineKind: d.kind,
    side: row.side,
    subjectType: row.subjectType,
    subjectId: row.id,
    digestDay: null,
    due: d.due,
    title: deadlineTitle({ type: d.state, deadlineKind: d.kind, side: row.side, documentCode: row.documentCode, documentSubject: row.documentSubject, counterpart: row.counterpart }),
    details: {
      documentCode: row.documentCode,
      documentId: row.documentId,
      documentSubject: row.documentSubject,
      counterpart: row.counterpart,
      ...(row.outgoingDocumentId ? { outgoingDocumentId: row.outgoingDocumentId } : {}),
      overdueWorkingDays: d.overdueWorkingDays,
      ...(link ? { link } : {}),
    },
    createdAt: now,
  };
}

export interface ScanOptions {
  /** The moment the deadlines are looked at (tests pass a fixed one). */
  now: Date;
  /** Rows per page. */
  pageSize: number;
  /** Wall-clock time a run may take; at least one page of each source is always done. */
  budgetMs: number;
  publicUrl?: string | undefined;
  /** Write e-mail rows (SMTP is configured). */
  mail: boolean;
}

export interface ScanResult {
  /** Open rows looked at. */
  visited: number;
  /** Reminders this run wrote (others may have been written by another worker at the same time). */
  created: number;
  /** Sources whose pass reached the end in this run (the next page starts from the beginning). */
  completedPasses: ReminderSubject[];
  outbox: Outbox;
}

const SOURCES: ReadonlyArray<{ source: ReminderSubject; page: typeof openInboxItems }> = [
  { source: 'inbox_item', page: openInboxItems },
  { source: 'delivery', page: openDeliveries },
];

/**
 * Looks for deadlines that crossed a threshold, a page of each source at a time: open inbox items
 * (the recipient's reminders) and open deliveries (the sender's), by id after a cursor kept in
 * PostgreSQL. A pass goes through every open row whatever its age and starts again after the last,
 * so each is looked at within (open rows ÷ page size) pages; a run stops after its time budget and
 * the next one goes on where it stopped. Each page's reminders and their outbox rows are one
 * transaction; the unique keys make a second worker on the same rows write nothing.
 */
export async function scanDeadlines(em: EntityManager, store: CalendarStore, options: ScanOptions): Promise<ScanResult> {
  const started = Date.now();
  const result: ScanResult = { visited: 0, created: 0, completedPasses: [], outbox: emptyOutbox() };
  const active = new Set(SOURCES.map((s) => s.source));
  while (active.size) {
    for (const { source, page } of SOURCES) {
      if (!active.has(source)) continue;
      const cursor = await scanCursor(em, source);
      const rows = await page(em, { afterId: cursor.afterId, limit: options.pageSize });
      result.visited += rows.length;
      const pressing = (await pressingDeadlines(em, store, rows, options.now)).filter(remindsSide);
      if (pressing.length) {
        const reminders = pressing.map((d) => deadlineReminder(d, options.now, options.publicUrl));
        const written = await em.transactional((tx) => writeReminders(tx, reminders, { mail: options.mail }));
        result.created += written.created.length;
        mergeOutbox(result.outbox, written.outbox);
      }
      const finished = rows.length < options.pageSize;
      const passStartedAt = cursor.afterId === null ? options.now : (cursor.passStartedAt ?? options.now);
      await saveScanCursor(em, source, finished ? null : rows.at(-1)!.id, passStartedAt, options.now);
      if (finished) {
        result.completedPasses.push(source);
        active.delete(source);
      }
    }
    if (Date.now() - started >= options.budgetMs) break;
  }
  return result;
}
