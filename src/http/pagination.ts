import { z } from '@hono/zod-openapi';
import { DomainError } from '../errors.js';

/** `?limit=` (default 50, max 500) and `?cursor=` of API.md "Lists". */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ example: 50 }),
  cursor: z.string().max(500).optional().openapi({ description: 'Opaque cursor from a previous page' }),
});

/**
 * The last sort key of a page, as each list keys its rows. A cursor is opaque to clients but not
 * trusted: whatever it decodes to is checked against the key of the list it is given to, so a forged
 * or garbled one is a 422 on `cursor`, never an invalid date or a malformed UUID reaching SQL (500).
 */
export const CURSOR_KEYS = {
  /** A row id (UUID, any version: what PostgreSQL's uuid type takes). */
  id: z.guid(),
  /** An agency code, group code or partner id: letters, digits, `.`, `_`, `-`. */
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/),
  /** A bigint serial, as text (audit events). */
  serial: z.string().regex(/^[1-9]\d{0,17}$/),
  /** A time and the row id that breaks ties (newest-first lists), written by timeKey. */
  time: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\|[0-9a-f-]{36}$/i)
    .transform((value) => {
      const [at, id] = value.split('|') as [string, string];
      return { at: new Date(at), id };
    })
    .refine(({ at, id }) => !Number.isNaN(at.getTime()) && z.guid().safeParse(id).success),
} as const;

/** What decodeCursor checks a cursor's key with: one of CURSOR_KEYS. */
export type CursorKey<T> = z.ZodType<T, string>;

/** The key of a newest-first list: its time and the id that breaks ties (CURSOR_KEYS.time). */
export const timeKey = (at: Date, id: string): string => `${at.toISOString()}|${id}`;

/** Opaque cursors carry the last sort key of the previous page. */
export function encodeCursor(value: string): string {
  return Buffer.from(JSON.stringify({ k: value }), 'utf8').toString('base64url');
}

/**
 * The key a cursor carries, checked with `key` (a row id by default); 422 VALIDATION_FAILED on
 * `cursor` for anything this API did not hand out for that list.
 */
export function decodeCursor(cursor: string | undefined): string | undefined;
export function decodeCursor<T>(cursor: string | undefined, key: CursorKey<T>): T | undefined;
export function decodeCursor(cursor: string | undefined, key: CursorKey<unknown> = CURSOR_KEYS.id): unknown {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown } | null)?.k;
  } catch {
    value = undefined;
  }
  const parsed = typeof value === 'string' ? key.safeParse(value) : undefined;
  if (parsed?.success) return parsed.data;
  throw new DomainError('VALIDATION_FAILED', 'The cursor is not one this list returned; start again without it.', {
    errors: [{ path: 'cursor', message: 'not a cursor of this list' }],
  });
}

/** Builds `{ items, nextCursor }` from a page fetched with limit+1 rows. */
export function page<T, V>(rows: T[], limit: number, key: (row: T) => string, view: (row: T) => V): { items: V[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null,
  };
}

/** The list envelope schema for OpenAPI. */
export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
