import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Raw SQL on `em`'s connection: inside its transaction when `em` is one (a `transactional` callback's
 * `tx`), so a statement can never run beside the transaction on another pooled connection — which
 * would not see its rows, or would wait for its locks — by construction, not by remembering to pass
 * the transaction context. Placeholders are `?` (never `??`, which knex reads as an identifier).
 *
 * The parameters are bound, not written into the statement's text (MikroORM's `execute` inlines
 * them): node-postgres sends a Buffer as one binary parameter, byte for byte, where inlined it was a
 * hex literal twice its size inside one statement string — a 25 MiB package cost about 75 MiB on its
 * way to PostgreSQL (issue 16). Errors are MikroORM's (UniqueConstraintViolationException, …), as
 * from the ORM. Returns the rows.
 */
export function sqlOn(em: EntityManager): <T extends object = Record<string, unknown>[]>(sql: string, params?: readonly unknown[]) => Promise<T> {
  return async <T extends object>(sql: string, params: readonly unknown[] = []): Promise<T> => {
    const query = em.getConnection().getKnex().raw(sql, [...params] as never[]);
    const tx = em.getTransactionContext();
    if (tx) query.transacting(tx);
    try {
      return ((await query) as { rows: unknown }).rows as T;
    } catch (error) {
      throw error instanceof Error ? em.getDriver().convertException(error) : error;
    }
  };
}
