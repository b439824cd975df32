import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';

/** Raw reads of the statistics (issue 18), on the caller's connection and transaction. */

const run = <T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> =>
  sqlOn(em)<T[]>(sql, params);

const list = (codes: readonly string[]): string => JSON.stringify(codes);

export interface AgencyRow {
  code: string;
  name: string;
  parentCode: string | null;
  level: string;
}

const agencyOf = (r: { code: string; name: string; parent_code: string | null; level: string }): AgencyRow => ({ code: r.code, name: r.name, parentCode: r.parent_code, level: r.level });

/** One agency of the directory, or null. */
export async function findAgencyRow(em: EntityManager, code: string): Promise<AgencyRow | null> {
  const rows = await run<{ code: string; name: string; parent_code: string | null; level: string }>(em, `select code, name, parent_code, level::text as level from agency where code = ?`, [code]);
  return rows[0] ? agencyOf(rows[0]) : null;
}

/** The agencies this node holds inboxes for (local), that are `parent`'s direct children, by name. */
export async function localChildren(em: EntityManager, parent: string): Promise<AgencyRow[]> {
  const rows = await run<{ code: string; name: string; parent_code: string | null; level: string }>(
    em,
    `select code, name, parent_code, level::text as level from agency where parent_code = ? and endpoint_type = 'local' order by name, code`,
    [parent],
  );
  return rows.map(agencyOf);
}

/** Every agency this node holds inboxes for, by name. */
export async function allLocalAgencies(em: EntityManager): Promise<AgencyRow[]> {
  const rows = await run<{ code: string; name: string; parent_code: string | null; level: string }>(
    em,
    `select code, name, parent_code, level::text as level from agency where endpoint_type = 'local' order by name, code`,
    [],
  );
  return rows.map(agencyOf);
}

/** Whether `code` is `ancestor` or below it in the directory (parent_code links, however deep). */
export async function isWithin(em: EntityManager, code: string, ancestor: string): Promise<boolean> {
  const rows = await run<{ found: boolean }>(
    em,
    `with recursive up(code, parent_code, depth) as (
       select code, parent_code, 0 from agency where code = ?
       union all
       select a.code, a.parent_code, up.depth + 1 from agency a join up on a.code = up.parent_code where up.depth < 20
     )
     select exists (select 1 from up where code = ?) as found`,
    [code, ancestor],
  );
  return rows[0]?.found === true;
}

/** Outgoing documents registered in [from, to), per agency. */
export async function sentCounts(em: EntityManager, codes: readonly string[], from: Date, to: Date): Promise<Map<string, number>> {
  const rows = await run<{ agency_code: string; n: string }>(
    em,
    `select agency_code, count(*) as n from outgoing_document
      where agency_code in (select jsonb_array_elements_text(?::jsonb)) and created_at >= ? and created_at < ?
      group by agency_code`,
    [list(codes), from, to],
  );
  return new Map(rows.map((r) => [r.agency_code, Number(r.n)]));
}

/** An item received in the month, with what its deadlines are worked out from. */
export interface ReceivedRow {
  id: string;
  agencyCode: string;
  documentId: string;
  subject: string;
  senderCode: string;
  senderName: string;
  receivedAt: Date;
  metadata: Record<string, unknown>;
  registeredAt: Date | null;
  refusedAt: Date | null;
  completedAt: Date | null;
  withdrawnAt: Date | null;
}

/** The inbox items received in [from, to) by these agencies. */
export async function receivedItems(em: EntityManager, codes: readonly string[], from: Date, to: Date): Promise<ReceivedRow[]> {
  const rows = await run<{
    id: string;
    agency_code: string;
    document_id: string;
    subject: string;
    sender_code: string;
    sender_name: string;
    received_at: Date;
    header: Record<string, unknown> | null;
    registered_at: Date | null;
    refused_at: Date | null;
    completed_at: Date | null;
    withdrawn_at: Date | null;
  }>(
    em,
    `select i.id, i.agency_code, i.document_id, i.subject, i.sender_code, i.sender_name, i.received_at,
            jsonb_build_object('dueDate', i.metadata #> '{messageHeader,dueDate}', 'otherInfo', jsonb_build_object('priority', i.metadata #> '{messageHeader,otherInfo,priority}')) as header,
            d.registered_at, d.refused_at, d.completed_at, d.withdrawn_at
       from inbox_item i left join inbox_item_deadline d on d.item_id = i.id
      where i.agency_code in (select jsonb_array_elements_text(?::jsonb)) and i.received_at >= ? and i.received_at < ?
      order by i.received_at, i.id`,
    [list(codes), from, to],
  );
  const date = (d: Date | string | null) => (d === null ? null : new Date(d));
  return rows.map((r) => ({
    id: r.id,
    agencyCode: r.agency_code,
    documentId: r.document_id,
    subject: r.subject,
    senderCode: r.sender_code,
    senderName: r.sender_name,
    receivedAt: new Date(r.received_at),
    metadata: { messageHeader: r.header ?? {} },
    registeredAt: date(r.registered_at),
    refusedAt: date(r.refused_at),
    completedAt: date(r.completed_at),
    withdrawnAt: date(r.withdrawn_at),
  }));
}

/** Open overdue inbox items per agency and deadline kind, and those due soon (from the stored deadlines). */
export async function openDeadlinesByAgency(
  em: EntityManager,
  now: Date,
): Promise<Array<{ agencyCode: string; registrationOverdue: number; processingOverdue: number; dueSoon: number }>> {
  const regOpen = `registered_at is null and refused_at is null and withdrawn_at is null`;
  const procOpen = `processing_due is not null and completed_at is null and refused_at is null and withdrawn_at is null`;
  const rows = await run<{ agency_code: string; reg: string; proc: string; soon: string }>(
    em,
    `select agency_code,
            count(*) filter (where ${regOpen} and registration_due < ?) as reg,
            count(*) filter (where ${procOpen} and processing_due < ?) as proc,
            count(*) filter (where (${regOpen} and registration_warn_at <= ? and registration_due >= ?) or (${procOpen} and processing_warn_at <= ? and processing_due >= ?)) as soon
       from inbox_item_deadline
      where (${regOpen}) or (${procOpen})
      group by agency_code`,
    [now, now, now, now, now, now],
  );
  return rows.map((r) => ({ agencyCode: r.agency_code, registrationOverdue: Number(r.reg), processingOverdue: Number(r.proc), dueSoon: Number(r.soon) }));
}
