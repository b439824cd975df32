import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { PdfSignaturesFields } from '../documents/documents.schemas.js';
import { DomainError } from '../errors.js';
import { requireUser } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { downloadResponse } from '../http/content-disposition.js';
import { BEARER, COMMON_ERRORS, json, NOT_FOUND } from '../http/openapi.js';
import { findOwnItem } from './inbox.service.js';
import { versionFile, versionPackage, versionView } from './versions.js';

const tags = ['Inbox'];
const userOf = (c: Context<AppEnv>) => requireUser(c.get('principal'), ['clerk', 'signer']);
const param = (name: string) => z.string().max(64).openapi({ param: { name, in: 'path' } });
const VersionParams = z.object({ id: param('id'), version: param('version').openapi({ description: '1: the document as first received; 2, 3 …: the sender’s updates in the order they came' }) });

const FileView = z.object({ index: z.number().int(), name: z.string(), contentType: z.string(), size: z.number().int() }).extend(PdfSignaturesFields);

/** An update as GET /v1/inbox/{id} lists it (`versions`). */
export const UpdateVersionView = z.object({
  id: z.string(),
  kind: z.literal('update'),
  version: z.number().int().openapi({ description: 'Its number: 2 for the first update (1 is the document as first received)' }),
  subject: z.string(),
  reason: z.string().nullable(),
  state: z.enum(['pending', 'accepted', 'refused']),
  receivedAt: z.string(),
  answeredAt: z.string().nullable(),
  current: z.boolean().openapi({ description: 'The item shows this version now (it was taken with 15)' }),
  attachments: z.array(FileView).openapi({ description: 'Its files (GET /v1/inbox/{id}/versions/{version}/attachments/{index}); none once a recall was accepted' }),
});

const VersionView = z
  .object({
    version: z.number().int(),
    kind: z.enum(['original', 'update']),
    id: z.string().nullable().openapi({ description: 'The update’s id; null for the document as first received' }),
    subject: z.string(),
    reason: z.string().nullable(),
    state: z.enum(['received', 'pending', 'accepted', 'refused']).openapi({ description: '`received` for version 1; an update’s as the clerk answered it (15 accepted, 16 refused)' }),
    receivedAt: z.string(),
    answeredAt: z.string().nullable(),
    current: z.boolean(),
    sha256: z.string().openapi({ description: 'SHA-256 of the signed package that carried this version (GET …/edxml)' }),
    metadata: z.record(z.string(), z.unknown()),
    attachments: z.array(FileView),
  })
  .openapi('InboxItemVersion');

/** Parses a version number from the path; 404 for anything else. */
function versionNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\d{1,6}$/.test(raw) || n < 1) throw new DomainError('NOT_FOUND', `No version ${raw.slice(0, 20)}.`);
  return n;
}

/**
 * Each version of a received document as itself (issue 12): its header and files, each file and the
 * package from the signed package of that version, whichever version the item shows now.
 */
export function registerVersionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inbox/{id}/versions/{version}',
      tags,
      security: BEARER,
      summary: 'One version of a received document: 1 as first received, 2, 3 … the sender’s updates — its header, files and package digest',
      request: { params: VersionParams },
      responses: { 200: json(VersionView, 'The version'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const { id, version } = c.req.valid('param');
      const em = c.get('em');
      const item = await findOwnItem(em, userOf(c), id);
      return c.json(await versionView(em, item, versionNumber(version)), 200);
    },
  );

  app.get('/v1/inbox/:id/versions/:version/attachments/:index', async (c) => {
    const em = c.get('em');
    const item = await findOwnItem(em, userOf(c), c.req.param('id'));
    const index = Number(c.req.param('index'));
    if (!Number.isInteger(index) || index < 0) throw new DomainError('NOT_FOUND', `No attachment ${c.req.param('index')}.`);
    const file = await versionFile(em, item, versionNumber(c.req.param('version')), index);
    return downloadResponse(file.bytes, file.contentType, file.name);
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/inbox/{id}/versions/{version}/attachments/{index}',
    tags,
    security: BEARER,
    summary: 'A file of one version, from that version’s signed package (410 once a recall was accepted)',
    request: { params: VersionParams.extend({ index: param('index') }) },
    responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND, 410: { description: 'Withdrawn by a recall' } },
  });

  app.get('/v1/inbox/:id/versions/:version/edxml', async (c) => {
    const em = c.get('em');
    const item = await findOwnItem(em, userOf(c), c.req.param('id'));
    const bytes = await versionPackage(em, item, versionNumber(c.req.param('version')));
    return downloadResponse(bytes, 'application/xml', `${item.documentId} v${c.req.param('version')}.edxml`);
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/inbox/{id}/versions/{version}/edxml',
    tags,
    security: BEARER,
    summary: 'The package of one version exactly as received (410 once a recall was accepted)',
    request: { params: VersionParams },
    responses: { 200: { description: 'The package', content: { 'application/xml': { schema: z.string() } } }, ...COMMON_ERRORS, ...NOT_FOUND, 410: { description: 'Withdrawn by a recall' } },
  });
}
