import type { Secrets } from '../../src/crypto/secret-box.js';
import type { Partner } from '../../src/directory/partner.entity.js';
import { nightlySync, type AxisAgenciesReader } from '../../src/directory/sync.service.js';
import { AxisClient } from '../../src/transport/axis-client.js';
import { axisCredentials } from '../../src/transport/partners.js';
import type { JobProcessor } from '../context.js';

/** Reads an axis partner's getAgenciesList with its credentials (this job, and the API's axis dry run). */
export const axisAgenciesReader =
  (secrets: Secrets): AxisAgenciesReader =>
  (partner: Partner) =>
    new AxisClient(partner.baseUrl ?? '', axisCredentials(partner, secrets)).agenciesList();

/**
 * The nightly directory sync (issue 19): the axis dry run for each configured partner (or the one
 * named), a notice and the metric when its list differs from the directory, applied only with
 * LIENTHONG_DIRECTORY_SYNC_APPLY=true. One partner failing (the axis down) does not stop the others.
 */
export const directorySync: JobProcessor<'directory-sync'> = async (payload, ctx) => {
  const partners = payload.partnerId ? [payload.partnerId] : ctx.config.directorySyncPartners;
  const read = axisAgenciesReader(ctx.pipeline.secrets);
  const results: Array<Record<string, unknown>> = [];
  for (const partnerId of partners) {
    try {
      const r = await nightlySync(ctx.orm.em.fork(), partnerId, read, { apply: ctx.config.directorySyncApply });
      results.push({ partnerId, syncId: r.sync.id, counts: r.sync.counts, applied: r.applied, notice: r.notice });
      if (r.applied) ctx.logger.info({ partner: partnerId, sync: r.sync.id, counts: r.sync.counts }, 'nightly directory sync applied the axis list');
      else if (r.notice) ctx.logger.warn({ partner: partnerId, sync: r.sync.id, counts: r.sync.counts }, 'the axis list differs from the directory: review the dry run and apply it');
    } catch (err) {
      ctx.logger.warn({ err, partner: partnerId }, 'nightly directory sync failed');
      results.push({ partnerId, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { results };
};
