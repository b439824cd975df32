import type { EntityManager } from '@mikro-orm/postgresql';
import { AgencySchema, type Agency, type AgencyLevel } from './agency.entity.js';
import { GroupMemberSchema, GroupSchema, type Group } from './group.entity.js';
import { PartnerSchema, type Partner } from './partner.entity.js';
import { UserSchema, type User } from './user.entity.js';

export const findAgency = (em: EntityManager, code: string): Promise<Agency | null> =>
  em.findOne(AgencySchema, { code });

export async function findExistingAgencyCodes(em: EntityManager, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await em.find(AgencySchema, { code: { $in: codes } }, { fields: ['code'] });
  return new Set(rows.map((r) => r.code));
}

export async function listAgencies(
  em: EntityManager,
  filter: { parent?: string; level?: AgencyLevel; active?: boolean; afterCode?: string; limit: number },
): Promise<Agency[]> {
  return em.find(
    AgencySchema,
    {
      ...(filter.parent ? { parentCode: filter.parent } : {}),
      ...(filter.level ? { level: filter.level } : {}),
      ...(filter.active === undefined ? {} : { active: filter.active }),
      ...(filter.afterCode ? { code: { $gt: filter.afterCode } } : {}),
    },
    { orderBy: { code: 'asc' }, limit: filter.limit },
  );
}

export const findGroup = (em: EntityManager, code: string): Promise<Group | null> => em.findOne(GroupSchema, { code });

export async function groupMembers(em: EntityManager, groupCodes: string[]): Promise<Map<string, string[]>> {
  const rows = groupCodes.length
    ? await em.find(GroupMemberSchema, { groupCode: { $in: groupCodes } }, { orderBy: { agencyCode: 'asc' } })
    : [];
  const byGroup = new Map<string, string[]>(groupCodes.map((g) => [g, []]));
  for (const row of rows) byGroup.get(row.groupCode)?.push(row.agencyCode);
  return byGroup;
}

export async function replaceGroupMembers(em: EntityManager, groupCode: string, members: string[]): Promise<void> {
  await em.nativeDelete(GroupMemberSchema, { groupCode });
  for (const agencyCode of members) em.create(GroupMemberSchema, { groupCode, agencyCode });
}

export const listGroups = (em: EntityManager, afterCode: string | undefined, limit: number): Promise<Group[]> =>
  em.find(GroupSchema, afterCode ? { code: { $gt: afterCode } } : {}, { orderBy: { code: 'asc' }, limit });

export const findUser = (em: EntityManager, id: string): Promise<User | null> => em.findOne(UserSchema, { id });

export const findUserByTokenHash = (em: EntityManager, tokenHash: string): Promise<User | null> =>
  em.findOne(UserSchema, { tokenHash, active: true });

export async function listUsers(
  em: EntityManager,
  filter: { agencyCode?: string; afterId?: string; limit: number },
): Promise<User[]> {
  return em.find(
    UserSchema,
    {
      ...(filter.agencyCode ? { agencyCode: filter.agencyCode } : {}),
      ...(filter.afterId ? { id: { $gt: filter.afterId } } : {}),
    },
    { orderBy: { id: 'asc' }, limit: filter.limit },
  );
}

export const findPartner = (em: EntityManager, id: string): Promise<Partner | null> => em.findOne(PartnerSchema, { id });

export const findPartnerByTokenHash = (em: EntityManager, tokenHash: string): Promise<Partner | null> =>
  em.findOne(PartnerSchema, { tokenHash, active: true });

export const listPartners = (em: EntityManager, afterId: string | undefined, limit: number): Promise<Partner[]> =>
  em.find(PartnerSchema, afterId ? { id: { $gt: afterId } } : {}, { orderBy: { id: 'asc' }, limit });

/** The user of a console username (compared in lower case), or null. */
export async function findUserByUsername(em: EntityManager, username: string): Promise<User | null> {
  const rows = await em.getConnection().execute<Array<{ id: string }>>(`select id from app_user where lower(username) = lower(?)`, [username.trim()]);
  return rows[0] ? em.findOne(UserSchema, { id: rows[0].id }) : null;
}
