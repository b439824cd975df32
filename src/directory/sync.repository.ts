/** The queries of directory syncs and their notices (STYLE.md: only repositories touch the ORM). */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { DirectorySyncNoticeSchema, DirectorySyncSchema, type DirectorySync, type DirectorySyncNotice } from './sync.entity.js';

export const findSync = (em: EntityManager, id: string, lock = false): Promise<DirectorySync | null> =>
  em.findOne(DirectorySyncSchema, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});

/** Syncs, newest first, keyset by (createdAt, id). */
export async function listSyncs(em: EntityManager, filter: { partnerId?: string | undefined; before?: { at: Date; id: string } | undefined; limit: number }): Promise<DirectorySync[]> {
  const qb = em.createQueryBuilder(DirectorySyncSchema, 's').select('*');
  if (filter.partnerId) qb.andWhere({ partnerId: filter.partnerId });
  if (filter.before) qb.andWhere(`(s.created_at, s.id) < (?, ?)`, [filter.before.at, filter.before.id]);
  return qb.orderBy({ createdAt: 'desc', id: 'desc' }).limit(filter.limit).getResultList();
}

/** Notices not resolved yet, newest first. */
export const openNotices = (em: EntityManager): Promise<DirectorySyncNotice[]> =>
  em.find(DirectorySyncNoticeSchema, { resolvedAt: null }, { orderBy: { createdAt: 'desc' } });

/** Resolves the open notices of a partner (a later nightly run replaces them) or of one sync (applied). */
export async function resolveNotices(em: EntityManager, where: { partnerId: string } | { syncId: string }, at: Date): Promise<void> {
  await em.nativeUpdate(DirectorySyncNoticeSchema, { ...where, resolvedAt: null }, { resolvedAt: at });
}

/**
 * The latest nightly sync of each partner: what the `lienthong_directory_sync_*` gauges report (the
 * differences it found, and when), read into the metrics snapshot.
 */
export async function latestNightlySyncs(em: EntityManager): Promise<Array<{ partnerId: string; createdAt: Date; state: string; counts: Record<string, number> }>> {
  const rows = await em
    .getConnection()
    .execute<Array<{ partner_id: string; created_at: Date; state: string; counts: Record<string, number> | string }>>(
      `select distinct on (partner_id) partner_id, created_at, state, counts from directory_sync
        where trigger = 'nightly' and partner_id is not null order by partner_id, created_at desc`,
    );
  return rows.map((r) => ({ partnerId: r.partner_id, createdAt: new Date(r.created_at), state: r.state, counts: typeof r.counts === 'string' ? (JSON.parse(r.counts) as Record<string, number>) : r.counts }));
}

/**
 * The reader of the `lienthong_directory_sync_differences{partner,kind}` gauge (a metrics snapshot
 * source, src/http/metrics.ts): per partner synced nightly, what its latest run found and left to an
 * administrator — new, renamed, moved, closed, absent — and 0 once that run was applied.
 */
export async function readSyncDifferences(em: EntityManager, set: (labels: Record<string, string>, value: number) => void): Promise<void> {
  for (const s of await latestNightlySyncs(em)) {
    for (const kind of ['new', 'renamed', 'moved', 'closed', 'absent']) set({ partner: s.partnerId, kind }, s.state === 'applied' ? 0 : (s.counts[kind] ?? 0));
  }
}
