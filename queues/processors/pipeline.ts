import { UnrecoverableError, type Job } from 'bullmq';
import { carryStatus } from '../../src/delivery/carry-status.js';
import { deliverLocal } from '../../src/delivery/deliver-local.js';
import { deliverRemote, isRemoteDelivery, recordDeliveryFailure } from '../../src/delivery/deliver-remote.js';
import { recordSignFailure, signDocument } from '../../src/delivery/sign.js';
import { routeDocument } from '../../src/delivery/route.js';
import type { PipelineDeps } from '../../src/delivery/verify-received.js';
import { DomainError } from '../../src/errors.js';
import { TransportError } from '../../src/transport/http-client.js';
import { isNewProblem, pollAxis } from '../../src/exchange/axis-poll.js';
import { refuseUpdate, sendUpdate } from '../../src/delivery/update.js';
import { PartnerSchema } from '../../src/directory/partner.entity.js';
import type { JobContext, JobProcessor } from '../context.js';

const deps = (ctx: JobContext): PipelineDeps => ctx.pipeline;

const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** sign → route: one signature per document, whatever the number of recipients. */
export const sign: JobProcessor<'sign'> = async ({ documentId }, ctx, job) => {
  let signed: boolean;
  try {
    signed = await signDocument(ctx.orm.em.fork(), deps(ctx), documentId);
  } catch (error) {
    await recordSignFailure(ctx.orm.em.fork(), documentId, error instanceof Error ? error.message : String(error), isLastAttempt(job));
    throw error;
  }
  if (signed) await ctx.queues.enqueue('route', { documentId });
};

/** route → deliver, in one bulk enqueue (local recipients in batches, each remote one alone). */
export const route: JobProcessor<'route'> = async ({ documentId }, ctx) => {
  await ctx.queues.enqueueMany('deliver', await routeDocument(ctx.orm.em.fork(), documentId));
};

/**
 * deliver (→ status only for what is not applied at once). A failure is recorded on the delivery
 * (attempt, last error) and retried with exponential back-off; after the last attempt the delivery is
 * `failed`, visible in the API. A batch that fails is split: each of its other deliveries gets its own
 * job, so one recipient's problem (no key, say) never holds back the others or hides its own reason.
 */
export const deliver: JobProcessor<'deliver'> = async ({ deliveryId, batch }, ctx, job) => {
  if (batch?.length && job.attemptsMade === 0) {
    try {
      const statusIds = await deliverLocal(ctx.orm.em.fork(), deps(ctx), [deliveryId, ...batch], { skipLocked: true });
      await ctx.queues.enqueueMany('status', statusIds.map((statusId) => ({ statusId })));
      return;
    } catch (error) {
      ctx.logger.warn({ err: error, deliveryId, batch: batch.length + 1 }, 'batched delivery failed; delivering one by one');
      // Should the queue be unreachable too, the sweep finds these deliveries in PostgreSQL.
      await ctx.queues
        .enqueueMany('deliver', batch.map((id) => ({ deliveryId: id })))
        .catch((err: unknown) => ctx.logger.warn({ err, deliveryId }, 'could not enqueue the members of a failed batch; the sweep will'));
    }
  }
  try {
    if (await isRemoteDelivery(ctx.orm.em, deliveryId)) {
      await deliverRemote(ctx.orm.em.fork(), deps(ctx), deliveryId);
    } else {
      const statusIds = await deliverLocal(ctx.orm.em.fork(), deps(ctx), [deliveryId]);
      await ctx.queues.enqueueMany('status', statusIds.map((statusId) => ({ statusId })));
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A package that does not verify, or that a partner refused, fails the same way on a retry.
    const permanent =
      (error instanceof DomainError && ['SIGNATURE_INVALID', 'CERTIFICATE_UNTRUSTED', 'XML_MALFORMED', 'XML_FORBIDDEN', 'NOT_FOUND'].includes(error.code)) ||
      (error instanceof TransportError && !error.retryable);
    await recordDeliveryFailure(ctx.orm.em.fork(), deliveryId, message, permanent || isLastAttempt(job));
    if (permanent) throw new UnrecoverableError(message);
    throw error;
  }
};

/** Applies a signed status on the other side. */
export const status: JobProcessor<'status'> = async ({ statusId }, ctx) => {
  await carryStatus(ctx.orm.em.fork(), deps(ctx), statusId);
};

/**
 * Takes a document's update to one recipient. Transport trouble is retried (and the sweep finds a
 * requested update again); a partner that refuses the package for good ends it, on the timeline.
 */
export const update: JobProcessor<'update'> = async ({ deliveryUpdateId }, ctx) => {
  try {
    await sendUpdate(ctx.orm.em.fork(), deps(ctx), deliveryUpdateId);
  } catch (error) {
    if (!(error instanceof TransportError) || error.retryable) throw error;
    await refuseUpdate(ctx.orm.em.fork(), deliveryUpdateId, error.message);
    throw new UnrecoverableError(error.message);
  }
};

/**
 * Polls one axis partner; the recipients' 01s for what arrived go back through the status queue. A
 * poll that fails is not retried (the next sweep polls again) and does not throw: its error is on the
 * partner (GET /v1/partners/{id}), and the log says it once when it starts or changes, not every sweep.
 */
export const poll: JobProcessor<'poll'> = async ({ partnerId }, ctx) => {
  const partner = await ctx.orm.em.fork().findOne(PartnerSchema, { id: partnerId });
  if (!partner) return { skipped: 'no such partner' };
  const before = partner.lastError ?? null;
  try {
    const outcome = await pollAxis(ctx.orm.em.fork(), deps(ctx), partner, ctx.logger);
    await ctx.queues.enqueueMany('status', outcome.statusIds.map((statusId) => ({ statusId })));
    if (before !== null) ctx.logger.info({ partner: partnerId }, 'axis poll works again');
    return outcome;
  } catch (error) {
    // Neither the axis nor the partner's registration (PartnerSetupError is a TransportError): a fault
    // of ours, worth its stack trace.
    if (!(error instanceof TransportError)) throw error;
    const paused = partner.circuitOpenUntil !== null && partner.circuitOpenUntil !== undefined && partner.circuitOpenUntil > new Date();
    const fields = { partner: partnerId, error: error.message };
    // Transport trouble is logged when its message changes; a problem when this poll recorded it first.
    const fresh = error.retryable ? error.message !== before : isNewProblem(error);
    if (fresh && !paused) ctx.logger.warn(fields, 'axis poll failing (recorded on the partner: GET /v1/partners/{id})');
    else ctx.logger.debug(fields, 'axis poll failing');
    return { failed: error.message };
  }
};
