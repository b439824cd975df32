/**
 * Every database access of the reminders (STYLE.md: only repositories touch the ORM). The reads of
 * the delivery workflow's tables (inbox items, deliveries, documents) are plain queries of the
 * columns a deadline needs; raw SQL runs on the transaction's own connection.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import type { DeliveryState } from '../delivery/states.js';
import type { ReminderDetails, ReminderSide, ReminderSubject, ReminderType } from './reminder.entity.js';

function sql<T extends Array<Record<string, unknown>> = Array<Record<string, unknown>>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T> {
  return sqlOn(em)<T>(query, params);
}

/**
 * The states in which a deadline is still running: the registration one while the item waits for its
 * 03 or 02 (`arrived`), the processing one until its 06 — a recall refused (16) leaves the document
 * with the recipient, who goes on. A recall asked (13) pauses both: the sender is taking it back.
 */
export const OPEN_STATES: readonly DeliveryState[] = ['arrived', 'accepted', 'assigned', 'processing', 'recall_refused'];
const OPEN_SQL = OPEN_STATES.map((s) => `'${s}'`).join(', ');
/** Below every uuid: the start of a keyset scan. */
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/** An open document of one side, with what its deadlines and its reminder are made from. */
export interface OpenRow {
  subjectType: ReminderSubject;
  id: string;
  /** Whose reminder it is: the recipient (inbox item) or the sender (delivery). */
  agencyCode: string;
  side: ReminderSide;
  state: DeliveryState;
  arrivedAt: Date;
  priority: number;
  /** YYYY-MM-DD, or null (no processing deadline). */
  dueDate: string | null;
  documentCode: string;
  documentId: string;
  documentSubject: string;
  counterpart: { code: string; name: string | null };
  /** The sender's document (delivery side), for links. */
  outgoingDocumentId: string | null;
}

