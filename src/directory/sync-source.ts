/**
 * Reading the national code list (danh mục mã định danh, QĐ 20/2020/QĐ-TTg and its 2025 updates) as a
 * province hands it out — a CSV or an XLSX of one row per agency — or as the axis answers
 * getAgenciesList (shared/AXIS.md), into the rows a directory sync compares with the directory.
 *
 * Columns are found by their header, in English or in Vietnamese, whatever their order, case, marks or
 * spacing (SYNC_COLUMNS); other columns are ignored. A row that cannot be read is reported with its
 * number and the reason, and left out; the others are read.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { DomainError } from '../errors.js';
import { AGENCY_LEVELS, type AgencyLevel } from './agency.entity.js';
import { AGENCY_CODE } from './directory.schemas.js';

/** One agency of the list. Dates are YYYY-MM-DD (Vietnam). */
export interface SourceRow {
  /** Where it is in the source: the file's row number (the header is row 1), or the axis list's position. */
  row: number;
  code: string;
  name: string;
  /** Null: the list does not say (an agency is never moved to the top by a blank). */
  parentCode: string | null;
  /** Null: the list does not say (new agencies are then `other`). */
  level: AgencyLevel | null;
  validFrom: string | null;
  /** The day the code stops being in force: the agency is closed from 00:00 that day, Vietnam time. */
  validTo: string | null;
  /** The successors, the one that receives the documents first (several after a split, separated by `;`). */
  successorCodes: string[];
}

/** A row left out, and why (English and Vietnamese). */
export interface RowError {
  row: number;
  code: string | null;
  field: string;
  message: string;
  vi: string;
}

export type SyncField = 'code' | 'name' | 'parentCode' | 'level' | 'validFrom' | 'validTo' | 'successorCode';

/**
 * The header names each column may have (README "Reorganisation"). Compared folded: without marks or
 * case, `đ` as `d`, and only letters and digits (so `Mã định danh`, `MÃ ĐỊNH DANH`, `ma_dinh_danh` and
 * `Ma dinh danh` are one name).
 */
export const SYNC_COLUMNS: Record<SyncField, readonly string[]> = {
  code: ['code', 'Mã định danh', 'Mã cơ quan', 'Mã'],
  name: ['name', 'Tên cơ quan', 'Tên cơ quan, đơn vị', 'Tên đơn vị', 'Tên'],
  parentCode: ['parentCode', 'parent', 'Mã cơ quan cấp trên', 'Mã đơn vị cấp trên', 'Mã cấp trên'],
  level: ['level', 'Cấp'],
  validFrom: ['validFrom', 'Ngày hiệu lực', 'Ngày có hiệu lực', 'Hiệu lực từ ngày'],
  validTo: ['validTo', 'Ngày hết hiệu lực', 'Hết hiệu lực từ ngày'],
  successorCode: ['successorCode', 'successorCodes', 'successor', 'Mã cơ quan kế thừa', 'Mã đơn vị kế thừa', 'Mã kế thừa'],
};

const REQUIRED: readonly SyncField[] = ['code', 'name'];

/** Vietnamese folded for comparison: no marks, `đ` → `d`, lower case, letters and digits only. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * The words each level is written with in a list (folded): ours, and the Vietnamese names of the
 * units (tỉnh, thành phố trực thuộc trung ương; sở, ban, ngành; huyện, quận, thị xã, thành phố thuộc
 * tỉnh; xã, phường, thị trấn, đặc khu).
 */
const LEVEL_WORDS: Record<AgencyLevel, readonly string[]> = {
  province: ['province', 'tinh', 'thanhphotructhuoctrunguong', 'captinh'],
  department: ['department', 'so', 'ban', 'nganh', 'sobannganh', 'coquanchuyenmon'],
  district: ['district', 'huyen', 'quan', 'thixa', 'thanhphothuoctinh', 'caphuyen'],
  commune: ['commune', 'xa', 'phuong', 'thitran', 'dackhu', 'capxa'],
  other: ['other', 'khac'],
};
const LEVEL_OF = new Map<string, AgencyLevel>(AGENCY_LEVELS.flatMap((level) => LEVEL_WORDS[level].map((w) => [w, level] as const)));

/** A cell as text: strings trimmed in NFC, dates as YYYY-MM-DD (UTC day: how a spreadsheet stores a date). */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    const v = value as { richText?: Array<{ text: string }>; text?: unknown; result?: unknown; hyperlink?: unknown };
    if (Array.isArray(v.richText)) return cellText(v.richText.map((r) => r.text).join(''));
    if (v.result !== undefined) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
    return '';
  }
  return String(value).normalize('NFC').trim();
}

