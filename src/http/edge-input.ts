import { z } from '@hono/zod-openapi';

/**
 * What every body the API reads goes through before its schema (issue 15, "normalised at the edge"):
 * Vietnamese text in one Unicode form. A subject typed on a keyboard that sends decomposed letters
 * (NFD: `e` + U+0302 + U+0303 for `ễ`) is stored as the composed one (NFC), so searching, comparing
 * and the ký hiệu checks treat both spellings as the same text.
 */

/**
 * Keys whose values are kept exactly as sent: secrets are compared or presented byte for byte (a
 * password as typed at the next log-in, a partner's credentials to the partner).
 */
const KEPT_AS_SENT = /password|secret|credential|token/i;

/** No body of this API nests this deep; anything deeper is left as it is (and refused by its schema). */
const MAX_DEPTH = 32;

/**
 * A parsed JSON value with every string in NFC, except under KEPT_AS_SENT keys. Returns a new value
 * (the argument is not changed); keys are kept as they are.
 */
export function normaliseText(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return toNfc(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => normaliseText(v, depth + 1));
  // Object.fromEntries defines own properties: a `__proto__` key stays a plain key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, KEPT_AS_SENT.test(k) ? v : normaliseText(v, depth + 1)]));
}

/** A text field of a form (multipart), in NFC unless it holds a secret (KEPT_AS_SENT). */
export function normaliseField(name: string, value: string): string {
  return KEPT_AS_SENT.test(name) ? value : toNfc(value);
}

/**
 * Every character below U+0300 (the first combining mark) has NFC_Quick_Check = Yes and canonical
 * combining class 0, and none is the second character of a canonical composition, so a string made
 * only of them is in NFC (UAX #15 §9): base64, ASCII identifiers, Latin-1 text.
 */
const NOT_BELOW_COMBINING = /[\u0300-\uFFFF]/;

/**
 * `s` in NFC. A string with no character from U+0300 up is NFC already and is returned as it is:
 * the test is one scan that stops at the first such character, where `normalize` copies the whole
 * string — and a JSON attachment is megabytes of base64 (issue 16: the NFC pass was one more copy of
 * every attachment on the way in).
 */
export function toNfc(s: string): string {
  return NOT_BELOW_COMBINING.test(s) ? s.normalize('NFC') : s;
}

/**
 * A body schema that reads its input in NFC first (normaliseText). Every JSON body goes through it:
 * `jsonBody()` (src/http/openapi.ts) wraps the schema of each route, and the routes that read their
 * own bodies (POST /v1/documents: JSON, or the multipart `metadata` part) call it too.
 */
export const edgeSchema = <T extends z.ZodType>(schema: T) => z.preprocess((value) => normaliseText(value), schema);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A calendar date `YYYY-MM-DD` that exists (no 2026-02-30). One message per mistake: the calendar is
 * asked only of what has the shape.
 */
export const isoDate = () =>
  z
    .string()
    .regex(ISO_DATE, { message: 'must be a date YYYY-MM-DD', abort: true })
    .superRefine((value, ctx) => {
      const at = new Date(`${value}T00:00:00Z`);
      if (Number.isNaN(at.getTime()) || !at.toISOString().startsWith(value)) {
        ctx.addIssue({ code: 'custom', message: `not a real date (${value})`, params: { key: 'real_date', value } });
      }
    });
