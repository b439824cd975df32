import type { EntityManager } from '@mikro-orm/postgresql';
import type { RegisterKind } from './register.entity.js';

/**
 * The rows of the register books (NĐ 30/2020 Phụ lục IV), read from the documents, the inbox and the
 * paper documents of a series and year. Raw SQL over the other modules' tables: the registers sit
 * below the documents and the inbox (they number for them) and may not import them.
 */

/** A row of the sổ đăng ký văn bản đi: its columns are those of Phụ lục IV, in order. */
export interface OutgoingBookRow {
  id: string;
  medium: 'electronic' | 'paper';
  number: number;
  /** Số, ký hiệu văn bản. */
  code: string;
  /** Ngày tháng văn bản (YYYY-MM-DD). */
  date: string;
  /** Tên loại (its type key: the name comes from the type table) and trích yếu. */
  type: string | null;
  typeName: string | null;
  subject: string;
  /** Người ký. */
  signer: string;
  /** Nơi nhận văn bản. */
  recipients: string[];
  /** Đơn vị, người nhận bản lưu. */
  keeper: string | null;
  /** Số lượng bản. */
  copies: number | null;
  /** Ghi chú. */
  note: string | null;
}

/** A row of the sổ đăng ký văn bản đến, Phụ lục IV's columns in order. */
export interface IncomingBookRow {
  id: string;
  medium: 'electronic' | 'paper';
  /** Số đến. */
  number: number;
  /** Ngày đến (YYYY-MM-DD, Vietnam time). */
  arrivedOn: string;
  /** Tác giả: the agency that issued it. */
  author: string;
  /** Số, ký hiệu. */
  code: string;
  /** Ngày tháng of the document. */
  documentDate: string | null;
  /** Tên loại and trích yếu. */
  typeName: string | null;
  subject: string;
  /** Đơn vị hoặc người nhận. */
  holder: string | null;
  /** Ngày chuyển. */
  handedOn: string | null;
  /** Ký nhận: signed by hand on the printed book. */
  receivedBy: string | null;
  note: string | null;
}

export interface BookPageQuery {
  agencyCode: string;
  series: string;
  year: number;
  /** Rows after this number (the previous page's last). */
  afterNumber?: number | undefined;
  /** At most this many rows (the whole book when left out). */
  limit?: number | undefined;
}

/** A date column as YYYY-MM-DD (the driver gives dates as text already; this makes sure). */
const day = (value: unknown): string => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10));
const dayOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : day(value));

/** What the outgoing book prints for a document's state (Ghi chú), besides the medium. */
const OUT_STATE_NOTE: Record<string, string> = { recalled: 'đã thu hồi', failed: 'gửi lỗi' };

function paging(q: BookPageQuery): { where: string; params: unknown[]; limit: string } {
  return {
    where: q.afterNumber === undefined ? '' : ' and number > ?',
    params: q.afterNumber === undefined ? [] : [q.afterNumber],
    limit: q.limit === undefined ? '' : ` limit ${Math.floor(q.limit)}`,
  };
}

/** Merges two lists sorted by number, keeping at most `limit`. */
function merge<T extends { number: number }>(a: T[], b: T[], limit: number | undefined): T[] {
  const all = [...a, ...b].sort((x, y) => x.number - y.number);
  return limit === undefined ? all : all.slice(0, limit);
}

/**
 * The outgoing book of a series and year, by number: composed and imported documents (Nơi nhận: the
 * agencies it went to and the places it names; a place "Lưu: …" is the file copy's keeper) and the
 * paper ones.
 */
export async function outgoingBookRows(em: EntityManager, q: BookPageQuery): Promise<OutgoingBookRow[]> {
  const p = paging(q);
  const connection = em.getConnection();
  const electronic = await connection.execute<
    Array<{ id: string; number: number; code: string; date: unknown; type: string; subject: string; signer: { fullName?: string; position?: string; competence?: string }; to_places: string[]; state: string; source: string; recipients: string[]; replaces: { documentId?: string } | null }>
  >(
    `select o.id, o.number, o.number_text || '/' || o.notation as code, o.promulgation_date as date, o.type, o.subject, o.signer, o.to_places, o.state, o.source, o.replaces,
            coalesce((select array_agg(a.name order by a.name) from delivery d join agency a on a.code = d.recipient_code where d.document_id = o.id), '{}') as recipients
       from outgoing_document o
      where o.agency_code = ? and o.series = ? and o.year = ? and o.number > 0${p.where.replace('number', 'o.number')}
      order by o.number${p.limit}`,
    [q.agencyCode, q.series, q.year, ...p.params],
    'all',
    em.getTransactionContext(),
  );
  const paper = await connection.execute<Array<{ id: string; number: number; code_text: string; registered_on: unknown; type: string | null; type_name: string | null; subject: string; signer: string | null; recipients: string[]; holder: string | null; copies: number | null; note: string | null }>>(
    `select id, number, code_text, registered_on, type, type_name, subject, signer, recipients, holder, copies, note
       from paper_document where agency_code = ? and kind = 'out' and series = ? and year = ?${p.where} order by number${p.limit}`,
    [q.agencyCode, q.series, q.year, ...p.params],
    'all',
    em.getTransactionContext(),
  );
  const rows: OutgoingBookRow[] = electronic.map((r) => {
    const places = r.to_places ?? [];
    const kept = places.filter((place) => /^lưu\s*:/iu.test(place)).map((place) => place.replace(/^lưu\s*:\s*/iu, '').trim());
    const notes = ['Điện tử', r.source === 'edxml' ? 'ký số bằng phần mềm của cơ quan' : null, OUT_STATE_NOTE[r.state] ?? null, r.replaces?.documentId ? `thay thế ${r.replaces.documentId.split(',').pop()}` : null];
    return {
      id: r.id,
      medium: 'electronic',
      number: Number(r.number),
      code: r.code,
      date: day(r.date),
      type: r.type,
      typeName: null,
      subject: r.subject,
      signer: [r.signer.competence, r.signer.position, r.signer.fullName].filter(Boolean).join(' '),
      recipients: [...r.recipients, ...places.filter((place) => !/^lưu\s*:/iu.test(place))],
      keeper: kept.length ? kept.join(', ') : null,
      copies: r.recipients.length || null,
      note: notes.filter(Boolean).join('; '),
    };
  });
  const papers: OutgoingBookRow[] = paper.map((r) => ({
    id: r.id,
    medium: 'paper',
    number: Number(r.number),
    code: r.code_text,
    date: day(r.registered_on),
    type: r.type,
    typeName: r.type_name,
    subject: r.subject,
    signer: r.signer ?? '',
    recipients: r.recipients,
    keeper: r.holder,
    copies: r.copies,
    note: ['Bản giấy', r.note].filter(Boolean).join('; '),
  }));
  return merge(rows, papers, q.limit);
}

