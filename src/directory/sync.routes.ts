import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../errors.js';
import { readMultipart } from '../http/body.js';
import { allow, requireAdmin } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { normaliseText } from '../http/edge-input.js';
import { BEARER, COMMON_ERRORS, CONFLICT, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, timeKey } from '../http/pagination.js';
import { validationError } from '../http/problem.js';
import { AgencyDecisionSchema, EndpointSchema } from './directory.schemas.js';
import { findSync, listSyncs, openNotices } from './sync.repository.js';
import { applySync, dryRunAxis, dryRunFile, syncView, type AxisAgenciesReader } from './sync.service.js';
import { SYNC_COLUMNS } from './sync-source.js';

const tags = ['Directory sync'];
const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const RowErrorSchema = z.object({ row: z.number().int(), code: z.string().nullable(), field: z.string(), message: z.string(), vi: z.string() });
const CountsSchema = z
  .object({ new: z.number().int(), renamed: z.number().int(), moved: z.number().int(), closed: z.number().int(), unchanged: z.number().int(), errors: z.number().int(), skipped: z.number().int(), absent: z.number().int() })
  .openapi('DirectorySyncCounts');
const DiffSchema = z
  .object({
    new: z.array(z.object({ code: z.string(), name: z.string(), parentCode: z.string().nullable(), level: z.string(), validFrom: z.string().nullable(), endpoint: EndpointSchema })),
    renamed: z.array(z.object({ code: z.string(), from: z.string(), to: z.string() })),
    moved: z.array(z.object({ code: z.string(), name: z.string(), fromParent: z.string().nullable(), toParent: z.string().nullable(), fromLevel: z.string(), toLevel: z.string() })),
    closed: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        successorCode: z.string().nullable(),
        successorCodes: z.array(z.string()),
        closedAt: z.string(),
        previously: z.object({ closedAt: z.string().nullable(), successorCodes: z.array(z.string()) }).nullable(),
      }),
    ),
    unchanged: z.number().int(),
    errors: z.array(RowErrorSchema).openapi({ description: 'Rows left out, with their row number and the reason' }),
    skipped: z.array(z.object({ row: z.number().int(), code: z.string(), reason: z.string(), vi: z.string() })).openapi({ description: 'Agencies closed before they were ever in this directory' }),
    absent: z.array(z.object({ code: z.string(), name: z.string() })).openapi({ description: "Axis only: the partner's agencies its list no longer names (not closed by a sync)" }),
  })
  .openapi('DirectorySyncDiff');
const SyncSchema = z
  .object({
    id: z.string(),
    source: z.enum(['csv', 'xlsx', 'axis']),
    partnerId: z.string().nullable(),
    fileName: z.string().nullable(),
    fileSha256: z.string().nullable(),
    trigger: z.enum(['api', 'nightly']),
    state: z.enum(['dry_run', 'applied']),
    endpoint: EndpointSchema,
    counts: CountsSchema,
    diff: DiffSchema,
    createdBy: z.string(),
    createdAt: z.string(),
    appliedAt: z.string().nullable(),
    appliedBy: z.string().nullable(),
  })
  .openapi('DirectorySync');
const NoticeSchema = z
  .object({ id: z.string(), syncId: z.string(), partnerId: z.string(), counts: CountsSchema, message: z.string(), messageVi: z.string(), createdAt: z.string() })
  .openapi('DirectorySyncNotice');
const AxisDryRunSchema = z.object({ source: z.literal('axis'), partnerId: z.string().trim().min(1).max(100) }).strict();

const columnList = (Object.entries(SYNC_COLUMNS) as Array<[string, readonly string[]]>).map(([field, names]) => `\`${field}\`: ${names.map((n) => `"${n}"`).join(', ')}`).join('; ');

/** `?partnerId=` or a form field: the partner new agencies of a file are reached through. */
const partnerOf = (value: string | undefined): string | undefined => (value?.trim() ? value.trim().slice(0, 100) : undefined);

