import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AgencyCode, AgencyDecisionSchema } from '../directory/directory.schemas.js';
import { allow, requireAdmin, requirePrincipal } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, CONFLICT, json, NOT_FOUND } from '../http/openapi.js';
import { handOver, listHandovers, type HandoverDeps } from './handover.js';

const tags = ['Directory'];
const CodeParam = z.object({ code: AgencyCode.openapi({ param: { name: 'code', in: 'path' } }) });
const Ref = z.object({ code: z.string(), name: z.string() });
const RecordRef = z.object({ agency: z.string(), role: z.enum(['handover', 'takeover']), index: z.number().int(), hash: z.string() });
const Moved = z.object({ inboxItems: z.number().int(), documents: z.number().int() });

const HandoverResultSchema = z
  .object({
    handoverId: z.string().nullable().openapi({ description: 'Null when nothing was left to hand over' }),
    nothingNew: z.boolean(),
    from: Ref.extend({ closedAt: z.string().nullable() }),
    to: Ref,
    decision: AgencyDecisionSchema.nullable(),
    at: z.string(),
    moved: Moved,
    usersDeactivated: z.number().int(),
    inboxItems: z.array(z.object({ id: z.string(), documentId: z.string(), state: z.string() })),
    documents: z.array(z.object({ id: z.string(), documentId: z.string(), code: z.string() })),
    skipped: z.array(z.object({ kind: z.enum(['inbox-item', 'document']), id: z.string(), reason: z.string() })),
    records: z.array(RecordRef),
    earlier: z.array(z.object({ id: z.string(), performedAt: z.string(), inboxItems: z.number().int(), documents: z.number().int(), usersDeactivated: z.number().int() })),
    message: z.string(),
    messageVi: z.string(),
  })
  .openapi('Handover');

const HandoverEntry = z.object({ id: z.string(), documentId: z.string(), sha256: z.string().nullable() });
const HandoverViewSchema = z
  .object({
    id: z.string(),
    from: z.string(),
    to: z.string(),
    decision: AgencyDecisionSchema.nullable(),
    performedAt: z.string(),
    performedBy: z.string(),
    moved: Moved,
    usersDeactivated: z.number().int(),
    records: z.array(RecordRef),
    inboxItems: z.array(HandoverEntry),
    documents: z.array(HandoverEntry),
    skipped: z.array(HandoverEntry).openapi({ description: 'Open inbox items left with the closed agency: the successor holds the same package' }),
  })
  .openapi('HandoverRecord');

/** POST /v1/agencies/{code}/handover and GET …/handovers (issue 19). */
export function registerHandoverRoutes(app: OpenAPIHono<AppEnv>, deps: HandoverDeps): void {
  app.openapi(
    createRoute({
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/agencies/{code}/handover',
      tags,
      security: BEARER,
      summary: "Hand a closed agency's open work over to its successor (admin), with a signed record in both archive chains",
      description:
        'For an agency closed now: its inbox items not completed, refused or recalled become those of the open successor that receives its documents ' +
        '(same ids, statuses and audit trail; `addressedTo` names the closed agency; audit `inbox.handed-over`) — except one whose package the successor ' +
        'holds already (`skipped`); its outgoing documents whose deliveries are still open are followed up by the successor (timeline event `handover`; ' +
        'they stay in the closed agency\'s register); its users are deactivated. A statement of what moved (ids and SHA-256 digests), when, by whom and ' +
        'under which decision is signed by the node archive key and appended to both chains — `handover` in the closed agency\'s, `takeover` in the ' +
        "successor's — which `lienthong verify-chain` checks. 201 with what moved; 200 with `nothingNew: true` when nothing was left (a second call). " +
        '409 when the agency is not closed yet, has no open successor, or it or its successor is hosted on another node.',
      request: { params: CodeParam },
      responses: {
        201: json(HandoverResultSchema, 'What was handed over, and the records appended'),
        200: json(HandoverResultSchema, 'Nothing new to hand over (`nothingNew: true`)'),
        ...COMMON_ERRORS,
        ...NOT_FOUND,
        ...CONFLICT,
      },
    }),
    async (c) => {
      const result = await handOver(c.get('em'), deps, { principal: requireAdmin(c.get('principal')), requestId: c.get('requestId') }, c.req.valid('param').code);
      return result.nothingNew ? c.json(result, 200) : c.json(result, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}/handovers',
      tags,
      security: BEARER,
      summary: 'The handovers from or to an agency, newest first, with what each moved (admin, or a user of that agency)',
      request: { params: CodeParam },
      responses: { 200: json(z.object({ items: z.array(HandoverViewSchema), nextCursor: z.null() }), 'The handovers'), ...COMMON_ERRORS },
    }),
    async (c) => c.json({ items: await listHandovers(c.get('em'), requirePrincipal(c.get('principal')), c.req.valid('param').code), nextCursor: null }, 200),
  );
}
