import type { TypeCatalog } from '../registers/type-catalog.js';
import { canonicalTypeKey, documentType, documentTypeByName, DOCUMENT_TYPE_KEYS, notationProblem } from '../registers/document-types.js';

/** The document types of NĐ 30/2020 as the registers see them (handed to src/registers by runtime.ts). */
export const DOCUMENT_TYPE_CATALOG: TypeCatalog = {
  keys: DOCUMENT_TYPE_KEYS,
  key: (input) => documentType(canonicalTypeKey(input))?.key,
  name: (key) => documentType(key)?.name,
  keyOfName: (name) => documentTypeByName(name)?.key,
  notationProblem(key, notation, lang) {
    const type = documentType(key);
    return type ? notationProblem(type, notation, lang) : null;
  },
};
