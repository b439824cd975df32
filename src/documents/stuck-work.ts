import type { EntityManager } from '@mikro-orm/postgresql';

export interface StuckWork {
  sign: string[];
  route: string[];
  deliver: string[];
  status: string[];
}

/**
 * Work that PostgreSQL says is unfinished and older than `graceMs` (so the fast path had its
 * chance). Redis holds nothing that cannot be rebuilt from this: after a flush or a restart the
 * sweep enqueues it again, and deterministic job ids plus idempotent steps make that harmless.
 */
export async function findStuckWork(em: EntityManager, graceMs: number, limit = 1_000): Promise<StuckWork> {
  const before = new Date(Date.now() - graceMs);
  const conn = em.getConnection();
  const ids = async (sql: string) => (await conn.execute<Array<{ id: string }>>(sql, [before, limit])).map((r) => r.id);
  const [sign, route, deliver, status] = await Promise.all([
    ids(`select id from outgoing_document where state = 'queued' and updated_at < ? order by updated_at limit ?`),
    ids(`select id from outgoing_document where state = 'signed' and updated_at < ? order by updated_at limit ?`),
    ids(`select d.id from delivery d join outgoing_document o on o.id = d.document_id
         where d.state in ('pending', 'sending') and o.state in ('sent', 'recalled') and d.updated_at < ? order by d.updated_at limit ?`),
    ids(`select id from status_record where carried = false and created_at < ? order by created_at limit ?`),
  ]);
  return { sign, route, deliver, status };
}
