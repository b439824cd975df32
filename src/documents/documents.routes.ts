import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { DomainError } from '../errors.js';
import { allow, requirePrincipal, requireUser } from '../http/auth.js';
import { readBodyLimited } from '../http/body.js';
import { isAdmin, principalKey, type AppEnv, type Principal } from '../http/context.js';
import { idempotent } from '../http/idempotency.js';
import { downloadResponse } from '../http/content-disposition.js';
import { BEARER, COMMON_ERRORS, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, listOf, PageQuery, timeKey } from '../http/pagination.js';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { AgencyCode } from '../directory/directory.schemas.js';
import { canonicalTypeKey } from '../registers/document-types.js';
import { ProblemSchema } from '../http/problem.js';
import { xmlText } from '../http/xml-text.js';
import { statusRecordById } from '../delivery/status-records.repository.js';
import { deliveryById, lockDeliveryTo, recipientCodesOf } from '../delivery/deliveries.repository.js';
import { inTransaction } from '../db/tx.js';
import { packageBytes } from '../packages/packages.repository.js';
import type { JobQueues } from '../../queues/producer.js';
import { DOCUMENT_STATES, type OutgoingDocument } from '../delivery/document.entity.js';
import { DocumentInputSchema, DocumentViewSchema, EventViewSchema, type DocumentInput } from './documents.schemas.js';
import { readComposition } from './composition.js';
import { createDocument, createFromEdxml, documentEvents, fileSha256, listOutgoing, loadDocumentView, type Clerk } from './documents.service.js';
import { documentById, findOwnDocument, followsUp, lockDocumentRow } from '../delivery/outgoing.repository.js';
import { recallDocument } from '../delivery/recall.js';
import { recordEvent } from '../delivery/document-events.repository.js';
import { updateDocument } from '../delivery/update.js';
import { recordAudit } from '../audit/audit.repository.js';
import { move } from '../delivery/writer.js';
import { CalendarStore } from '../calendar/calendar.store.js';
import { hasDeadlineFilter, refreshDeliveryDeadlines } from '../deadlines/deadlines.repository.js';
import { DeadlineCountsSchema, DeadlineQuery, deadlineFilterOf } from '../deadlines/deadlines.schemas.js';
import { documentsDeadlineCounts } from '../deadlines/deadlines.service.js';

export interface DocumentsDeps {
  pipeline: PipelineDeps;
  queues: JobQueues;
  maxBodyBytes: number;
  /** A document to a closed agency goes to its successor when the request does not say (LIENTHONG_REDIRECT_CLOSED). */
  redirectClosed: boolean;
  /** The process's working-day calendar (one per process, shared with the other modules; runtime.ts). */
  calendar?: CalendarStore;
  /** "Now" for the recipients' deadline states (tests fix it). */
  clock?: () => Date;
}

const tags = ['Outgoing documents'];
const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });
const ROLES = ['clerk', 'signer'] as const;
const isoDate = isoDateOf();

/**
 * An update: a body like POST /v1/documents (API.md), every field optional, plus why — as JSON (files
 * base64 in `attachments`) or multipart/form-data (this as the `metadata` part, one part per file).
 * What makes the DocumentId (type, ký hiệu, date) and the recipients must stay as they are; files
 * given replace the document's (the rule is at UpdateFile in src/delivery/update.ts).
 */
const field = DocumentInputSchema.shape;
const UpdateInputSchema = z
  .object({
    reason: xmlText().trim().min(1).max(2000),
    // What may change; `null` clears content and dueDate.
    subject: field.subject.optional(),
    content: xmlText().max(20_000).nullable().optional(),
    dueDate: field.dueDate.unwrap().nullable().optional(),
    toPlaces: field.toPlaces.unwrap().optional(),
    signer: field.signer.optional(),
    priority: field.priority.unwrap().optional(),
    steeringType: field.steeringType.unwrap().optional(),
    // The new file list: read and checked as POST /v1/documents reads and checks its files.
    attachments: field.attachments.unwrap().optional(),
    // What must stay as it is (the DocumentId, the recipients): checked in updateDocument.
    type: field.type.optional(),
    notation: field.notation.optional(),
    promulgation: field.promulgation.unwrap().optional(),
    to: field.to.optional(),
    confidentiality: field.confidentiality.unwrap().optional(),
    responseFor: field.responseFor.unwrap().optional(),
    staff: field.staff,
  })
  .strict()
  .openapi('UpdateInput');

