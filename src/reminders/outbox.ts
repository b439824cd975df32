import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookEvent } from '../webhooks/webhook.entity.js';
import { queueWebhookEvents } from '../webhooks/webhooks.service.js';
import { clerkAddresses, insertMails, insertReminders, type ReminderRow } from './reminders.repository.js';

/** The sends to enqueue once the transaction that wrote them commits. */
export interface Outbox {
  mails: string[];
  webhookDeliveries: string[];
}

export const emptyOutbox = (): Outbox => ({ mails: [], webhookDeliveries: [] });

export function mergeOutbox(into: Outbox, more: Outbox): Outbox {
  into.mails.push(...more.mails);
  into.webhookDeliveries.push(...more.webhookDeliveries);
  return into;
}

export interface WriteOptions {
  /** Write e-mail rows (SMTP is configured). */
  mail: boolean;
}

/**
 * Writes reminders and, for those this transaction inserted (not those another worker already
 * wrote), their outbox rows: one e-mail to the agency's clerks that have an address, one delivery per
 * live webhook of the agency. Runs in the caller's transaction: the unique key and the outbox rows
 * commit together or not at all.
 */
export async function writeReminders(tx: EntityManager, rows: readonly ReminderRow[], options: WriteOptions): Promise<{ created: ReminderRow[]; outbox: Outbox }> {
  // One order of keys for every writer: two transactions inserting the same keys wait for each other, never deadlock.
  const ordered = [...rows].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const inserted = new Set(await insertReminders(tx, ordered));
  const created = ordered.filter((r) => inserted.has(r.id));
  const outbox = emptyOutbox();
  if (!created.length) return { created, outbox };
  if (options.mail) {
    const addresses = await clerkAddresses(tx, created.map((r) => r.agencyCode));
    const mails = created.flatMap((r) => {
      const to = addresses.get(r.agencyCode);
      return to?.length ? [{ id: randomUUID(), reminderId: r.id, recipients: to, createdAt: r.createdAt }] : [];
    });
    outbox.mails.push(...(await insertMails(tx, mails)));
  }
  outbox.webhookDeliveries.push(
    ...(await queueWebhookEvents(
      tx,
      created.map((r) => ({ id: r.id, type: `reminder.${r.type}` as WebhookEvent, agencyCode: r.agencyCode, createdAt: r.createdAt, data: reminderEventData(r) })),
    )),
  );
  return { created, outbox };
}

const keyOf = (r: ReminderRow): string => `${r.subjectId ?? ''}|${r.deadlineKind ?? ''}|${r.type}|${r.agencyCode}|${r.digestDay ?? ''}`;

/** The `data` of a reminder's webhook event: what the console shows, machine-readable. */
export function reminderEventData(r: ReminderRow): Record<string, unknown> {
  return {
    reminderId: r.id,
    type: r.type,
    title: r.title,
    ...(r.deadlineKind ? { deadline: { kind: r.deadlineKind, due: r.due?.toISOString() ?? null } } : {}),
    ...(r.side ? { side: r.side } : {}),
    ...(r.subjectType ? { subject: { type: r.subjectType, id: r.subjectId } } : {}),
    ...(r.digestDay ? { day: r.digestDay } : {}),
    details: r.details,
  };
}
