import { findStuckWork, flagLongWaits, flagUnansweredRecalls } from '../../src/delivery/sweep.js';
import { purgeExpiredIdempotencyRecords } from '../../src/http/idempotency.js';
import { recordSweep } from '../../src/ops/heartbeat.repository.js';
import type { JobProcessor } from '../context.js';
import { sweepArchive } from './archive.js';

/**
 * The repeatable sweep: writes the worker heartbeat that /metrics reports, enqueues again every
 * unfinished step found in PostgreSQL (after a Redis flush or restart, or a lost enqueue), and
 * deletes expired idempotency records.
 */
export const sweep: JobProcessor<'sweep'> = async (_payload, ctx) => {
  const em = ctx.orm.em.fork();
  const at = new Date();
  await recordSweep(em, ctx.workerId, at);
  const stuck = await findStuckWork(em, ctx.config.sweepGraceMs, ctx.config.sweepBatch);
  const flagged = await flagLongWaits(em, ctx.config.waitingForArrivalMs, ctx.config.sweepBatch);
  if (flagged.length) ctx.logger.warn({ deliveries: flagged.length }, 'deliveries handed over to partners are still waiting for their 01');
  const unanswered = await flagUnansweredRecalls(em, ctx.config.waitingForArrivalMs, ctx.config.sweepBatch);
  if (unanswered.length) ctx.logger.warn({ deliveries: unanswered.length }, 'recalls still unanswered (15/16): the recipients may hold nothing to answer about');
  await Promise.all([
    ctx.queues.enqueueMany('sign', stuck.sign.map((documentId) => ({ documentId }))),
    ctx.queues.enqueueMany('route', stuck.route.map((documentId) => ({ documentId }))),
    ctx.queues.enqueueMany('deliver', stuck.deliver.map((deliveryId) => ({ deliveryId }))),
    ctx.queues.enqueueMany('status', stuck.status.map((statusId) => ({ statusId }))),
    ctx.queues.enqueueMany('update', stuck.update.map((deliveryUpdateId) => ({ deliveryUpdateId }))),
  ]);
  // Axis partners are polled every sweep (one poll job per partner at a time).
  const axis = await em.getConnection().execute<Array<{ id: string }>>(`select id from partner where kind = 'axis' and active = true and base_url is not null`);
  await ctx.queues.enqueueMany('poll', axis.map((p) => ({ partnerId: p.id })));
  // The archive's share (sealing, checkpoints, retention) must not stop the recovery above.
  await sweepArchive(ctx).catch((err: unknown) => ctx.logger.warn({ err }, 'sweep could not schedule archive work'));
  // Deadline reminders and digests (issue 18) run as their own job, one at a time.
  await ctx.queues.enqueue('remind', { trigger: 'sweep' }).catch((err: unknown) => ctx.logger.warn({ err }, 'sweep could not schedule the reminders'));
  // Idempotency records older than 24 h are never replayed; deleting them here (bounded per sweep)
  // keeps the table small without adding a statement to any request.
  const purged = await purgeExpiredIdempotencyRecords(em).catch((err: unknown) => {
    ctx.logger.warn({ err }, 'sweep could not delete expired idempotency records');
    return 0;
  });
  if (purged) ctx.logger.debug({ purged }, 'sweep deleted expired idempotency records');
  const requeued = Object.values(stuck).reduce((n, ids) => n + ids.length, 0);
  if (requeued) ctx.logger.info({ ...Object.fromEntries(Object.entries(stuck).map(([k, v]) => [k, v.length])) }, 'sweep re-enqueued unfinished work');
  return { at: at.toISOString(), requeued, idempotencyPurged: purged };
};
