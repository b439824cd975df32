import { describe, expect, it } from 'vitest';
import { arrivalNumberIn, withArrivalNumber } from './arrival-number.js';

describe('the số đến in a 03', () => {
  it('is written after the description and read back', () => {
    const text = withArrivalNumber('Đã tiếp nhận', 12);
    expect(text).toBe('Đã tiếp nhận. Số đến: 12');
    expect(arrivalNumberIn(text)).toBe(12);
  });
  it('replaces a number the clerk typed, so one status carries one number', () => {
    expect(withArrivalNumber('Nhận rồi. Số đến: 99.', 3)).toBe('Nhận rồi. Số đến: 3');
  });
  it('is read in NFD too, and absent means null', () => {
    expect(arrivalNumberIn('Số đến: 7'.normalize('NFD'))).toBe(7);
    expect(arrivalNumberIn('Đã tiếp nhận')).toBeNull();
    expect(arrivalNumberIn(null)).toBeNull();
  });
});
