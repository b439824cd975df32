import { z } from '@hono/zod-openapi';
import { DomainError } from '../errors.js';

/** `?limit=` (default 50, max 500) and `?cursor=` of API.md "Lists". */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ example: 50 }),
  cursor: z.string().max(500).optional().openapi({ description: 'Opaque cursor from a previous page' }),
});

/** Opaque cursors carry the last sort key of the previous page. */
export function encodeCursor(value: string): string {
  return Buffer.from(JSON.stringify({ k: value }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed.k === 'string') return parsed.k;
  } catch {
    /* fall through */
  }
  throw new DomainError('VALIDATION_FAILED', 'The cursor is not one this API returned.', {
    errors: [{ path: 'cursor', message: 'invalid cursor' }],
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
