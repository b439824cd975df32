import { describe, expect, it } from 'vitest';
import { fold, parseListDate, readListFile, rowsFromAxis, rowsFromTable } from './sync-source.js';

describe('reading the national code list', () => {
  it('folds header names: marks, case, đ and separators do not matter', () => {
    expect(fold('Mã định danh')).toBe('madinhdanh');
    expect(fold('MÃ ĐỊNH DANH')).toBe('madinhdanh');
    expect(fold('ma_dinh_danh')).toBe('madinhdanh');
    expect(fold('Ngày hết hiệu lực')).toBe('ngayhethieuluc');
  });

  it('reads dates as lists write them, and refuses days that do not exist', () => {
    expect(parseListDate('2025-07-01')).toBe('2025-07-01');
    expect(parseListDate('1/7/2025')).toBe('2025-07-01');
    expect(parseListDate('01.07.2025')).toBe('2025-07-01');
    expect(parseListDate('31/02/2025')).toBeNull();
    expect(parseListDate('July 1st')).toBeNull();
  });

  it('finds the columns by their Vietnamese or English names in any order, and reads levels in Vietnamese', () => {
    const { rows, errors } = rowsFromTable([
      ['Cấp', 'Tên cơ quan', 'Mã định danh', 'Mã cơ quan kế thừa', 'Ngày hết hiệu lực', 'Mã cơ quan cấp trên'],
      ['Phường', '  UBND   phường Rạch Giá ', '000.01.01.h01', '', '', '000.00.00.H01'],
      ['Huyện', 'UBND huyện Kiên Lương', '000.00.33.H33', '000.03.01.H01; 000.04.01.H01', '01/07/2025', ''],
      ['Đặc khu', 'UBND đặc khu Phú Quốc', '000.05.01.H01', '', '', ''],
    ]);
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { row: 2, code: '000.01.01.H01', name: 'UBND phường Rạch Giá', parentCode: '000.00.00.H01', level: 'commune', validFrom: null, validTo: null, successorCodes: [] },
      { row: 3, code: '000.00.33.H33', name: 'UBND huyện Kiên Lương', parentCode: null, level: 'district', validFrom: null, validTo: '2025-07-01', successorCodes: ['000.03.01.H01', '000.04.01.H01'] },
      { row: 4, code: '000.05.01.H01', name: 'UBND đặc khu Phú Quốc', parentCode: null, level: 'commune', validFrom: null, validTo: null, successorCodes: [] },
    ]);
  });

  it('leaves out the rows it cannot read, each with its number and reason, and reads the others', () => {
    const { rows, errors } = rowsFromTable([
      ['code', 'name', 'level', 'validTo', 'successorCode'],
      ['000.01.01.H01', 'A', 'xã', '', ''],
      ['000.01.01.H01', 'A again', '', '', ''],
      ['not-a-code', 'B', '', '', ''],
      ['000.02.01.H01', 'C', 'vùng', '', ''],
      ['000.03.01.H01', 'D', '', '', '000.01.01.H01'],
      ['000.04.01.H01', '', '', '', ''],
    ]);
    expect(rows.map((r) => r.code)).toEqual(['000.01.01.H01']);
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [3, 'code'],
      [4, 'code'],
      [5, 'level'],
      [6, 'validTo'],
      [7, 'name'],
    ]);
    expect(errors[3]!.vi).toContain('ngày hết hiệu lực');
  });

  it('names the accepted header names when the code or name column is missing', () => {
    expect(() => rowsFromTable([['Mã số', 'Tên gọi'], ['000.01.01.H01', 'A']])).toThrow(/Mã định danh[\s\S]*Tên cơ quan/);
  });

  it("resolves the axis's parent ids to codes", () => {
    const { rows } = rowsFromAxis([
      { id: '7', code: '000.00.00.H01', name: 'UBND tỉnh', pid: null },
      { id: '8', code: '000.01.00.H01', name: 'Sở Nội vụ', pid: '7' },
    ]);
    expect(rows.map((r) => [r.code, r.parentCode])).toEqual([
      ['000.00.00.H01', null],
      ['000.01.00.H01', '000.00.00.H01'],
    ]);
  });

  it('tells a CSV from an XLSX by its bytes, and refuses a file named .xlsx that is not one', async () => {
    const csv = await readListFile(Buffer.from('code;name\n000.01.01.H01;A\n'), { fileName: 'list.csv' });
    expect(csv.kind).toBe('csv');
    expect(csv.rows.map((r) => r.name)).toEqual(['A']);
    await expect(readListFile(Buffer.from('code,name\n'), { fileName: 'list.xlsx' })).rejects.toThrow(/not one/);
  });
});
