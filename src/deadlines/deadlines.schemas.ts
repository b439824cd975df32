import { z } from '@hono/zod-openapi';
import { isoDate } from '../http/edge-input.js';
import { vietnamDayStart } from '../util/vietnam-time.js';
import type { DeadlineFilter } from './deadlines.repository.js';

/** One deadline of an inbox item or of a delivery (API.md "Calendar, deadlines and agencies that close"). */
export const DeadlineSchema = z
  .object({
    kind: z.enum(['registration', 'processing']).openapi({
      description:
        '`registration`: vào sổ (03) the day it arrives, at the latest the next working day; an urgent document (priority ≥ 2) within two working hours (NĐ 30/2020). ' +
        '`processing`: hạn xử lý, the end of the working hours of `dueDate` (the next working day when it is a day off), until the 06',
    }),
    due: z.string().openapi({ description: 'The deadline, ISO 8601', example: '2026-12-08T10:00:00.000Z' }),
    state: z.enum(['on_time', 'due_soon', 'overdue']).openapi({
      description:
        '`overdue` once passed — and still overdue when met late; `due_soon` within its last working day (last working hour for an urgent registration), not met yet; otherwise `on_time`',
    }),
    overdueWorkingDays: z.number().int().min(0).openapi({ description: 'Working days after the day of the deadline up to now (or to when it was met), that day included; 0 unless overdue', example: 0 }),
    metAt: z
      .string()
      .nullable()
      .openapi({
        description: 'When it was met — the 03 (or a refusal, 02) for the registration, the 06 for the processing; a recall accepted (15) settles what was open — null while it is still to be met',
        example: null,
      }),
  })
  .openapi('Deadline', { example: { kind: 'registration', due: '2026-12-08T10:00:00.000Z', state: 'overdue', overdueWorkingDays: 3, metAt: null } });

export const DeadlinesSchema = z.array(DeadlineSchema).openapi({
  description: 'Registration always once it arrived; processing when it has a `dueDate` and was not refused. Worked out when read, on the working-day calendar (GET /v1/calendar/working-days)',
});

/** How many recipients of a document stand where by their worst deadline (list of outgoing documents). */
export const DeadlineCountsSchema = z
  .object({
    overdue: z.number().int().min(0),
    dueSoon: z.number().int().min(0),
    onTime: z.number().int().min(0),
  })
  .openapi('DeadlineCounts', {
    description: 'Recipients by the state of their worst deadline (a recipient the document has not reached yet has none)',
    example: { overdue: 1, dueSoon: 2, onTime: 7 },
  });

/** `?overdue=`, `?dueSoon=`, `?dueBefore=` of the lists. */
export const DeadlineQuery = z.object({
  overdue: z
    .enum(['true', 'open'])
    .optional()
    .openapi({
      description: '`true`: only those with a deadline whose state is `overdue` (met late included); `open`: only those with an overdue deadline not met yet. Indexed',
      example: 'true',
    }),
  dueSoon: z.enum(['true']).optional().openapi({ description: 'Only those with a deadline due soon (within its last working day, not met yet)' }),
  dueBefore: isoDate()
    .optional()
    .openapi({ description: 'Only those with a deadline not met yet that is due before this day (YYYY-MM-DD, Asia/Ho_Chi_Minh). Indexed', example: '2026-12-15' }),
});

/** The filter of a list's query. */
export function deadlineFilterOf(q: z.infer<typeof DeadlineQuery>): DeadlineFilter {
  return {
    overdue: q.overdue === 'true' ? 'any' : q.overdue === 'open' ? 'open' : undefined,
    dueSoon: q.dueSoon === 'true',
    dueBefore: q.dueBefore ? vietnamDayStart(q.dueBefore) : undefined,
  };
}
