import { agenciesDueForCheckpoint, documentsToSeal, inboxItemsToSeal, packagesToPurge } from '../../src/archive/archive.repository.js';
import { signCheckpoint } from '../../src/archive/checkpoint.js';
import { purgeExpired } from '../../src/archive/retention.js';
import { sealDocument, sealInboxItem, type SealDeps } from '../../src/archive/seal.js';
import type { JobContext, JobProcessor } from '../context.js';

const DAY_MS = 86_400_000;
// A subject changed this close to its last seal is looked at again (clocks of several processes
// differ a little); the seal makes no new version when nothing changed.
const RESEAL_MARGIN_MS = 60_000;

const sealDeps = (ctx: JobContext): SealDeps => ({
  pki: ctx.pipeline.pki,
  archiveAfterDays: ctx.config.archiveAfterDays,
  limits: { maxBytes: ctx.config.maxBodyBytes },
});

/** Seals a finished (or timed-out) document or inbox item into its agency's chain. */
export const archive: JobProcessor<'archive'> = async ({ subject, id }, ctx) => {
  const em = ctx.orm.em.fork();
  const outcome = subject === 'document' ? await sealDocument(em, sealDeps(ctx), id) : await sealInboxItem(em, sealDeps(ctx), id);
  if (outcome.sealed) ctx.logger.info({ subject, id, agency: outcome.agency, index: outcome.index, version: outcome.version }, 'archive record sealed');
  return outcome;
};

/** Signs the head of an agency's chain. */
export const checkpoint: JobProcessor<'checkpoint'> = async ({ agencyCode }, ctx) => {
  const row = await signCheckpoint(ctx.orm.em.fork(), ctx.pipeline.pki, agencyCode);
  return row ? { agency: agencyCode, index: row.chainIndex } : null;
};

/** Purges attachments whose retention ran out (the purge is in the audit trail). */
export const retention: JobProcessor<'retention'> = async (_payload, ctx) => {
  const purged = await purgeExpired(ctx.orm.em.fork());
  if (purged) ctx.logger.info({ purged }, 'retention purged document packages');
  return { purged };
};

/**
 * The archive's part of the sweep: finds what is ready to seal, chains due for a checkpoint and
 * expired attachments in PostgreSQL, and enqueues the jobs (deterministic ids: a job already waiting
 * is not doubled). Nothing is kept in Redis that this cannot rebuild.
 */
export async function sweepArchive(ctx: JobContext): Promise<{ seal: number; checkpoints: number; retention: boolean }> {
  const em = ctx.orm.em.fork();
  const cutoff = new Date(Date.now() - ctx.config.archiveAfterDays * DAY_MS);
  const [documents, items, due, expired] = await Promise.all([
    documentsToSeal(em, cutoff, RESEAL_MARGIN_MS),
    inboxItemsToSeal(em, cutoff, RESEAL_MARGIN_MS),
    agenciesDueForCheckpoint(em, ctx.config.checkpointEveryMs),
    packagesToPurge(em, new Date(), 1),
  ]);
  await Promise.all([
    ctx.queues.enqueueMany('archive', [...documents.map((id) => ({ subject: 'document' as const, id })), ...items.map((id) => ({ subject: 'inbox-item' as const, id }))]),
    ctx.queues.enqueueMany('checkpoint', due.map((agencyCode) => ({ agencyCode }))),
    expired.length ? ctx.queues.enqueue('retention', { trigger: 'sweep' }) : Promise.resolve(),
  ]);
  return { seal: documents.length + items.length, checkpoints: due.length, retention: expired.length > 0 };
}