/**
 * The incoming book of a series and year, by số đến: the inbox items accepted (03) into it — Đơn vị
 * hoặc người nhận and Ngày chuyển from their latest assignment (04) — and the paper ones.
 */
export async function incomingBookRows(em: EntityManager, q: BookPageQuery): Promise<IncomingBookRow[]> {
  const p = paging(q);
  const connection = em.getConnection();
  const electronic = await connection.execute<
    Array<{ id: string; number: number; received_at: Date; sender_name: string; code_number: string | null; code_notation: string | null; promulgation_date: string | null; type_name: string | null; subject: string; withdrawn_at: Date | null; assigned_staff: Record<string, string> | null; assigned_at: Date | null }>
  >(
    `select i.id, i.arrival_number as number, i.received_at, i.sender_name, i.subject, i.withdrawn_at,
            i.metadata->'messageHeader'->'code'->>'codeNumber' as code_number,
            i.metadata->'messageHeader'->'code'->>'codeNotation' as code_notation,
            i.metadata->'messageHeader'->'promulgationInfo'->>'promulgationDate' as promulgation_date,
            i.metadata->'messageHeader'->'documentType'->>'typeName' as type_name,
            s.staff as assigned_staff, s.created_at as assigned_at
       from inbox_item i
       left join lateral (select staff, created_at from status_record r where r.inbox_item_id = i.id and r.code = '04' order by r.created_at desc limit 1) s on true
      where i.agency_code = ? and i.arrival_series = ? and i.arrival_year = ? and i.arrival_number is not null${p.where.replace('number', 'i.arrival_number')}
      order by i.arrival_number${p.limit}`,
    [q.agencyCode, q.series, q.year, ...p.params],
    'all',
    em.getTransactionContext(),
  );
  const paper = await connection.execute<Array<{ id: string; number: number; registered_on: unknown; author: string | null; code_text: string; document_date: unknown; type_name: string | null; subject: string; holder: string | null; handed_on: unknown; note: string | null }>>(
    `select id, number, registered_on, author, code_text, document_date, type_name, subject, holder, handed_on, note
       from paper_document where agency_code = ? and kind = 'in' and series = ? and year = ?${p.where} order by number${p.limit}`,
    [q.agencyCode, q.series, q.year, ...p.params],
    'all',
    em.getTransactionContext(),
  );
  const vietnamDay = (at: Date): string => new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
  const rows: IncomingBookRow[] = electronic.map((r) => {
    const staff = r.assigned_staff ?? {};
    const holder = [staff.department, staff.name].filter(Boolean).join(' — ');
    return {
      id: r.id,
      medium: 'electronic',
      number: Number(r.number),
      arrivedOn: vietnamDay(new Date(r.received_at)),
      author: r.sender_name,
      code: r.code_number ? `${r.code_number}/${r.code_notation ?? ''}` : (r.code_notation ?? ''),
      documentDate: r.promulgation_date ? r.promulgation_date.replace(/\//g, '-') : null,
      typeName: r.type_name,
      subject: r.subject,
      holder: holder || null,
      handedOn: r.assigned_at ? vietnamDay(new Date(r.assigned_at)) : null,
      receivedBy: null,
      note: ['Điện tử', r.withdrawn_at ? 'đã thu hồi' : null].filter(Boolean).join('; '),
    };
  });
  const papers: IncomingBookRow[] = paper.map((r) => ({
    id: r.id,
    medium: 'paper',
    number: Number(r.number),
    arrivedOn: day(r.registered_on),
    author: r.author ?? '',
    code: r.code_text,
    documentDate: dayOrNull(r.document_date),
    typeName: r.type_name,
    subject: r.subject,
    holder: r.holder,
    handedOn: dayOrNull(r.handed_on),
    receivedBy: null,
    note: ['Bản giấy', r.note].filter(Boolean).join('; '),
  }));
  return merge(rows, papers, q.limit);
}

/** The agency a book belongs to, and the one above it (cơ quan chủ quản), for the title page. */
export async function bookOwner(em: EntityManager, agencyCode: string): Promise<{ code: string; name: string; parentName: string | null } | null> {
  const rows = await em.getConnection().execute<Array<{ code: string; name: string; parent_name: string | null }>>(
    `select a.code, a.name, p.name as parent_name from agency a left join agency p on p.code = a.parent_code where a.code = ?`,
    [agencyCode],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  return row ? { code: row.code, name: row.name, parentName: row.parent_name } : null;
}

export type BookKind = RegisterKind;
