import { describe, expect, it } from 'vitest';
import { givenRegisterNumber, numberText } from './numbering.js';

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

describe('numberText', () => {
  it('writes numbers below 10 with a leading zero (Phụ lục I)', () => {
    expect([1, 9, 10, 15, 123].map(numberText)).toEqual(['01', '09', '10', '15', '123']);
  });
});
