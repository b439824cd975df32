import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { PkiService } from '../certificates/pki.service.js';
import type { KeyVault } from '../crypto/vault.js';
import { AgencyCode } from '../directory/directory.schemas.js';
import type { UserRole } from '../directory/user.entity.js';
import { readComposition } from '../documents/composition.js';
import { DocumentInputSchema } from '../documents/documents.schemas.js';
import type { Clerk } from '../documents/documents.service.js';
import { DomainError } from '../errors.js';
import { allow, requireAdmin, requirePrincipal, requireUser } from '../http/auth.js';
import { readBodyLimited } from '../http/body.js';
import { contentDisposition } from '../http/content-disposition.js';
import { isAdmin, type AppEnv } from '../http/context.js';
import { edgeSchema } from '../http/edge-input.js';
import { idempotent } from '../http/idempotency.js';
import { BEARER, COMMON_ERRORS, CONFLICT, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, listOf, PageQuery, timeKey } from '../http/pagination.js';
import { ProblemSchema, validationError } from '../http/problem.js';
import { xmlText } from '../http/xml-text.js';
import type { JobQueues } from '../../queues/producer.js';
import { approveWithNodeKey, approveWithSignedPdf } from './approve.js';
import { DRAFT_STATES } from './draft.entity.js';
import { ApproveInputSchema, DraftViewSchema, SealViewSchema, SigningKeyInputSchema, SigningKeyViewSchema, StampTemplateSchema } from './drafts.schemas.js';
import { issueDraft } from './issue.js';
import { currentPdf, listDrafts, loadDraftView } from './read.js';
import { MAX_SEAL_BYTES } from './seal-image.js';
import { getSeal, getStampTemplate, putSeal, putStampTemplate, requireKeeper, requireReader } from './seals.js';
import { getSigningKey, setSigningKey } from './signer-keys.js';
import { createDraft } from './upload.js';
import { withdrawDraft } from './withdraw.js';

export interface DraftsDeps {
  pki: PkiService;
  /** Issues and imports the leaders' keys (src/crypto: the only holder of keys). */
  vault: KeyVault;
  queues: JobQueues;
  maxBodyBytes: number;
  /** A document to a closed agency goes to its successor when the draft does not say (LIENTHONG_REDIRECT_CLOSED). */
  redirectClosed: boolean;
  /** How long a leader's certificate issued by the node CA is valid (LIENTHONG_CERTIFICATE_VALIDITY_DAYS). */
  signingKeyDays: number;
}

const tags = ['Drafts and legal signatures'];
const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });
const CodeParam = z.object({ code: AgencyCode.openapi({ param: { name: 'code', in: 'path' } }) });
const ILLEGAL = { 409: { description: 'ILLEGAL_TRANSITION: the draft is not in a state this step takes', content: { 'application/problem+json': { schema: ProblemSchema } } } };

/** Route middleware: the caller may change the seal and template of the agency in the path. */
const keeperOfPath: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireKeeper(c.get('principal'), c.req.param('code') ?? '');
  await next();
};

const userOf = (c: Context<AppEnv>, roles: UserRole[]): Clerk => ({ principal: requireUser(c.get('principal'), roles), requestId: c.get('requestId') });
const actorOf = (c: Context<AppEnv>) => ({ principal: requirePrincipal(c.get('principal')), requestId: c.get('requestId') });

const pdfResponse = (bytes: Buffer, name: string, inline: boolean): Response =>
  new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      'content-type': 'application/pdf',
      'content-length': String(bytes.length),
      'content-disposition': contentDisposition(name, inline ? 'inline' : 'attachment'),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    },
  });

/**
 * Issuing with legal signatures (issue 17; NĐ 30/2020 Điều 5, 13–14, Phụ lục I): drafts, the
 * leader's approval, "Cấp số và ký số"; the leaders' signing keys; the agencies' seals and templates.
 */