/** A date as the list writes it (YYYY-MM-DD, DD/MM/YYYY, D-M-YYYY…) → YYYY-MM-DD, or null when it is not one. */
export function parseListDate(text: string): string | null {
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(text);
  const vn = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (vn) [y, m, d] = [Number(vn[3]), Number(vn[2]), Number(vn[1])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** The cells of a CSV file (UTF-8, with or without BOM; comma, semicolon or tab separated). */
function csvTable(bytes: Buffer): string[][] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'The CSV file is not UTF-8: save it as "CSV UTF-8" and send it again.', {
      vi: 'Tệp CSV không ở mã UTF-8: hãy lưu lại dưới dạng "CSV UTF-8" rồi gửi lại.',
    });
  }
  try {
    const records = parseCsv(text, { bom: true, delimiter: [',', ';', '\t'], relax_column_count: true, skip_empty_lines: true }) as string[][];
    return records.map((r) => r.map(cellText));
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `The CSV file cannot be read: ${(error as Error).message}`, {
      vi: `Không đọc được tệp CSV: ${(error as Error).message}`,
    });
  }
}

/** The cells of the first worksheet of an XLSX file (empty rows kept, so row numbers match the sheet's). */
async function xlsxTable(bytes: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `The XLSX file cannot be read: ${(error as Error).message}`, {
      vi: `Không đọc được tệp XLSX: ${(error as Error).message}`,
    });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new DomainError('VALIDATION_FAILED', 'The XLSX file has no worksheet.', { vi: 'Tệp XLSX không có trang tính nào.' });
  const table: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, number) => {
    const values = row.values as unknown[];
    table[number - 1] = values.slice(1).map(cellText);
  });
  for (let i = 0; i < table.length; i++) table[i] ??= [];
  return table;
}

/** Reads a list file: XLSX when its bytes are a ZIP (or it says so), else CSV. */
export async function readListFile(bytes: Buffer, hint: { fileName?: string | undefined; contentType?: string | undefined } = {}): Promise<{ kind: 'csv' | 'xlsx'; rows: SourceRow[]; errors: RowError[] }> {
  if (bytes.length === 0) throw new DomainError('VALIDATION_FAILED', 'The file is empty.', { vi: 'Tệp rỗng.' });
  const zip = bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const saysXlsx = /\.xlsx$/i.test(hint.fileName ?? '') || (hint.contentType ?? '').includes('spreadsheetml');
  if (saysXlsx && !zip) throw new DomainError('VALIDATION_FAILED', 'The file is named or typed as XLSX but is not one.', { vi: 'Tệp có tên hoặc kiểu XLSX nhưng không phải tệp XLSX.' });
  const kind = zip ? 'xlsx' : 'csv';
  const table = kind === 'xlsx' ? await xlsxTable(bytes) : csvTable(bytes);
  return { kind, ...rowsFromTable(table) };
}

/** The folded header names, per field. */
const FOLDED_COLUMNS = new Map<string, SyncField>(
  (Object.entries(SYNC_COLUMNS) as Array<[SyncField, readonly string[]]>).flatMap(([field, names]) => names.map((n) => [fold(n), field] as const)),
);

/**
 * The rows of a table whose first non-empty row is the header. 422 when the header lacks the code or
 * the name column, naming the header names each may have.
 */
export function rowsFromTable(table: string[][]): { rows: SourceRow[]; errors: RowError[] } {
  const headerAt = table.findIndex((r) => r.some((c) => c !== ''));
  if (headerAt < 0) throw new DomainError('VALIDATION_FAILED', 'The list is empty.', { vi: 'Danh sách rỗng.' });
  const columns = new Map<SyncField, number>();
  table[headerAt]!.forEach((name, i) => {
    const field = FOLDED_COLUMNS.get(fold(name));
    if (field && !columns.has(field)) columns.set(field, i);
  });
  const missing = REQUIRED.filter((f) => !columns.has(f));
  if (missing.length) {
    const names = missing.map((f) => `${f} (${SYNC_COLUMNS[f].map((n) => `"${n}"`).join(', ')})`);
    throw new DomainError('VALIDATION_FAILED', `The header row has no column for ${names.join(' and ')}.`, {
      errors: missing.map((f) => ({ path: `columns.${f}`, message: `no column named ${SYNC_COLUMNS[f].join(' / ')}`, vi: `không có cột nào tên ${SYNC_COLUMNS[f].join(' / ')}` })),
      vi: `Dòng tiêu đề thiếu cột ${names.join(' và ')}.`,
    });
  }
  const rows: SourceRow[] = [];
  const errors: RowError[] = [];
  const seen = new Set<string>();
  for (let i = headerAt + 1; i < table.length; i++) {
    const cells = table[i]!;
    if (!cells.some((c) => c !== '')) continue;
    const get = (f: SyncField) => (columns.has(f) ? cellText(cells[columns.get(f)!]) : '');
    const read = readRow(i + 1, get);
    if ('error' in read) errors.push(read.error);
    else if (seen.has(read.row.code)) {
      errors.push({ row: i + 1, code: read.row.code, field: 'code', message: `${read.row.code} appears twice in the list; only its first row is read.`, vi: `${read.row.code} xuất hiện hai lần trong danh sách; chỉ dòng đầu tiên được đọc.` });
    } else {
      seen.add(read.row.code);
      rows.push(read.row);
    }
  }
  return { rows, errors };
}

