import type { EntityManager } from '@mikro-orm/postgresql';

/** The year of an instant in Vietnam time (UTC+7, no DST): registers restart on 1 January there. */
export function vietnamYear(at: Date): number {
  return new Date(at.getTime() + 7 * 3_600_000).getUTCFullYear();
}

/** Today's date in Vietnam time as YYYY-MM-DD. */
export function vietnamToday(at = new Date()): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * The next number of an agency's register for a year: 'out' (số đi) or 'in' (số đến). The upsert
 * takes the counter row's lock until the caller's transaction ends, so concurrent requests from any
 * number of processes get 1, 2, 3… and a rolled-back request gives its number back: no gap, no
 * duplicate (NĐ 30/2020 Điều 15, 22). Must run inside the transaction that uses the number.
 */
export async function nextRegisterNumber(em: EntityManager, agencyCode: string, year: number, kind: 'out' | 'in'): Promise<number> {
  const rows = await em.getConnection().execute<Array<{ last: number }>>(
    `insert into register_counter (agency_code, year, kind, last) values (?, ?, ?, 1)
     on conflict (agency_code, year, kind) do update set last = register_counter.last + 1
     returning last`,
    [agencyCode, year, kind],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  if (!row) throw new Error('the register did not return a number');
  return Number(row.last);
}

/**
 * The number a pre-signed package carries (edXML Code/CodeNumber, written by the agency's own
 * software: "04", "15"), or null when it is not a positive integer a register can hold (no digits,
 * zero, a sign or a suffix, beyond the column's range).
 */
export function givenRegisterNumber(codeNumber: string): number | null {
  if (!/^[0-9]{1,20}$/.test(codeNumber)) return null;
  const n = Number(codeNumber);
  return n >= 1 && n <= 2_147_483_647 ? n : null;
}

/** The outgoing document that holds a number of a register. */
export interface NumberHolder {
  id: string;
  documentId: string;
}

/**
 * Records a number the agency's own software gave (a pre-signed package) in the agency's outgoing
 * register of `year`: the counter moves up to it when behind (never down), so the next composed
 * document gets a higher one (DESIGN.md §4). Returns the document that already holds the number, if
 * any; the caller refuses then, and its rollback gives the counter back. The upsert takes the
 * counter row's lock as registerOutgoing does, held to COMMIT: a composed send that took a number
 * has committed before the check reads, and none can take this number after it. The check is a
 * statement of its own because under READ COMMITTED only a new statement sees what the transaction
 * we waited for committed. Must run inside the transaction that writes the document.
 */
export async function claimGivenNumber(em: EntityManager, agencyCode: string, year: number, number: number): Promise<NumberHolder | null> {
  const connection = em.getConnection();
  await connection.execute(
    `insert into register_counter (agency_code, year, kind, last) values (?, ?, 'out', ?)
     on conflict (agency_code, year, kind) do update set last = greatest(register_counter.last, excluded.last)`,
    [agencyCode, year, number],
    'run',
    em.getTransactionContext(),
  );
  const rows = await connection.execute<Array<{ id: string; document_id: string }>>(
    `select id, document_id from outgoing_document where agency_code = ? and year = ? and number = ? limit 1`,
    [agencyCode, year, number],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  return row ? { id: row.id, documentId: row.document_id } : null;
}

/** What registerOutgoing writes besides the number: the timeline event and the audit record. */
export interface OutgoingRegistration {
  /** The document row, written in this transaction with a provisional number. */
  id: string;
  agencyCode: string;
  year: number;
  /** DocumentId before and after the number: `<agency>,<yyyy/mm/dd>,` and `/<notation>`. */
  documentIdPrefix: string;
  documentIdSuffix: string;
  recipients: string[];
  actor: { kind: string; id: string; agencyCode: string | null };
  requestId: string | null;
  at: Date;
}

/**
 * Numbers an outgoing document as the last statement before COMMIT: the next number of the
 * agency's outgoing register (nextRegisterNumber's counter row and rules), the document's number,
 * number text (số, with a leading zero below 10, NĐ 30/2020 Phụ lục I: 1 → "01", 15 → "15") and DocumentId, its `document.created` timeline
 * event and its audit record — one statement. The counter row's lock is held from this statement to
 * COMMIT, and every other send of the agency waits for it: one round trip instead of one per
 * statement keeps an agency's sends from queueing behind each other.
 */
export async function registerOutgoing(em: EntityManager, r: OutgoingRegistration): Promise<{ number: number; numberText: string; documentId: string }> {
  const rows = await em.getConnection().execute<Array<{ number: number; number_text: string; document_id: string }>>(
    `with n as (
       insert into register_counter (agency_code, year, kind, last) values (?, ?, 'out', 1)
       on conflict (agency_code, year, kind) do update set last = register_counter.last + 1
       returning last
     ), f as (
       select last as number, case when last < 10 then '0' || last::text else last::text end as number_text from n
     ), d as (
       update outgoing_document o set number = f.number, number_text = f.number_text, document_id = ? || f.number_text || ?
       from f where o.id = ?
       returning o.id, o.number, o.number_text, o.document_id
     ), e as (
       insert into document_event (document_id, type, state, details, at)
       select d.id, 'document.created', 'queued', jsonb_build_object('number', d.number, 'recipients', ?::int), ? from d
     ), a as (
       insert into audit_event (at, actor_type, actor_id, agency_code, action, subject_type, subject_id, details, request_id)
       select ?, ?, ?, ?, 'document.created', 'document', d.id::text, jsonb_build_object('documentId', d.document_id, 'recipients', ?::jsonb), ? from d
     )
     select number, number_text, document_id from d`,
    [
      r.agencyCode,
      r.year,
      r.documentIdPrefix,
      r.documentIdSuffix,
      r.id,
      r.recipients.length,
      r.at,
      r.at,
      r.actor.kind,
      r.actor.id,
      r.actor.agencyCode,
      JSON.stringify(r.recipients),
      r.requestId,
    ],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  if (!row) throw new Error(`document ${r.id} was not written before it was numbered`);
  return { number: Number(row.number), numberText: row.number_text, documentId: row.document_id };
}