export function registerDraftRoutes(app: OpenAPIHono<AppEnv>, deps: DraftsDeps): void {
  // The body is a composed document (JSON or multipart, as POST /v1/documents): read by hand.
  app.post('/v1/drafts', async (c) => {
    const clerk = userOf(c, ['clerk', 'signer']);
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) {
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1–200 characters.', { vi: 'Tiêu đề Idempotency-Key phải dài từ 1 đến 200 ký tự.' });
    }
    const { input, files, fingerprint } = await readComposition(
      c,
      deps,
      DocumentInputSchema,
      'Send application/json (files in base64) or multipart/form-data (a `metadata` part and the files), the first file the PDF of the draft.',
    );
    const answer = await idempotent(c.get('em'), clerk.principal, key, 'POST /v1/drafts', fingerprint, async (tx) => ({ status: 201, body: await createDraft(tx, clerk, input, files, { redirectClosed: deps.redirectClosed }) }));
    return c.json(answer.body, 201);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/drafts',
    tags,
    security: BEARER,
    summary: 'Upload a draft (clerk or signer): the metadata of the document it becomes and its files, the first the PDF the leader signs',
    description:
      'The body of POST /v1/documents (JSON with base64 attachments, or multipart/form-data with a `metadata` part and the files). The first file must be a PDF ' +
      '(not encrypted) → 422 on `attachments.0` otherwise. `promulgation.date` must be left out: the number and the date are given at issue. ' +
      'Recipients are checked now (422 UNKNOWN_RECIPIENT / AGENCY_CLOSED). Accepts `Idempotency-Key`.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: DocumentInputSchema },
          'multipart/form-data': { schema: z.object({ metadata: z.string().openapi({ description: 'DocumentInput as JSON' }) }) },
        },
      },
    },
    responses: { 201: json(DraftViewSchema, 'The draft, waiting for the leader'), ...COMMON_ERRORS },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/drafts',
      tags,
      security: BEARER,
      summary: "The agency's drafts, newest first",
      request: { query: PageQuery.extend({ state: z.enum(DRAFT_STATES).optional() }) },
      responses: { 200: json(listOf(DraftViewSchema), 'A page'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const clerk = userOf(c, ['clerk', 'signer']);
      const q = c.req.valid('query');
      const { items, more } = await listDrafts(c.get('em'), clerk.principal.agencyCode, { state: q.state, before: decodeCursor(q.cursor, CURSOR_KEYS.time), limit: q.limit });
      const last = items.at(-1);
      return c.json({ items, nextCursor: more && last ? encodeCursor(timeKey(new Date(last.createdAt), last.id)) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/drafts/{id}',
      tags,
      security: BEARER,
      summary: 'A draft: its state, files, the leader’s approval and the document it became',
      request: { params: IdParam },
      responses: { 200: json(DraftViewSchema, 'The draft'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const clerk = userOf(c, ['clerk', 'signer']);
      return c.json(await loadDraftView(c.get('em'), clerk.principal.agencyCode, c.req.valid('param').id), 200);
    },
  );

  app.get('/v1/drafts/:id/pdf', async (c) => {
    const clerk = userOf(c, ['clerk', 'signer']);
    const pdf = await currentPdf(c.get('em'), clerk.principal.agencyCode, c.req.param('id'));
    return pdfResponse(pdf.bytes, pdf.name, c.req.query('inline') !== undefined);
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/drafts/{id}/pdf',
    tags,
    security: BEARER,
    summary: 'The current PDF: as uploaded; with the leader’s signature once approved; once issued, exactly as sent (number, date, the agency’s signature)',
    request: { params: IdParam, query: z.object({ inline: z.string().optional().openapi({ description: 'Present: `Content-Disposition: inline`' }) }) },
    responses: { 200: { description: 'The PDF', content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } }, ...COMMON_ERRORS, ...NOT_FOUND },
  });

  // JSON (the node signs with the leader's key) or application/pdf (the leader signed it): read by hand.
  app.post('/v1/drafts/:id/approve', async (c) => {
    const leader = userOf(c, ['signer']);
    const id = c.req.param('id');
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    const em = c.get('em');
    if (type.startsWith('application/pdf')) {
      const signed = await readBodyLimited(c.req.raw, deps.maxBodyBytes);
      return c.json(await approveWithSignedPdf(em, deps.pki, leader, id, signed), 200);
    }
    if (!(type.startsWith('application/json') || type === '')) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send application/json (the node signs with your key) or application/pdf (the PDF you signed).', {
        vi: 'Hãy gửi application/json (hệ thống ký bằng khóa của lãnh đạo) hoặc application/pdf (tệp PDF lãnh đạo đã ký số).',
      });
    }
    const text = (await readBodyLimited(c.req.raw, 64 * 1024)).toString('utf8').trim();
    let raw: unknown;
    try {
      raw = text ? JSON.parse(text) : {};
    } catch (error) {
      throw new DomainError('BAD_REQUEST', `Malformed JSON: ${(error as Error).message}`);
    }
    const parsed = edgeSchema(ApproveInputSchema).safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error, 'request body', { input: raw });
    return c.json(await approveWithNodeKey(em, deps.pki, leader, id, parsed.data.signatureBox), 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/drafts/{id}/approve',
    tags,
    security: BEARER,
    summary: 'The leader approves a draft with a personal signature in its PDF (role signer)',
    description:
      '`application/json` `{}` (or `{ signatureBox }`): the node signs the PDF with the leader’s key it keeps (POST /v1/users/{id}/signing-key; 422 without one), ' +
      'in the box given or the agency template’s `signature` box (422 without either). `application/pdf`: the PDF the leader signed with their own token, accepted only when ' +
      'the draft’s exact bytes begin it and its last signature is a valid personal signature, trusted by this node, covering the whole file, the pages unchanged ' +
      '(422 SIGNATURE_INVALID or CERTIFICATE_UNTRUSTED with `problems` otherwise). A draft not waiting for approval → 409 ILLEGAL_TRANSITION.',
    request: {
      params: IdParam,
      body: {
        required: false,
        content: { 'application/json': { schema: ApproveInputSchema }, 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
      },
    },
    responses: { 200: json(DraftViewSchema, 'The approved draft'), ...COMMON_ERRORS, ...NOT_FOUND, ...ILLEGAL },
  });

  app.openapi(
    createRoute({
      middleware: [allow((p) => requireUser(p, ['clerk']))] as const,
      method: 'post',
      path: '/v1/drafts/{id}/issue',
      tags,
      security: BEARER,
      summary: '"Cấp số và ký số" (clerk): the number and date from the register, written into the leader-signed PDF, the agency’s signature with its seal, then sent',
      description:
        'Only an approved draft (409 ILLEGAL_TRANSITION otherwise). In one transaction: the number is taken from the outgoing register exactly as POST /v1/documents takes it, ' +
        'written with the date into the PDF (the draft’s `so_ky_hieu` / `ngay_ban_hanh` text fields, else the agency’s stamp template), and the agency’s PAdES signature is ' +
        'applied with the seal over the left third of the leader’s; then the document is registered and its package built and sent. Should stamping or signing fail ' +
        '(no seal image, no valid agency key: 422), nothing is kept and the number is not used. The sent attachment is the signed PDF byte for byte.',
      request: { params: IdParam },
      responses: { 200: json(DraftViewSchema, 'The issued draft; `issued.documentId` is the outgoing document'), ...COMMON_ERRORS, ...NOT_FOUND, ...ILLEGAL },
    }),
    async (c) => {
      const clerk = userOf(c, ['clerk']);
      // Fail fast, before a number is taken, when the queue cannot take the work (503).
      await deps.queues.backend.ping(2_000).catch((error: unknown) => {
        throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was issued. Try again shortly.', { cause: error });
      });
      const { draft, document } = await issueDraft(c.get('em'), deps.pki, clerk, c.req.valid('param').id, { redirectClosed: deps.redirectClosed });
      // After the commit. Should the queue fail now, the sweep finds the queued document anyway.
      await deps.queues.enqueue('sign', { documentId: document.id }).catch(() => undefined);
      return c.json(draft, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow((p) => requireUser(p, ['clerk', 'signer']))] as const,
      method: 'post',
      path: '/v1/drafts/{id}/withdraw',
      tags,
      security: BEARER,
      summary: 'Drop a draft before it is issued (clerk or signer)',
      request: { params: IdParam, body: jsonBody(z.object({ reason: xmlText().trim().max(2000).optional() }).strict()) },
      responses: { 200: json(DraftViewSchema, 'The withdrawn draft'), ...COMMON_ERRORS, ...NOT_FOUND, ...ILLEGAL },
    }),
    async (c) => {
      const clerk = userOf(c, ['clerk', 'signer']);
      return c.json(await withdrawDraft(c.get('em'), clerk, c.req.valid('param').id, c.req.valid('json').reason), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/users/{id}/signing-key',
      tags,
      security: BEARER,
      summary: "Give a leader (role signer) a signing key kept by the node for approving drafts (admin); a new key retires the old",
      description:
        '`{}` or `{ fullName }`: the node CA issues a personal certificate (CN the person’s name, O the agency’s, no agency code; digitalSignature + nonRepudiation; ' +
        'EKU documentSigning and emailProtection) with a new key. `{ pkcs12, password }`: the leader’s own key and certificate, which must chain to a trust anchor and be personal. ' +
        'The key is encrypted at rest with the master key and never answered.',
      request: { params: IdParam, body: jsonBody(SigningKeyInputSchema) },
      responses: { 201: json(SigningKeyViewSchema, 'The certificate of the key kept'), ...COMMON_ERRORS, ...NOT_FOUND, ...CONFLICT },
    }),
    async (c) => {
      const actor = actorOf(c);
      const view = await setSigningKey(c.get('em'), { pki: deps.pki, vault: deps.vault, validityDays: deps.signingKeyDays }, actor, c.req.valid('param').id, c.req.valid('json'));
      return c.json(view, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{id}/signing-key',
      tags,
      security: BEARER,
      summary: "A leader's signing key kept by the node: its certificate, never the key (admin, or the leader)",
      request: { params: IdParam },
      responses: { 200: json(SigningKeyViewSchema, 'The certificate'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const p = requirePrincipal(c.get('principal'));
      const id = c.req.valid('param').id;
      if (!isAdmin(p) && !(p.kind === 'user' && p.id === id)) throw new DomainError('FORBIDDEN', 'Only an administrator or the leader may see this key.');
      return c.json(await getSigningKey(c.get('em'), id), 200);
    },
  );

  // The body is the image itself (image/png): read by hand.
  app.put('/v1/agencies/:code/seal', async (c) => {
    const code = c.req.param('code');
    const actor = { principal: requireKeeper(c.get('principal'), code), requestId: c.get('requestId') };
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('image/png')) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the seal image as image/png (a transparent PNG).', { vi: 'Hãy gửi ảnh con dấu dạng image/png (tệp PNG nền trong suốt).' });
    }
    const png = await readBodyLimited(c.req.raw, MAX_SEAL_BYTES);
    return c.json(await putSeal(c.get('em'), actor, code, png), 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/agencies/{code}/seal',
    tags,
    security: BEARER,
    summary: "Upload the image of the agency's seal (admin, or a clerk of the agency)",
    description:
      `A PNG (image/png), at most ${MAX_SEAL_BYTES} bytes, each side 64–2048 px; transparent recommended (Phụ lục I: red on a transparent background), ` +
      'said by `transparent`. Drawn by the agency’s PDF signatures at the seal’s real size (35 mm) over the left third of the leader’s signature.',
    request: { params: CodeParam, body: { required: true, content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } } },
    responses: { 200: json(SealViewSchema, 'The seal kept'), ...COMMON_ERRORS, ...NOT_FOUND },
  });

  app.get('/v1/agencies/:code/seal', async (c) => {
    const code = c.req.param('code');
    requireReader(c.get('principal'), code);
    const seal = await getSeal(c.get('em'), code);
    return new Response(new Uint8Array(seal.png), {
      status: 200,
      headers: { 'content-type': 'image/png', 'content-length': String(seal.png.length), 'x-content-type-options': 'nosniff', 'cache-control': 'private, no-store', etag: `"${seal.sha256}"` },
    });
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/agencies/{code}/seal',
    tags,
    security: BEARER,
    summary: "The image of the agency's seal (admin, or a user of the agency)",
    request: { params: CodeParam },
    responses: { 200: { description: 'The PNG', content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } }, ...COMMON_ERRORS, ...NOT_FOUND },
  });

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [keeperOfPath] as const,
      method: 'put',
      path: '/v1/agencies/{code}/stamp-template',
      tags,
      security: BEARER,
      summary: "Set the agency's stamp template (admin, or a clerk of the agency)",
      request: { params: CodeParam, body: jsonBody(StampTemplateSchema) },
      responses: { 200: json(StampTemplateSchema, 'The template'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const actor = { principal: requireKeeper(c.get('principal'), code), requestId: c.get('requestId') };
      return c.json(await putStampTemplate(c.get('em'), actor, code, c.req.valid('json')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}/stamp-template',
      tags,
      security: BEARER,
      summary: "The agency's stamp template (admin, or a user of the agency)",
      request: { params: CodeParam },
      responses: { 200: json(StampTemplateSchema, 'The template'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      requireReader(c.get('principal'), code);
      return c.json(await getStampTemplate(c.get('em'), code), 200);
    },
  );
}
