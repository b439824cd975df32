import { describe, expect, it } from 'vitest';
import { canonicalTypeKey, documentType, notationProblem, typeSuggestions } from './document-types.js';

const problem = (type: string, notation: string) => notationProblem(documentType(type)!, notation);

describe('notationProblem (NĐ 30/2020 Phụ lục I II.3.b)', () => {
  it('a typed document starts with its own abbreviation', () => {
    expect(problem('CT', 'CT-UBND')).toBeNull();
    expect(problem('QĐ', 'QĐ-UBND')).toBeNull();
    expect(problem('TTr', 'TTr-UBND')).toBeNull();
    expect(problem('CT', 'QĐ-UBND')).toContain('CT-<agency>');
    expect(problem('CT', 'CTr-UBND')).toContain('CT-<agency>');
    expect(problem('CT', 'UBND-VP')).toContain('CT-<agency>');
  });

  it('a công văn or a thư công carries the agency and unit, never a type code, whatever its case', () => {
    expect(problem('CV', 'UBND-VP')).toBeNull();
    expect(problem('CV', 'UBND')).toBeNull();
    expect(problem('CV', 'CTUBND-VP')).toBeNull();
    expect(problem('THU', 'UBND')).toBeNull();
    expect(problem('CV', 'QĐ-UBND')).toContain('Quyết định code QĐ');
    expect(problem('CV', 'CT-UBND')).toContain('Chỉ thị code CT');
    expect(problem('CV', 'TTR-UBND')).toContain('Tờ trình code TTr');
    expect(problem('CV', 'KH.UBND')).toContain('Kế hoạch code KH');
    expect(problem('THU', 'GM-UBND')).toContain('Giấy mời code GM');
  });

  it('reads a decomposed Đ as the composed one', () => {
    const nfd = 'QĐ-UBND'.normalize('NFD');
    expect(problem('QĐ', nfd)).toBeNull();
    expect(problem('CV', nfd)).not.toBeNull();
  });
});

describe('type keys a clerk types (issue 15)', () => {
  it('a key in another case, with spaces or decomposed, is the key', () => {
    expect(canonicalTypeKey(' qđ ')).toBe('QĐ');
    expect(canonicalTypeKey('QĐ'.normalize('NFD').toLowerCase())).toBe('QĐ');
    expect(canonicalTypeKey('ttr')).toBe('TTr');
    expect(canonicalTypeKey('QYĐ')).toBe('QyĐ');
    expect(canonicalTypeKey('ct')).toBe('CT');
    expect(canonicalTypeKey('ctr')).toBe('CTr');
    // Not a key in any case: left for the type check to refuse.
    expect(canonicalTypeKey(' QD ')).toBe('QD');
  });

  const keys = (raw: string) => typeSuggestions(raw).map((t) => t.key);

  it('suggests the key spelt without diacritics or punctuation, or the type named', () => {
    expect(keys('QD')).toEqual(['QĐ']);
    expect(keys('q.đ')).toEqual(['QĐ']);
    expect(keys('H.D')).toEqual(['HD', 'HĐ']);
    expect(keys('Quyet dinh')).toEqual(['QĐ']);
    expect(keys('thư công')).toEqual(['THU']);
  });

  it('else keys one letter away, at most three; nothing for what is far from every key', () => {
    expect(keys('CTT')).toEqual(['CT', 'CTr', 'BTT']);
    expect(keys('XYZ')).toEqual([]);
    expect(keys('X')).toEqual([]);
    expect(keys('--')).toEqual([]);
  });

  it('says the ký hiệu rule in Vietnamese too', () => {
    expect(notationProblem(documentType('CT')!, 'UBND-VP', 'vi')).toBe('Chỉ thị có ký hiệu dạng CT-<cơ quan>, ví dụ CT-UBND');
    expect(notationProblem(documentType('CV')!, 'QĐ-UBND', 'vi')).toContain('không mang mã QĐ của Quyết định');
  });
});
