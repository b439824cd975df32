/**
 * What the scenario's PostgreSQL sessions are doing, sampled from pg_stat_activity every `everyMs`:
 * running a statement, waiting for a lock (e.g. the register counter row, a delivery row), or "idle
 * in transaction" — the server waits for the client inside an open transaction, which in this
 * service means the Node event loop has not come back to the transaction yet (it is busy with other
 * work such as XML canonicalisation). Locks and pool connections stay held meanwhile.
 */
import type pg from 'pg';

export interface SessionStats {
  samples: number;
  /** Mean number of sessions per state over the window. */
  running: number;
  waitingForLock: number;
  idleInTransaction: number;
  idle: number;
  /** Max seen of the two interesting ones. */
  maxWaitingForLock: number;
  maxIdleInTransaction: number;
  /** The statements that waited for a lock (first 70 characters, sampled counts). */
  lockWaitsByRelation: Record<string, number>;
}

export function sampleSessions(sql: pg.Client, database: string, everyMs = 100): { stop(): Promise<SessionStats> } {
  const s: SessionStats = { samples: 0, running: 0, waitingForLock: 0, idleInTransaction: 0, idle: 0, maxWaitingForLock: 0, maxIdleInTransaction: 0, lockWaitsByRelation: {} };
  let busy: Promise<void> | undefined;
  const tick = async () => {
    const r = await sql.query<{ state: string | null; wait: string | null; n: string }>(
      `select state, wait_event_type wait, count(*) n from pg_stat_activity
        where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend' group by 1, 2`,
      [database],
    );
    let lock = 0;
    let iit = 0;
    for (const row of r.rows) {
      const n = Number(row.n);
      if (row.state === 'active' && row.wait === 'Lock') lock += n;
      else if (row.state === 'active') s.running += n;
      else if (row.state?.startsWith('idle in transaction')) iit += n;
      else if (row.state === 'idle') s.idle += n;
    }
    s.waitingForLock += lock;
    s.idleInTransaction += iit;
    s.maxWaitingForLock = Math.max(s.maxWaitingForLock, lock);
    s.maxIdleInTransaction = Math.max(s.maxIdleInTransaction, iit);
    if (lock > 0) {
      // What the waiting sessions run (row locks show as a wait on the holder's transaction id).
      const rel = await sql.query<{ rel: string | null; n: string }>(
        `select left(regexp_replace(a.query, '\\s+', ' ', 'g'), 70) rel, count(*) n
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where not l.granted and a.datname = $1 group by 1`,
        [database],
      );
      for (const row of rel.rows) s.lockWaitsByRelation[row.rel ?? '?'] = (s.lockWaitsByRelation[row.rel ?? '?'] ?? 0) + Number(row.n);
    }
    s.samples++;
  };
  const timer = setInterval(() => {
    if (!busy) busy = tick().catch(() => undefined).finally(() => (busy = undefined));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      const n = s.samples || 1;
      return { ...s, running: s.running / n, waitingForLock: s.waitingForLock / n, idleInTransaction: s.idleInTransaction / n, idle: s.idle / n };
    },
  };
}

export function describeSessions(s: SessionStats): string {
  const rels = Object.entries(s.lockWaitsByRelation)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `PostgreSQL sessions on average: ${s.running.toFixed(1)} running a statement, ${s.idleInTransaction.toFixed(1)} idle in transaction ` +
    `(max ${s.maxIdleInTransaction}; the server waits for Node inside an open transaction), ${s.waitingForLock.toFixed(1)} waiting for a lock ` +
    `(max ${s.maxWaitingForLock}${rels ? `; the waiting statements, sampled: ${rels}` : ''})`
  );
}
