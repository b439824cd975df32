/**
 * The document types of NĐ 30/2020/NĐ-CP Điều 7 with the abbreviations of its Phụ lục III. The API
 * takes the abbreviation as `type`; công văn and thư công have none, so `CV` and `THU` are our keys.
 */
export interface DocumentTypeInfo {
  /** The API key. */
  key: string;
  name: string;
  /** Abbreviation that starts the ký hiệu (e.g. `QĐ` in `15/QĐ-UBND`); null for công văn and thư công. */
  abbreviation: string | null;
  /** Position in Điều 7 (1-based), carried in edXML DocumentType/TypeDetail. */
  index: number;
}

const TYPES: Array<[string, string | null, string]> = [
  ['NQ', 'NQ', 'Nghị quyết'],
  ['QĐ', 'QĐ', 'Quyết định'],
  ['CT', 'CT', 'Chỉ thị'],
  ['QC', 'QC', 'Quy chế'],
  ['QyĐ', 'QyĐ', 'Quy định'],
  ['TC', 'TC', 'Thông cáo'],
  ['TB', 'TB', 'Thông báo'],
  ['HD', 'HD', 'Hướng dẫn'],
  ['CTr', 'CTr', 'Chương trình'],
  ['KH', 'KH', 'Kế hoạch'],
  ['PA', 'PA', 'Phương án'],
  ['ĐA', 'ĐA', 'Đề án'],
  ['DA', 'DA', 'Dự án'],
  ['BC', 'BC', 'Báo cáo'],
  ['BB', 'BB', 'Biên bản'],
  ['TTr', 'TTr', 'Tờ trình'],
  ['HĐ', 'HĐ', 'Hợp đồng'],
  ['CV', null, 'Công văn'],
  ['CĐ', 'CĐ', 'Công điện'],
  ['BGN', 'BGN', 'Bản ghi nhớ'],
  ['BTT', 'BTT', 'Bản thỏa thuận'],
  ['GUQ', 'GUQ', 'Giấy ủy quyền'],
  ['GM', 'GM', 'Giấy mời'],
  ['GGT', 'GGT', 'Giấy giới thiệu'],
  ['GNP', 'GNP', 'Giấy nghỉ phép'],
  ['PG', 'PG', 'Phiếu gửi'],
  ['PC', 'PC', 'Phiếu chuyển'],
  ['PB', 'PB', 'Phiếu báo'],
  ['THU', null, 'Thư công'],
];

export const DOCUMENT_TYPES: ReadonlyMap<string, DocumentTypeInfo> = new Map(
  TYPES.map(([key, abbreviation, name], i) => [key, { key, abbreviation, name, index: i + 1 }]),
);

export const DOCUMENT_TYPE_KEYS = [...DOCUMENT_TYPES.keys()];

/** Finds a type by its key, accepting the NFC/NFD forms of Vietnamese letters alike. */
export function documentType(key: string): DocumentTypeInfo | undefined {
  return DOCUMENT_TYPES.get(key.normalize('NFC'));
}

/** Finds a type by its Vietnamese name (for packages from other software), case-insensitively. */
export function documentTypeByName(name: string): DocumentTypeInfo | undefined {
  const wanted = name.normalize('NFC').trim().toLowerCase();
  for (const t of DOCUMENT_TYPES.values()) if (t.name.toLowerCase() === wanted) return t;
  return undefined;
}


/** Type abbreviations in upper case, to recognise one in a ký hiệu whatever its case (TTR, QYĐ). */
const BY_ABBREVIATION: ReadonlyMap<string, DocumentTypeInfo> = new Map(
  [...DOCUMENT_TYPES.values()].filter((t) => t.abbreviation).map((t) => [t.abbreviation!.toUpperCase(), t]),
);

/**
 * Why a ký hiệu does not fit the document's type, or null when it does (NĐ 30/2020 Phụ lục I
 * II.3.b): a typed document's starts with its type's abbreviation (15/QĐ-UBND); a công văn's — and a
 * thư công's — is the issuing agency's and the drafting unit's abbreviations (12/UBND-VP), so it
 * must not start with a type's abbreviation: 03/QĐ-UBND on a công văn reads as a decision.
 */
export function notationProblem(type: DocumentTypeInfo, notation: string): string | null {
  const text = notation.normalize('NFC');
  if (type.abbreviation) {
    return text.startsWith(`${type.abbreviation}-`) ? null : `a ${type.name} is numbered ${type.abbreviation}-<agency>, e.g. ${type.abbreviation}-UBND`;
  }
  const first = text.split(/[-.]/, 1)[0] ?? '';
  const other = BY_ABBREVIATION.get(first.toUpperCase());
  return other
    ? `a ${type.name} carries the abbreviations of the issuing agency and unit (e.g. UBND-VP), not the ${other.name} code ${other.abbreviation}`
    : null;
}
