import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { findAgency } from '../directory/directory.repository.js';
import { DomainError } from '../errors.js';
import { requirePrincipal } from '../http/auth.js';
import { isAdmin, type Principal } from '../http/context.js';
import type { AgencySeal, StampTemplateValue } from './draft.entity.js';
import { findSeal, findStampTemplate, upsertSeal, upsertStampTemplate } from './drafts.repository.js';
import { checkSealImage } from './seal-image.js';

/**
 * What an agency issues with (issue 17): the image of its seal, drawn by its PDF signatures, and its
 * stamp template (where the number and date go in drafts without fields, and the leader's box).
 */

export interface SealView {
  agencyCode: string;
  size: number;
  sha256: string;
  width: number;
  height: number;
  transparent: boolean;
  updatedAt: string;
}

const sealView = (s: AgencySeal): SealView => ({
  agencyCode: s.agencyCode,
  size: s.size,
  sha256: s.sha256,
  width: s.width,
  height: s.height,
  transparent: s.transparent,
  updatedAt: s.updatedAt.toISOString(),
});

/** Who sets an agency's seal and template: an administrator, or a clerk (văn thư) of that agency. */
export function requireKeeper(principal: Principal | undefined, agencyCode: string): Principal {
  const p = requirePrincipal(principal);
  if (isAdmin(p)) return p;
  if (p.kind === 'user' && p.agencyCode === agencyCode && p.roles.includes('clerk')) return p;
  throw new DomainError('FORBIDDEN', `Only an administrator or a clerk of ${agencyCode} may change its seal and stamp template.`, {
    vi: `Chỉ quản trị viên hoặc văn thư của cơ quan ${agencyCode} được thay đổi ảnh con dấu và mẫu cấp số của cơ quan.`,
  });
}

/** Who sees them: an administrator, or any user of that agency. */
export function requireReader(principal: Principal | undefined, agencyCode: string): Principal {
  const p = requirePrincipal(principal);
  if (isAdmin(p) || (p.kind === 'user' && p.agencyCode === agencyCode)) return p;
  throw new DomainError('FORBIDDEN', `Only an administrator or a user of ${agencyCode} may see its seal and stamp template.`, {
    vi: `Chỉ quản trị viên hoặc người dùng của cơ quan ${agencyCode} được xem ảnh con dấu và mẫu cấp số của cơ quan.`,
  });
}

async function existingAgency(em: EntityManager, code: string): Promise<void> {
  if (!(await findAgency(em, code))) throw new DomainError('NOT_FOUND', `No agency ${code}.`, { vi: `Không có cơ quan ${code}.` });
}

/** Stores (or replaces) the agency's seal image, checked first (seal-image.ts). */
export async function putSeal(em: EntityManager, actor: { principal: Principal; requestId: string }, agencyCode: string, png: Buffer, now = new Date()): Promise<SealView> {
  await existingAgency(em, agencyCode);
  const image = await checkSealImage(png);
  const seal: AgencySeal = {
    agencyCode,
    png,
    size: png.length,
    sha256: createHash('sha256').update(png).digest('hex'),
    width: image.width,
    height: image.height,
    transparent: image.transparent,
    updatedBy: `${actor.principal.kind}:${actor.principal.id}`,
    updatedAt: now,
  };
  await em.transactional(async (tx) => {
    await upsertSeal(tx, seal);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'agency.seal-updated',
      subjectType: 'agency',
      subjectId: agencyCode,
      agencyCode,
      details: { sha256: seal.sha256, width: seal.width, height: seal.height, transparent: seal.transparent },
      requestId: actor.requestId,
    });
    await tx.flush();
  });
  return sealView(seal);
}

/** The agency's seal image, or 404. */
export async function getSeal(em: EntityManager, agencyCode: string): Promise<AgencySeal> {
  const seal = await findSeal(em, agencyCode);
  if (!seal) throw new DomainError('NOT_FOUND', `Agency ${agencyCode} has no seal image.`, { vi: `Cơ quan ${agencyCode} chưa có ảnh con dấu.` });
  return seal;
}

export async function putStampTemplate(
  em: EntityManager,
  actor: { principal: Principal; requestId: string },
  agencyCode: string,
  template: StampTemplateValue,
  now = new Date(),
): Promise<StampTemplateValue> {
  await existingAgency(em, agencyCode);
  await em.transactional(async (tx) => {
    await upsertStampTemplate(tx, { agencyCode, template, updatedBy: `${actor.principal.kind}:${actor.principal.id}`, updatedAt: now });
    recordAudit(tx, { actor: actor.principal, action: 'agency.stamp-template-updated', subjectType: 'agency', subjectId: agencyCode, agencyCode, details: { template }, requestId: actor.requestId });
    await tx.flush();
  });
  return template;
}

export async function getStampTemplate(em: EntityManager, agencyCode: string): Promise<StampTemplateValue> {
  const row = await findStampTemplate(em, agencyCode);
  if (!row) throw new DomainError('NOT_FOUND', `Agency ${agencyCode} has no stamp template.`, { vi: `Cơ quan ${agencyCode} chưa có mẫu vị trí cấp số.` });
  return row.template;
}
