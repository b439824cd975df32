/**
 * What the registers need to know of document types (NĐ 30/2020 Điều 7, Phụ lục III): the table
 * lives with the documents, which number through this module, so it is handed in (runtime.ts)
 * rather than imported — the registers stay below the documents.
 */
export interface TypeCatalog {
  /** Every accepted key, in the order of Điều 7. */
  readonly keys: readonly string[];
  /** The key of a type as a client wrote it (`ct` → `CT`), or undefined for an unknown one. */
  key(input: string): string | undefined;
  /** The name of a type key (`CT` → "Chỉ thị"), or undefined. */
  name(key: string): string | undefined;
  /** The key of a type name as a package writes it ("Chỉ thị" → `CT`), or undefined. */
  keyOfName(name: string): string | undefined;
  /** Why a ký hiệu does not fit a type (Phụ lục I II.3.b), or null when it does. */
  notationProblem(key: string, notation: string, lang: 'en' | 'vi'): string | null;
}
