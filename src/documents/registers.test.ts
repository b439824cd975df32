import { describe, expect, it } from 'vitest';
import { givenRegisterNumber, vietnamToday, vietnamYear } from './registers.js';

describe('the register year and the date of issue, in Vietnam time', () => {
  it('23:59:59.9 on 31 December is still that year; 00:00:00.1 on 1 January is the next', () => {
    const before = new Date('2026-12-31T23:59:59.900+07:00');
    const after = new Date('2027-01-01T00:00:00.100+07:00');
    expect([vietnamYear(before), vietnamToday(before)]).toEqual([2026, '2026-12-31']);
    expect([vietnamYear(after), vietnamToday(after)]).toEqual([2027, '2027-01-01']);
    // The same instants in UTC are both in 2026: the server's time zone does not matter.
    expect(after.getUTCFullYear()).toBe(2026);
  });
});

describe('givenRegisterNumber', () => {
  it('reads the positive integers a package may carry, with or without a leading zero', () => {
    expect(givenRegisterNumber('04')).toBe(4);
    expect(givenRegisterNumber('4')).toBe(4);
    expect(givenRegisterNumber('15')).toBe(15);
    expect(givenRegisterNumber('2147483647')).toBe(2_147_483_647);
  });

  it.each(['', '0', '00', '-3', '+3', '4a', 'abc', ' 4', '4 ', '1.5', '٤', '2147483648', '1'.repeat(21)])('refuses %j', (text) => {
    expect(givenRegisterNumber(text)).toBeNull();
  });
});
