import { createHash } from 'node:crypto';
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
 * Runs `create` at most once per (principal, Idempotency-Key): the record of the first answer is
 * written in the same transaction as what it created, so a retry after a crash or a timeout gets
 * the first answer back instead of a second document (API.md "Conventions").
 */
export async function idempotent<T>(
  em: EntityManager,
  principal: Principal,
  key: string | undefined,
  route: string,
  body: unknown,
  create: (tx: EntityManager) => Promise<Answer<T>>,
): Promise<Answer<T>> {
  if (!key) return create(em);
  const who = principalKey(principal);
  const hash = requestHash({ route, body });
  const replay = async (): Promise<Answer<T> | null> => {
    const existing = await em.fork().findOne(IdempotencyRecordSchema, { principal: who, key });
    if (!existing) return null;
    if (existing.requestHash !== hash) {
      throw new DomainError('CONFLICT', 'This Idempotency-Key was already used with another request body or route.');
    }
    return { status: existing.status, body: existing.body as T };
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
        body: answer.body,
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
