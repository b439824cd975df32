import { describe, expect, it } from 'vitest';
import { vietnamDayStart, vietnamToday, vietnamYear } from './vietnam-time.js';

describe('the register year and the date of issue, in Vietnam time', () => {
  it('23:59:59.9 on 31 December is still that year; 00:00:00.1 on 1 January is the next', () => {
    const before = new Date('2026-12-31T23:59:59.900+07:00');
    const after = new Date('2027-01-01T00:00:00.100+07:00');
    expect([vietnamYear(before), vietnamToday(before)]).toEqual([2026, '2026-12-31']);
    expect([vietnamYear(after), vietnamToday(after)]).toEqual([2027, '2027-01-01']);
    // The same instants in UTC are both in 2026: the server's time zone does not matter.
    expect(after.getUTCFullYear()).toBe(2026);
  });

  it('a Vietnam day begins at 17:00 UTC the day before', () => {
    expect(vietnamDayStart('2027-01-01').toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(vietnamDayStart('2026-12-31', 1).toISOString()).toBe('2026-12-31T17:00:00.000Z');
  });
});
