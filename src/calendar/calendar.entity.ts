import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AnnouncedDay, WorkingPeriod } from './working-calendar.js';

/**
 * What the Government announced for a year, as an administrator recorded it (PUT
 * /v1/calendar/{year}): its choices where Bộ luật Lao động 2019 Điều 112 leaves one, the days swapped
 * or added, and the working hours. A year without a row follows the law alone; the holidays
 * themselves are computed, never stored.
 */
export const CalendarYearSchema = defineEntity({
  name: 'CalendarYear',
  tableName: 'calendar_year',
  properties: {
    year: p.smallint().primary().autoincrement(false),
    /** The five days of Tết Nguyên đán; null: the lunar year's last day and mùng 1–4. */
    tetDays: p.json<string[]>().nullable(),
    /** 1 or 3 September, beside Quốc khánh; null: 3 September. */
    nationalDayAdjacent: p.date().nullable(),
    daysOff: p.json<AnnouncedDay[]>(),
    workingDays: p.json<AnnouncedDay[]>(),
    /** Null: the default hours (working-calendar.ts). */
    workingHours: p.json<WorkingPeriod[]>().nullable(),
    updatedBy: p.string().length(100),
    updatedAt: p.datetime(),
  },
});
export type CalendarYear = InferEntity<typeof CalendarYearSchema>;
