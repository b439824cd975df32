import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';

/** due_soon: before a deadline; overdue: once it passed; digest: the daily list (issue 18). */
export const REMINDER_TYPES = ['due_soon', 'overdue', 'digest'] as const;
export type ReminderType = (typeof REMINDER_TYPES)[number];

/** Whose reminder: the agency that received the document (its inbox item), or the one that sent it (its delivery). */
export const REMINDER_SIDES = ['recipient', 'sender'] as const;
export type ReminderSide = (typeof REMINDER_SIDES)[number];

/** What a deadline reminder is about: an inbox item (the recipient's side) or a delivery (the sender's). */
export const REMINDER_SUBJECTS = ['inbox_item', 'delivery'] as const;
export type ReminderSubject = (typeof REMINDER_SUBJECTS)[number];

/** What a reminder says, kept with it: the console shows it and the e-mail and webhook are made from it. */
export interface ReminderDetails {
  /** Số/ký hiệu, e.g. `12/CT-UBND`. */
  documentCode?: string;
  /** edXML DocumentId. */
  documentId?: string;
  /** Trích yếu. */
  documentSubject?: string;
  /** The other side: the sender (recipient's reminder) or the recipient (sender's). */
  counterpart?: { code: string; name: string | null };
  /** The outgoing document (sender's side), for links. */
  outgoingDocumentId?: string;
  overdueWorkingDays?: number;
  /** Digest: each deadline listed, and the totals. */
  entries?: DigestEntry[];
  counts?: { dueSoon: number; overdue: number };
  /** Entries beyond those listed (a digest lists at most DIGEST_MAX_ENTRIES). */
  more?: number;
  /** Where to see it in the console, when LIENTHONG_PUBLIC_URL is set. */
  link?: string;
}

export interface DigestEntry {
  side: ReminderSide;
  subjectType: ReminderSubject;
  subjectId: string;
  deadlineKind: 'registration' | 'processing';
  state: 'due_soon' | 'overdue';
  due: string;
  overdueWorkingDays: number;
  documentCode: string;
  documentSubject: string;
  counterpart: { code: string; name: string | null };
}

/**
 * A reminder for an agency's clerks (the console's list; e-mails and webhooks are its outbox rows).
 * Each deadline reminds each agency once per threshold, however many workers scan at once: the
 * unique (deadline kind, item or delivery, threshold, agency) key is inserted ON CONFLICT DO NOTHING
 * in the transaction that writes the outbox rows. A digest is once per agency and day.
 */
export const ReminderSchema = defineEntity({
  name: 'Reminder',
  tableName: 'reminder',
  uniques: [
    { name: 'reminder_deadline_unique', properties: ['deadlineKind', 'subjectId', 'type', 'agencyCode'] },
    { name: 'reminder_digest_unique', properties: ['agencyCode', 'digestDay'] },
  ],
  indexes: [{ name: 'reminder_list_index', properties: ['agencyCode', 'createdAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code'),
    type: p.enum(REMINDER_TYPES as unknown as ReminderType[]).nativeEnumName('reminder_type'),
    /** Null for a digest. */
    deadlineKind: p.string().length(20).nullable(),
    side: p.enum(REMINDER_SIDES as unknown as ReminderSide[]).nativeEnumName('reminder_side').nullable(),
    subjectType: p.enum(REMINDER_SUBJECTS as unknown as ReminderSubject[]).nativeEnumName('reminder_subject').nullable(),
    subjectId: p.uuid().nullable(),
    /** A digest's day (Vietnam), YYYY-MM-DD. */
    digestDay: p.date().nullable(),
    due: p.datetime().nullable(),
    /** The Vietnamese headline (the e-mail subject without its `[lienthong]` prefix). */
    title: p.string().length(1000),
    details: p.json<ReminderDetails>(),
    readAt: p.datetime().nullable(),
    readBy: p.string().length(100).nullable(),
    createdAt: p.datetime(),
  },
});
export type Reminder = InferEntity<typeof ReminderSchema>;

/**
 * The digest of an agency on a day has been made (once per agency and date, whatever the number of
 * workers), with its totals; `reminderId` is null when there was nothing due or overdue to list.
 */
export const ReminderDigestSchema = defineEntity({
  name: 'ReminderDigest',
  tableName: 'reminder_digest',
  properties: {
    agencyCode: p.string().length(13).primary(),
    day: p.date().primary(),
    dueSoon: p.integer(),
    overdue: p.integer(),
    reminderId: p.uuid().nullable(),
    createdAt: p.datetime(),
  },
});
export type ReminderDigest = InferEntity<typeof ReminderDigestSchema>;

export const REMINDER_MAIL_STATES = ['pending', 'sent', 'failed'] as const;
export type ReminderMailState = (typeof REMINDER_MAIL_STATES)[number];

/**
 * The e-mail of a reminder (an outbox row), to the addresses of the agency's clerks at the time the
 * reminder was made; sent by the `mail` job.
 */
export const ReminderMailSchema = defineEntity({
  name: 'ReminderMail',
  tableName: 'reminder_mail',
  indexes: [{ name: 'reminder_mail_pending_index', expression: `create index "reminder_mail_pending_index" on "reminder_mail" ("created_at") where "state" = 'pending'` }],
  properties: {
    id: p.uuid().primary(),
    reminderId: p.uuid().unique(),
    recipients: p.array().columnType('text[]'),
    state: p.enum(REMINDER_MAIL_STATES as unknown as ReminderMailState[]).nativeEnumName('reminder_mail_state'),
    attempts: p.integer().default(0),
    lastError: p.string().length(500).nullable(),
    messageId: p.string().length(300).nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
export type ReminderMail = InferEntity<typeof ReminderMailSchema>;

/**
 * Where the deadline scan of a table stands: it goes through the open rows by id, a page at a time,
 * and starts again from the beginning after the last one, so every open item is looked at within
 * (open items ÷ page size) pages, whatever their age.
 */
export const ReminderScanSchema = defineEntity({
  name: 'ReminderScan',
  tableName: 'reminder_scan',
  properties: {
    source: p.string().length(20).primary(),
    /** The last id looked at; null: the next page starts from the beginning. */
    afterId: p.uuid().nullable(),
    /** When the pass now under way started. */
    passStartedAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type ReminderScan = InferEntity<typeof ReminderScanSchema>;
