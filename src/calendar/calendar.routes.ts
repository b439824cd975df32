import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { allow, requireAdmin, requireUserOrAdmin } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, json, jsonBody } from '../http/openapi.js';
import {
  AddWorkingDaysQuery,
  AddWorkingDaysViewSchema,
  CalendarYearInputSchema,
  CalendarYearViewSchema,
  MAX_RANGE_DAYS,
  WorkingDaysQuery,
  WorkingDaysViewSchema,
  YearParam,
} from './calendar.schemas.js';
import { addWorkingDaysView, saveYear, workingDaysView, yearView } from './calendar.service.js';
import { CALENDAR_TTL_MS, CalendarStore } from './calendar.store.js';
import { TET_WINDOW_DAYS } from './holidays.js';

export interface CalendarDeps {
  /** The years read from the database, kept for a short time (calendar.store.ts); one per process is enough. */
  store?: CalendarStore;
}

const tags = ['Calendar'];

const LAW =
  'Weekends (Saturday, Sunday) and the public holidays of Bộ luật Lao động 2019 Điều 112 — Tết Dương lịch 1/1; Tết Nguyên đán, five days ' +
  "(by default the lunar year's last day and mùng 1–4, from the Vietnamese lunar calendar, UTC+7); Giỗ Tổ Hùng Vương 10/3 âm lịch; " +
  'Ngày Chiến thắng 30/4; Ngày Quốc tế Lao động 1/5; Quốc khánh 2/9 and 3/9 (or 1/9) — with a nghỉ bù on the next working day for each ' +
  "holiday that falls on a weekend (khoản 3), then the year's announced changes (PUT /v1/calendar/{year}).";

/**
 * The working-day calendar of issue 18: the holidays of the law computed for any year, each year's
 * announced changes recorded by an administrator, and the two questions the deadlines ask of them.
 * Any user or administrator may read (partner tokens reach only the exchange API).
 */
export function registerCalendarRoutes(app: OpenAPIHono<AppEnv>, deps: CalendarDeps = {}): void {
  const store = deps.store ?? new CalendarStore();

  // Before /v1/calendar/{year}, which would otherwise take "working-days" for a year.
  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'get',
      path: '/v1/calendar/working-days',
      tags,
      security: BEARER,
      summary: 'The days from `from` to `to` (both included): which are working days, and the holiday each day off is for',
      description: `${LAW} At most ${MAX_RANGE_DAYS} days at a time.`,
      request: { query: WorkingDaysQuery },
      responses: { 200: json(WorkingDaysViewSchema, 'The days'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const { from, to } = c.req.valid('query');
      return c.json(await workingDaysView(c.get('em'), store, from, to), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'get',
      path: '/v1/calendar/add-working-days',
      tags,
      security: BEARER,
      summary: 'The Nth working day after `from` (before it when N is negative)',
      description:
        `${LAW} \`days=0\` answers \`from\` when it is a working day, else the next working day. ` +
        'E.g. from=2026-02-13 (the Friday before Tết Bính Ngọ), days=1 → 2026-02-23.',
      request: { query: AddWorkingDaysQuery },
      responses: { 200: json(AddWorkingDaysViewSchema, 'The day'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const { from, days } = c.req.valid('query');
      return c.json(await addWorkingDaysView(c.get('em'), store, from, days), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'get',
      path: '/v1/calendar/{year}',
      tags,
      security: BEARER,
      summary: "A year's calendar: its holidays by law with their names, the announced changes, the working hours",
      description: `${LAW} A year nobody recorded follows the law alone, with the default working hours 07:30–11:30 and 13:30–17:00.`,
      request: { params: YearParam },
      responses: { 200: json(CalendarYearViewSchema, 'The year'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const { year } = c.req.valid('param');
      return c.json(yearView(await store.year(c.get('em'), year)), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireAdmin)] as const,
      method: 'put',
      path: '/v1/calendar/{year}',
      tags,
      security: BEARER,
      summary: "Record the year's announced changes (administrator): the Government's choice of Tết days and of the day beside 2/9, days swapped or added, working hours",
      description:
        'Replaces whatever was recorded for the year. The Government announces each year which five days Tết takes, whether Quốc khánh is ' +
        'joined by 1 or 3 September, and days swapped (a Saturday worked for a weekday off). Dates must be in the year; Tết days within ' +
        `${TET_WINDOW_DAYS} days of mùng 1; a holiday of the law cannot be made a working day. Other API processes see the change within ${CALENDAR_TTL_MS / 1000} s.`,
      request: { params: YearParam, body: jsonBody(CalendarYearInputSchema) },
      responses: { 200: json(CalendarYearViewSchema, 'The year as it now stands'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const { year } = c.req.valid('param');
      const actor = { principal: requireAdmin(c.get('principal')), requestId: c.get('requestId') };
      return c.json(yearView(await saveYear(c.get('em'), store, actor, year, c.req.valid('json'))), 200);
    },
  );
}
