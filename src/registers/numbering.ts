import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import { DEFAULT_SERIES, type RegisterKind } from './register.entity.js';

/**
 * Numbers of the registers (NĐ 30/2020 Điều 15, 22): per agency, kind, series and year, from 01 on
 * 1 January (Vietnam time), gap-free and unique under concurrent requests from any number of
 * processes. Every function runs inside the transaction that uses the number, on its connection.
 */

/** Số as written on a document: a leading zero below 10 (NĐ 30/2020 Phụ lục I: 1 → "01", 15 → "15"). */
export const numberText = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * The next number of a register. The upsert takes the counter row's lock until the caller's
 * transaction ends, so concurrent requests get 1, 2, 3… and a rolled-back request gives its number
 * back: no gap, no duplicate.
 */
export async function nextRegisterNumber(em: EntityManager, agencyCode: string, year: number, kind: RegisterKind, series: string = DEFAULT_SERIES): Promise<number> {
  const rows = await em.getConnection().execute<Array<{ last: number }>>(
    `insert into register_counter (agency_code, year, kind, series, last) values (?, ?, ?, ?, 1)
     on conflict (agency_code, year, kind, series) do update set last = register_counter.last + 1
     returning last`,
    [agencyCode, year, kind, series],
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

/** What holds a number of an outgoing register: an electronic document, or a paper one. */
export interface NumberHolder {
  id: string;
  documentId: string;
  medium: 'electronic' | 'paper';
}

/**
 * Records a number the agency's own software gave (a pre-signed package) in an outgoing register:
 * the counter moves up to it when behind (never down), so the next composed document gets a higher
 * one (DESIGN.md §4). Returns what already holds the number — an electronic document or a paper one
 * of the same series — if anything; the caller refuses then, and its rollback gives the counter back.
 * The upsert takes the counter row's lock as registerOutgoing does, held to COMMIT: a composed send
 * that took a number has committed before the check reads, and none can take this number after it.
 * The check is a statement of its own because under READ COMMITTED only a new statement sees what
 * the transaction we waited for committed.
 */
export async function claimGivenNumber(
  em: EntityManager,
  agencyCode: string,
  year: number,
  number: number,
  series: string = DEFAULT_SERIES,
): Promise<NumberHolder | null> {
  const connection = em.getConnection();
  await connection.execute(
    `insert into register_counter (agency_code, year, kind, series, last) values (?, ?, 'out', ?, ?)
     on conflict (agency_code, year, kind, series) do update set last = greatest(register_counter.last, excluded.last)`,
    [agencyCode, year, series, number],
    'run',
    em.getTransactionContext(),
  );
  const rows = await connection.execute<Array<{ id: string; document_id: string; medium: 'electronic' | 'paper' }>>(
    `select id::text, document_id, 'electronic' as medium from outgoing_document where agency_code = ? and series = ? and year = ? and number = ?
     union all
     select id::text, code_text, 'paper' from paper_document where agency_code = ? and kind = 'out' and series = ? and year = ? and number = ?
     limit 1`,
    [agencyCode, series, year, number, agencyCode, series, year, number],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  return row ? { id: row.id, documentId: row.document_id, medium: row.medium } : null;
}

/** What registerOutgoing writes besides the number: the timeline event and the audit record. */
export interface OutgoingRegistration {
  /** The document row, written in this transaction with a provisional number. */
  id: string;
  agencyCode: string;
  year: number;
  /** The series of the agency's outgoing registers (DEFAULT_SERIES unless a rule or the clerk chose one). */
  series?: string;
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
 * agency's outgoing register of the series (nextRegisterNumber's counter row and rules), the
 * document's series, number, number text and DocumentId, its `document.created` timeline event and
 * its audit record — one statement. The counter row's lock is held from this statement to COMMIT,
 * and every other send of the agency in that series waits for it: one round trip instead of one per
 * statement keeps an agency's sends from queueing behind each other.
 *
 * Two series may both be at 05 on the same day: a document whose ký hiệu is the same as another
 * series' would get the same DocumentId, which edXML needs unique. That is refused (409 CONFLICT)
 * rather than numbered.
 */
export async function registerOutgoing(em: EntityManager, r: OutgoingRegistration): Promise<{ number: number; numberText: string; documentId: string }> {
  const series = r.series ?? DEFAULT_SERIES;
  let rows: Array<{ number: number; number_text: string; document_id: string }>;
  try {
    rows = await em.getConnection().execute<Array<{ number: number; number_text: string; document_id: string }>>(
      `with n as (
         insert into register_counter (agency_code, year, kind, series, last) values (?, ?, 'out', ?, 1)
         on conflict (agency_code, year, kind, series) do update set last = register_counter.last + 1
         returning last
       ), f as (
         select last as number, case when last < 10 then '0' || last::text else last::text end as number_text from n
       ), d as (
         update outgoing_document o set series = ?, number = f.number, number_text = f.number_text, document_id = ? || f.number_text || ?
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
        series,
        series,
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
  } catch (error) {
    // Raw statements surface the driver's error (code 23505), the ORM's its own class.
    const pgError = error as { code?: string; constraint?: string };
    const duplicateId = error instanceof UniqueConstraintViolationException ? /document_id/.test(error.message) : pgError.code === '23505' && pgError.constraint === 'outgoing_document_document_id_unique';
    if (duplicateId) {
      throw new DomainError(
        'CONFLICT',
        `Another series of the agency already issued a document with this number and ký hiệu today (${r.documentIdSuffix.slice(1)}); give this series' documents a ký hiệu of their own.`,
        { vi: `Một sổ khác của cơ quan đã ban hành hôm nay văn bản cùng số và ký hiệu (${r.documentIdSuffix.slice(1)}); văn bản của sổ này cần ký hiệu riêng.`, cause: error },
      );
    }
    throw error;
  }
  const row = rows[0];
  if (!row) throw new Error(`document ${r.id} was not written before it was numbered`);
  return { number: Number(row.number), numberText: row.number_text, documentId: row.document_id };
}