/** A JSON body in NFC (as the other routes read theirs: edge-input.ts); 400 when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return normaliseText(JSON.parse(text));
  } catch {
    throw new DomainError('BAD_REQUEST', 'The body is not valid JSON.');
  }
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Directory sync (issue 19): dry run from a file or the axis, review, apply; the nightly job's notices. */
export function registerDirectorySyncRoutes(app: OpenAPIHono<AppEnv>, deps: { axisAgencies?: AxisAgenciesReader | undefined }): void {
  const actor = (c: Context<AppEnv>) => ({ principal: requireAdmin(c.get('principal')), requestId: c.get('requestId') });

  // A file (multipart, or the CSV or XLSX bytes as the body) or JSON naming an axis partner: the body
  // is read by hand and documented below.
  app.post('/v1/directory/sync/dry-run', allow(requireAdmin), async (c) => {
    const a = actor(c);
    const em = c.get('em');
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    let sync;
    if (type.startsWith('application/json')) {
      const raw = parseJson(await c.req.text());
      const parsed = AxisDryRunSchema.safeParse(raw);
      if (!parsed.success) throw validationError(parsed.error, 'request body', { input: raw });
      sync = await dryRunAxis(em, a, parsed.data.partnerId, deps.axisAgencies);
    } else if (type.startsWith('multipart/form-data')) {
      const form = await readMultipart(c.req.raw, { maxBytes: Number.MAX_SAFE_INTEGER, maxFiles: 1 });
      const file = form.files[0];
      if (!file) {
        throw new DomainError('VALIDATION_FAILED', 'The form needs a `file` part: the CSV or XLSX list.', {
          errors: [{ path: 'file', message: 'is required: the CSV or XLSX list', vi: 'là bắt buộc: tệp danh sách CSV hoặc XLSX' }],
          vi: 'Biểu mẫu cần phần `file`: tệp danh sách CSV hoặc XLSX.',
        });
      }
      sync = await dryRunFile(em, a, { bytes: file.content, fileName: file.name, contentType: file.contentType }, { partnerId: partnerOf(form.fields.get('partnerId') ?? c.req.query('partnerId')) });
    } else if (type.startsWith('text/csv') || type.startsWith('application/csv') || type.startsWith(XLSX_TYPE) || type.startsWith('application/octet-stream')) {
      const bytes = Buffer.from(await c.req.arrayBuffer());
      sync = await dryRunFile(em, a, { bytes, fileName: c.req.query('fileName'), contentType: type }, { partnerId: partnerOf(c.req.query('partnerId')) });
    } else {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Send the list as multipart/form-data (a \`file\` part), text/csv or ${XLSX_TYPE}, or JSON { "source": "axis", "partnerId" }.`);
    }
    return c.json(syncView(sync), 201);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/directory/sync/dry-run',
    tags,
    security: BEARER,
    summary: 'Compare the official code list with the directory, without changing it (admin): the diff, stored for review',
    description:
      'The list comes as a CSV (UTF-8; comma, semicolon or tab) or XLSX file — multipart/form-data with a `file` part, or the bytes as the body ' +
      `(text/csv or ${XLSX_TYPE}) — or from the axis: JSON \`{ "source": "axis", "partnerId" }\` reads that axis partner's getAgenciesList. ` +
      `Columns are found by their header, in English or Vietnamese, any case, with or without marks: ${columnList}. ` +
      '`validTo` (Ngày hết hiệu lực) is the day the code stops being in force: the agency is closed from 00:00 that day, Vietnam time; several successors ' +
      '(a split) are separated by `;`, the one that receives the documents first. A blank parent or level says nothing (an agency is never moved by a blank); ' +
      'new agencies without a level are `other`. New agencies are local, or reached through the partner named by `partnerId` (form field or query; the axis ' +
      'partner itself for an axis sync). Rows that cannot be taken are listed in `diff.errors` with their row number; the others are compared. ' +
      'The file is at most LIENTHONG_JSON_BODY_BYTES (1 MiB by default).',
    request: {
      query: z.object({ partnerId: z.string().optional(), fileName: z.string().optional() }),
      body: {
        required: true,
        content: {
          'multipart/form-data': { schema: z.object({ file: z.string().openapi({ format: 'binary' }), partnerId: z.string().optional() }) },
          'text/csv': { schema: z.string() },
          [XLSX_TYPE]: { schema: z.string().openapi({ format: 'binary' }) },
          'application/json': { schema: AxisDryRunSchema },
        },
      },
    },
    responses: { 201: json(SyncSchema, 'The stored dry run and its diff'), ...COMMON_ERRORS, 415: COMMON_ERRORS[400] },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/directory/sync',
      tags,
      security: BEARER,
      summary: 'Directory syncs, newest first (admin)',
      request: { query: z.object({ partnerId: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().optional() }) },
      responses: { 200: json(z.object({ items: z.array(SyncSchema), nextCursor: z.string().nullable() }), 'A page of syncs'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor, CURSOR_KEYS.time);
      const rows = await listSyncs(c.get('em'), { partnerId: q.partnerId, before, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit);
      const last = items[items.length - 1];
      return c.json({ items: items.map(syncView), nextCursor: rows.length > q.limit && last ? encodeCursor(timeKey(last.createdAt, last.id)) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/directory/sync/notices',
      tags,
      security: BEARER,
      summary: 'What the nightly sync found and left to an administrator (admin): open notices, newest first',
      responses: { 200: json(z.object({ items: z.array(NoticeSchema), nextCursor: z.null() }), 'The open notices'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const rows = await openNotices(c.get('em'));
      return c.json(
        {
          items: rows.map((n) => ({ id: n.id, syncId: n.syncId, partnerId: n.partnerId, counts: n.counts, message: n.message, messageVi: n.messageVi, createdAt: n.createdAt.toISOString() })),
          nextCursor: null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/directory/sync/{id}',
      tags,
      security: BEARER,
      summary: 'One directory sync and its diff (admin)',
      request: { params: IdParam },
      responses: { 200: json(SyncSchema, 'The sync'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const sync = await findSync(c.get('em'), c.req.valid('param').id);
      if (!sync) throw new DomainError('NOT_FOUND', `No directory sync ${c.req.valid('param').id}.`);
      return c.json(syncView(sync), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/directory/sync/{id}/apply',
      tags,
      security: BEARER,
      summary: 'Apply a reviewed dry run to the directory (admin); every change in the audit trail',
      description:
        'The diff is computed again against the directory as it is now: when it is not the one reviewed (the directory changed meanwhile) → 409, run the ' +
        'dry run again. Otherwise, in one transaction: new agencies (parents first), renames, moves, then closings with their successors (checked as ' +
        'PATCH /v1/agencies/{code} checks them: 422 naming the agency). `decision` (the legal act) is recorded on every agency it closes. Audit events: ' +
        '`agency.created`, `agency.renamed`, `agency.moved`, `agency.closed`, each with `details.sync`, and `directory.sync.applied`. A sync is applied once (409 after).',
      request: { params: IdParam, body: { ...jsonBody(z.object({ decision: AgencyDecisionSchema.optional() }).strict()), required: false } },
      responses: { 200: json(SyncSchema.extend({ applied: CountsSchema }), 'The applied sync and what it changed'), ...COMMON_ERRORS, ...NOT_FOUND, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json') as { decision?: z.infer<typeof AgencyDecisionSchema> } | undefined;
      const { sync, applied } = await applySync(c.get('em'), a, c.req.valid('param').id, { decision: body?.decision });
      return c.json({ ...syncView(sync), applied }, 200);
    },
  );
}
