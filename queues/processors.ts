import type { JobProcessor } from './context.js';
import type { JobName } from './jobs.js';
import { deliver, poll, route, sign, status, update } from './processors/pipeline.js';
import { archive, checkpoint, retention } from './processors/archive.js';
import { sweep } from './processors/sweep.js';
import { mail, remind, webhook } from './processors/reminders.js';
import { directorySync } from './processors/directory-sync.js';

/** Exactly one processor per job of the registry; the type makes a missing one a compile error. */
export const PROCESSORS: { [N in JobName]: JobProcessor<N> } = {
  sign,
  route,
  deliver,
  status,
  update,
  poll,
  archive,
  checkpoint,
  retention,
  sweep,
  remind,
  mail,
  webhook,
  'directory-sync': directorySync,
};
