import type { EntityManager } from '@mikro-orm/postgresql';

/** The year of an instant in Vietnam time (UTC+7, no DST): registers restart on 1 January there. */
export function vietnamYear(at: Date): number {
  return new Date(at.getTime() + 7 * 3_600_000).getUTCFullYear();
}

/** Today's date in Vietnam time as YYYY-MM-DD. */
export function vietnamToday(at = new Date()): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * The next number of an agency's register for a year: 'out' (số đi) or 'in' (số đến). The upsert
 * takes the counter row's lock until the caller's transaction ends, so concurrent requests from any
 * number of processes get 1, 2, 3… and a rolled-back request gives its number back: no gap, no
 * duplicate (NĐ 30/2020 Điều 15, 22). Must run inside the transaction that uses the number.
 */
export async function nextRegisterNumber(em: EntityManager, agencyCode: string, year: number, kind: 'out' | 'in'): Promise<number> {
  const rows = await em.getConnection().execute<Array<{ last: number }>>(
    `insert into register_counter (agency_code, year, kind, last) values (?, ?, ?, 1)
     on conflict (agency_code, year, kind) do update set last = register_counter.last + 1
     returning last`,
    [agencyCode, year, kind],
    'all',
    em.getTransactionContext(),
  );
  const row = rows[0];
  if (!row) throw new Error('the register did not return a number');
  return Number(row.last);
}
