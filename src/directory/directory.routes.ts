import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listAudit } from '../audit/audit.repository.js';
import { DomainError } from '../errors.js';
import { allow, requireAdmin, requireUserOrAdmin } from '../http/auth.js';
import { isAdmin, type AppEnv } from '../http/context.js';
import { idempotent, withoutToken } from '../http/idempotency.js';
import { BEARER, COMMON_ERRORS, CONFLICT, IdempotencyHeader, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { CURSOR_KEYS, decodeCursor, page, PageQuery, listOf } from '../http/pagination.js';
import { AGENCY_LEVELS } from './agency.entity.js';
import { findAgency, findPartner, listAgencies, listGroups, listPartners, listUsers, findGroup } from './directory.repository.js';
import {
  AgencyCode,
  AgencyInputSchema,
  AgencyPatchSchema,
  AgencySchema,
  AuditEventSchema,
  GroupInputSchema,
  GroupSchema,
  LineageSchema,
  PartnerCreatedSchema,
  PartnerInputSchema,
  PartnerPatchSchema,
  PartnerSchema,
  UserCreatedSchema,
  UserInputSchema,
  UserPatchSchema,
  UserSchema,
} from './directory.schemas.js';
import {
  agencyView,
  createAgency,
  createGroup,
  createPartner,
  createUser,
  deactivateUser,
  groupViews,
  partnerView,
  replaceGroup,
  updateAgency,
  updatePartner,
  updateUserEmail,
  userView,
  type AgencyView,
} from './directory.service.js';
import { agencyLineage } from './succession.js';
import { registerDirectorySyncRoutes } from './sync.routes.js';
import type { AxisAgenciesReader } from './sync.service.js';

export interface DirectoryDeps {
  /** Encrypts a secret with the node's master key (partner credentials). */
  sealSecret(plain: string): string;
  /** The agency's current certificate summary, when certificates exist (src/crypto). */
  certificateSummary?(code: string): Promise<z.infer<typeof AgencySchema>['certificate']>;
  /** Reads an axis partner's getAgenciesList, for the directory sync (issue 19); without it an axis sync is 503. */
  axisAgencies?: AxisAgenciesReader;
}

const tags = ['Directory'];
const CodeParam = z.object({ code: AgencyCode.openapi({ param: { name: 'code', in: 'path' } }) });
const GroupCodeParam = z.object({ code: z.string().max(100).openapi({ param: { name: 'code', in: 'path' } }) });
const IdParam = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

/** Directory API of API.md: admins write, every authenticated user reads. */
export function registerDirectoryRoutes(app: OpenAPIHono<AppEnv>, deps: DirectoryDeps): void {
  const actor = (c: { get(k: 'principal'): AppEnv['Variables']['principal']; get(k: 'requestId'): string }) => ({
    principal: requireAdmin(c.get('principal')),
    requestId: c.get('requestId'),
  });
  const withCertificate = async (view: AgencyView) => ({
    ...view,
    certificate: deps.certificateSummary ? await deps.certificateSummary(view.code) : null,
  });

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/agencies',
      tags,
      security: BEARER,
      summary: 'Register an agency (admin)',
      request: { body: jsonBody(AgencyInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(AgencySchema, 'The agency'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json');
      const answer = await idempotent(c.get('em'), a.principal, c.req.header('idempotency-key'), 'POST /v1/agencies', body, async (tx) => ({
        status: 201,
        body: await withCertificate(await createAgency(tx, a, body)),
      }));
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies',
      tags,
      security: BEARER,
      summary: 'List agencies',
      request: {
        query: PageQuery.extend({
          parent: AgencyCode.optional(),
          level: z.enum(AGENCY_LEVELS).optional(),
          active: z.enum(['true', 'false']).optional(),
        }),
      },
      responses: { 200: json(listOf(AgencySchema), 'A page of agencies'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const rows = await listAgencies(c.get('em'), {
        parent: q.parent,
        level: q.level,
        active: q.active === undefined ? undefined : q.active === 'true',
        afterCode: decodeCursor(q.cursor, CURSOR_KEYS.code),
        limit: q.limit + 1,
      });
      return c.json(page(rows, q.limit, (r) => r.code, agencyView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}',
      tags,
      security: BEARER,
      summary: 'One agency, with its current certificate summary',
      request: { params: CodeParam },
      responses: { 200: json(AgencySchema, 'The agency'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const { code } = c.req.valid('param');
      const agency = await findAgency(c.get('em'), code);
      if (!agency) throw new DomainError('NOT_FOUND', `No agency ${code}.`);
      return c.json(await withCertificate(agencyView(agency)), 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'patch',
      path: '/v1/agencies/{code}',
      tags,
      security: BEARER,
      summary: 'Change an agency: details, validity, active flag, endpoint, succession (admin)',
      description:
        'Closing an agency (issue 19): `closedAt` (ISO 8601 with offset), its successor `successorCode` — or for a split every successor in ' +
        '`successorCodes`, the one that receives the documents first or named by `successorCode` — and the legal act `decision`. Each successor must ' +
        'exist, differ from the agency, not be closed already when this one closes, and lead back to it by no chain of successors (a cycle); an agency ' +
        'named as successor must close after its predecessors. Every refusal is 422 VALIDATION_FAILED naming the field. `closedAt: null` with ' +
        '`successorCode: null` opens the agency again.',
      request: { params: CodeParam, body: jsonBody(AgencyPatchSchema) },
      responses: { 200: json(AgencySchema, 'The agency'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const a = actor(c);
      const view = await updateAgency(c.get('em'), a, c.req.valid('param').code, c.req.valid('json'));
      return c.json(await withCertificate(view), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}/lineage',
      tags,
      security: BEARER,
      summary: 'Where an agency came from and what took over from it: predecessors and successors, transitively',
      description:
        'Each entry carries its `closedAt`, `decision` and `successorCodes` (the one that receives the documents first), so the graph of a ' +
        'merger (several predecessors, one successor) or a split (one predecessor, several successors) can be drawn from it; `depth` counts the ' +
        'steps from the agency asked about. `receivingAgency` is who receives documents addressed to it now.',
      request: { params: CodeParam },
      responses: { 200: json(LineageSchema, 'The lineage'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const { code } = c.req.valid('param');
      const lineage = await agencyLineage(c.get('em'), code);
      if (!lineage) throw new DomainError('NOT_FOUND', `No agency ${code}.`);
      return c.json(lineage, 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/groups',
      tags,
      security: BEARER,
      summary: 'Create a group of agencies (admin)',
      request: { body: jsonBody(GroupInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(GroupSchema, 'The group'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json');
      const answer = await idempotent(c.get('em'), a.principal, c.req.header('idempotency-key'), 'POST /v1/groups', body, async (tx) => ({
        status: 201,
        body: await createGroup(tx, a, body),
      }));
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/groups',
      tags,
      security: BEARER,
      summary: 'List groups',
      request: { query: PageQuery },
      responses: { 200: json(listOf(GroupSchema), 'A page of groups'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const rows = await listGroups(c.get('em'), decodeCursor(q.cursor, CURSOR_KEYS.code), q.limit + 1);
      const views = await groupViews(c.get('em'), rows.slice(0, q.limit));
      const result = page(rows, q.limit, (r) => r.code, (r) => r);
      return c.json({ items: views, nextCursor: result.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/groups/{code}',
      tags,
      security: BEARER,
      summary: 'One group with its members',
      request: { params: GroupCodeParam },
      responses: { 200: json(GroupSchema, 'The group'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const group = await findGroup(c.get('em'), c.req.valid('param').code);
      if (!group) throw new DomainError('NOT_FOUND', `No group ${c.req.valid('param').code}.`);
      const [view] = await groupViews(c.get('em'), [group]);
      return c.json(view!, 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'put',
      path: '/v1/groups/{code}',
      tags,
      security: BEARER,
      summary: "Replace a group's name and members (admin)",
      request: { params: GroupCodeParam, body: jsonBody(GroupInputSchema.omit({ code: true })) },
      responses: { 200: json(GroupSchema, 'The group'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const a = actor(c);
      return c.json(await replaceGroup(c.get('em'), a, c.req.valid('param').code, c.req.valid('json')), 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/users',
      tags,
      security: BEARER,
      summary: 'Create a user; the token is shown once (admin)',
      request: { body: jsonBody(UserInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(UserCreatedSchema, 'The user and its token (null in an Idempotency-Key replay: shown once)'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json');
      const answer = await idempotent(
        c.get('em'),
        a.principal,
        c.req.header('idempotency-key'),
        'POST /v1/users',
        // The password is no part of the stored fingerprint, not even hashed.
        { ...body, password: undefined },
        async (tx) => ({ status: 201, body: await createUser(tx, a, body) }),
        // The token is shown once: the stored answer, and so any replay, carries none.
        { redact: withoutToken },
      );
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users',
      tags,
      security: BEARER,
      summary: 'List users (admin)',
      request: { query: PageQuery.extend({ agency: AgencyCode.optional() }) },
      responses: { 200: json(listOf(UserSchema), 'A page of users'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const rows = await listUsers(c.get('em'), { agencyCode: q.agency, afterId: decodeCursor(q.cursor, CURSOR_KEYS.id), limit: q.limit + 1 });
      return c.json(page(rows, q.limit, (r) => r.id, userView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/users/{id}',
      tags,
      security: BEARER,
      summary: "Revoke a user's token (admin); the user is kept for the audit trail",
      request: { params: IdParam },
      responses: { 200: json(UserSchema, 'The deactivated user'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const a = actor(c);
      const id = c.req.valid('param').id;
      if (!z.uuid().safeParse(id).success) throw new DomainError('NOT_FOUND', `No user ${id}.`);
      return c.json(await deactivateUser(c.get('em'), a, id), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [allow(requireUserOrAdmin)] as const,
      method: 'patch',
      path: '/v1/users/{id}',
      tags,
      security: BEARER,
      summary: "Set or remove a user's e-mail address, where reminders go (an administrator, or the user itself)",
      request: { params: IdParam, body: jsonBody(UserPatchSchema) },
      responses: { 200: json(UserSchema, 'The user'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const principal = requireUserOrAdmin(c.get('principal'));
      const id = c.req.valid('param').id;
      if (!isAdmin(principal) && principal.id !== id) throw new DomainError('FORBIDDEN', 'Only an administrator, or the user itself, may change a user.');
      if (!z.uuid().safeParse(id).success) throw new DomainError('NOT_FOUND', `No user ${id}.`);
      return c.json(await updateUserEmail(c.get('em'), { principal, requestId: c.get('requestId') }, id, c.req.valid('json').email), 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/partners',
      tags,
      security: BEARER,
      summary: 'Register a partner system; its exchange token is shown once (admin)',
      description:
        'A partner with a `baseUrl` is a push partner (we POST to it); one without is a pull partner: what we send it waits in ' +
        '`GET /exchange/v1/packages`. An explicit `mode` wins, but `push` without a `baseUrl` is 422.',
      request: { body: jsonBody(PartnerInputSchema), headers: IdempotencyHeader },
      responses: { 201: json(PartnerCreatedSchema, 'The partner and its token (null in an Idempotency-Key replay: shown once)'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const a = actor(c);
      const body = c.req.valid('json');
      const answer = await idempotent(
        c.get('em'),
        a.principal,
        c.req.header('idempotency-key'),
        'POST /v1/partners',
        body,
        async (tx) => ({ status: 201, body: await createPartner(tx, a, body, deps.sealSecret) }),
        // The token is shown once: the stored answer, and so any replay, carries none.
        { redact: withoutToken },
      );
      return c.json(answer.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/partners',
      tags,
      security: BEARER,
      summary: 'List partners (admin)',
      request: { query: PageQuery },
      responses: { 200: json(listOf(PartnerSchema), 'A page of partners'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const rows = await listPartners(c.get('em'), decodeCursor(q.cursor, CURSOR_KEYS.code), q.limit + 1);
      return c.json(page(rows, q.limit, (r) => r.id, partnerView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/partners/{id}',
      tags,
      security: BEARER,
      summary: 'One partner (admin)',
      request: { params: IdParam },
      responses: { 200: json(PartnerSchema, 'The partner'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const partner = await findPartner(c.get('em'), c.req.valid('param').id);
      if (!partner) throw new DomainError('NOT_FOUND', `No partner ${c.req.valid('param').id}.`);
      return c.json(partnerView(partner), 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'patch',
      path: '/v1/partners/{id}',
      tags,
      security: BEARER,
      summary: 'Change a partner: address, credentials, agencies it serves, mode, flags (admin)',
      description:
        'Without `mode`, the mode follows the address: `baseUrl: null` makes the partner pull; a `baseUrl` given to a partner that had none ' +
        'makes it push; a new `baseUrl` for a partner that had one keeps its mode. `mode: "push"` for a partner left without a `baseUrl` is 422.',
      request: { params: IdParam, body: jsonBody(PartnerPatchSchema) },
      responses: { 200: json(PartnerSchema, 'The partner'), ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const a = actor(c);
      return c.json(await updatePartner(c.get('em'), a, c.req.valid('param').id, c.req.valid('json'), deps.sealSecret), 200);
    },
  );

  registerDirectorySyncRoutes(app, { axisAgencies: deps.axisAgencies });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit-events',
      tags: ['Audit'],
      security: BEARER,
      summary: 'The audit trail, newest first (admin)',
      request: {
        query: PageQuery.extend({
          agency: AgencyCode.optional(),
          subjectType: z.string().max(50).optional(),
          subjectId: z.string().max(200).optional(),
        }),
      },
      responses: { 200: json(listOf(AuditEventSchema), 'A page of audit events'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireAdmin(c.get('principal'));
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor, CURSOR_KEYS.serial);
      const rows = await listAudit(c.get('em'), {
        agencyCode: q.agency,
        subjectType: q.subjectType,
        subjectId: q.subjectId,
        beforeId: before,
        limit: q.limit + 1,
      });
      return c.json(
        page(rows, q.limit, (r) => r.id, (r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actorType: r.actorType,
          actorId: r.actorId ?? null,
          agencyCode: r.agencyCode ?? null,
          action: r.action,
          subjectType: r.subjectType,
          subjectId: r.subjectId,
          details: r.details ?? null,
          requestId: r.requestId ?? null,
        })),
        200,
      );
    },
  );
}