type UpdateBody = z.infer<typeof UpdateInputSchema>;

/**
 * The document as an update would leave it, in the shape POST /v1/documents takes: readComposition
 * checks the update's files against it with checkDocumentInput, so they are taken — names and types
 * normalised by the attachment policy, sizes bounded — exactly as a new document's files are. The
 * fields that may not change are the document's own here; updateDocument refuses an update that
 * tries (assertUpdatable).
 */
function asComposition(doc: OutgoingDocument, update: UpdateBody): DocumentInput {
  const content = update.content === undefined ? doc.content : update.content;
  const dueDate = update.dueDate === undefined ? doc.dueDate : update.dueDate;
  return {
    type: doc.type,
    notation: doc.notation,
    subject: update.subject ?? doc.subject,
    ...(content ? { content } : {}),
    promulgation: { place: doc.promulgationPlace },
    signer: update.signer ?? doc.signer,
    priority: update.priority ?? doc.priority,
    confidentiality: update.confidentiality ?? 'normal',
    steeringType: update.steeringType ?? doc.steeringType,
    ...(dueDate ? { dueDate } : {}),
    to: doc.recipientSpec,
    toPlaces: update.toPlaces ?? doc.toPlaces,
    responseFor: [],
    attachments: update.attachments ?? [],
  };
}

/** A replacement: a document like any other, and why it replaces the one it names. */
const ReplacementInputSchema = DocumentInputSchema.extend({ reason: xmlText().trim().min(1).max(2000) }).openapi('ReplacementInput');

const clerkOf = (c: Context<AppEnv>): Clerk => ({ principal: requireUser(c.get('principal'), [...ROLES]), requestId: c.get('requestId') });

