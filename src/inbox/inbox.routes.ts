import { PdfSignaturesFields } from '../documents/documents.schemas.js';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { PkiService } from '../certificates/pki.service.js';
import { StaffSchema } from '../documents/documents.schemas.js';
import { AgencyCode } from '../directory/directory.schemas.js';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { DELIVERY_STATES } from '../delivery/states.js';
import { DomainError } from '../errors.js';
import { allow, requireUser } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { downloadResponse } from '../http/content-disposition.js';
import { BEARER, COMMON_ERRORS, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, PageQuery, timeKey } from '../http/pagination.js';
import { xmlText } from '../http/xml-text.js';
import { packageBytes } from '../packages/packages.repository.js';
import type { JobQueues } from '../../queues/producer.js';
import { attachmentBytes, findOwnItem, inboxView, listInbox, itemReplacements, itemStatuses, reportStatus } from './inbox.service.js';
import { updateViews } from './versions.js';
import { registerVersionRoutes, UpdateVersionView } from './versions.routes.js';
import { CalendarStore } from '../calendar/calendar.store.js';
import { hasDeadlineFilter, refreshInboxDeadlines } from '../deadlines/deadlines.repository.js';
import { DeadlineQuery, DeadlinesSchema, deadlineFilterOf } from '../deadlines/deadlines.schemas.js';
import { inboxItemsDeadlines } from '../deadlines/deadlines.service.js';

const tags = ['Inbox'];
const isoDate = isoDateOf();
const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });

const InboxItemView = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    documentId: z.string(),
    sender: z.object({ code: z.string(), name: z.string() }),
    addressedTo: z.string().nullable().openapi({ description: 'The closed agency the package was addressed to, when this agency received it as its successor (issue 19)' }),
    subject: z.string(),
    state: z.enum(DELIVERY_STATES),
    statusCode: z.string(),
    statusAt: z.string(),
    arrivalNumber: z.number().int().nullable(),
    arrivalYear: z.number().int().nullable(),
    arrivalSeries: z.string().nullable().openapi({ description: 'The series of the incoming registers the số đến is from (`default` unless a series of the agency takes the type)' }),
    receivedAt: z.string(),
    withdrawn: z.boolean(),
    verification: z.object({
      signatureValid: z.boolean(),
      certificate: z.object({ subject: z.string(), serialNumber: z.string(), issuer: z.string(), fingerprintSha256: z.string() }),
      checkedAt: z.string(),
      sha256: z.string(),
    }),
    attachments: z.array(z.object({ index: z.number().int(), name: z.string(), contentType: z.string(), size: z.number().int() }).extend(PdfSignaturesFields)),
    metadata: z.record(z.string(), z.unknown()),
    deadlines: DeadlinesSchema,
  })
  .openapi('InboxItem');

const StatusInput = z
  .object({
    code: z.enum(['02', '03', '04', '05', '06', '15', '16']),
    description: xmlText().trim().max(2000).optional(),
    staff: StaffSchema.optional(),
  })
  .strict()
  .openapi('StatusInput', { example: { code: '03' } });

const userOf = (c: Context<AppEnv>) => requireUser(c.get('principal'), ['clerk', 'signer']);

export interface InboxDeps {
  pki: PkiService;
  queues: JobQueues;
  /** The process's working-day calendar (one per process, shared with the other modules; runtime.ts). */
  calendar?: CalendarStore;
  /** "Now" for the deadlines' states (tests fix it). */
  clock?: () => Date;
}