const edxmlDay = (value: string | null): string | null => {
  const day = value?.trim().replace(/\//g, '-') ?? null;
  return day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : null;
};

/**
 * A page of open inbox items after `afterId` in id order (of one agency, when given). The verified
 * header the item keeps (messageHeader) gives the priority, the hạn xử lý and the số/ký hiệu.
 */
export async function openInboxItems(em: EntityManager, page: { afterId: string | null; limit: number; agencyCode?: string }): Promise<OpenRow[]> {
  const rows = await sql<
    Array<{
      id: string;
      agency_code: string;
      state: DeliveryState;
      received_at: Date;
      document_id: string;
      subject: string;
      sender_code: string;
      sender_name: string;
      code_number: string | null;
      code_notation: string | null;
      priority: string | null;
      due_date: string | null;
    }>
  >(
    em,
    `select i.id, i.agency_code, i.state, i.received_at, i.document_id, i.subject, i.sender_code, i.sender_name,
            i.metadata #>> '{messageHeader,code,codeNumber}' as code_number,
            i.metadata #>> '{messageHeader,code,codeNotation}' as code_notation,
            i.metadata #>> '{messageHeader,otherInfo,priority}' as priority,
            i.metadata #>> '{messageHeader,dueDate}' as due_date
       from inbox_item i
      where i.state in (${OPEN_SQL}) and i.withdrawn_at is null and i.id > ? ${page.agencyCode ? 'and i.agency_code = ?' : ''}
      order by i.id limit ?`,
    page.agencyCode ? [page.afterId ?? FIRST_ID, page.agencyCode, page.limit] : [page.afterId ?? FIRST_ID, page.limit],
  );
  return rows.map((r) => ({
    subjectType: 'inbox_item',
    id: r.id,
    agencyCode: r.agency_code,
    side: 'recipient',
    state: r.state,
    arrivedAt: new Date(r.received_at),
    priority: Number(r.priority) || 0,
    dueDate: edxmlDay(r.due_date),
    documentCode: [r.code_number, r.code_notation].filter(Boolean).join('/'),
    documentId: r.document_id,
    documentSubject: r.subject,
    counterpart: { code: r.sender_code, name: r.sender_name },
    outgoingDocumentId: null,
  }));
}

/**
 * A page of open deliveries after `afterId` in id order (of one sending agency, when given). A
 * delivery in `arrived` has its 01's time as statusAt: when the recipient's registration clock started.
 */
export async function openDeliveries(em: EntityManager, page: { afterId: string | null; limit: number; agencyCode?: string }): Promise<OpenRow[]> {
  const rows = await sql<
    Array<{
      id: string;
      agency_code: string;
      state: DeliveryState;
      arrived_at: Date;
      recipient_code: string;
      recipient_name: string | null;
      outgoing_id: string;
      document_id: string;
      subject: string;
      number_text: string;
      notation: string;
      priority: number;
      due_date: string | null;
    }>
  >(
    em,
    `select d.id, o.agency_code, d.state, coalesce(d.status_at, d.created_at) as arrived_at, d.recipient_code, a.name as recipient_name,
            o.id as outgoing_id, o.document_id, o.subject, o.number_text, o.notation, o.priority, to_char(o.due_date, 'YYYY-MM-DD') as due_date
       from delivery d
       join outgoing_document o on o.id = d.document_id
       left join agency a on a.code = d.recipient_code
      where d.state in (${OPEN_SQL}) and d.id > ? ${page.agencyCode ? 'and o.agency_code = ?' : ''}
      order by d.id limit ?`,
    page.agencyCode ? [page.afterId ?? FIRST_ID, page.agencyCode, page.limit] : [page.afterId ?? FIRST_ID, page.limit],
  );
  return rows.map((r) => ({
    subjectType: 'delivery',
    id: r.id,
    agencyCode: r.agency_code,
    side: 'sender',
    state: r.state,
    arrivedAt: new Date(r.arrived_at),
    priority: Number(r.priority) || 0,
    dueDate: r.due_date,
    documentCode: `${r.number_text}/${r.notation}`,
    documentId: r.document_id,
    documentSubject: r.subject,
    counterpart: { code: r.recipient_code, name: r.recipient_name },
    outgoingDocumentId: r.outgoing_id,
  }));
}

/** Where the scan of `source` stands (null: at the beginning, a new pass). */
export async function scanCursor(em: EntityManager, source: ReminderSubject): Promise<{ afterId: string | null; passStartedAt: Date | null }> {
  const [row] = await sql<Array<{ after_id: string | null; pass_started_at: Date }>>(em, `select after_id, pass_started_at from reminder_scan where source = ?`, [source]);
  return { afterId: row?.after_id ?? null, passStartedAt: row ? new Date(row.pass_started_at) : null };
}

export async function saveScanCursor(em: EntityManager, source: ReminderSubject, afterId: string | null, passStartedAt: Date, at: Date): Promise<void> {
  await sql(
    em,
    `insert into reminder_scan (source, after_id, pass_started_at, updated_at) values (?, ?, ?, ?)
     on conflict (source) do update set after_id = excluded.after_id, pass_started_at = excluded.pass_started_at, updated_at = excluded.updated_at`,
    [source, afterId, passStartedAt, at],
  );
}

/** A reminder to write. */
export interface ReminderRow {
  id: string;
  agencyCode: string;
  type: ReminderType;
  deadlineKind: string | null;
  side: ReminderSide | null;
  subjectType: ReminderSubject | null;
  subjectId: string | null;
  digestDay: string | null;
  due: Date | null;
  title: string;
  details: ReminderDetails;
  createdAt: Date;
}

/**
 * Inserts reminders ON CONFLICT DO NOTHING and returns those this call inserted: a reminder another
 * worker already wrote (or is writing: its insert holds the key until it commits) is not returned,
 * so only one transaction ever writes its outbox rows.
 */
export async function insertReminders(em: EntityManager, rows: readonly ReminderRow[]): Promise<string[]> {
  if (!rows.length) return [];
  const inserted = await sql<Array<{ id: string }>>(
    em,
    `insert into reminder (id, agency_code, type, deadline_kind, side, subject_type, subject_id, digest_day, due, title, details, created_at)
     select x.id, x.agency_code, x.type::reminder_type, x.deadline_kind, x.side::reminder_side, x.subject_type::reminder_subject, x.subject_id,
            x.digest_day, x.due, x.title, x.details, x.created_at
       from jsonb_to_recordset(?::jsonb) as x(id uuid, agency_code text, type text, deadline_kind text, side text, subject_type text, subject_id uuid,
                                             digest_day date, due timestamptz, title text, details jsonb, created_at timestamptz)
      where not exists (select 1 from reminder r where r.deadline_kind = x.deadline_kind and r.subject_id = x.subject_id and r.type = x.type::reminder_type and r.agency_code = x.agency_code)
     on conflict do nothing
     returning id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          agency_code: r.agencyCode,
          type: r.type,
          deadline_kind: r.deadlineKind,
          side: r.side,
          subject_type: r.subjectType,
          subject_id: r.subjectId,
          digest_day: r.digestDay,
          due: r.due?.toISOString() ?? null,
          title: r.title,
          details: r.details,
          created_at: r.createdAt.toISOString(),
        })),
      ),
    ],
  );
  return inserted.map((r) => r.id);
}

/** The e-mail addresses of the active clerks of these agencies, by agency. */
export async function clerkAddresses(em: EntityManager, agencyCodes: readonly string[]): Promise<Map<string, string[]>> {
  const byAgency = new Map<string, string[]>();
  if (!agencyCodes.length) return byAgency;
  const rows = await sql<Array<{ agency_code: string; email: string }>>(
    em,
    `select agency_code, email from app_user
      where active and email is not null and 'clerk' = any(roles) and agency_code in (select jsonb_array_elements_text(?::jsonb))
      order by agency_code, email`,
    [JSON.stringify([...new Set(agencyCodes)])],
  );
  for (const r of rows) byAgency.set(r.agency_code, [...(byAgency.get(r.agency_code) ?? []), r.email]);
  return byAgency;
}

export async function insertMails(em: EntityManager, rows: ReadonlyArray<{ id: string; reminderId: string; recipients: string[]; createdAt: Date }>): Promise<string[]> {
  if (!rows.length) return [];
  const inserted = await sql<Array<{ id: string }>>(
    em,
    `insert into reminder_mail (id, reminder_id, recipients, state, attempts, created_at)
     select x.id, x.reminder_id, array(select jsonb_array_elements_text(x.recipients)), 'pending', 0, x.created_at
       from jsonb_to_recordset(?::jsonb) as x(id uuid, reminder_id uuid, recipients jsonb, created_at timestamptz)
     on conflict do nothing
     returning id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, reminder_id: r.reminderId, recipients: r.recipients, created_at: r.createdAt.toISOString() })))],
  );
  return inserted.map((r) => r.id);
}

