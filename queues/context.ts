import type { MikroORM } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import type { PkiService } from '../src/certificates/pki.service.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import type { JobName, JobPayloads } from './jobs.js';
import type { JobQueues } from './producer.js';

/** What every processor may use. Each job gets its own EntityManager fork (STYLE.md). */
export interface JobContext {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  queues: JobQueues;
  /** host:pid:random — names this worker process in heartbeats and logs. */
  workerId: string;
  pki: PkiService;
}

export type JobProcessor<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext, job: Job) => Promise<unknown>;
