import { describe, expect, it } from 'vitest';
import { promulgationPlace } from './place.js';

describe('promulgationPlace (địa danh)', () => {
  it('is the administrative unit when the directory has one', () => {
    expect(promulgationPlace({ name: 'Sở Nội vụ tỉnh An Giang', administrativeUnit: 'An Giang' })).toBe('An Giang');
  });

  it.each([
    ['UBND huyện Thứ Hạn', 'Thứ Hạn'],
    ['UBND tỉnh Kiên Giang', 'Kiên Giang'],
    ['UBND thành phố Rạch Giá', 'Rạch Giá'],
    ['UBND thị xã Hà Tiên', 'Hà Tiên'],
    ['UBND xã Bình An', 'Bình An'],
    ['UBND phường Vĩnh Thanh Vân', 'Vĩnh Thanh Vân'],
    ['UBND thị trấn Kiên Lương', 'Kiên Lương'],
    ['UBND đặc khu Phú Quốc', 'Phú Quốc'],
    ['Ủy ban nhân dân quận 1', 'Quận 1'],
    ['UBND Phường 5', 'Phường 5'],
    ['ubnd  xã  Hòn Nghệ ', 'Hòn Nghệ'],
  ])('is read from a people’s committee’s name: %s → %s', (name, place) => {
    expect(promulgationPlace({ name, administrativeUnit: null })).toBe(place);
  });

  it('is the name of any other agency, and of a committee whose name says no level', () => {
    expect(promulgationPlace({ name: 'Sở Tư pháp' })).toBe('Sở Tư pháp');
    expect(promulgationPlace({ name: 'UBND Kiên Lương', administrativeUnit: '  ' })).toBe('UBND Kiên Lương');
  });
});
