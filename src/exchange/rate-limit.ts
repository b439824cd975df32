import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import { countInWindow, dropWindowsBefore } from './exchange.repository.js';

/**
 * Fixed one-minute windows counted in PostgreSQL (one upsert per request), so the limit holds
 * across api processes. Over the limit → 429 RATE_LIMITED with the seconds until the next window.
 */
export async function enforceRateLimit(em: EntityManager, key: string, perMinute: number, now = new Date()): Promise<void> {
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const count = await countInWindow(em, key, windowStart);
  if (count > perMinute) {
    const retryAfter = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000));
    throw new RateLimited(retryAfter, perMinute);
  }
  // Old windows are dropped now and then by whoever happens to be counting.
  if (count === 1) await dropWindowsBefore(em, new Date(windowStart.getTime() - 10 * 60_000));
}

export class RateLimited extends DomainError {
  constructor(retryAfterSeconds: number, perMinute: number) {
    super('RATE_LIMITED', `More than ${perMinute} requests this minute; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }
}
