import { z } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { DeadlineSchema } from '../deadlines/deadlines.schemas.js';
import { MONTH } from './statistics.service.js';

export const StatisticsQuery = z.object({
  month: z
    .string()
    .regex(MONTH, { message: 'must be a month YYYY-MM' })
    .openapi({ description: 'The month, YYYY-MM (Asia/Ho_Chi_Minh)', example: '2026-11' }),
  agency: AgencyCode.optional().openapi({
    description:
      "The agency (default: the caller's own): it and the agencies directly below it, side by side. A user may ask for its own agency and those below it; " +
      'an administrator for any, and without `agency` gets every agency of this node',
    example: '000.00.33.H33',
  }),
});

const DeadlineFiguresSchema = z
  .object({
    counted: z.number().int().openapi({ description: 'Documents whose deadline is settled: met, or passed without being met (one still open before its deadline does not count yet)' }),
    inTime: z.number().int().openapi({ description: 'Met by the deadline' }),
    share: z.number().nullable().openapi({ description: '`inTime / counted` (0–1, 4 decimals); null when nothing counted', example: 0.875 }),
    meanWorkingDays: z.number().nullable().openapi({ description: 'Mean working days from the arrival to the status (03 or 06) of those met, 2 decimals; null when none', example: 0.42 }),
  })
  .openapi('DeadlineFigures');

const OverdueEntrySchema = z
  .object({
    itemId: z.string(),
    documentId: z.string(),
    subject: z.string(),
    sender: z.object({ code: z.string(), name: z.string() }),
    receivedAt: z.string(),
    kind: DeadlineSchema.shape.kind,
    due: z.string(),
    overdueWorkingDays: z.number().int(),
    open: z.boolean().openapi({ description: 'Still not met (false: met late)' }),
  })
  .openapi('OverdueEntry');

export const AgencyFiguresSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    parentCode: z.string().nullable(),
    level: z.string(),
    sent: z.number().int().openapi({ description: 'Outgoing documents registered in the month' }),
    received: z.number().int().openapi({ description: 'Documents received in the month (its inbox)' }),
    registration: DeadlineFiguresSchema.openapi({ description: 'Registration (03, or a refusal 02) by the registration deadline, of the documents received in the month' }),
    processing: DeadlineFiguresSchema.openapi({ description: 'Completion (06) by the due date, of the documents received in the month that have one' }),
    overdue: z.object({
      count: z.number().int().openapi({ description: 'Overdue deadlines of the documents received in the month (met late included)' }),
      open: z.number().int().openapi({ description: 'Of those, still not met' }),
      items: z.array(OverdueEntrySchema).openapi({ description: 'The overdue list: open ones first, the most overdue first (at most 500)' }),
    }),
  })
  .openapi('AgencyFigures');

export const MonthStatisticsSchema = z
  .object({
    month: z.string(),
    from: z.string(),
    to: z.string(),
    at: z.string().openapi({ description: 'When the states were worked out' }),
    agencies: z.array(AgencyFiguresSchema),
  })
  .openapi('MonthStatistics', {
    example: {
      month: '2026-11',
      from: '2026-11-01',
      to: '2026-11-30',
      at: '2026-12-07T02:00:00.000Z',
      agencies: [
        {
          code: '000.01.33.H33',
          name: 'UBND xã Bình An',
          parentCode: '000.00.33.H33',
          level: 'commune',
          sent: 4,
          received: 12,
          registration: { counted: 12, inTime: 10, share: 0.8333, meanWorkingDays: 0.61 },
          processing: { counted: 5, inTime: 4, share: 0.8, meanWorkingDays: 3.25 },
          overdue: {
            count: 3,
            open: 1,
            items: [
              {
                itemId: '3f0d7f0e-8f31-4b55-9c53-7d5f8e2f6a10',
                documentId: '000.00.33.H33,2026/11/20,15/CT-UBND',
                subject: 'V/v triển khai dịch vụ công trực tuyến toàn trình',
                sender: { code: '000.00.33.H33', name: 'UBND huyện Kiên Lương' },
                receivedAt: '2026-11-20T02:10:00.000Z',
                kind: 'processing',
                due: '2026-11-27T10:00:00.000Z',
                overdueWorkingDays: 6,
                open: true,
              },
            ],
          },
        },
      ],
    },
  });
