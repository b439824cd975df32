/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme): the byte form every hashed or signed
 * archive structure takes, so that a verifier years from now, in any language, rebuilds the exact
 * bytes from the parsed value. Object members are sorted by the UTF-16 code units of their names,
 * there is no whitespace, strings and numbers are written as ECMAScript's JSON.stringify writes them
 * (which is how RFC 8785 §3.2.2 defines them).
 */

/** A value canonical JSON can hold: no undefined, functions, NaN or Infinity. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The canonical serialisation of `value` as a string. Throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

/** The canonical serialisation as UTF-8 bytes (what is hashed and signed). */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // RFC 8785 §3.2.2.3: ECMAScript Number serialisation; NaN and Infinity have no JSON form.
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}, which JSON cannot represent`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(',')}]`;
      if (value instanceof Date) throw new TypeError(`canonical JSON: ${path} is a Date; write it as an ISO string first`);
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 prescribes.
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof value}, which JSON cannot represent`);
  }
}

/**
 * Parses bytes that must already be canonical JSON. Returns the value, or a precise reason: the
 * first byte where the input departs from its own canonical form (extra whitespace, reordered
 * members, an escaped character written differently…), so a one-byte change is named, not just
 * "invalid".
 */
export function parseCanonical(bytes: Buffer, what: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: `${what} is not valid UTF-8` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${what} is not valid JSON: ${(error as Error).message}` };
  }
  const canonical = canonicalBytes(value);
  if (!canonical.equals(bytes)) {
    const at = firstDifference(canonical, bytes);
    return { ok: false, reason: `${what} is not in canonical JSON form (RFC 8785): it departs from it at byte ${at}` };
  }
  return { ok: true, value };
}

/** Offset of the first byte where `a` and `b` differ (the shorter length when one is a prefix). */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
