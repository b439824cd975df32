import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The last time each worker process ran the sweep. Kept in PostgreSQL, not in process memory, so
 * any api process can report it in /metrics (DESIGN.md §2: nothing one process needs lives in another).
 */
export const WorkerHeartbeatSchema = defineEntity({
  name: 'WorkerHeartbeat',
  tableName: 'worker_heartbeat',
  properties: {
    workerId: p.string().length(200).primary(),
    lastSweepAt: p.datetime(),
    sweeps: p.bigint('number').default(0),
  },
});
export type WorkerHeartbeat = InferEntity<typeof WorkerHeartbeatSchema>;
