import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Raw SQL on `em`'s connection: inside its transaction when `em` is one (a `transactional` callback's
 * `tx`), so a statement can never run beside the transaction on another pooled connection — which
 * would not see its rows, or would wait for its locks — by construction, not by remembering to pass
 * the transaction context. Placeholders are `?`.
 */
export function sqlOn(em: EntityManager): <T extends object = Record<string, unknown>[]>(sql: string, params?: readonly unknown[]) => Promise<T> {
  return (sql, params = []) => em.getConnection().execute(sql, [...params], 'all', em.getTransactionContext());
}
