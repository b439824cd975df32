import { NotFoundError, type EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { AgencySchema, type Agency, type AgencyLevel } from './agency.entity.js';
import { GroupMemberSchema, GroupSchema, type Group } from './group.entity.js';
import { PartnerSchema, type Partner } from './partner.entity.js';
import { UserSchema, type User } from './user.entity.js';

/** Active and not closed at this instant (issue 19); validity dates aside. */
const openNow = () => ({ active: true, $or: [{ closedAt: null }, { closedAt: { $gt: new Date() } }] });

export const findAgency = (em: EntityManager, code: string): Promise<Agency | null> =>
  em.findOne(AgencySchema, { code });

/** An agency by code, or NotFoundError (one the caller's own rows name, such as a document's sender). */
export const findAgencyOrFail = (em: EntityManager, code: string): Promise<Agency> => em.findOneOrFail(AgencySchema, { code });

/**
 * The agencies of these codes that exist, in no particular order, as plain rows (src/db/rows.ts: not
 * managed, so not for changing them): how the workflow reads senders and recipients on every document.
 */
export async function agencyRows(em: EntityManager, codes: readonly string[]): Promise<Agency[]> {
  if (codes.length === 0) return [];
  return selectRows(em, AgencySchema, 'code = any(?)', [[...new Set(codes)]]);
}

/** One agency as a plain row (agencyRows), or NotFoundError: one the caller's own rows name, such as a document's sender. */
export async function agencyRowOrFail(em: EntityManager, code: string): Promise<Agency> {
  const [agency] = await selectRows(em, AgencySchema, 'code = ?', [code]);
  if (!agency) throw new NotFoundError(`Agency not found ('${code}')`);
  return agency;
}

/** The agencies of these codes that exist, in no particular order. */
export async function findAgencies(em: EntityManager, codes: readonly string[]): Promise<Agency[]> {
  if (codes.length === 0) return [];
  return em.find(AgencySchema, { code: { $in: [...new Set(codes)] } });
}

/** The agencies of these codes that are closed (closedAt set, whenever it is), in no particular order. */
export async function findClosedAgencies(em: EntityManager, codes: readonly string[]): Promise<Agency[]> {
  return em.find(AgencySchema, { code: { $in: [...codes] }, closedAt: { $ne: null } });
}

/** The agencies that name any of these codes among their successors (issue 19), by code. */
export async function findPredecessors(em: EntityManager, codes: readonly string[]): Promise<Agency[]> {
  if (codes.length === 0) return [];
  return em.find(AgencySchema, { successorCodes: { $overlap: [...new Set(codes)] } }, { orderBy: { code: 'asc' } });
}

/** The agencies the directory reaches through a partner (remote, served by it), by code. */
export const findAgenciesOfPartner = (em: EntityManager, partnerId: string): Promise<Agency[]> =>
  em.find(AgencySchema, { partnerId, endpointType: 'remote' }, { orderBy: { code: 'asc' } });

export async function findExistingAgencyCodes(em: EntityManager, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await em.find(AgencySchema, { code: { $in: codes } }, { fields: ['code'] });
  return new Set(rows.map((r) => r.code));
}

export async function listAgencies(
  em: EntityManager,
  filter: { parent?: string; level?: AgencyLevel; active?: boolean; afterCode?: string; limit: number; q?: string | undefined },
): Promise<Agency[]> {
  // Words typed by a person (the console's search): each must appear in the name or the code, any case.
  const words = (filter.q ?? '').normalize('NFC').trim().split(/\s+/).filter(Boolean).slice(0, 8);
  const like = (w: string) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return em.find(
    AgencySchema,
    {
      ...(filter.parent ? { parentCode: filter.parent } : {}),
      ...(filter.level ? { level: filter.level } : {}),
      ...(filter.active === undefined ? {} : { active: filter.active }),
      ...(filter.afterCode ? { code: { $gt: filter.afterCode } } : {}),
      ...(words.length ? { $and: words.map((w) => ({ $or: [{ name: { $ilike: like(w) } }, { code: { $ilike: like(w) } }] })) } : {}),
    },
    { orderBy: { code: 'asc' }, limit: filter.limit },
  );
}

/** The names of agencies by code (those that exist). */
export async function agencyNames(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await em.find(AgencySchema, { code: { $in: [...new Set(codes)] } }, { fields: ['code', 'name'] });
  return new Map(rows.map((r) => [r.code, r.name]));
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

/** The active user of a token's hash, or null; a plain row (src/db/rows.ts), read on every request. */
export const findUserByTokenHash = async (em: EntityManager, tokenHash: string): Promise<User | null> =>
  (await selectRows(em, UserSchema, 'token_hash = ? and active', [tokenHash]))[0] ?? null;

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

/** A partner by id, or NotFoundError (one the caller's own rows name, such as a delivery's). */
export const findPartnerOrFail = (em: EntityManager, id: string): Promise<Partner> => em.findOneOrFail(PartnerSchema, { id });

/** The active partner of a token's hash, or null; a plain row (src/db/rows.ts). */
export const findPartnerByTokenHash = async (em: EntityManager, tokenHash: string): Promise<Partner | null> =>
  (await selectRows(em, PartnerSchema, 'token_hash = ? and active', [tokenHash]))[0] ?? null;

export const listPartners = (em: EntityManager, afterId: string | undefined, limit: number): Promise<Partner[]> =>
  em.find(PartnerSchema, afterId ? { id: { $gt: afterId } } : {}, { orderBy: { id: 'asc' }, limit });

/** The user of a console username (compared in lower case), or null. */
export async function findUserByUsername(em: EntityManager, username: string): Promise<User | null> {
  const rows = await em.getConnection().execute<Array<{ id: string }>>(`select id from app_user where lower(username) = lower(?)`, [username.trim()]);
  return rows[0] ? em.findOne(UserSchema, { id: rows[0].id }) : null;
}

/**
 * Vietnamese letters folded to their base (`ễ` → `e`, `Đ` → `d`), for names matched the way a clerk
 * types them, with or without diacritics: a pair of `translate()` arguments, and the same in JS.
 */
const FOLD_FROM_TO: readonly [string, string] = (() => {
  let from = 'Đđ';
  let to = 'dd';
  for (const base of 'aăâeêioôơuưy') {
    for (const tone of ['', '\u0300', '\u0301', '\u0303', '\u0309', '\u0323']) {
      const lower = (base + tone).normalize('NFC');
      const folded = lower.normalize('NFD').replace(/\p{M}/gu, '');
      for (const letter of new Set([lower, lower.toUpperCase()])) {
        if (letter.length === 1 && letter !== folded) {
          from += letter;
          to += folded;
        }
      }
    }
  }
  return [from, to];
})();
const fold = (s: string): string => s.normalize('NFC').replace(/[Đđ]/g, 'd').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const likeWord = (w: string) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The keys of `table` whose folded `nameColumn` or `codeColumn` holds every word (folded), at most `limit`. */
async function matchingKeys(em: EntityManager, table: 'agency' | 'agency_group', words: string[], limit: number): Promise<string[]> {
  const each = words.map(() => `(lower(translate(name, ?, ?)) like ? or lower(code) like ?)`).join(' and ');
  const params = words.flatMap((w) => [FOLD_FROM_TO[0], FOLD_FROM_TO[1], likeWord(fold(w)), likeWord(w.toLowerCase())]);
  // A closed agency (issue 19) is no recipient to suggest: a document to it would be refused.
  const active = table === 'agency' ? 'active and (closed_at is null or closed_at > now()) and ' : '';
  const rows = await em
    .getConnection()
    .execute<Array<{ code: string }>>(`select code from ${table} where ${active}${each} order by name limit ?`, [...params, limit], 'all', em.getTransactionContext());
  return rows.map((r) => r.code);
}

/**
 * What a clerk may mean by words typed in a recipient box (the console's suggestions): active
 * agencies whose name (diacritics or not) or code holds every word, which of them have active
 * agencies under them (`children:CODE`), and groups whose name or code holds every word.
 */
export async function recipientCandidates(
  em: EntityManager,
  q: string,
  limit: number,
): Promise<{ agencies: Agency[]; parents: Set<string>; groups: Array<Group & { members: number }> }> {
  const words = q.normalize('NFC').trim().split(/\s+/).filter(Boolean).slice(0, 8);
  if (words.length === 0) return { agencies: [], parents: new Set(), groups: [] };
  const agencyCodes = await matchingKeys(em, 'agency', words, limit);
  const agencies = agencyCodes.length ? await em.find(AgencySchema, { code: { $in: agencyCodes } }, { orderBy: { level: 'asc', name: 'asc' } }) : [];
  const children = agencies.length
    ? await em.find(AgencySchema, { parentCode: { $in: agencies.map((a) => a.code) }, ...openNow() }, { fields: ['parentCode'] })
    : [];
  const groupCodes = await matchingKeys(em, 'agency_group', words, limit);
  const groups = groupCodes.length ? await em.find(GroupSchema, { code: { $in: groupCodes } }, { orderBy: { name: 'asc' } }) : [];
  const members = await groupMembers(em, groups.map((g) => g.code));
  return {
    agencies,
    parents: new Set(children.map((c) => c.parentCode).filter((c): c is string => !!c)),
    groups: groups.map((g) => ({ ...g, members: members.get(g.code)?.length ?? 0 })),
  };
}

/** How many active agencies sit directly under an agency (what its `children:` reaches today, give or take validity dates). */
export const activeChildCount = (em: EntityManager, parentCode: string): Promise<number> => em.count(AgencySchema, { parentCode, ...openNow() });
