import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { DomainError } from '../errors.js';
import { hashToken, newToken } from './tokens.js';
import type { Principal } from '../http/context.js';
import { AgencySchema, type Agency, type AgencyDecisionValue, type AgencyLevel } from './agency.entity.js';
import { setCredentials } from './credentials.js';
import {
  findAgency,
  findExistingAgencyCodes,
  findGroup,
  findPartner,
  groupMembers,
  replaceGroupMembers,
} from './directory.repository.js';
import { GroupSchema, type Group } from './group.entity.js';
import { checkPartnerCredentials } from './partner-rules.js';
import { applySuccession, successorsOf, type SuccessionPatch } from './succession.js';
import { PartnerSchema, type Partner, type PartnerKind } from './partner.entity.js';
import { UserSchema, type User, type UserRole } from './user.entity.js';

/** Who acts, and the request it came with, for the audit trail. */
export interface Actor {
  principal: Principal;
  requestId: string;
}

export type Endpoint = { type: 'local' } | { type: 'remote'; partnerId: string };

export interface AgencyInput {
  code: string;
  name: string;
  /** Địa danh, the default place of promulgation (NĐ 30/2020 Phụ lục I II.4.a). */
  administrativeUnit?: string | null;
  level: AgencyLevel;
  parentCode?: string | null;
  address?: string | null;
  email?: string | null;
  phone?: string | null;
  fax?: string | null;
  website?: string | null;
  endpoint?: Endpoint;
  validFrom?: string | null;
  validTo?: string | null;
  active?: boolean;
}

/** A change of an agency; the succession fields (issue 19) only here, not when it is registered. */
export type AgencyPatch = Partial<Omit<AgencyInput, 'code'>> & SuccessionPatch;

export interface AgencyView {
  code: string;
  name: string;
  administrativeUnit: string | null;
  level: AgencyLevel;
  parentCode: string | null;
  address: string | null;
  email: string | null;
  phone: string | null;
  fax: string | null;
  website: string | null;
  endpoint: Endpoint;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  /** The successor that receives documents still addressed here (the first of successorCodes), or null. */
  successorCode: string | null;
  /** Every successor (several after a split), the one that receives the documents first. */
  successorCodes: string[];
  /** From this instant on the agency is closed (ISO 8601), or null. */
  closedAt: string | null;
  /** The legal act of the closing. */
  decision: AgencyDecisionValue | null;
  createdAt: string;
  updatedAt: string;
}

