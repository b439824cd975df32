import { z } from '@hono/zod-openapi';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { CALENDAR_YEARS } from './calendar.store.js';

const isoDate = isoDateOf();

/** The longest stretch GET /v1/calendar/working-days lists: ten years and a little. */
export const MAX_RANGE_DAYS = 3_700;
/** The most working days GET /v1/calendar/add-working-days counts, either way: about fourteen years. */
export const MAX_WORKING_DAYS = 3_660;

const Time = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
  .openapi({ example: '07:30', description: '`HH:MM`, Vietnam time' });

const AnnouncedDaySchema = z
  .object({
    date: isoDate.openapi({ example: '2025-05-02' }),
    name: z.string().trim().min(1).max(200).openapi({ example: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' }),
  })
  .strict();

const WorkingPeriodSchema = z.object({ from: Time, to: Time }).strict();

export const YearParam = z.object({
  year: z.coerce
    .number()
    .int()
    .min(CALENDAR_YEARS.first)
    .max(CALENDAR_YEARS.last)
    .openapi({ param: { name: 'year', in: 'path' }, example: 2025, description: `${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}` }),
});

/**
 * The example is 2025 as announced: Tết from Saturday 25 January to Sunday 2 February with the five
 * days of Tết on Monday 27 to Friday 31 January; 30/4–1/5 from Wednesday 30 April to Sunday 4 May,
 * Friday 2 May off against Saturday 26 April worked; Quốc khánh from Saturday 30 August to Tuesday
 * 2 September, with Monday 1 September as the adjacent day.
 */
export const CalendarYearInputSchema = z
  .object({
    tetDays: z
      .array(isoDate)
      .length(5)
      .nullable()
      .optional()
      .openapi({
        description: "The five days of Tết Nguyên đán the Government chose (Bộ luật Lao động 2019 Điều 112.1.b); left out or null: the lunar year's last day and mùng 1–4",
        example: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'],
      }),
    nationalDayAdjacent: isoDate
      .nullable()
      .optional()
      .openapi({ description: 'The day beside Quốc khánh 2/9 (Điều 112.1.đ): 1 or 3 September of the year; left out or null: 3 September', example: '2025-09-01' }),
    daysOff: z
      .array(AnnouncedDaySchema)
      .max(100)
      .default([])
      .openapi({ description: 'Days given off besides the holidays of the law (a weekday swapped for a Saturday worked)', example: [{ date: '2025-05-02', name: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' }] }),
    workingDays: z
      .array(AnnouncedDaySchema)
      .max(100)
      .default([])
      .openapi({ description: 'Weekend days worked in exchange (a holiday of the law cannot be one)', example: [{ date: '2025-04-26', name: 'Làm bù cho thứ Sáu 02/5/2025' }] }),
    workingHours: z
      .array(WorkingPeriodSchema)
      .min(1)
      .max(4)
      .nullable()
      .optional()
      .openapi({ description: 'Working periods of a working day, in order; left out or null: 07:30–11:30 and 13:30–17:00', example: [{ from: '07:30', to: '11:30' }, { from: '13:30', to: '17:00' }] }),
  })
  .strict()
  .openapi('CalendarYearInput', {
    example: {
      tetDays: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'],
      nationalDayAdjacent: '2025-09-01',
      daysOff: [{ date: '2025-05-02', name: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' }],
      workingDays: [{ date: '2025-04-26', name: 'Làm bù cho thứ Sáu 02/5/2025' }],
      workingHours: [
        { from: '07:30', to: '11:30' },
        { from: '13:30', to: '17:00' },
      ],
    },
  });
export type CalendarYearInput = z.infer<typeof CalendarYearInputSchema>;

const HolidaySchema = z.object({
  date: z.string().openapi({ example: '2026-04-26' }),
  name: z.string().openapi({ example: 'Giỗ Tổ Hùng Vương' }),
  compensates: z.string().optional().openapi({ description: 'On a nghỉ bù: the holiday that fell on a weekend (Điều 112 khoản 3)', example: '2026-04-26' }),
});

export const CalendarYearViewSchema = z
  .object({
    year: z.number().int(),
    holidays: z.array(HolidaySchema).openapi({
      description: 'The holidays of Bộ luật Lao động 2019 Điều 112 with the year’s choices, and a nghỉ bù after each one that falls on a weekend',
    }),
    tetDays: z.array(z.string()).nullable().openapi({ description: 'As recorded; null: the default of the law' }),
    nationalDayAdjacent: z.string().nullable().openapi({ description: 'As recorded; null: 3 September' }),
    daysOff: z.array(AnnouncedDaySchema),
    workingDays: z.array(AnnouncedDaySchema),
    workingHours: z.array(WorkingPeriodSchema).openapi({ description: 'In force: the recorded ones, else the default' }),
    updatedAt: z.string().nullable().openapi({ description: 'When an administrator last recorded the year; null: never' }),
    updatedBy: z.string().nullable(),
  })
  .openapi('CalendarYear');

export const WorkingDaysQuery = z.object({
  from: isoDate.openapi({ example: '2026-02-12' }),
  to: isoDate.openapi({ example: '2026-02-24', description: `Included; at most ${MAX_RANGE_DAYS} days from \`from\`` }),
});

const DayInfoSchema = z.object({
  date: z.string().openapi({ example: '2026-02-17' }),
  working: z.boolean(),
  holiday: z.string().optional().openapi({ description: "The holiday's name when the day is off for one; a plain weekend has none", example: 'Tết Nguyên đán' }),
});

export const WorkingDaysViewSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    workingDays: z.number().int().openapi({ description: 'How many of the days are working days' }),
    days: z.array(DayInfoSchema),
  })
  .openapi('WorkingDays');

export const AddWorkingDaysQuery = z.object({
  from: isoDate.openapi({ example: '2026-02-13' }),
  // Text first: `days=` is a missing count, not 0 (coercing "" gives 0).
  days: z
    .string()
    .trim()
    .min(1)
    .pipe(z.coerce.number<string>().int().min(-MAX_WORKING_DAYS).max(MAX_WORKING_DAYS))
    .openapi({
      type: 'integer',
      minimum: -MAX_WORKING_DAYS,
      maximum: MAX_WORKING_DAYS,
      example: 1,
      description: `−${MAX_WORKING_DAYS}…${MAX_WORKING_DAYS}. N > 0: the Nth working day after \`from\`; N < 0: the Nth before it; 0: \`from\` when it is a working day, else the next working day`,
    }),
});

export const AddWorkingDaysViewSchema = z
  .object({
    from: z.string(),
    days: z.number().int(),
    date: z.string().openapi({ example: '2026-02-23' }),
  })
  .openapi('AddWorkingDays');
