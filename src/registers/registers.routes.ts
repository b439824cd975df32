import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AgencyCode } from '../directory/directory.schemas.js';
import { DomainError } from '../errors.js';
import { allow, requirePrincipal, requireUser } from '../http/auth.js';
import { isAdmin, type AppEnv, type Principal } from '../http/context.js';
import { idempotent } from '../http/idempotency.js';
import { BEARER, COMMON_ERRORS, CONFLICT, IdempotencyHeader, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { invalidField, validationError } from '../http/problem.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, PageQuery } from '../http/pagination.js';
import { loadBook } from './book.js';
import { bookFile, bookFormat, XLSX_TYPE } from './book-response.js';
import { registerPaperIn, registerPaperOut, type Registrar } from './paper.js';
import { REGISTER_KINDS, type RegisterKind } from './register.entity.js';
import { BookSchema, PaperInInputSchema, PaperOutInputSchema, PaperViewSchema, SeriesInputSchema, SeriesViewSchema } from './registers.schemas.js';
import { createSeries, listSeries } from './series.js';
import type { TypeCatalog } from './type-catalog.js';

export interface RegistersDeps {
  /** The document types (src/documents), handed in by runtime.ts. */
  types: TypeCatalog;
}

const tags = ['Registers'];
const CodeParam = z.object({ code: AgencyCode.openapi({ param: { name: 'code', in: 'path' } }) });

/** An administrator, or a user of the agency (with one of `roles` when given); else 403 (404 would hide nothing: codes are public). */
function agencyActor(principal: Principal | undefined, agencyCode: string, roles?: Array<'clerk' | 'signer'>): Principal {
  const p = requirePrincipal(principal);
  if (isAdmin(p)) return p;
  const user = requireUser(p, roles ?? ['clerk', 'signer']);
  if (user.agencyCode !== agencyCode) {
    throw new DomainError('FORBIDDEN', `Only users of ${agencyCode} (or an administrator) may do this.`, { vi: `Chỉ người dùng của ${agencyCode} (hoặc quản trị viên) được làm việc này.` });
  }
  return user;
}

/** `2026`, `2026.xlsx`, `2026.pdf`, `2026.json`. */
const BOOK_FILE = /^(\d{4})(?:\.(json|xlsx|pdf))?$/;

const BookQuery = PageQuery.extend({
  series: z.string().trim().min(1).max(20).optional().openapi({ description: 'The series (GET /v1/agencies/{code}/registers); default `default`' }),
  agency: AgencyCode.optional().openapi({ description: "Whose book: the caller's agency; an administrator names one" }),
});

const registrarOf = (c: Context<AppEnv>): Registrar => ({ principal: requireUser(c.get('principal'), ['clerk']), requestId: c.get('requestId') });

/**
 * The registers of issue 13 (NĐ 30/2020 Điều 15, 22, Phụ lục IV): an agency's series, paper
 * documents registered in them, and the register books.
 */
export function registerRegisterRoutes(app: OpenAPIHono<AppEnv>, deps: RegistersDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}/registers',
      tags,
      security: BEARER,
      summary: "An agency's register series: the default one of each kind and those it defined, with the years they hold",
      request: { params: CodeParam },
      responses: { 200: json(z.object({ items: z.array(SeriesViewSchema) }), 'The series'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      agencyActor(c.get('principal'), code);
      return c.json({ items: await listSeries(c.get('em'), code) }, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requirePrincipal)] as const,
      method: 'post',
      path: '/v1/agencies/{code}/registers',
      tags,
      security: BEARER,
      summary: 'Define a series of registers (an administrator or a clerk of the agency)',
      description:
        'A series besides the default one, e.g. `{ "kind": "out", "code": "VBQPPL", "name": "Sổ đăng ký văn bản quy phạm pháp luật" }` (NĐ 30/2020 Điều 15.1.a). ' +
        'A document goes to it when it names it (`register` on POST /v1/documents, POST /v1/registers/{out|in}) or, with `types`, when its type is one of them. ' +
        'Numbers run from 01 each year in each series. An existing code, or a type another series of the kind takes → 409.',
      request: { params: CodeParam, body: jsonBody(SeriesInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(SeriesViewSchema, 'The series'), ...COMMON_ERRORS, ...NOT_FOUND, ...CONFLICT },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const principal = agencyActor(c.get('principal'), code, ['clerk']);
      const body = c.req.valid('json');
      const actor = { principal, requestId: c.get('requestId') };
      const answer = await idempotent(c.get('em'), principal, c.req.header('idempotency-key'), `POST /v1/agencies/${code}/registers`, body, async (tx) => ({
        status: 201,
        body: await createSeries(tx, actor, code, body, deps.types),
      }));
      return c.json(answer.body, 201);
    },
  );

  // The book: JSON by default, XLSX or PDF by a suffix of the year or by Accept (bookFormat).
  app.get('/v1/registers/:kind/:file', async (c) => {
    const kind = c.req.param('kind');
    const file = BOOK_FILE.exec(c.req.param('file'));
    if (!REGISTER_KINDS.includes(kind as RegisterKind) || !file) {
      throw new DomainError('NOT_FOUND', `No register book ${c.req.path}: the books are /v1/registers/out/{year} and /v1/registers/in/{year}, optionally .json, .xlsx or .pdf.`);
    }
    const parsed = BookQuery.safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const q = parsed.data;
    const principal = requirePrincipal(c.get('principal'));
    const agencyCode = q.agency ?? (principal.kind === 'user' ? principal.agencyCode : undefined);
    if (!agencyCode) throw invalidField('agency', { en: 'is required for an administrator: whose book', vi: 'là bắt buộc với quản trị viên: sổ của cơ quan nào' });
    agencyActor(principal, agencyCode);
    const format = bookFormat(file[2], c.req.header('accept'));
    const request = { agencyCode, kind: kind as RegisterKind, year: Number(file[1]), series: q.series };
    if (format !== 'json') return bookFile(await loadBook(c.get('em'), request, deps.types), format);
    const after = decodeCursor(q.cursor, CURSOR_KEYS.serial);
    const book = await loadBook(c.get('em'), { ...request, afterNumber: after === undefined ? undefined : Number(after), limit: q.limit + 1 }, deps.types);
    const items = book.rows.slice(0, q.limit);
    const last = items[items.length - 1];
    const { rows: _rows, ...head } = book;
    return c.json({ ...head, items, nextCursor: book.rows.length > q.limit && last ? encodeCursor(String(last.number)) : null }, 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/registers/{kind}/{year}',
    tags,
    security: BEARER,
    summary: 'A register book (NĐ 30/2020 Phụ lục IV) of a year and series: JSON, XLSX or PDF',
    description:
      '`kind` is `out` (sổ đăng ký văn bản đi) or `in` (sổ đăng ký văn bản đến); `year` is the register year in Asia/Ho_Chi_Minh. ' +
      'The format is chosen by a suffix of the year — `2026.xlsx`, `2026.pdf`, `2026.json` — or, without one, by `Accept` ' +
      `(\`application/pdf\`, \`${XLSX_TYPE}\`), else JSON. JSON is paged by number (\`limit\`, \`cursor\`); the XLSX and the PDF are the whole book, ` +
      'with a title page and the columns of Phụ lục IV: đi — Số, ký hiệu; Ngày tháng; Tên loại và trích yếu nội dung; Người ký; Nơi nhận; Đơn vị, người nhận bản lưu; Số lượng bản; Ghi chú. ' +
      'Đến — Ngày đến; Số đến; Tác giả; Số, ký hiệu; Ngày tháng; Tên loại và trích yếu nội dung; Đơn vị hoặc người nhận; Ngày chuyển; Ký nhận; Ghi chú. ' +
      'Electronic and paper documents of the series are in one book, by number.',
    request: {
      params: z.object({
        kind: z.enum(REGISTER_KINDS).openapi({ param: { name: 'kind', in: 'path' } }),
        year: z.string().regex(BOOK_FILE).openapi({ param: { name: 'year', in: 'path' }, example: '2026.pdf' }),
      }),
      query: BookQuery,
    },
    responses: {
      200: {
        description: 'The book',
        content: {
          'application/json': { schema: BookSchema },
          'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
          [XLSX_TYPE]: { schema: z.string().openapi({ format: 'binary' }) },
        },
      },
      ...COMMON_ERRORS,
      ...NOT_FOUND,
    },
  });

  app.openapi(
    createRoute({
      middleware: [allow((p) => requireUser(p, ['clerk']))] as const,
      method: 'post',
      path: '/v1/registers/out',
      tags,
      security: BEARER,
      summary: 'Register a paper document going out: the next number of the series, dated today',
      description:
        'Paper and electronic documents share a series (NĐ 30/2020 Điều 15.1): the number is the next of the series an electronic document would get, ' +
        'the date of issue is today in Asia/Ho_Chi_Minh, and the ký hiệu must fit the type as on POST /v1/documents. No package, no delivery: ' +
        'the document is in the book (GET /v1/registers/out/{year}). Accepts `Idempotency-Key`.',
      request: { body: jsonBody(PaperOutInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(PaperViewSchema, 'The registered document'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const clerk = registrarOf(c);
      const body = c.req.valid('json');
      const answer = await idempotent(c.get('em'), clerk.principal, c.req.header('idempotency-key'), 'POST /v1/registers/out', body, async (tx) => ({
        status: 201,
        body: await registerPaperOut(tx, clerk, body, deps.types),
      }));
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow((p) => requireUser(p, ['clerk']))] as const,
      method: 'post',
      path: '/v1/registers/in',
      tags,
      security: BEARER,
      summary: 'Register a paper document that came in: the next số đến of the series, today',
      description:
        'The số đến runs on with the electronic documents accepted with 03 in the same series (NĐ 30/2020 Điều 22.2). Its date cannot be after today. ' +
        'Accepts `Idempotency-Key`.',
      request: { body: jsonBody(PaperInInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(PaperViewSchema, 'The registered document'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const clerk = registrarOf(c);
      const body = c.req.valid('json');
      const answer = await idempotent(c.get('em'), clerk.principal, c.req.header('idempotency-key'), 'POST /v1/registers/in', body, async (tx) => ({
        status: 201,
        body: await registerPaperIn(tx, clerk, body, deps.types),
      }));
      return c.json(answer.body, 201);
    },
  );
}
