/**
 * edXML dates (`yyyy/MM/dd`) and timestamps (`yyyy/MM/dd HH:mm:ss`) are Vietnam civil time
 * (Asia/Ho_Chi_Minh). Vietnam has used UTC+7 without daylight saving since 1975, so a fixed offset
 * is exact for every document this system can carry and needs no time-zone database.
 */
import { DomainError } from '../errors.js';
import type { EdxmlDate, EdxmlTimestamp } from './model.js';

/** IANA zone of edXML times. */
export const EDXML_TIME_ZONE = 'Asia/Ho_Chi_Minh';
const OFFSET_MS = 7 * 60 * 60 * 1000;

const DATE_RE = /^(\d{4})\/(\d{2})\/(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Date.UTC without its mapping of years 0–99 to 1900–1999. */
function utcMs(y: number, m: number, d: number, h = 0, mi = 0, s = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(utcMs(y, m + 1, 0)).getUTCDate();
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function parts(s: string, re: RegExp): number[] | undefined {
  const m = re.exec(s);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0] = n;
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || se > 59) return undefined;
  return n;
}

/** True when `s` is a real calendar date written `yyyy/MM/dd`. */
export function isEdxmlDate(s: string): boolean {
  return parts(s, DATE_RE) !== undefined;
}

/** True when `s` is a valid `yyyy/MM/dd HH:mm:ss` timestamp. */
export function isEdxmlTimestamp(s: string): boolean {
  return parts(s, TIMESTAMP_RE) !== undefined;
}

/** `2019/01/16` → `2019-01-16`; throws VALIDATION_FAILED on anything else. */
export function edxmlDateToIso(date: EdxmlDate): string {
  const p = parts(date, DATE_RE);
  if (!p) throw new DomainError('VALIDATION_FAILED', `not an edXML date (yyyy/MM/dd): "${date}"`);
  return `${pad(p[0] ?? 0, 4)}-${pad(p[1] ?? 0)}-${pad(p[2] ?? 0)}`;
}

/** `2019-01-16` → `2019/01/16`; throws VALIDATION_FAILED on anything else. */
export function isoToEdxmlDate(iso: string): EdxmlDate {
  const p = parts(iso, ISO_DATE_RE);
  if (!p) throw new DomainError('VALIDATION_FAILED', `not an ISO date (YYYY-MM-DD): "${iso}"`);
  return `${pad(p[0] ?? 0, 4)}/${pad(p[1] ?? 0)}/${pad(p[2] ?? 0)}`;
}

/** The instant of midnight, Vietnam time, starting the given edXML date. */
export function edxmlDateToDate(date: EdxmlDate): Date {
  const p = parts(date, DATE_RE);
  if (!p) throw new DomainError('VALIDATION_FAILED', `not an edXML date (yyyy/MM/dd): "${date}"`);
  return new Date(utcMs(p[0] ?? 0, p[1] ?? 1, p[2] ?? 1) - OFFSET_MS);
}

/** The instant an edXML timestamp (Vietnam time) denotes. */
export function edxmlTimestampToDate(timestamp: EdxmlTimestamp): Date {
  const p = parts(timestamp, TIMESTAMP_RE);
  if (!p) throw new DomainError('VALIDATION_FAILED', `not an edXML timestamp (yyyy/MM/dd HH:mm:ss): "${timestamp}"`);
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = p;
  return new Date(utcMs(y, mo, d, h, mi, s) - OFFSET_MS);
}

function vietnamFields(instant: Date): Date {
  const t = instant.getTime();
  if (Number.isNaN(t)) throw new DomainError('VALIDATION_FAILED', 'invalid Date');
  // Shift once and read the UTC fields: they are then the Vietnam wall-clock fields.
  return new Date(t + OFFSET_MS);
}

/** The Vietnam calendar date of an instant, as `yyyy/MM/dd`. */
export function dateToEdxmlDate(instant: Date): EdxmlDate {
  const v = vietnamFields(instant);
  return `${pad(v.getUTCFullYear(), 4)}/${pad(v.getUTCMonth() + 1)}/${pad(v.getUTCDate())}`;
}

/** The Vietnam wall-clock time of an instant, as `yyyy/MM/dd HH:mm:ss` (sub-second part dropped). */
export function dateToEdxmlTimestamp(instant: Date): EdxmlTimestamp {
  const v = vietnamFields(instant);
  return `${dateToEdxmlDate(instant)} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
}

/** The Vietnam calendar date of an instant, as ISO `YYYY-MM-DD` (e.g. for registers that restart on 1 January). */
export function dateToIsoDate(instant: Date): string {
  return edxmlDateToIso(dateToEdxmlDate(instant));
}
