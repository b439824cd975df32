import type { EntityManager } from '@mikro-orm/postgresql';

/** Records that `workerId` ran the sweep now (one row per worker process). */
export async function recordSweep(em: EntityManager, workerId: string, at: Date): Promise<void> {
  await em.getConnection().execute(
    `insert into worker_heartbeat (worker_id, last_sweep_at, sweeps) values (?, ?, 1)
     on conflict (worker_id) do update set last_sweep_at = excluded.last_sweep_at, sweeps = worker_heartbeat.sweeps + 1`,
    [workerId, at],
  );
}

/** The latest sweep of any worker, or null when no worker has swept yet. */
export async function latestSweep(em: EntityManager): Promise<{ at: Date; workers: number } | null> {
  const rows = await em
    .getConnection()
    .execute<Array<{ at: Date | null; workers: string }>>(
      `select max(last_sweep_at) as at, count(*) as workers from worker_heartbeat where last_sweep_at > now() - interval '1 day'`,
    );
  const row = rows[0];
  return row?.at ? { at: new Date(row.at), workers: Number(row.workers) } : null;
}
