import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyRecordSchema } from '../db/idempotency-record.entity.js';
import { DomainError } from '../errors.js';
import { principalKey, type Principal } from './context.js';

/** A stable JSON text (sorted keys) so that the same body hashes the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const requestHash = (body: unknown): string => createHash('sha256').update(stableJson(body)).digest('hex');

export interface Answer<T> {
  status: number;
  body: T;
}

/**
 * How long a first answer is kept: a client retries within minutes, not days (Stripe keeps keys 24 h
 * too). An older record is not replayed, the key may be used again, and the sweep deletes it.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyOptions<T, R> {
  /**
   * What is stored and replayed instead of the first answer, when that answer carries a secret that
   * must be shown once (a bearer token): the record would otherwise keep it in clear for a day and
   * hand it to whoever replays the key.
   */
  redact?: (body: T) => R;
}

/**
 * Runs `create` at most once per (principal, Idempotency-Key): the record of the first answer is
 * written in the same transaction as what it created, so a retry after a crash or a timeout gets
 * the first answer back instead of a second document (API.md "Conventions"). With `redact`, the
 * record and every replay hold `redact(answer)`; the first caller alone gets the answer itself.
 */
export async function idempotent<T, R = T>(
  em: EntityManager,
  principal: Principal,
  key: string | undefined,
  route: string,
  body: unknown,
  create: (tx: EntityManager) => Promise<Answer<T>>,
  options: IdempotencyOptions<T, R> = {},
): Promise<Answer<T | R>> {
  if (!key) return create(em);
  const who = principalKey(principal);
  const hash = requestHash({ route, body });
  const replay = async (): Promise<Answer<T | R> | null> => {
    const existing = await em.fork().findOne(IdempotencyRecordSchema, { principal: who, key });
    if (!existing) return null;
    const expiredBefore = new Date(Date.now() - IDEMPOTENCY_TTL_MS);
    if (existing.createdAt < expiredBefore) {
      // Expired: the key is free again. Only a still-expired row is deleted, so a fresh record that a
      // concurrent request just wrote survives (this request then loses the insert and replays it).
      await em.fork().nativeDelete(IdempotencyRecordSchema, { principal: who, key, createdAt: { $lt: expiredBefore } });
      return null;
    }
    if (existing.requestHash !== hash) {
      throw new DomainError('CONFLICT', 'This Idempotency-Key was already used with another request body or route.');
    }
    return { status: existing.status, body: existing.body as T | R };
  };
  const first = await replay();
  if (first) return first;
  try {
    return await em.transactional(async (tx) => {
      const answer = await create(tx);
      tx.create(IdempotencyRecordSchema, {
        principal: who,
        key,
        route,
        requestHash: hash,
        status: answer.status,
        body: options.redact ? options.redact(answer.body) : answer.body,
        createdAt: new Date(),
      });
      await tx.flush();
      return answer;
    });
  } catch (error) {
    // Two requests with the same key at once: the loser answers what the winner stored.
    if (error instanceof UniqueConstraintViolationException) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw error;
  }
}

/**
 * Deletes idempotency records older than the TTL, at most `limit` rows (oldest first, through the
 * created_at index), so one call holds its locks briefly whatever the backlog. The repeatable sweep
 * calls it: cleaning up there costs the request path nothing and happens even when no request comes,
 * and correctness never depends on it, since `idempotent()` itself ignores expired records.
 */
export async function purgeExpiredIdempotencyRecords(em: EntityManager, now = new Date(), limit = 10_000): Promise<number> {
  const rows = await em.getConnection().execute<Array<{ n: string }>>(
    `with gone as (
       delete from idempotency_record r
       using (select principal, key from idempotency_record where created_at < ? order by created_at limit ?) old
       where r.principal = old.principal and r.key = old.key
       returning 1)
     select count(*) as n from gone`,
    [new Date(now.getTime() - IDEMPOTENCY_TTL_MS), limit],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Said by a replay in place of a token that was shown once. */
export const TOKEN_SHOWN_ONCE_NOTE =
  'The token is shown only in the first answer to an Idempotency-Key and is never stored, so this replay cannot show it. ' +
  'If it was lost, deactivate this user or partner and create a new one.';

/** A first answer without its bearer token: what is stored, and what every replay answers. */
export type TokenShownOnce<T extends { token: string }> = Omit<T, 'token'> & { token: null; tokenShownOnce: true; note: string };

/** The `redact` of `idempotent()` for answers that carry a bearer token (new users, new partners). */
export function withoutToken<T extends { token: string }>(body: T): TokenShownOnce<T> {
  return { ...body, token: null, tokenShownOnce: true, note: TOKEN_SHOWN_ONCE_NOTE };
}

/**
 * The OpenAPI fields of an answer whose token is shown once (`withoutToken` makes the replay):
 * `token` is a string in the first answer, null with `tokenShownOnce` and `note` in a replay.
 */
export function tokenShownOnceFields(description: string) {
  return {
    token: z.string().nullable().openapi({
      description: `${description}. Shown once: null when this is a replay of an Idempotency-Key request, since tokens are never stored`,
    }),
    tokenShownOnce: z.literal(true).optional().openapi({ description: 'Present (true) only in a replay: the token was in the first answer and is not kept' }),
    note: z.string().optional().openapi({ description: 'Present only in a replay: why `token` is null, and what to do if it was lost', example: TOKEN_SHOWN_ONCE_NOTE }),
  };
}
