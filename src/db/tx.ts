import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';

/**
 * The handle of an open transaction: the EntityManager a `transactional` callback receives. Steps
 * pass it on to repositories, which run every statement on its connection (sqlOn); steps never query
 * through it themselves (issue 12: only repositories and src/db touch MikroORM and SQL).
 */
export type Tx = EntityManager;

/**
 * Runs `fn` in one transaction opened on `em` (committed when `fn` resolves, after the unit of work
 * is flushed; rolled back when it throws), the one way a workflow step opens a transaction.
 */
export function inTransaction<T>(em: EntityManager, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return em.transactional(fn);
}

/**
 * Writes the changes the unit of work of `tx` holds now, inside the transaction, rather than at
 * commit: before a statement that must see those rows (a foreign key, a trigger, a raw query).
 */
export async function flushChanges(tx: Tx): Promise<void> {
  await tx.flush();
}

/** Whether a write failed on a unique constraint (the same row written twice at once: the second may answer the first). */
export const isUniqueViolation = (error: unknown): boolean => error instanceof UniqueConstraintViolationException;
