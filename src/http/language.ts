/**
 * The languages human messages are written in (issue 15): English by default, Vietnamese for a
 * request that prefers it (`Accept-Language: vi`) and for the console.
 */
export type Language = 'en' | 'vi';

export const LANGUAGES: readonly Language[] = ['en', 'vi'];

/**
 * The language to answer in, read from an Accept-Language header (RFC 9110 §12.5.4): the range with
 * the highest q-value that we speak wins (`vi`, `vi-VN`, `en-GB`… by their primary tag; `*` means
 * any, that is English); `q=0` refuses a language; equal q-values keep the client's order. English
 * when the header is absent, malformed or names nothing we speak.
 */
export function preferredLanguage(header: string | null | undefined): Language {
  if (!header) return 'en';
  const ranges: Array<{ range: string; q: number }> = [];
  for (const part of header.slice(0, 1000).split(',')) {
    const [rawRange = '', ...params] = part.split(';');
    const range = rawRange.trim().toLowerCase();
    if (!/^(\*|[a-z]{1,8}(-[a-z0-9]{1,8})*)$/.test(range)) continue;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (m) q = Math.min(1, Number(m[1]));
    }
    ranges.push({ range, q });
  }
  // `*` stands for a language not named elsewhere: English, or Vietnamese when English is refused.
  const refused = new Set(ranges.filter((r) => r.q === 0).map((r) => r.range));
  const wildcard: Language | undefined = !refused.has('en') ? 'en' : !refused.has('vi') ? 'vi' : undefined;
  let best: { lang: Language; q: number } | undefined;
  for (const { range, q } of ranges) {
    if (q === 0) continue;
    const primary = range.split('-', 1)[0];
    const lang = range === '*' ? wildcard : primary === 'vi' || primary === 'en' ? primary : undefined;
    if (lang && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'en';
}
