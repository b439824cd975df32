import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import { bookOwner, incomingBookRows, outgoingBookRows, type IncomingBookRow, type OutgoingBookRow } from './book.repository.js';
import { DEFAULT_SERIES, type RegisterKind } from './register.entity.js';
import { findSeries } from './series.js';
import type { TypeCatalog } from './type-catalog.js';

/**
 * A register book (NĐ 30/2020 Phụ lục IV): the agency, the series and year, and its rows. The JSON
 * answer, the XLSX and the PDF all print from this, with the columns of BOOK_COLUMNS.
 */
export interface Book {
  agency: { code: string; name: string; parentName: string | null };
  kind: RegisterKind;
  series: { code: string; name: string };
  year: number;
  rows: Array<OutgoingBookRow | IncomingBookRow>;
}

export interface BookRequest {
  agencyCode: string;
  kind: RegisterKind;
  year: number;
  series?: string | undefined;
  afterNumber?: number | undefined;
  limit?: number | undefined;
}

/** Loads a book (or a page of it, by number); 404 for a series the agency does not have. */
export async function loadBook(em: EntityManager, request: BookRequest, catalog: TypeCatalog): Promise<Book> {
  const agency = await bookOwner(em, request.agencyCode);
  if (!agency) throw new DomainError('NOT_FOUND', `No agency ${request.agencyCode}.`, { vi: `Không có cơ quan ${request.agencyCode}.` });
  const series = await findSeries(em, request.agencyCode, request.kind, request.series ?? DEFAULT_SERIES);
  const query = { agencyCode: request.agencyCode, series: series.code, year: request.year, afterNumber: request.afterNumber, limit: request.limit };
  const rows =
    request.kind === 'out'
      ? (await outgoingBookRows(em, query)).map((r) => ({ ...r, typeName: r.typeName ?? (r.type ? (catalog.name(r.type) ?? r.type) : null) }))
      : await incomingBookRows(em, query);
  return { agency, kind: request.kind, series: { code: series.code, name: series.name }, year: request.year, rows };
}

/** dd/MM/yyyy from YYYY-MM-DD. */
export const vnDay = (iso: string | null | undefined): string => (iso ? iso.split('-').reverse().join('/') : '');
/** dd/MM: the books print the day and month, the year is the book's. */
export const vnDayMonth = (iso: string | null | undefined, year: number): string => {
  if (!iso) return '';
  const [y, m, d] = iso.split('-');
  return Number(y) === year ? `${d}/${m}` : `${d}/${m}/${y}`;
};

/** One column of a book: its heading as Phụ lục IV prints it, its relative width, and its text. */
export interface BookColumn {
  header: string;
  /** Relative width (the PDF and the XLSX scale them to the page). */
  width: number;
  text(row: OutgoingBookRow | IncomingBookRow, year: number): string;
  /** Short columns (numbers, dates) are centred. */
  centred?: boolean;
  /** For the PDF: the part printed in bold on its own line (the type's name), and the rest. */
  parts?(row: OutgoingBookRow | IncomingBookRow): { lead: string | null; body: string };
}

const out = (row: OutgoingBookRow | IncomingBookRow) => row as OutgoingBookRow;
const inc = (row: OutgoingBookRow | IncomingBookRow) => row as IncomingBookRow;
const typeAndSubject = (typeName: string | null, subject: string) => (typeName ? `${typeName}\n${subject}` : subject);

/** The columns of the two books of Phụ lục IV, in order. */
export const BOOK_COLUMNS: Record<RegisterKind, BookColumn[]> = {
  out: [
    { header: 'Số, ký hiệu văn bản', width: 11, text: (r) => out(r).code, centred: true },
    { header: 'Ngày tháng văn bản', width: 7, text: (r, y) => vnDayMonth(out(r).date, y), centred: true },
    { header: 'Tên loại và trích yếu nội dung văn bản', width: 28, text: (r) => typeAndSubject(out(r).typeName, out(r).subject), parts: (r) => ({ lead: out(r).typeName, body: out(r).subject }) },
    { header: 'Người ký', width: 12, text: (r) => out(r).signer },
    { header: 'Nơi nhận văn bản', width: 16, text: (r) => out(r).recipients.join('; ') },
    { header: 'Đơn vị, người nhận bản lưu', width: 10, text: (r) => out(r).keeper ?? '' },
    { header: 'Số lượng bản', width: 6, text: (r) => (out(r).copies === null ? '' : String(out(r).copies)), centred: true },
    { header: 'Ghi chú', width: 10, text: (r) => out(r).note ?? '' },
  ],
  in: [
    { header: 'Ngày đến', width: 6, text: (r, y) => vnDayMonth(inc(r).arrivedOn, y), centred: true },
    { header: 'Số đến', width: 5, text: (r) => String(inc(r).number), centred: true },
    { header: 'Tác giả', width: 13, text: (r) => inc(r).author },
    { header: 'Số, ký hiệu', width: 11, text: (r) => inc(r).code, centred: true },
    { header: 'Ngày tháng', width: 7, text: (r, y) => vnDayMonth(inc(r).documentDate, y), centred: true },
    { header: 'Tên loại và trích yếu nội dung', width: 25, text: (r) => typeAndSubject(inc(r).typeName, inc(r).subject), parts: (r) => ({ lead: inc(r).typeName, body: inc(r).subject }) },
    { header: 'Đơn vị hoặc người nhận', width: 11, text: (r) => inc(r).holder ?? '' },
    { header: 'Ngày chuyển', width: 6, text: (r, y) => vnDayMonth(inc(r).handedOn, y), centred: true },
    { header: 'Ký nhận', width: 7, text: (r) => inc(r).receivedBy ?? '' },
    { header: 'Ghi chú', width: 9, text: (r) => inc(r).note ?? '' },
  ],
};

/** The lines of the title page (Phụ lục IV, bìa sổ), top to bottom. */
export function titlePage(book: Book): { above: string | null; agency: string; title: string; series: string | null; year: string; span: string[]; volume: string } {
  const dates = book.rows.map((r) => ('date' in r ? r.date : r.arrivedOn)).sort();
  const numbers = book.rows.map((r) => r.number);
  const first = numbers.length ? Math.min(...numbers) : null;
  const last = numbers.length ? Math.max(...numbers) : null;
  const pad = (n: number | null) => (n === null ? '……' : book.kind === 'out' && n < 10 ? `0${n}` : String(n));
  return {
    above: book.agency.parentName ? book.agency.parentName.toLocaleUpperCase('vi') : null,
    agency: book.agency.name.toLocaleUpperCase('vi'),
    title: book.kind === 'out' ? 'SỔ ĐĂNG KÝ VĂN BẢN ĐI' : 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN',
    series: book.series.code === DEFAULT_SERIES ? null : book.series.name,
    year: `Năm ${book.year}`,
    span: [
      `Từ ngày ${dates.length ? vnDay(dates[0]) : '……'} đến ngày ${dates.length ? vnDay(dates[dates.length - 1]) : '……'}`,
      `Từ số ${pad(first)} đến số ${pad(last)}`,
    ],
    volume: 'Quyển số: 01',
  };
}

/** A file name for a book: `so-di-2026.pdf`, `so-den-VBQPPL-2026.xlsx`. */
export function bookFileName(book: Pick<Book, 'kind' | 'series' | 'year'>, extension: 'xlsx' | 'pdf'): string {
  const series = book.series.code === DEFAULT_SERIES ? '' : `${book.series.code}-`;
  return `so-${book.kind === 'out' ? 'di' : 'den'}-${series}${book.year}.${extension}`;
}
