import type { MiddlewareHandler } from 'hono';
import type { CalendarStore } from '../calendar/calendar.store.js';
import type { PkiService } from '../certificates/pki.service.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import type { AppEnv } from '../http/context.js';
import type { JobQueues } from '../../queues/producer.js';

/** What the console's pages need: the same services the API routes call, and the edge's body limits. */
export interface ConsoleDeps {
  pki: PkiService;
  pipeline: PipelineDeps;
  queues: JobQueues;
  publicUrl: string | undefined;
  maxBodyBytes: number;
  /** The API's admission and body bound (src/http/app.ts), for forms that carry files. */
  boundBody: MiddlewareHandler<AppEnv>;
  /** When an unfinished document is sealed anyway (LIENTHONG_ARCHIVE_AFTER_DAYS): the archive's own rule, for its downloads. */
  archiveAfterDays: number;
  /** A document to a closed agency goes to its successor (LIENTHONG_REDIRECT_CLOSED); otherwise the form says it closed. */
  redirectClosed: boolean;
  /** The process's working-day calendar, for the deadlines' marks and counters and the statistics (issue 18). */
  calendar: CalendarStore;
  /** "Now" for the deadlines (tests fix it). */
  clock: () => Date;
}