const upperCode = (text: string) => text.trim().toUpperCase();

/** One row, or why it cannot be read. */
function readRow(row: number, get: (f: SyncField) => string): { row: SourceRow } | { error: RowError } {
  const code = upperCode(get('code'));
  const fail = (field: string, message: string, vi: string) => ({ error: { row, code: code || null, field, message, vi } });
  if (!AGENCY_CODE.test(code)) return fail('code', `"${get('code')}" is not an agency code of the shape 000.00.00.H00.`, `"${get('code')}" không phải mã định danh dạng 000.00.00.H00.`);
  const name = get('name').replace(/\s+/g, ' ');
  if (!name) return fail('name', `${code} has no name.`, `${code} không có tên.`);
  if (name.length > 500) return fail('name', `The name of ${code} is longer than 500 characters.`, `Tên của ${code} dài quá 500 ký tự.`);
  const parentText = upperCode(get('parentCode'));
  if (parentText && !AGENCY_CODE.test(parentText)) return fail('parentCode', `The parent code "${parentText}" of ${code} is not an agency code.`, `Mã cơ quan cấp trên "${parentText}" của ${code} không phải mã định danh.`);
  if (parentText === code) return fail('parentCode', `${code} is its own parent.`, `${code} là cấp trên của chính nó.`);
  const levelText = get('level');
  const level = levelText ? (LEVEL_OF.get(fold(levelText)) ?? null) : null;
  if (levelText && !level) {
    return fail('level', `"${levelText}" is not a level (${AGENCY_LEVELS.join(', ')}; or tỉnh, sở, huyện, xã, phường…).`, `"${levelText}" không phải cấp (tỉnh, sở, huyện, xã, phường, thị trấn, đặc khu, khác…).`);
  }
  const dates: Record<'validFrom' | 'validTo', string | null> = { validFrom: null, validTo: null };
  for (const f of ['validFrom', 'validTo'] as const) {
    const text = get(f);
    if (!text) continue;
    const date = parseListDate(text);
    if (!date) return fail(f, `"${text}" is not a date (YYYY-MM-DD or DD/MM/YYYY).`, `"${text}" không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY).`);
    dates[f] = date;
  }
  if (dates.validFrom && dates.validTo && dates.validTo < dates.validFrom) {
    return fail('validTo', `${code} stops (${dates.validTo}) before it starts (${dates.validFrom}).`, `${code} hết hiệu lực (${dates.validTo}) trước ngày có hiệu lực (${dates.validFrom}).`);
  }
  const successorCodes = [...new Set(get('successorCode').split(/[;,|\s]+/).map(upperCode).filter(Boolean))];
  const bad = successorCodes.find((s) => !AGENCY_CODE.test(s));
  if (bad) return fail('successorCode', `The successor "${bad}" of ${code} is not an agency code.`, `Mã cơ quan kế thừa "${bad}" của ${code} không phải mã định danh.`);
  if (successorCodes.includes(code)) return fail('successorCode', `${code} is its own successor.`, `${code} kế thừa chính nó.`);
  if (successorCodes.length && !dates.validTo) {
    return fail('validTo', `${code} has a successor but no day it stops being in force (validTo, Ngày hết hiệu lực).`, `${code} có cơ quan kế thừa nhưng không có ngày hết hiệu lực.`);
  }
  return { row: { row, code, name, parentCode: parentText || null, level, validFrom: dates.validFrom, validTo: dates.validTo, successorCodes } };
}

/** An agency as the axis's getAgenciesList names it (AXIS.md: `{ id, code, name, mail, pid }`). */
export interface AxisAgencyRow {
  id: string;
  code: string;
  name: string;
  mail?: string | null;
  /** The axis id (not the code) of the parent, when it has one. */
  pid?: string | null;
}

/** The rows of an axis list: `pid` is resolved to the parent's code through the list's own ids. */
export function rowsFromAxis(list: readonly AxisAgencyRow[]): { rows: SourceRow[]; errors: RowError[] } {
  const codeOfId = new Map(list.filter((a) => a.id).map((a) => [String(a.id), upperCode(a.code ?? '')]));
  const table: string[][] = [['code', 'name', 'parentCode'], ...list.map((a) => [a.code ?? '', a.name ?? '', a.pid ? (codeOfId.get(String(a.pid)) ?? '') : ''])];
  return rowsFromTable(table);
}
