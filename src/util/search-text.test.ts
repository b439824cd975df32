import { describe, expect, it } from 'vitest';
import { foldSearchText, searchQuery } from './search-text.js';

describe('foldSearchText', () => {
  it('takes the marks off every Vietnamese letter, in either Unicode form', () => {
    expect(foldSearchText('Triển khai DỊCH VỤ công trực tuyến')).toBe('trien khai dich vu cong truc tuyen');
    expect(foldSearchText('Đ đ Ư ư Ơ ơ Ỹ ỹ Ặ ặ')).toBe('d d u u o o y y a a');
    expect(foldSearchText('Hòa Điền'.normalize('NFD'))).toBe('hoa dien');
  });

  it('splits codes into their parts and drops the leading zeros of numbers', () => {
    expect(foldSearchText('05/QĐ-UBND')).toBe('5 qd ubnd');
    expect(foldSearchText('000.00.33.H33,2026/01/07,15/CT-UBND')).toBe('0 0 33 h33 2026 1 7 15 ct ubnd');
    expect(foldSearchText('100 50 h033')).toBe('100 50 h033');
  });
});

describe('searchQuery', () => {
  it('ANDs the words, keeps the parts of a code in order, takes the last word typed as a beginning', () => {
    expect(searchQuery('  triển   kh ')).toBe('trien & kh:*');
    expect(searchQuery('15/QĐ-UBND')).toBe('15 <-> qd <-> ubnd:*');
    expect(searchQuery('15/QĐ-UBND khen')).toBe('15 <-> qd <-> ubnd & khen:*');
    expect(searchQuery('số 15')).toBe('so & 15');
  });

  it('leaves nothing of tsquery syntax and gives null when nothing searchable is left', () => {
    expect(searchQuery("a & !b | c:* <-> 'd'")).toBe('a & b & c & d:*');
    expect(searchQuery(' /// -- ')).toBeNull();
    expect(searchQuery(undefined)).toBeNull();
    expect(searchQuery('a b c d e f g h i j')?.split(' & ')).toHaveLength(8);
  });
});
