/**
 * Vietnam time (Asia/Ho_Chi_Minh: UTC+7, no daylight saving). Registers restart on 1 January there and
 * the date of issue is the day there (NĐ 30/2020 Điều 15.1, 22), whatever the server's own time zone.
 */
const OFFSET_MS = 7 * 3_600_000;

/** The year of an instant in Vietnam time. */
export function vietnamYear(at: Date): number {
  return new Date(at.getTime() + OFFSET_MS).getUTCFullYear();
}

/** The day of an instant in Vietnam time, as YYYY-MM-DD. */
export function vietnamToday(at = new Date()): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a Vietnam day (YYYY-MM-DD) begins; `plusDays` moves it (1: the start of the next day). */
export function vietnamDayStart(day: string, plusDays = 0): Date {
  const at = new Date(`${day}T00:00:00.000+07:00`);
  at.setUTCDate(at.getUTCDate() + plusDays);
  return at;
}
