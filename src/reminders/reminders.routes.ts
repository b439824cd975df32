import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, json, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, listOf, page, timeKey } from '../http/pagination.js';
import { registerWebhookRoutes, type WebhookDeps } from '../webhooks/webhooks.routes.js';
import { listReminders } from './reminders.repository.js';
import { ReminderListQuery, ReminderSchema } from './reminders.schemas.js';
import { readReminder, reminderAgency, reminderView } from './reminders.service.js';

export type RemindersDeps = WebhookDeps;

const tags = ['Reminders'];
const IdParam = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * The reminders of issue 18 in the API: an agency's list (the console's, newest first) with a read
 * flag, and the signed webhooks that carry the same reminders to the agency's own system. E-mails
 * are sent by the workers (queues/processors/reminders.ts).
 */
export function registerReminderRoutes(app: OpenAPIHono<AppEnv>, deps: RemindersDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reminders',
      tags,
      security: BEARER,
      summary: "The agency's reminders, newest first: deadlines due soon or passed (its inbox, and the recipients of what it sent) and the daily digest",
      description:
        'A reminder is made once per deadline, threshold and agency (due_soon before a deadline, overdue once it passed), and one digest per ' +
        'agency each working day from 07:30 (Vietnam time). The same reminders go by e-mail to the agency\'s clerks that have an address ' +
        '(LIENTHONG_SMTP_URL) and to its webhooks (POST /v1/webhooks).',
      request: { query: ReminderListQuery },
      responses: { 200: json(listOf(ReminderSchema), 'A page of reminders'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const agencyCode = reminderAgency(c.get('principal'), q.agency);
      const rows = await listReminders(c.get('em'), { agencyCode, unread: q.unread, type: q.type, before: decodeCursor(q.cursor, CURSOR_KEYS.time), limit: q.limit + 1 });
      return c.json(page(rows, q.limit, (r) => timeKey(r.createdAt, r.id), reminderView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/reminders/{id}/read',
      tags,
      security: BEARER,
      summary: 'Mark a reminder read (for the whole agency; the first reader and time are kept)',
      request: { params: IdParam },
      responses: { 200: json(ReminderSchema, 'The reminder'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      if (!z.uuid().safeParse(id).success) throw new DomainError('NOT_FOUND', `No reminder ${id}.`);
      return c.json(reminderView(await readReminder(c.get('em'), c.get('principal'), id)), 200);
    },
  );

  registerWebhookRoutes(app, deps);
}
