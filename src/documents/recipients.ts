import type { EntityManager } from '@mikro-orm/postgresql';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { GroupMemberSchema, GroupSchema } from '../directory/group.entity.js';
import { DomainError } from '../errors.js';
import { fieldError } from '../http/validation-messages.js';
import { vietnamToday } from '../util/vietnam-time.js';

/** Active today: the flag, and the validity dates (codes change when units merge). */
function activeFilter(today: string) {
  return {
    active: true,
    $and: [{ $or: [{ validFrom: null }, { validFrom: { $lte: today } }] }, { $or: [{ validTo: null }, { validTo: { $gte: today } }] }],
  };
}

/**
 * Expands recipients given as agency codes, `group:CODE` or `children:CODE` into active agencies,
 * de-duplicated and without the sender. Any item that yields no active agency is 422
 * UNKNOWN_RECIPIENT, naming every such item, and nothing is created.
 */
export async function resolveRecipients(em: EntityManager, senderCode: string, spec: string[]): Promise<Agency[]> {
  const today = vietnamToday();
  const found = new Map<string, Agency>();
  const unknown: string[] = [];
  for (const raw of spec) {
    const item = raw.trim();
    let agencies: Agency[];
    if (item.startsWith('group:')) {
      const code = item.slice(6);
      const group = await em.findOne(GroupSchema, { code });
      const members = group ? await em.find(GroupMemberSchema, { groupCode: code }) : [];
      agencies = members.length
        ? await em.find(AgencySchema, { code: { $in: members.map((m) => m.agencyCode) }, ...activeFilter(today) })
        : [];
    } else if (item.startsWith('children:')) {
      agencies = await em.find(AgencySchema, { parentCode: item.slice(9), ...activeFilter(today) });
    } else {
      agencies = await em.find(AgencySchema, { code: item, ...activeFilter(today) });
    }
    const others = agencies.filter((a) => a.code !== senderCode);
    if (others.length === 0) unknown.push(item);
    for (const a of others) found.set(a.code, a);
  }
  if (unknown.length) {
    throw new DomainError('UNKNOWN_RECIPIENT', `These recipients resolve to no active agency: ${unknown.join(', ')}. Nothing was created.`, {
      errors: unknown.map((u) => fieldError(`to.${spec.indexOf(u)}`, { en: `(${u}) resolves to no active agency`, vi: `(${u}) không ứng với cơ quan nào đang hoạt động` }, 'document')),
      vi: `Các nơi nhận sau không ứng với cơ quan nào đang hoạt động: ${unknown.join(', ')}. Chưa có gì được tạo.`,
    });
  }
  return [...found.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
}