/** What the `mail` job sends: the outbox row, its reminder and the agency's name. */
export interface MailToSend {
  id: string;
  state: 'pending' | 'sent' | 'failed';
  recipients: string[];
  reminder: {
    id: string;
    type: ReminderType;
    deadlineKind: string | null;
    side: ReminderSide | null;
    due: Date | null;
    digestDay: string | null;
    title: string;
    details: ReminderDetails;
  };
  agencyName: string;
}

export async function mailToSend(em: EntityManager, id: string): Promise<MailToSend | null> {
  const [row] = await sql<
    Array<{
      id: string;
      state: MailToSend['state'];
      recipients: string[];
      reminder_id: string;
      type: ReminderType;
      deadline_kind: string | null;
      side: ReminderSide | null;
      due: Date | null;
      digest_day: string | null;
      title: string;
      details: ReminderDetails;
      agency_name: string;
    }>
  >(
    em,
    `select m.id, m.state, m.recipients, r.id as reminder_id, r.type, r.deadline_kind, r.side, r.due, to_char(r.digest_day, 'YYYY-MM-DD') as digest_day,
            r.title, r.details, a.name as agency_name
       from reminder_mail m join reminder r on r.id = m.reminder_id join agency a on a.code = r.agency_code
      where m.id = ?`,
    [id],
  );
  if (!row) return null;
  return {
    id: row.id,
    state: row.state,
    recipients: row.recipients,
    reminder: {
      id: row.reminder_id,
      type: row.type,
      deadlineKind: row.deadline_kind,
      side: row.side,
      due: row.due ? new Date(row.due) : null,
      digestDay: row.digest_day,
      title: row.title,
      details: row.details,
    },
    agencyName: row.agency_name,
  };
}

/** Counts an attempt of a pending e-mail; its number, or null when it is no longer pending. */
export async function beginMailAttempt(em: EntityManager, id: string): Promise<number | null> {
  const [row] = await sql<Array<{ attempts: number }>>(em, `update reminder_mail set attempts = attempts + 1 where id = ? and state = 'pending' returning attempts`, [id]);
  return row ? row.attempts : null;
}

export async function settleMail(em: EntityManager, id: string, outcome: { state: 'pending' | 'sent' | 'failed'; error: string | null; messageId?: string; at: Date }): Promise<void> {
  await sql(
    em,
    `update reminder_mail set state = ?, last_error = ?, message_id = coalesce(?, message_id), sent_at = case when ? = 'sent' then ?::timestamptz else sent_at end
      where id = ? and state = 'pending'`,
    [outcome.state, outcome.error, outcome.messageId ?? null, outcome.state, outcome.at, id],
  );
}

/** Pending e-mails made before `before`, oldest first (the sweep enqueues them again after a lost enqueue). */
export async function pendingMails(em: EntityManager, before: Date, limit: number): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>(em, `select id from reminder_mail where state = 'pending' and created_at < ? order by created_at limit ?`, [before, limit]);
  return rows.map((r) => r.id);
}

