import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CalendarStore } from '../calendar/calendar.store.js';
import { allow, requireUserOrAdmin } from '../http/auth.js';
import { contentDisposition } from '../http/content-disposition.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, json, NOT_FOUND } from '../http/openapi.js';
import { XLSX_TYPE } from '../registers/book-response.js';
import { MonthStatisticsSchema, StatisticsQuery } from './statistics.schemas.js';
import { monthStatistics, statisticsScope, type MonthStatistics } from './statistics.service.js';
import { statisticsXlsx } from './statistics-xlsx.js';

export interface StatisticsDeps {
  /** The process's working-day calendar (runtime.ts). */
  calendar?: CalendarStore;
  /** "Now" for the deadlines' states (tests fix it). */
  clock?: () => Date;
}

const tags = ['Statistics'];

const DESCRIPTION =
  'Per agency and month (Asia/Ho_Chi_Minh): documents sent (registered in the outgoing register) and received; of those received, the share registered (03, ' +
  'or refused with 02) by the registration deadline — the same working day, at the latest the next one, two working hours for an urgent one — and the share ' +
  'completed (06) by the due date; the mean working days to the 03 and to the 06; and the overdue list. A deadline counts once it is settled: met, or passed ' +
  'without being met. A user sees its agency and the agencies below it (`agency`, default its own: that agency and its direct children side by side); ' +
  'an administrator sees any, and without `agency` every agency of this node.';

/** The month's statistics for the caller (GET /v1/statistics and its XLSX). */
async function figures(c: Context<AppEnv>, calendar: CalendarStore, clock: () => Date, query: z.infer<typeof StatisticsQuery>): Promise<MonthStatistics> {
  const em = c.get('em');
  const agencies = await statisticsScope(em, requireUserOrAdmin(c.get('principal')), query.agency);
  return monthStatistics(em, calendar, query.month, agencies, clock());
}

/** Statistics of deadlines kept, per agency and month, as JSON and XLSX (issue 18). */
export function registerStatisticsRoutes(app: OpenAPIHono<AppEnv>, deps: StatisticsDeps = {}): void {
  const calendar = deps.calendar ?? new CalendarStore();
  const clock = deps.clock ?? (() => new Date());

  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'get',
      path: '/v1/statistics',
      tags,
      security: BEARER,
      summary: 'How each agency kept its deadlines in a month: documents sent and received, shares in time, mean working days, the overdue list',
      description: DESCRIPTION,
      request: { query: StatisticsQuery },
      responses: { 200: json(MonthStatisticsSchema, 'The figures, the agency first, then those below it'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => c.json(await figures(c, calendar, clock, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'get',
      path: '/v1/statistics.xlsx',
      tags,
      security: BEARER,
      summary: 'The same figures as a workbook: a summary sheet, one row per agency, and the overdue list',
      description: DESCRIPTION,
      request: { query: StatisticsQuery },
      responses: {
        200: { description: 'The workbook', content: { [XLSX_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } } },
        ...COMMON_ERRORS,
        ...NOT_FOUND,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const stats = await figures(c, calendar, clock, query);
      const bytes = await statisticsXlsx(stats);
      return new Response(new Uint8Array(bytes), {
        status: 200,
        headers: {
          'content-type': XLSX_TYPE,
          'content-length': String(bytes.length),
          'content-disposition': contentDisposition(`thong-ke-${query.month}${query.agency ? `-${query.agency}` : ''}.xlsx`),
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
        },
      });
    },
  );
}
