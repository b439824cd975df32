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

/** Keys by their upper case: no two keys differ only in case (CT and CTr are CT and CTR). */
const BY_UPPER_KEY: ReadonlyMap<string, string> = new Map(DOCUMENT_TYPE_KEYS.map((k) => [k.toLocaleUpperCase('vi'), k]));

/**
 * The key a clerk meant when the case alone differs (`qđ` → `QĐ`, `ttr` → `TTr`), trimmed and in NFC;
 * anything else as it came (trimmed), for the type check to refuse with suggestions.
 */
export function canonicalTypeKey(raw: string): string {
  const key = raw.normalize('NFC').trim();
  return DOCUMENT_TYPES.has(key) ? key : (BY_UPPER_KEY.get(key.toLocaleUpperCase('vi')) ?? key);
}

/** A key or name folded for near-miss matching: no diacritics, Đ as D, upper case, letters and digits only. */
const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');

/** Edit distance, for keys of a few letters. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The types a clerk may have meant by an unknown `type` (issue 15, "did you mean QĐ?"), best first, at
 * most three: the keys it spells without diacritics or punctuation (`QD`, `q.đ` → QĐ; `HD` would be
 * Hướng dẫn itself), the type it names (`quyet dinh` → QĐ), else keys one letter away (`CTT` → CT, CTr).
 */
export function typeSuggestions(raw: string): DocumentTypeInfo[] {
  const wanted = fold(raw);
  if (!wanted) return [];
  const types = [...DOCUMENT_TYPES.values()];
  const same = types.filter((t) => fold(t.key) === wanted || fold(t.name) === wanted);
  if (same.length) return same.slice(0, 3);
  if (wanted.length < 2) return [];
  return types
    .map((t) => ({ t, d: distance(fold(t.key), wanted) }))
    .filter(({ d }) => d === 1)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ t }) => t);
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
 * must not start with a type's abbreviation: 03/QĐ-UBND on a công văn reads as a decision. In English,
 * or in Vietnamese with `lang` 'vi'.
 */
export function notationProblem(type: DocumentTypeInfo, notation: string, lang: 'en' | 'vi' = 'en'): string | null {
  const text = notation.normalize('NFC');
  if (type.abbreviation) {
    if (text.startsWith(`${type.abbreviation}-`)) return null;
    return lang === 'vi'
      ? `${type.name} có ký hiệu dạng ${type.abbreviation}-<cơ quan>, ví dụ ${type.abbreviation}-UBND`
      : `a ${type.name} is numbered ${type.abbreviation}-<agency>, e.g. ${type.abbreviation}-UBND`;
  }
  const first = text.split(/[-.]/, 1)[0] ?? '';
  const other = BY_ABBREVIATION.get(first.toUpperCase());
  if (!other) return null;
  return lang === 'vi'
    ? `${type.name} mang chữ viết tắt của cơ quan ban hành và đơn vị soạn thảo (ví dụ UBND-VP), không mang mã ${other.abbreviation} của ${other.name}`
    : `a ${type.name} carries the abbreviations of the issuing agency and unit (e.g. UBND-VP), not the ${other.name} code ${other.abbreviation}`;
}
