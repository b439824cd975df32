import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AgencyCode } from '../directory/directory.schemas.js';
import { contentDisposition } from '../http/content-disposition.js';
import { allow, requireAdmin, requirePrincipal, requireUser } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, CONFLICT, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { ProblemSchema } from '../http/problem.js';
import {
  chainHead,
  exportChain,
  exportDocumentArchive,
  exportInboxArchive,
  getRetention,
  rotateSigningKey,
  setRetention,
  signingKeys,
  type ArchiveDeps,
} from './archive.service.js';
import { MAX_CHAIN_EXPORT } from './export.js';
import { registerHandoverRoutes } from './handover.routes.js';

const tags = ['Archive'];
const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });
const AgencyParam = z.object({ agency: AgencyCode.openapi({ param: { name: 'agency', in: 'path' } }) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });
const NOT_SEALED = { 409: problem('CONFLICT: not sealed yet (the document is still in progress)') };
const zipFile = (description: string) => ({ description, content: { 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } } });

const RetentionView = z
  .object({ agency: z.string(), attachmentsDays: z.number().int().nullable(), updatedAt: z.string().nullable(), updatedBy: z.string().nullable() })
  .openapi('Retention');
const SigningKeyView = z
  .object({
    id: z.string(),
    fingerprintSha256: z.string(),
    subject: z.string(),
    issuer: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    createdAt: z.string(),
    current: z.boolean(),
    certificatePem: z.string(),
  })
  .openapi('ArchiveSigningKey');
const HeadView = z
  .object({
    agency: z.string(),
    index: z.number().int(),
    hash: z.string().nullable(),
    sealedAt: z.string().nullable(),
    checkpoint: z.object({ index: z.number().int(), hash: z.string(), signedAt: z.string() }).nullable(),
  })
  .openapi('ArchiveChainHead');

const userActor = (c: Context<AppEnv>) => ({ principal: requireUser(c.get('principal'), ['clerk', 'signer']), requestId: c.get('requestId') });
const anyActor = (c: Context<AppEnv>) => ({ principal: requirePrincipal(c.get('principal')), requestId: c.get('requestId') });

function download(bytes: Buffer, fileName: string, contentType: string): Response {
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-length': String(bytes.length),
      'content-disposition': contentDisposition(fileName),
      'x-content-type-options': 'nosniff',
    },
  });
}

/** Archive exports, chain exports, retention periods and the node's archive signing key (API.md "Archive"). */
export function registerArchiveRoutes(app: OpenAPIHono<AppEnv>, deps: ArchiveDeps): void {
  // Handing a closed agency over seals a record into both chains (issue 19).
  registerHandoverRoutes(app, deps);
  app.get('/v1/documents/:id/archive', async (c) => {
    const file = await exportDocumentArchive(c.get('em'), deps, userActor(c), c.req.param('id'));
    return download(file.bytes, file.fileName, 'application/zip');
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/documents/{id}/archive',
    tags,
    security: BEARER,
    summary: "The sealed evidence of an outgoing document as one file (the sender's clerks)",
    description:
      'A store-only ZIP: manifest.json, the chain entry and record content, every signed package, the chain segment up to a node-signed checkpoint, ' +
      'and the certificates. `npx lienthong verify FILE --trust NODE-CA.pem` checks it offline. 409 CONFLICT until the document is sealed.',
    request: { params: IdParam },
    responses: { 200: zipFile('The archive file'), ...COMMON_ERRORS, ...NOT_FOUND, ...NOT_SEALED },
  });

  app.get('/v1/inbox/:id/archive', async (c) => {
    const file = await exportInboxArchive(c.get('em'), deps, userActor(c), c.req.param('id'));
    return download(file.bytes, file.fileName, 'application/zip');
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/inbox/{id}/archive',
    tags,
    security: BEARER,
    summary: "The sealed evidence of a received document as one file (the recipient's users)",
    description: 'Same format as the sender\'s archive, from the recipient agency\'s own chain. 409 CONFLICT until the item is sealed.',
    request: { params: IdParam },
    responses: { 200: zipFile('The archive file'), ...COMMON_ERRORS, ...NOT_FOUND, ...NOT_SEALED },
  });

  const RangeQuery = z.object({
    from: z.coerce.number().int().min(1).optional().openapi({ description: 'First record (default 1)' }),
    to: z.coerce.number().int().min(1).optional().openapi({ description: `Last record (default: the head); at most ${MAX_CHAIN_EXPORT} records per export` }),
  });
  app.get('/v1/archive/:agency/chain', async (c) => {
    const agency = AgencyCode.parse(c.req.param('agency'));
    const range = RangeQuery.parse({ from: c.req.query('from'), to: c.req.query('to') });
    const file = await exportChain(c.get('em'), deps, anyActor(c), agency, range);
    return download(file.bytes, file.fileName, 'application/json');
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/archive/{agency}/chain',
    tags,
    security: BEARER,
    summary: "A range of an agency's hash chain, with record contents and checkpoints (admin, or that agency's users)",
    description: 'Canonical JSON (RFC 8785). `npx lienthong verify-chain FILE --trust NODE-CA.pem` checks it end to end.',
    request: { params: AgencyParam, query: RangeQuery },
    responses: { 200: { description: 'The chain export', content: { 'application/json': { schema: z.object({}).passthrough() } } }, ...COMMON_ERRORS, ...NOT_FOUND },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/archive/{agency}/head',
      tags,
      security: BEARER,
      summary: "The head of an agency's chain and its latest checkpoint",
      request: { params: AgencyParam },
      responses: { 200: json(HeadView, 'The head'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => c.json(await chainHead(c.get('em'), requirePrincipal(c.get('principal')), c.req.valid('param').agency), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/archive/{agency}/retention',
      tags,
      security: BEARER,
      summary: "An agency's retention period for attachments (null: kept for ever)",
      request: { params: AgencyParam },
      responses: { 200: json(RetentionView, 'The retention period'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => c.json(await getRetention(c.get('em'), requirePrincipal(c.get('principal')), c.req.valid('param').agency), 200),
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'put',
      path: '/v1/archive/{agency}/retention',
      tags,
      security: BEARER,
      summary: 'Set how many days after sealing the attachments are kept (admin); null keeps them for ever',
      description:
        'A purge job removes a document package (and the uploaded files) once every holder — the sender and each local recipient — has sealed its record and outlived its period. ' +
        'Hashes, statuses and the chain stay, and the archive file still verifies.',
      request: { params: AgencyParam, body: jsonBody(z.object({ attachmentsDays: z.number().int().min(0).max(36_500).nullable() }).strict()) },
      responses: { 200: json(RetentionView, 'The retention period'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => c.json(await setRetention(c.get('em'), anyActor(c), c.req.valid('param').agency, c.req.valid('json').attachmentsDays), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/archive/signing-keys',
      tags,
      security: BEARER,
      summary: "The node's archive signing keys (checkpoints), newest first (admin)",
      responses: { 200: json(z.object({ items: z.array(SigningKeyView), nextCursor: z.null() }), 'The keys'), ...COMMON_ERRORS },
    }),
    async (c) => c.json({ items: await signingKeys(c.get('em'), requirePrincipal(c.get('principal'))), nextCursor: null }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/archive/signing-keys',
      tags,
      security: BEARER,
      summary: 'Rotate the node archive signing key (admin): a new key from the node CA signs later checkpoints',
      responses: { 201: json(SigningKeyView, 'The new key'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => c.json(await rotateSigningKey(c.get('em'), deps.pki, anyActor(c)), 201),
  );
}
