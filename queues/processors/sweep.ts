import { recordSweep } from '../../src/ops/heartbeat.repository.js';
import type { JobProcessor } from '../context.js';

/**
 * The repeatable sweep. For now it writes the worker heartbeat that /metrics reports; the
 * exchange adds re-enqueueing of unfinished steps found in PostgreSQL here.
 */
export const sweep: JobProcessor<'sweep'> = async (_payload, ctx) => {
  const em = ctx.orm.em.fork();
  const at = new Date();
  await recordSweep(em, ctx.workerId, at);
  return { at: at.toISOString() };
};
