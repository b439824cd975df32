import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Fixed-window request counters (per partner per minute) for the exchange API's rate limit. In
 * PostgreSQL, not in process memory, so the limit holds across any number of api processes.
 */
export const RateWindowSchema = defineEntity({
  name: 'RateWindow',
  tableName: 'rate_window',
  properties: {
    key: p.string().length(150).primary(),
    windowStart: p.datetime().primary(),
    count: p.integer(),
  },
});
export type RateWindow = InferEntity<typeof RateWindowSchema>;
