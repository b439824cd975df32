import type { MikroORM } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import type { Config } from '../src/config.js';
import type { PipelineDeps } from '../src/delivery/verify-received.js';
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
  /** PKI, limits and secrets the pipeline steps need. */
  pipeline: PipelineDeps;
}

export type JobProcessor<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext, job: Job) => Promise<unknown>;
