import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deadline, DeadlineInput, DeadlineState } from '../calendar/deadlines.js';
import { deadlinesFor } from '../calendar/calendar.service.js';
import type { CalendarStore } from '../calendar/calendar.store.js';
import type { Delivery, OutgoingDocument } from '../delivery/document.entity.js';
import type { InboxItem } from '../delivery/inbox.entity.js';
import { DeliveryDeadlineSchema, InboxItemDeadlineSchema } from './deadline.entity.js';
import { inboxDeadlineCounts, refreshInboxDeadlines } from './deadlines.repository.js';
import { deliveryDeadlineInput, inboxDeadlineInput } from './tracking.js';

/**
 * Deadlines as the API and the console show them (issue 18), worked out when read on one load of the
 * calendar per list: `deadlines: [{ kind, due, state, overdueWorkingDays }]` on every inbox item and
 * on every delivery of an outgoing document.
 */

/**
 * A deadline as shown: where it stands, and when it was met (the 03 — or the 02 that settles it — for
 * the registration, the 06 for the processing; a recall accepted, 15, settles what was still open);
 * null while it is still to be met.
 */
export type ShownDeadline = Deadline & { metAt: string | null };

function shown(input: DeadlineInput, deadlines: readonly Deadline[]): ShownDeadline[] {
  return deadlines.map((d) => {
    const met = d.kind === 'registration' ? (input.registeredAt ?? input.refusedAt) : input.completedAt;
    return { ...d, metAt: met ? met.toISOString() : null };
  });
}

/** What reads deadlines needs: the process's calendar years, and the clock (tests fix it). */
export interface DeadlineClock {
  calendar: CalendarStore;
  now: () => Date;
}

/** The deadlines of each item, in order: one query for their rows of deadlines, one calendar load. */
export async function inboxItemsDeadlines(em: EntityManager, calendar: CalendarStore, items: readonly InboxItem[], now: Date): Promise<ShownDeadline[][]> {
  if (items.length === 0) return [];
  const marks = new Map(
    (await em.find(InboxItemDeadlineSchema, { itemId: { $in: items.map((i) => i.id) } }, { disableIdentityMap: true })).map((m) => [m.itemId, m]),
  );
  const inputs = items.map((item) => inboxDeadlineInput(item, marks.get(item.id)));
  return (await deadlinesFor(em, calendar, inputs, now)).map((list, i) => shown(inputs[i]!, list));
}

/** The deadlines of each delivery of `doc`, by delivery id; none before its 01. */
export async function deliveriesDeadlines(
  em: EntityManager,
  calendar: CalendarStore,
  doc: Pick<OutgoingDocument, 'priority' | 'dueDate'>,
  deliveries: readonly Delivery[],
  now: Date,
): Promise<Map<string, ShownDeadline[]>> {
  if (deliveries.length === 0) return new Map();
  const marks = await em.find(DeliveryDeadlineSchema, { deliveryId: { $in: deliveries.map((d) => d.id) } }, { disableIdentityMap: true });
  const arrived = marks.flatMap((m) => {
    const input = deliveryDeadlineInput(doc, m);
    return input ? [{ id: m.deliveryId, input }] : [];
  });
  const lists = await deadlinesFor(em, calendar, arrived.map((a) => a.input), now);
  const byId = new Map(arrived.map((a, i) => [a.id, shown(a.input, lists[i] ?? [])]));
  return new Map(deliveries.map((d) => [d.id, byId.get(d.id) ?? []]));
}

/** The worst state among deadlines (overdue, then due soon), or null without any. */
export function worstState(deadlines: readonly Deadline[]): DeadlineState | null {
  if (deadlines.some((d) => d.state === 'overdue')) return 'overdue';
  if (deadlines.some((d) => d.state === 'due_soon')) return 'due_soon';
  return deadlines.length ? 'on_time' : null;
}

/** How many recipients of a document stand where, by their worst deadline (those that have not arrived have none). */
export interface DeadlineCounts {
  overdue: number;
  dueSoon: number;
  onTime: number;
}

/**
 * The recipients of each document by the state of their worst deadline: one query for the page's
 * deliveries, one calendar load (GET /v1/documents, Văn bản đi).
 */
export async function documentsDeadlineCounts(
  em: EntityManager,
  calendar: CalendarStore,
  docs: ReadonlyArray<Pick<OutgoingDocument, 'id' | 'priority' | 'dueDate'>>,
  now: Date,
): Promise<Map<string, DeadlineCounts>> {
  const counts = new Map<string, DeadlineCounts>(docs.map((d) => [d.id, { overdue: 0, dueSoon: 0, onTime: 0 }]));
  if (docs.length === 0) return counts;
  const deliveries = await em.find(DeliveryDeadlineSchema, { documentId: { $in: docs.map((d) => d.id) }, arrivedAt: { $ne: null } }, { disableIdentityMap: true });
  const byId = new Map(docs.map((d) => [d.id, d]));
  const inputs = deliveries.map((d) => deliveryDeadlineInput(byId.get(d.documentId)!, d)!);
  const lists = await deadlinesFor(em, calendar, inputs, now);
  deliveries.forEach((d, i) => {
    const worst = worstState(lists[i] ?? []);
    const c = counts.get(d.documentId)!;
    if (worst === 'overdue') c.overdue += 1;
    else if (worst === 'due_soon') c.dueSoon += 1;
    else if (worst === 'on_time') c.onTime += 1;
  });
  return counts;
}

/**
 * An agency's inbox items with a deadline overdue and not met, and with one due soon: the console's
 * counter. Works out first what is still waiting to be (new items).
 */
export async function inboxCounters(em: EntityManager, calendar: CalendarStore, agencyCode: string, now: Date): Promise<{ overdue: number; dueSoon: number }> {
  await refreshInboxDeadlines(em, calendar, { agencyCodes: [agencyCode] });
  return (await inboxDeadlineCounts(em, now, [agencyCode])).get(agencyCode) ?? { overdue: 0, dueSoon: 0 };
}