export function agencyView(a: Agency): AgencyView {
  return {
    code: a.code,
    name: a.name,
    administrativeUnit: a.administrativeUnit ?? null,
    level: a.level,
    parentCode: a.parentCode ?? null,
    address: a.address ?? null,
    email: a.email ?? null,
    phone: a.phone ?? null,
    fax: a.fax ?? null,
    website: a.website ?? null,
    endpoint: a.endpointType === 'remote' && a.partnerId ? { type: 'remote', partnerId: a.partnerId } : { type: 'local' },
    validFrom: a.validFrom ?? null,
    validTo: a.validTo ?? null,
    active: a.active,
    successorCode: successorsOf(a)[0] ?? null,
    successorCodes: successorsOf(a),
    closedAt: a.closedAt?.toISOString() ?? null,
    decision: a.decision ?? null,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

const invalid = (path: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${path}: ${message}`, { errors: [{ path, message }] });

async function checkAgencyReferences(
  em: EntityManager,
  code: string,
  parentCode: string | null | undefined,
  endpoint: Endpoint | undefined,
): Promise<Partner | null> {
  if (parentCode) {
    if (parentCode === code) throw invalid('parentCode', 'an agency cannot be its own parent');
    if (!(await findAgency(em, parentCode))) throw invalid('parentCode', `no agency ${parentCode} in the directory`);
  }
  if (endpoint?.type === 'remote') {
    const partner = await findPartner(em, endpoint.partnerId);
    if (!partner) throw invalid('endpoint.partnerId', `no partner ${endpoint.partnerId}`);
    return partner;
  }
  return null;
}

function checkValidity(validFrom: string | null | undefined, validTo: string | null | undefined): void {
  if (validFrom && validTo && validTo < validFrom) throw invalid('validTo', 'must not be before validFrom');
}

/** A remote agency is served by its partner: the partner may send packages on its behalf. */
function servePartnerAgency(partner: Partner | null, code: string): void {
  if (partner && !partner.agencies.includes(code)) partner.agencies = [...partner.agencies, code];
}

/** Registers an agency (admin). 409 when the code exists; 422 for a missing parent or partner. */
export async function createAgency(em: EntityManager, actor: Actor, input: AgencyInput): Promise<AgencyView> {
  return em.transactional(async (tx) => {
    if (await findAgency(tx, input.code)) {
      throw new DomainError('CONFLICT', `Agency ${input.code} already exists.`);
    }
    checkValidity(input.validFrom, input.validTo);
    const partner = await checkAgencyReferences(tx, input.code, input.parentCode, input.endpoint);
    const agency = tx.create(AgencySchema, {
      code: input.code,
      name: input.name,
      administrativeUnit: input.administrativeUnit ?? null,
      level: input.level,
      parentCode: input.parentCode ?? null,
      address: input.address ?? null,
      email: input.email ?? null,
      phone: input.phone ?? null,
      fax: input.fax ?? null,
      website: input.website ?? null,
      endpointType: input.endpoint?.type ?? 'local',
      partnerId: input.endpoint?.type === 'remote' ? input.endpoint.partnerId : null,
      validFrom: input.validFrom ?? null,
      validTo: input.validTo ?? null,
      active: input.active ?? true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    servePartnerAgency(partner, input.code);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'agency.created',
      subjectType: 'agency',
      subjectId: input.code,
      agencyCode: input.code,
      details: { name: input.name, level: input.level, parentCode: input.parentCode ?? null, endpoint: input.endpoint ?? { type: 'local' } },
      requestId: actor.requestId,
    });
    try {
      await tx.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new DomainError('CONFLICT', `Agency ${input.code} already exists.`);
      }
      throw error;
    }
    return agencyView(agency);
  });
}

/** Changes an agency's details, validity, active flag, endpoint or succession (admin). */
export async function updateAgency(em: EntityManager, actor: Actor, code: string, patch: AgencyPatch): Promise<AgencyView> {
  return em.transactional(async (tx) => {
    const agency = await findAgency(tx, code);
    if (!agency) throw new DomainError('NOT_FOUND', `No agency ${code}.`);
    const partner = await checkAgencyReferences(tx, code, patch.parentCode, patch.endpoint);
    checkValidity(patch.validFrom ?? agency.validFrom, patch.validTo ?? agency.validTo);
    const fields = ['name', 'administrativeUnit', 'level', 'parentCode', 'address', 'email', 'phone', 'fax', 'website', 'validFrom', 'validTo', 'active'] as const;
    for (const field of fields) {
      if (patch[field] !== undefined) (agency as Record<string, unknown>)[field] = patch[field];
    }
    if (patch.endpoint) {
      agency.endpointType = patch.endpoint.type;
      agency.partnerId = patch.endpoint.type === 'remote' ? patch.endpoint.partnerId : null;
      servePartnerAgency(partner, code);
    }
    await applySuccession(tx, agency, patch);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'agency.updated',
      subjectType: 'agency',
      subjectId: code,
      agencyCode: code,
      details: { changes: patch },
      requestId: actor.requestId,
    });
    await tx.flush();
    return agencyView(agency);
  });
}

export interface GroupView {
  code: string;
  name: string;
  members: string[];
  createdAt: string;
}

const groupView = (g: Group, members: string[]): GroupView => ({
  code: g.code,
  name: g.name,
  members,
  createdAt: g.createdAt.toISOString(),
});

async function checkMembers(em: EntityManager, members: string[]): Promise<string[]> {
  const unique = [...new Set(members)];
  const existing = await findExistingAgencyCodes(em, unique);
  const missing = unique.filter((m) => !existing.has(m));
  if (missing.length) {
    throw new DomainError('VALIDATION_FAILED', `Unknown agencies: ${missing.join(', ')}.`, {
      errors: missing.map((m) => ({ path: `members.${members.indexOf(m)}`, message: `no agency ${m}` })),
    });
  }
  return unique.sort();
}

/** Creates a named group of agencies (admin). */
export async function createGroup(
  em: EntityManager,
  actor: Actor,
  input: { code: string; name: string; members: string[] },
): Promise<GroupView> {
  return em.transactional(async (tx) => {
    if (await findGroup(tx, input.code)) throw new DomainError('CONFLICT', `Group ${input.code} already exists.`);
    const members = await checkMembers(tx, input.members);
    const group = tx.create(GroupSchema, { code: input.code, name: input.name, createdAt: new Date(), updatedAt: new Date() });
    await tx.flush();
    await replaceGroupMembers(tx, input.code, members);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'group.created',
      subjectType: 'group',
      subjectId: input.code,
      details: { name: input.name, members },
      requestId: actor.requestId,
    });
    await tx.flush();
    return groupView(group, members);
  });
}

/** Replaces a group's name and members (admin). */
export async function replaceGroup(
  em: EntityManager,
  actor: Actor,
  code: string,
  input: { name: string; members: string[] },
): Promise<GroupView> {
  return em.transactional(async (tx) => {
    const group = await findGroup(tx, code);
    if (!group) throw new DomainError('NOT_FOUND', `No group ${code}.`);
    const members = await checkMembers(tx, input.members);
    group.name = input.name;
    await replaceGroupMembers(tx, code, members);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'group.replaced',
      subjectType: 'group',
      subjectId: code,
      details: { name: input.name, members },
      requestId: actor.requestId,
    });
    await tx.flush();
    return groupView(group, members);
  });
}

export async function groupViews(em: EntityManager, groups: Group[]): Promise<GroupView[]> {
  const members = await groupMembers(em, groups.map((g) => g.code));
  return groups.map((g) => groupView(g, members.get(g.code) ?? []));
}

export interface UserView {
  id: string;
  agencyCode: string;
  name: string;
  roles: UserRole[];
  active: boolean;
  username: string | null;
  email: string | null;
  createdAt: string;
}

export const userView = (u: User): UserView => ({
  id: u.id,
  agencyCode: u.agencyCode,
  name: u.name,
  roles: u.roles,
  active: u.active,
  username: u.username ?? null,
  email: u.email ?? null,
  createdAt: u.createdAt.toISOString(),
});

/** Creates a user and returns its token once; only the token's hash is kept. */
export async function createUser(
  em: EntityManager,
  actor: Actor,
  input: { agencyCode: string; name: string; roles: UserRole[]; username?: string | undefined; password?: string | undefined; email?: string | undefined },
): Promise<UserView & { token: string }> {
  return em.transactional(async (tx) => {
    if (!(await findAgency(tx, input.agencyCode))) throw invalid('agencyCode', `no agency ${input.agencyCode}`);
    const token = newToken();
    const user = tx.create(UserSchema, {
      id: randomUUID(),
      agencyCode: input.agencyCode,
      name: input.name,
      roles: [...new Set(input.roles)],
      tokenHash: hashToken(token),
      active: true,
      email: input.email ?? null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    // The console's credentials (issue 14): the password is kept only as its argon2id hash.
    if (input.password !== undefined) await setCredentials(tx, user, input.username, input.password);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'user.created',
      subjectType: 'user',
      subjectId: user.id,
      agencyCode: input.agencyCode,
      details: { name: input.name, roles: user.roles },
      requestId: actor.requestId,
    });
    await tx.flush();
    return { ...userView(user), token };
  });
}

/** Sets or removes a user's e-mail address (PATCH /v1/users/{id}: an administrator, or the user itself). */
export async function updateUserEmail(em: EntityManager, actor: Actor, id: string, email: string | null): Promise<UserView> {
  return em.transactional(async (tx) => {
    const user = await tx.findOne(UserSchema, { id });
    if (!user) throw new DomainError('NOT_FOUND', `No user ${id}.`);
    user.email = email;
    recordAudit(tx, { actor: actor.principal, action: 'user.updated', subjectType: 'user', subjectId: id, agencyCode: user.agencyCode, details: { email }, requestId: actor.requestId });
    await tx.flush();
    return userView(user);
  });
}

/** Revokes a user's token (admin). The user row stays, for the audit trail. */
export async function deactivateUser(em: EntityManager, actor: Actor, id: string): Promise<UserView> {
  return em.transactional(async (tx) => {
    const user = await tx.findOne(UserSchema, { id });
    if (!user) throw new DomainError('NOT_FOUND', `No user ${id}.`);
    user.active = false;
    recordAudit(tx, {
      actor: actor.principal,
      action: 'user.deactivated',
      subjectType: 'user',
      subjectId: id,
      agencyCode: user.agencyCode,
      requestId: actor.requestId,
    });
    await tx.flush();
    return userView(user);
  });
}

export interface PartnerView {
  id: string;
  name: string;
  kind: PartnerKind;
  baseUrl: string | null;
  agencies: string[];
  hasCredentials: boolean;
  active: boolean;
  legacy: boolean;
  mode: 'push' | 'pull';
  maxAttempts: number;
  circuit: { consecutiveFailures: number; openUntil: string | null; lastError: string | null };
  /** What last went wrong talking to it (transport, or its registration) and when; null once a call works. */
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
}

export const partnerView = (p: Partner): PartnerView => ({
  id: p.id,
  name: p.name,
  kind: p.kind,
  baseUrl: p.baseUrl ?? null,
  agencies: [...p.agencies].sort(),
  hasCredentials: p.credentialsEncrypted !== null && p.credentialsEncrypted !== undefined,
  active: p.active,
  legacy: p.legacy,
  mode: p.mode,
  maxAttempts: p.maxAttempts,
  circuit: {
    consecutiveFailures: p.consecutiveFailures,
    openUntil: p.circuitOpenUntil?.toISOString() ?? null,
    lastError: p.lastError ?? null,
  },
  lastError: p.lastError ?? null,
  lastErrorAt: p.lastErrorAt?.toISOString() ?? null,
  createdAt: p.createdAt.toISOString(),
});

/**
 * A partner's mode (API.md "Directory"): a partner with no baseUrl is a pull partner — we cannot
 * call it, so what we send it waits in its pull list. `push` without a baseUrl would fail every
 * delivery and status for ever: 422.
 */
function partnerMode(mode: 'push' | 'pull' | undefined, baseUrl: string | null): 'push' | 'pull' {
  if (mode === 'push' && baseUrl === null) {
    throw new DomainError('VALIDATION_FAILED', 'baseUrl: a push partner needs a baseUrl (without one a partner is a pull partner).', {
      errors: [{ path: 'baseUrl', message: 'required for mode push' }],
    });
  }
  return mode ?? (baseUrl === null ? 'pull' : 'push');
}

/**
 * Registers a partner system and returns the token it presents on the exchange API, once.
 * `credentials` (what we present to it) are stored encrypted by `sealSecret`.
 */
export async function createPartner(
  em: EntityManager,
  actor: Actor,
  input: {
    id: string;
    name: string;
    kind: PartnerKind;
    baseUrl?: string;
    credentials?: Record<string, unknown>;
    agencies: string[];
    legacy?: boolean;
    mode?: 'push' | 'pull';
    maxAttempts?: number;
  },
  sealSecret: (plain: string) => string,
): Promise<PartnerView & { token: string }> {
  checkPartnerCredentials(input.kind, input.credentials);
  return em.transactional(async (tx) => {
    if (await findPartner(tx, input.id)) throw new DomainError('CONFLICT', `Partner ${input.id} already exists.`);
    const token = newToken();
    const partner = tx.create(PartnerSchema, {
      id: input.id,
      name: input.name,
      kind: input.kind,
      baseUrl: input.baseUrl ?? null,
      credentialsEncrypted: input.credentials ? sealSecret(JSON.stringify(input.credentials)) : null,
      agencies: [...new Set(input.agencies)].sort(),
      tokenHash: hashToken(token),
      active: true,
      legacy: input.legacy ?? false,
      mode: partnerMode(input.mode, input.baseUrl ?? null),
      maxAttempts: input.maxAttempts ?? 10,
      consecutiveFailures: 0,
      circuitOpenUntil: null,
      lastError: null,
      lastErrorAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    recordAudit(tx, {
      actor: actor.principal,
      action: 'partner.created',
      subjectType: 'partner',
      subjectId: input.id,
      details: { name: input.name, kind: input.kind, baseUrl: input.baseUrl ?? null, agencies: partner.agencies },
      requestId: actor.requestId,
    });
    await tx.flush();
    return { ...partnerView(partner), token };
  });
}

export interface PartnerPatch {
  name?: string;
  baseUrl?: string | null;
  credentials?: Record<string, unknown> | null;
  agencies?: string[];
  active?: boolean;
  legacy?: boolean;
  mode?: 'push' | 'pull';
  maxAttempts?: number;
}

/** Changes a partner (admin): address, credentials (sealed), agencies it serves, flags. */
export async function updatePartner(
  em: EntityManager,
  actor: Actor,
  id: string,
  patch: PartnerPatch,
  sealSecret: (plain: string) => string,
): Promise<PartnerView> {
  return em.transactional(async (tx) => {
    const partner = await findPartner(tx, id);
    if (!partner) throw new DomainError('NOT_FOUND', `No partner ${id}.`);
    if (patch.name !== undefined) partner.name = patch.name;
    // The mode follows the address unless the patch names one: a partner left without a baseUrl is
    // pull (also one stored as push without an address before this rule), one given a baseUrl where
    // it had none is push, and one that had an address keeps its mode when the address changes.
    const hadBaseUrl = partner.baseUrl !== null && partner.baseUrl !== undefined;
    if (patch.baseUrl !== undefined) partner.baseUrl = patch.baseUrl;
    const baseUrl = partner.baseUrl ?? null;
    partner.mode = partnerMode(patch.mode ?? (baseUrl === null ? 'pull' : hadBaseUrl ? partner.mode : 'push'), baseUrl);
    if (patch.credentials !== undefined) {
      checkPartnerCredentials(partner.kind, patch.credentials);
      partner.credentialsEncrypted = patch.credentials ? sealSecret(JSON.stringify(patch.credentials)) : null;
    }
    if (patch.agencies !== undefined) partner.agencies = [...new Set(patch.agencies)].sort();
    if (patch.active !== undefined) partner.active = patch.active;
    if (patch.legacy !== undefined) partner.legacy = patch.legacy;
    if (patch.maxAttempts !== undefined) partner.maxAttempts = patch.maxAttempts;
    // An operator's change is a fresh start for the circuit breaker.
    partner.consecutiveFailures = 0;
    partner.circuitOpenUntil = null;
    recordAudit(tx, {
      actor: actor.principal,
      action: 'partner.updated',
      subjectType: 'partner',
      subjectId: id,
      details: { ...patch, credentials: patch.credentials === undefined ? undefined : patch.credentials ? '(replaced)' : '(removed)' },
      requestId: actor.requestId,
    });
    await tx.flush();
    return partnerView(partner);
  });
}
