import { describe, expect, it } from 'vitest';
import { documentType, notationProblem } from './document-types.js';

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
