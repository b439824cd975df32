/**
 * The characters an XML 1.0 document cannot carry at all, not even as character references
 * (XML 1.0 §2.2 Char): C0 controls other than TAB, LF and CR, U+FFFE, U+FFFF and unpaired UTF-16
 * surrogates. Text with one of them can be stored but never signed; so it is refused where it comes
 * in (the document's fields, `src/http/xml-text.ts`) and checked again before a package is written
 * (`validate.ts`). No XML library here: plain string rules that any module may use.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const NOT_XML_CHAR_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NOT_XML_CHAR_GLOBAL_RE = new RegExp(NOT_XML_CHAR_RE.source, 'g');

/** The first character of `text` that XML 1.0 cannot carry, with its index, or null. */
export function firstNonXmlChar(text: string): { index: number; codePoint: string } | null {
  const bad = NOT_XML_CHAR_RE.exec(text);
  return bad ? { index: bad.index, codePoint: `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` } : null;
}

/** `text` without the characters XML 1.0 cannot carry. */
export function stripNonXmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR_GLOBAL_RE, '');
}