/** The inbox of the caller's agency (API.md "Inbox"). */
export function registerInboxRoutes(app: OpenAPIHono<AppEnv>, deps: InboxDeps): void {
  const calendar = deps.calendar ?? new CalendarStore();
  const clock = deps.clock ?? (() => new Date());
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inbox',
      tags,
      security: BEARER,
      summary: "Documents received by the caller's agency, newest first",
      description:
        'Each item carries its `deadlines` (registration, and processing when it has a due date), worked out when read on the working-day calendar. ' +
        '`?overdue=`, `?dueSoon=` and `?dueBefore=` filter on them through indexed columns.',
      request: {
        query: PageQuery.extend({
          ...DeadlineQuery.shape,
          state: z.enum(DELIVERY_STATES).optional(),
          since: z.string().datetime({ offset: true }).optional().openapi({ description: 'Only items received at or after this time' }),
          q: z
            .string()
            .max(200)
            .optional()
            .openapi({
              description:
                'Words to find in the trích yếu, the sender name or the số/ký hiệu: every word must be there, with or without its marks, any case ' +
                '("trien khai" finds "Triển khai"; the last letters of a word may be its beginning; "15/QĐ-UBND" finds that code). Full-text, indexed',
            }),
          from: isoDate.optional().openapi({ description: 'Received on or after this day (YYYY-MM-DD, Asia/Ho_Chi_Minh)' }),
          to: isoDate.optional().openapi({ description: 'Received on or before this day (YYYY-MM-DD, Asia/Ho_Chi_Minh)' }),
          type: z.string().trim().min(1).max(10).optional().openapi({ description: 'Document type key (CT, QĐ, CV…): the type the sender gave it' }),
          sender: AgencyCode.optional().openapi({ description: "The sender's agency code" }),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(InboxItemView), nextCursor: z.string().nullable() }), 'A page'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const user = userOf(c);
      const q = c.req.valid('query');
      const after = decodeCursor(q.cursor, CURSOR_KEYS.time);
      const em = c.get('em');
      const now = clock();
      const filter = deadlineFilterOf(q);
      // The stored deadlines of items that came since they were last worked out (src/deadlines).
      if (hasDeadlineFilter(filter)) await refreshInboxDeadlines(em, calendar, { agencyCodes: [user.agencyCode] });
      const { items, more } = await listInbox(em, user.agencyCode, {
        deadlines: { filter, now },
        state: q.state,
        since: q.since ? new Date(q.since) : undefined,
        q: q.q,
        from: q.from,
        to: q.to,
        type: q.type,
        sender: q.sender,
        after,
        limit: q.limit,
      });
      const last = items[items.length - 1];
      const deadlines = await inboxItemsDeadlines(em, calendar, items, now);
      return c.json(
        { items: items.map((item, i) => ({ ...inboxView(item), deadlines: deadlines[i] ?? [] })), nextCursor: more && last ? encodeCursor(timeKey(last.receivedAt, last.id)) : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inbox/{id}',
      tags,
      security: BEARER,
      summary: 'One received document: metadata, attachments, sender, verification, arrival number, deadlines',
      request: { params: IdParam },
      responses: {
        200: json(
          InboxItemView.extend({
            statuses: z.array(z.object({ id: z.string(), code: z.string(), from: z.string(), at: z.string(), description: z.string().nullable() })),
            versions: z
              .array(UpdateVersionView)
              .openapi({
                description:
                  "The sender's updates (BussinessDocType 2) of this document, oldest first, each with its files; a pending one is answered with 15 (take it) or 16 (keep the current version). " +
                  'Every version, the first included, stays readable as itself: GET /v1/inbox/{id}/versions/{version}',
              }),
            replaces: z.array(z.object({ documentId: z.string(), itemId: z.string().nullable() })).openapi({ description: 'Documents this one replaces (BussinessDocType 3)' }),
            replacedBy: z.array(z.object({ documentId: z.string(), itemId: z.string() })).openapi({ description: 'Documents received since that replace this one' }),
          }),
          'The item',
        ),
        ...COMMON_ERRORS,
        ...NOT_FOUND,
      },
    }),
    async (c) => {
      const em = c.get('em');
      const item = await findOwnItem(em, userOf(c), c.req.valid('param').id);
      const [deadlines] = await inboxItemsDeadlines(em, calendar, [item], clock());
      return c.json(
        {
          ...inboxView(item),
          deadlines: deadlines ?? [],
          statuses: await itemStatuses(em, item.id),
          versions: await updateViews(em, item),
          ...(await itemReplacements(em, item)),
        },
        200,
      );
    },
  );

  app.get('/v1/inbox/:id/attachments/:index', async (c) => {
    const item = await findOwnItem(c.get('em'), userOf(c), c.req.param('id'));
    const index = Number(c.req.param('index'));
    if (!Number.isInteger(index) || index < 0) throw new DomainError('NOT_FOUND', `No attachment ${c.req.param('index')}.`);
    const file = await attachmentBytes(c.get('em'), item, index);
    return downloadResponse(file.bytes, file.contentType, file.name);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/inbox/{id}/attachments/{index}',
    tags,
    security: BEARER,
    summary: 'The attachment bytes with their content type and original name (410 once a recall was accepted)',
    request: { params: IdParam.extend({ index: z.string().openapi({ param: { name: 'index', in: 'path' } }) }) },
    responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND, 410: { description: 'Withdrawn by a recall' } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/inbox/{id}/edxml',
    tags,
    security: BEARER,
    summary: 'The package exactly as received (410 once a recall was accepted with 15)',
    request: { params: IdParam },
    responses: { 200: { description: 'The package', content: { 'application/xml': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND },
  });

  app.get('/v1/inbox/:id/edxml', async (c) => {
    const item = await findOwnItem(c.get('em'), userOf(c), c.req.param('id'));
    // Accepting a recall (15) destroys the recipient's copy (NĐ 30/2020 Điều 18.4.b): the package
    // carries the files, so it goes with them.
    if (item.withdrawnAt) throw new DomainError('NOT_FOUND', 'This document was recalled (15): its package is no longer served.', { status: 410 });
    const bytes = await packageBytes(c.get('em'), item.packageId);
    return downloadResponse(bytes, 'application/xml', `${item.documentId}.edxml`);
  });

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow((p) => requireUser(p, ['clerk', 'signer']))] as const,
      method: 'post',
      path: '/v1/inbox/{id}/status',
      tags,
      security: BEARER,
      summary: 'Report a status: 02 refuse (with a description), 03 accept (assigns the số đến), 04, 05, 06; 15/16 answer a recall',
      request: { params: IdParam, body: jsonBody(StatusInput) },
      responses: {
        200: json(z.object({ id: z.string(), state: z.enum(DELIVERY_STATES), statusCode: z.string(), arrivalNumber: z.number().int().nullable() }), 'The new state'),
        ...COMMON_ERRORS,
        ...NOT_FOUND,
        409: { description: 'ILLEGAL_TRANSITION' },
      },
    }),
    async (c) => {
      const principal = userOf(c);
      const { view, statusId } = await reportStatus(c.get('em'), deps.pki, { principal, requestId: c.get('requestId') }, c.req.valid('param').id, c.req.valid('json'));
      if (statusId) await deps.queues.enqueue('status', { statusId }).catch(() => undefined);
      return c.json({ id: view.id, state: view.state, statusCode: view.statusCode, arrivalNumber: view.arrivalNumber }, 200);
    },
  );

  registerVersionRoutes(app);
}