/** Local, open agencies without a digest for `day`, by code after `afterCode`. */
export async function agenciesWithoutDigest(em: EntityManager, day: string, now: Date, afterCode: string | null, limit: number): Promise<Array<{ code: string; name: string }>> {
  return sql<Array<{ code: string; name: string }>>(
    em,
    `select a.code, a.name from agency a
      where a.endpoint_type = 'local' and a.active and (a.closed_at is null or a.closed_at > ?)
        and a.code > ? and not exists (select 1 from reminder_digest g where g.agency_code = a.code and g.day = ?)
      order by a.code limit ?`,
    [now, afterCode ?? '', day, limit],
  );
}

/** Claims an agency's digest of a day; false when another worker made it first. */
export async function claimDigest(em: EntityManager, row: { agencyCode: string; day: string; dueSoon: number; overdue: number; reminderId: string | null; at: Date }): Promise<boolean> {
  const inserted = await sql<Array<{ agency_code: string }>>(
    em,
    `insert into reminder_digest (agency_code, day, due_soon, overdue, reminder_id, created_at) values (?, ?, ?, ?, ?, ?) on conflict do nothing returning agency_code`,
    [row.agencyCode, row.day, row.dueSoon, row.overdue, row.reminderId, row.at],
  );
  return inserted.length > 0;
}

/** A reminder as the API shows it. */
export interface ReminderListRow {
  id: string;
  agencyCode: string;
  type: ReminderType;
  deadlineKind: string | null;
  side: ReminderSide | null;
  subjectType: ReminderSubject | null;
  subjectId: string | null;
  digestDay: string | null;
  due: Date | null;
  title: string;
  details: ReminderDetails;
  readAt: Date | null;
  readBy: string | null;
  createdAt: Date;
}

type ReminderSqlRow = {
  id: string;
  agency_code: string;
  type: ReminderType;
  deadline_kind: string | null;
  side: ReminderSide | null;
  subject_type: ReminderSubject | null;
  subject_id: string | null;
  digest_day: string | null;
  due: Date | null;
  title: string;
  details: ReminderDetails;
  read_at: Date | null;
  read_by: string | null;
  created_at: Date;
};

const REMINDER_COLUMNS = `id, agency_code, type, deadline_kind, side, subject_type, subject_id, to_char(digest_day, 'YYYY-MM-DD') as digest_day, due, title, details, read_at, read_by, created_at`;

const listRow = (r: ReminderSqlRow): ReminderListRow => ({
  id: r.id,
  agencyCode: r.agency_code,
  type: r.type,
  deadlineKind: r.deadline_kind,
  side: r.side,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  digestDay: r.digest_day,
  due: r.due ? new Date(r.due) : null,
  title: r.title,
  details: r.details,
  readAt: r.read_at ? new Date(r.read_at) : null,
  readBy: r.read_by,
  createdAt: new Date(r.created_at),
});

/** An agency's reminders, newest first, keyset on (created_at, id); unread ones only with `unread`. */
export async function listReminders(
  em: EntityManager,
  filter: { agencyCode: string; unread?: boolean; type?: ReminderType; before?: { at: Date; id: string }; limit: number },
): Promise<ReminderListRow[]> {
  const where = ['agency_code = ?'];
  const params: unknown[] = [filter.agencyCode];
  if (filter.unread) where.push('read_at is null');
  if (filter.type) {
    where.push('type = ?');
    params.push(filter.type);
  }
  if (filter.before) {
    where.push('(created_at, id) < (?, ?)');
    params.push(filter.before.at, filter.before.id);
  }
  const rows = await sql<ReminderSqlRow[]>(em, `select ${REMINDER_COLUMNS} from reminder where ${where.join(' and ')} order by created_at desc, id desc limit ?`, [...params, filter.limit]);
  return rows.map(listRow);
}

export async function findReminder(em: EntityManager, id: string): Promise<ReminderListRow | null> {
  const [row] = await sql<ReminderSqlRow[]>(em, `select ${REMINDER_COLUMNS} from reminder where id = ?`, [id]);
  return row ? listRow(row) : null;
}

/** Marks a reminder read (the first reader and time stay). */
export async function markRead(em: EntityManager, id: string, by: string, at: Date): Promise<void> {
  await sql(em, `update reminder set read_at = ?, read_by = ? where id = ? and read_at is null`, [at, by, id]);
}

/** Unread reminders of an agency (the console's counter). */
export async function countUnreadReminders(em: EntityManager, agencyCode: string): Promise<number> {
  const [row] = await sql<Array<{ n: string }>>(em, `select count(*) as n from reminder where agency_code = ? and read_at is null`, [agencyCode]);
  return Number(row?.n ?? 0);
}
