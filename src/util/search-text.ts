/**
 * The words a clerk types into a search box, folded the way the database folds what it indexes
 * (lt_fold, migration 20261207100000_search): no marks (đ → d), lower case, every run of other
 * characters one space, leading zeros off a number. "Triển khai" and "trien khai" are the same words;
 * "15/QĐ-UBND" is "15 qd ubnd".
 */
export function foldSearchText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/(^| )0+(?=[0-9])/g, '$1')
    .trim();
}

/** At most this many words count: a search box is not a document. */
const MAX_WORDS = 8;

/**
 * A tsquery ('simple' configuration) for what a clerk typed, or null when nothing searchable is left.
 * Every word must match (`&`); the parts of one word stay in order (`15/QĐ-UBND` → `15 <-> qd <->
 * ubnd`); the last word typed matches as a prefix when it has letters ("trien kh" finds "triển
 * khai": the clerk may still be typing it), the others and numbers only as themselves ("lũ" is not
 * "Lương", 15 is not 150). Only [a-z0-9] reach the query: nothing typed can be tsquery syntax.
 */
export function searchQuery(text: string | undefined): string | null {
  const words = (text ?? '')
    .split(/\s+/)
    .map(foldSearchText)
    .filter(Boolean)
    .slice(0, MAX_WORDS);
  if (!words.length) return null;
  return words
    .map((word, w) => {
      const parts = word.split(' ');
      const last = w === words.length - 1;
      return parts.map((part, i) => (last && i === parts.length - 1 && /[a-z]/.test(part) ? `${part}:*` : part)).join(' <-> ');
    })
    .join(' & ');
}
