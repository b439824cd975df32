import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import {
  dateToEdxmlDate,
  dateToEdxmlTimestamp,
  dateToIsoDate,
  edxmlDateToDate,
  edxmlDateToIso,
  edxmlTimestampToDate,
  isEdxmlDate,
  isEdxmlTimestamp,
  isoToEdxmlDate,
} from './dates.js';

describe('edXML dates', () => {
  it('converts between yyyy/MM/dd and ISO YYYY-MM-DD', () => {
    expect(edxmlDateToIso('2019/01/16')).toBe('2019-01-16');
    expect(isoToEdxmlDate('2024-02-29')).toBe('2024/02/29');
  });

  it.each(['2019/02/29', '2019/13/01', '2019/00/10', '2019/1/16', '2019-01-16', '16/01/2019', '', '2019/01/16 '])('refuses "%s"', (s) => {
    expect(isEdxmlDate(s)).toBe(false);
    expect(() => edxmlDateToIso(s)).toThrow(DomainError);
  });

  it('does not map years 0–99 to the 1900s', () => {
    expect(edxmlDateToDate('0099/03/01').toISOString()).toBe('0099-02-28T17:00:00.000Z');
    expect(isEdxmlDate('0100/02/29')).toBe(false); // 100 is not a leap year
  });

  it('a date is midnight in Vietnam, i.e. 17:00 UTC the day before', () => {
    expect(edxmlDateToDate('2025/01/01').toISOString()).toBe('2024-12-31T17:00:00.000Z');
  });
});

describe('edXML timestamps (Asia/Ho_Chi_Minh, UTC+7)', () => {
  it('reads a timestamp as Vietnam time', () => {
    expect(edxmlTimestampToDate('2015/09/20 11:08:36').toISOString()).toBe('2015-09-20T04:08:36.000Z');
  });

  it('writes an instant as Vietnam wall-clock time, crossing the date line of UTC', () => {
    const instant = new Date('2024-12-31T18:30:05.900Z'); // 01:30:05 on 1 January in Hà Nội
    expect(dateToEdxmlTimestamp(instant)).toBe('2025/01/01 01:30:05');
    expect(dateToEdxmlDate(instant)).toBe('2025/01/01');
    expect(dateToIsoDate(instant)).toBe('2025-01-01');
  });

  it('round-trips to the second', () => {
    const ts = '2025/07/01 23:59:59';
    expect(dateToEdxmlTimestamp(edxmlTimestampToDate(ts))).toBe(ts);
  });

  it.each(['2015/09/20 24:00:00', '2015/09/20 11:60:00', '2015/09/20T11:08:36', '2015/09/20 11:08', '2015/09/31 00:00:00'])('refuses "%s"', (s) => {
    expect(isEdxmlTimestamp(s)).toBe(false);
    expect(() => edxmlTimestampToDate(s)).toThrow(DomainError);
  });

  it('refuses an invalid Date', () => {
    expect(() => dateToEdxmlTimestamp(new Date(Number.NaN))).toThrow(DomainError);
  });
});