/** The outgoing documents of the caller's agency (API.md "Outgoing documents"). */
export function registerDocumentRoutes(app: OpenAPIHono<AppEnv>, deps: DocumentsDeps): void {
  const deadlineClock = { calendar: deps.calendar ?? new CalendarStore(), now: deps.clock ?? (() => new Date()) };
  const { pipeline } = deps;

  // POST /v1/documents takes JSON, multipart/form-data or an already-signed edXML package, so the
  // body is read by hand (streamed with limits) and documented below.
  app.post('/v1/documents', async (c) => {
    const clerk = clerkOf(c);
    // Fail fast, before anything is written, when the queue cannot take the work (503).
    await deps.queues.backend.ping(2_000).catch((error: unknown) => {
      throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was created. Try again shortly.', { cause: error });
    });
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw badIdempotencyKey();
    const em = c.get('em');

    let answer: { status: number; body: unknown };
    let next: { job: 'sign' | 'route'; documentId: string } | undefined;
    if (type.startsWith('application/xml') || type.startsWith('text/xml')) {
      const bytes = await readBodyLimited(c.req.raw, deps.maxBodyBytes, { shared: true });
      answer = await idempotent(em, clerk.principal, key, 'POST /v1/documents', { sha256: createHash('sha256').update(bytes).digest('hex') }, async (tx) => {
        // Read for this request alone and changed by nothing: handed over to the verifier, which
        // would otherwise copy it into shared memory a second time (issue 11).
        const view = await createFromEdxml(tx, pipeline, clerk, bytes, { handOver: true });
        return { status: 201, body: view };
      });
      next = { job: 'route', documentId: (answer.body as { id: string }).id };
    } else {
      const { input, files, fingerprint } = await readComposition(c, deps, DocumentInputSchema);
      answer = await idempotent(em, clerk.principal, key, 'POST /v1/documents', fingerprint, async (tx) => ({
        status: 201,
        body: await createDocument(tx, pipeline.pki, clerk, { ...input, redirectClosed: input.redirectClosed ?? deps.redirectClosed }, files),
      }));
      next = { job: 'sign', documentId: (answer.body as { id: string }).id };
    }
    // After the commit. Should the queue fail now, the sweep finds the queued document anyway.
    await deps.queues.enqueue(next.job, { documentId: next.documentId }).catch(() => undefined);
    return c.json(answer.body as object, answer.status as 201);
  });
  // An update takes JSON or multipart/form-data with files, as POST /v1/documents does: the body is
  // read by hand, streamed with the document routes' limits (src/http/app.ts DOCUMENT_ROUTES), and
  // documented below.
  app.post('/v1/documents/:id/update', async (c) => {
    const clerk = clerkOf(c);
    const id = c.req.param('id');
    // 404 before a byte of the body is read. Read apart from the request's unit of work, so that
    // updateDocument reads the document again under its lock, not this copy.
    const doc = await findOwnDocument(c.get('em').fork(), clerk, id);
    const schema = UpdateInputSchema.transform((update) => ({ ...asComposition(doc, update), update }));
    const { input, files } = await readComposition(c, deps, schema, 'Send application/json, or multipart/form-data with a `metadata` part (the update as JSON) and one part per file.');
    const checked = files.map((f) => ({ name: f.name, contentType: f.contentType, content: f.content, sha256: fileSha256(f) }));
    const { updateId, deliveryUpdateIds } = await updateDocument(c.get('em'), pipeline, clerk, id, input.update, checked);
    // After the commit; should the queue fail now, the sweep finds the requested updates.
    await deps.queues.enqueueMany('update', deliveryUpdateIds.map((deliveryUpdateId) => ({ deliveryUpdateId }))).catch(() => undefined);
    return c.json({ id, updateId, recipients: deliveryUpdateIds.length }, 202);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/documents/{id}/update',
    tags,
    security: BEARER,
    summary: 'Update a sent document (edXML BussinessDocType 2): the same number and DocumentId, corrected metadata or files',
    description:
      'JSON, or multipart/form-data with a `metadata` JSON part (the update) and one part per file — files as POST /v1/documents takes them (the same names, types and limits; 422 on `attachments.<i>.name` / `.contentType`). ' +
      "Files given replace the document's file list, in the order given (send every file the document keeps); none keeps the list; the same files again change nothing. " +
      'Their PDFs are checked for legal signatures as a new document’s are (`pdfSignatures` on GET /v1/documents/{id}, `document.pdf-signatures-checked` on the timeline). ' +
      'Every recipient holding the document gets an update package carrying the document’s files as they are now, and answers it with 15 (takes the new version) or 16 (keeps its own); the answers show ' +
      'on the timeline (`update.accepted`, `update.refused`) and do not change the delivery states. Every delivery must have arrived first (409 otherwise). ' +
      'The number, type, ký hiệu and date make the DocumentId and cannot change: a new document replaces the old one (`/replace`) for that.',
    request: {
      params: IdParam,
      body: {
        required: true,
        content: {
          'application/json': { schema: UpdateInputSchema },
          'multipart/form-data': { schema: z.object({ metadata: z.string().openapi({ description: 'UpdateInput as JSON' }) }) },
        },
      },
    },
    responses: { 202: json(z.object({ id: z.string(), updateId: z.string(), recipients: z.number().int() }), 'Update under way'), ...COMMON_ERRORS, ...NOT_FOUND },
  });

  // A replacement (edXML BussinessDocType 3): a document of its own — its own number from the register,
  // its own DocumentId — that names the document it replaces; its recipients' items name each other.
  app.post('/v1/documents/:id/replace', async (c) => {
    const clerk = clerkOf(c);
    const id = c.req.param('id');
    await deps.queues.backend.ping(2_000).catch((error: unknown) => {
      throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was created. Try again shortly.', { cause: error });
    });
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw badIdempotencyKey();
    const { input, files, fingerprint } = await readComposition(c, deps, ReplacementInputSchema);
    // One transaction: the replacement and the event on the document it replaces.
    const answer = await idempotent(c.get('em'), clerk.principal, key, `POST /v1/documents/${id}/replace`, fingerprint, (em) => inTransaction(em, async (tx) => {
      const original = await findOwnDocument(tx, clerk, id);
      if (original.state !== 'sent') {
        throw new DomainError('ILLEGAL_TRANSITION', `The document is ${original.state}; only a sent document can be replaced.`, {
          vi: `Văn bản đang ở trạng thái "${original.state}"; chỉ văn bản đã gửi mới thay thế được.`,
        });
      }
      const recipients = await recipientCodesOf(tx, original.id);
      const { reason, ...composition } = input;
      const view = await createDocument(tx, pipeline.pki, clerk, { ...composition, redirectClosed: composition.redirectClosed ?? deps.redirectClosed }, files, new Date(), { id: original.id, documentId: original.documentId, recipients, reason });
      recordEvent(tx, { documentId: original.id, type: 'document.replaced', details: { by: view.id, documentId: view.documentId, reason } });
      return { status: 201, body: view };
    }));
    await deps.queues.enqueue('sign', { documentId: (answer.body as { id: string }).id }).catch(() => undefined);
    return c.json(answer.body as object, 201);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/documents/{id}/replace',
    tags,
    security: BEARER,
    summary: 'Replace a sent document with a new one (edXML BussinessDocType 3)',
    description:
      'The body is a document like POST /v1/documents (JSON, or multipart with a `metadata` part) plus `reason`. The replacement is a document of its own: ' +
      'its own number from the register and DocumentId; its package names the replaced DocumentId and its recipients, whose items name each other (`replaces`, `replacedBy`). Accepts `Idempotency-Key`.',
    request: {
      params: IdParam,
      body: { required: true, content: { 'application/json': { schema: ReplacementInputSchema }, 'multipart/form-data': { schema: z.object({ metadata: z.string() }) } } },
    },
    responses: { 201: json(DocumentViewSchema, 'The replacement, queued for signing'), ...COMMON_ERRORS, ...NOT_FOUND },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/documents',
    tags,
    security: BEARER,
    summary: 'Compose and send a document (clerk or signer of the sending agency)',
    description:
      'JSON, or multipart/form-data with a `metadata` JSON part and one part per file, or application/xml: an edXML package already signed by the agency. ' +
      '`confidentiality` other than "normal" → 422 SECRET_NOT_ALLOWED; a recipient that resolves to no active agency → 422 UNKNOWN_RECIPIENT and nothing is created. ' +
      'The number and the date of issue are taken by the server at registration (Asia/Ho_Chi_Minh): a `promulgation.date` other than today → 422. ' +
      'The ký hiệu must fit the type: `CT-…` for CT, and for CV/THU the agency and unit (`UBND-VP`), never a type code → 422 on `notation`. ' +
      'A signed package keeps the number it carries in the register of its promulgation year, and the counter stays ahead of it: ' +
      'a number already used there → 409 DUPLICATE_NUMBER naming the document that holds it, one that is not a positive integer → 422. ' +
      'Accepts `Idempotency-Key`.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: DocumentInputSchema },
          'multipart/form-data': { schema: z.object({ metadata: z.string().openapi({ description: 'DocumentInput as JSON' }) }) },
          'application/xml': { schema: z.string().openapi({ description: 'A signed edXML edoc package' }) },
        },
      },
    },
    responses: {
      201: json(DocumentViewSchema, 'The document, queued for signing'),
      ...COMMON_ERRORS,
      409: {
        description: 'DUPLICATE_NUMBER: the signed package’s number is already used in that register (the detail names the document); CONFLICT: its DocumentId is already registered',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/documents',
      tags,
      security: BEARER,
      summary: "The agency's outgoing documents, newest first",
      description:
        "Each document counts its recipients by the state of their worst deadline (`deadlineCounts`); `?overdue=`, `?dueSoon=` and `?dueBefore=` keep the documents with a recipient whose deadlines match (indexed). " +
        'Each recipient\'s own deadlines are on GET /v1/documents/{id}.',
      request: {
        query: PageQuery.extend({
          ...DeadlineQuery.shape,
          state: z.enum(DOCUMENT_STATES).optional(),
          q: z
            .string()
            .max(200)
            .optional()
            .openapi({
              description:
                "Words to find in the trích yếu, the số/ký hiệu, the recipients' names or the places: every word must be there, with or without its marks, any case " +
                '("trien khai" finds "Triển khai"; the last letters of a word may be its beginning; "15/QĐ-UBND" finds that code). Full-text, indexed',
            }),
          from: isoDate.optional().openapi({ description: 'Dated (date of issue) on or after this day, YYYY-MM-DD' }),
          to: isoDate.optional().openapi({ description: 'Dated on or before this day, YYYY-MM-DD' }),
          type: z.string().trim().min(1).max(10).optional().openapi({ description: 'Document type key (CT, QĐ, CV…)' }),
          recipient: AgencyCode.optional().openapi({ description: 'An agency it was sent to' }),
          series: z.string().trim().min(1).max(20).optional().openapi({ description: "A series of the agency's outgoing registers (`default`, `VBQPPL`…)" }),
        }),
      },
      responses: {
        200: json(
          listOf(DocumentViewSchema.pick({ id: true, documentId: true, code: true, subject: true, state: true, createdAt: true, type: true }).extend({ deadlineCounts: DeadlineCountsSchema })),
          'A page',
        ),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const clerk = clerkOf(c);
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor, CURSOR_KEYS.time);
      const em = c.get('em');
      const now = deadlineClock.now();
      const filter = deadlineFilterOf(q);
      // The stored deadlines of deliveries whose 01 came since they were last worked out (src/deadlines).
      if (hasDeadlineFilter(filter)) await refreshDeliveryDeadlines(em, deadlineClock.calendar, { agencyCodes: [clerk.principal.agencyCode] });
      const { items, more } = await listOutgoing(em, clerk.principal.agencyCode, {
        deadlines: { filter, now },
        state: q.state,
        q: q.q,
        from: q.from,
        to: q.to,
        type: q.type === undefined ? undefined : canonicalTypeKey(q.type),
        recipient: q.recipient,
        series: q.series,
        before,
        limit: q.limit,
      });
      const last = items[items.length - 1];
      const counts = await documentsDeadlineCounts(em, deadlineClock.calendar, items, now);
      return c.json(
        {
          items: items.map((d) => ({
            id: d.id,
            documentId: d.documentId,
            type: d.type,
            code: { number: d.number, notation: d.notation, text: `${d.numberText}/${d.notation}` },
            subject: d.subject,
            state: d.state,
            createdAt: d.createdAt.toISOString(),
            deadlineCounts: counts.get(d.id) ?? { overdue: 0, dueSoon: 0, onTime: 0 },
          })),
          nextCursor: more && last ? encodeCursor(timeKey(last.createdAt, last.id)) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/documents/{id}',
      tags,
      security: BEARER,
      summary: 'A document with its deliveries: per recipient state, status code and time, attempts, last error, deadlines',
      request: { params: IdParam },
      responses: { 200: json(DocumentViewSchema, 'The document'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const doc = await findOwnDocument(c.get('em'), clerkOf(c), c.req.valid('param').id);
      return c.json(await loadDocumentView(c.get('em'), doc, deadlineClock), 200);
    },
  );

  app.get('/v1/documents/:id/edxml', async (c) => {
    const doc = await findOwnDocument(c.get('em'), clerkOf(c), c.req.param('id'));
    if (!doc.packageId) throw new DomainError('NOT_FOUND', 'The document is not signed yet.');
    return xmlResponse(await packageBytes(c.get('em'), doc.packageId), `${doc.documentId}.edxml`);
  });

  const xmlAnswer = { 200: { description: 'The signed package, exactly as signed', content: { 'application/xml': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND };
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/documents/{id}/edxml',
    tags,
    security: BEARER,
    summary: 'The signed package bytes, exactly as sent (the package of this node’s recipients, or the first destination’s)',
    request: { params: IdParam },
    responses: xmlAnswer,
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/documents/{id}/statuses/{statusId}/edxml',
    tags,
    security: BEARER,
    summary: 'A received status package, exactly as signed by the recipient',
    request: { params: IdParam.extend({ statusId: z.string().openapi({ param: { name: 'statusId', in: 'path' } }) }) },
    responses: xmlAnswer,
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/documents/{id}/events',
      tags,
      security: BEARER,
      summary: 'The timeline: every state change, status package and retry, oldest first',
      request: { params: IdParam },
      responses: { 200: json(z.object({ items: z.array(EventViewSchema), nextCursor: z.null() }), 'The events'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const doc = await findOwnDocument(c.get('em'), clerkOf(c), c.req.valid('param').id);
      return c.json({ items: await documentEvents(c.get('em'), doc.id), nextCursor: null }, 200);
    },
  );

  app.get('/v1/documents/:id/statuses/:statusId/edxml', async (c) => {
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    const statusId = c.req.param('statusId');
    const status = /^[0-9a-f-]{36}$/i.test(statusId) ? await statusRecordById(em, statusId) : null;
    const delivery = status?.deliveryId ? await deliveryById(em, status.deliveryId) : null;
    if (!status || !delivery || delivery.documentId !== doc.id) throw new DomainError('NOT_FOUND', `No status ${statusId} for this document.`);
    return xmlResponse(await packageBytes(em, status.packageId), `status-${status.code}-${status.id}.edxml`);
  });

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow((p) => requireUser(p, [...ROLES]))] as const,
      method: 'post',
      path: '/v1/documents/{id}/recall',
      tags,
      security: BEARER,
      summary: 'Recall a sent document: a recall package and a status 13 go to every recipient',
      request: { params: IdParam, body: jsonBody(z.object({ reason: xmlText().trim().min(1).max(2000) }).strict()) },
      responses: { 202: json(z.object({ id: z.string(), state: z.string(), recipients: z.number().int() }), 'Recall under way'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const clerk = clerkOf(c);
      const { id } = c.req.valid('param');
      const { statusIds } = await recallDocument(c.get('em'), pipeline.pki, clerk, id, c.req.valid('json').reason);
      await deps.queues.enqueueMany('status', statusIds.map((statusId) => ({ statusId }))).catch(() => undefined);
      return c.json({ id, state: 'recalled', recipients: statusIds.length }, 202);
    },
  );

  app.openapi(
    createRoute({
      // Node-wide admins (the bootstrap token, users with the admin role) may retry any agency's
      // delivery: an operator mends what a partner outage broke. Clerks and signers only their own
      // agency's. The role is checked before anything is read.
      middleware: [allow(retrier)] as const,
      method: 'post',
      path: '/v1/documents/{id}/deliveries/{recipient}/retry',
      tags,
      security: BEARER,
      summary: "Try a failed delivery again (a clerk or signer of the sending agency, or an admin, for any agency's document)",
      description:
        'Only a `failed` delivery is retried (anything else: 409 ILLEGAL_TRANSITION). The delivery starts afresh: `attempts` goes back to 0 and ' +
        '`lastError` is cleared, so it gets the partner\'s full `maxAttempts` again; who asked is on the timeline (`delivery.retry-requested`) and in the audit trail.',
      request: { params: IdParam.extend({ recipient: z.string().max(13).openapi({ param: { name: 'recipient', in: 'path' } }) }) },
      responses: { 202: json(z.object({ id: z.string(), recipient: z.string(), state: z.string() }), 'Retrying'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const actor = retrier(c.get('principal'));
      const { id, recipient } = c.req.valid('param');
      const em = c.get('em');
      const deliveryId = await inTransaction(em, async (tx) => {
        // The lock order of every path that holds a document and its deliveries (outgoing.repository.ts lockDocumentRow): a recall
        // running at the same time waits for this retry or this retry for it, never both.
        if (!UUID.test(id)) throw new DomainError('NOT_FOUND', `No document ${id}.`);
        await lockDocumentRow(tx, id);
        const doc = await documentById(tx, id);
        // Another agency's documents do not exist for its clerks (404, as findOwnDocument answers).
        const onlyAgency = actor.kind === 'user' && !isAdmin(actor) ? actor.agencyCode : null;
        // The sender's clerks, or a successor's that follows the document up after a handover (issue 19).
        if (!doc || (onlyAgency !== null && doc.agencyCode !== onlyAgency && !(await followsUp(tx, onlyAgency, doc.id)))) {
          throw new DomainError('NOT_FOUND', `No document ${id}${onlyAgency ? ` for agency ${onlyAgency}` : ''}.`);
        }
        const delivery = await lockDeliveryTo(tx, doc.id, recipient);
        if (!delivery) throw new DomainError('NOT_FOUND', `No delivery to ${recipient}.`);
        // The graph also allows sending → pending (a job's own hand-back); an operator retries only
        // what the transport gave up on.
        if (delivery.state !== 'failed') {
          throw new DomainError('ILLEGAL_TRANSITION', `The delivery is ${delivery.state}; only a failed delivery can be retried.`, {
            vi: `Lượt gửi đang ở trạng thái "${delivery.state}"; chỉ lượt gửi lỗi mới gửi lại được.`,
          });
        }
        const before = { attempts: delivery.attempts, lastError: delivery.lastError };
        move(delivery, 'pending');
        // A fresh start: with the old count the first transient error would fail it again at once
        // (recordDeliveryFailure compares attempts with the partner's maxAttempts).
        delivery.attempts = 0;
        delivery.lastError = null;
        const details = { by: principalKey(actor), previousAttempts: before.attempts, previousError: before.lastError };
        recordEvent(tx, { documentId: doc.id, deliveryId: delivery.id, recipientCode: recipient, type: 'delivery.retry-requested', state: 'pending', details });
        recordAudit(tx, {
          actor,
          action: 'delivery.retry-requested',
          subjectType: 'delivery',
          subjectId: delivery.id,
          agencyCode: doc.agencyCode,
          details: { documentId: doc.id, recipient, ...details },
          requestId: c.get('requestId'),
        });
        return delivery.id;
      });
      await deps.queues.enqueue('deliver', { deliveryId });
      return c.json({ id, recipient, state: 'pending' }, 202);
    },
  );
}

const UUID = /^[0-9a-f-]{36}$/i;

const badIdempotencyKey = () =>
  new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1–200 characters.', { vi: 'Tiêu đề Idempotency-Key phải dài từ 1 đến 200 ký tự.' });

/** Who may retry a delivery: a node-wide admin, or a clerk or signer (of the sending agency: checked on the document). */
function retrier(principal: Principal | undefined): Principal {
  return isAdmin(principal) ? requirePrincipal(principal) : requireUser(principal, [...ROLES]);
}

function xmlResponse(bytes: Buffer, filename: string): Response {
  return downloadResponse(bytes, 'application/xml', filename);
}

