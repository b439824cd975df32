import type { EntityManager } from '@mikro-orm/postgresql';
import { CalendarYearSchema, type CalendarYear } from './calendar.entity.js';
import type { YearData } from './working-calendar.js';

/**
 * The recorded years from `first` to `last`, both included (a year nobody recorded has no row).
 * Read as plain snapshots, outside the identity map: the store copies them into its cache, and a
 * long-lived context (a worker's sweep) has no reason to keep them managed.
 */
export async function findCalendarYears(em: EntityManager, first: number, last: number): Promise<CalendarYear[]> {
  return em.find(CalendarYearSchema, { year: { $gte: first, $lte: last } }, { orderBy: { year: 'asc' }, disableIdentityMap: true });
}

/** The year's data as the calendar reads them. */
export function yearDataOf(row: CalendarYear): YearData {
  return {
    tetDays: row.tetDays,
    nationalDayAdjacent: row.nationalDayAdjacent,
    daysOff: row.daysOff,
    workingDays: row.workingDays,
    workingHours: row.workingHours,
  };
}

/**
 * Replaces a year's data (PUT): one statement, so two administrators saving at once leave one whole
 * version, the last, never a mix of both.
 */
export async function saveCalendarYear(em: EntityManager, year: number, data: YearData, updatedBy: string): Promise<CalendarYear> {
  const row = await em.upsert(CalendarYearSchema, {
    year,
    tetDays: data.tetDays?.length ? [...data.tetDays] : null,
    nationalDayAdjacent: data.nationalDayAdjacent ?? null,
    daysOff: [...data.daysOff],
    workingDays: [...data.workingDays],
    workingHours: data.workingHours?.length ? [...data.workingHours] : null,
    updatedBy,
    updatedAt: new Date(),
  });
  return row;
}
