import type { EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { GroupMemberSchema, GroupSchema } from '../directory/group.entity.js';
import type { DeliveryState } from '../delivery/states.js';
import { vietnamToday } from '../util/vietnam-time.js';
import { searchQuery } from '../util/search-text.js';
import { OutgoingDocumentSchema, type DocumentState, type OutgoingDocument } from '../delivery/document.entity.js';
import { deadlineCondition, hasDeadlineFilter, type DeadlineFilter } from '../deadlines/deadlines.repository.js';
import { followUpCondition } from '../delivery/outgoing.repository.js';

export interface DocumentListQuery {
  state?: DocumentState | undefined;
  /** Words, with or without their marks: each in the trích yếu, the số/ký hiệu, a recipient's name or a place (src/util/search-text.ts). */
  q?: string | undefined;
  /** Dated (date of issue) on or after / on or before these days, YYYY-MM-DD. */
  from?: string | undefined;
  to?: string | undefined;
  /** A document type key. */
  type?: string | undefined;
  /** An agency code it was sent to. */
  recipient?: string | undefined;
  /** The series of the agency's outgoing registers. */
  series?: string | undefined;
  /**
   * Only documents with a recipient whose deadlines match (issue 18: `?overdue=`, `?dueSoon=`,
   * `?dueBefore=`) at `now`, on the stored deadline columns of the deliveries: the caller works out
   * first those still waiting (refreshDeliveryDeadlines).
   */
  deadlines?: { filter: DeadlineFilter; now: Date } | undefined;
  /** The last document of the previous page (newest first). */
  before?: { at: Date; id: string } | undefined;
  limit: number;
}

/**
 * A page of the outgoing documents an agency follows up — its own, and those a handover gave it
 * (followUpCondition, the rule GET /v1/documents/{id} applies too) — newest first (limit + 1 rows:
 * the caller tells whether more follow). The keyset is (createdAt, id), compared as a row: documents
 * registered in the same millisecond are neither skipped nor repeated.
 */
export async function outgoingPage(em: EntityManager, agencyCode: string, query: DocumentListQuery): Promise<OutgoingDocument[]> {
  const followed = await followUpCondition(em, agencyCode, 'o');
  const qb = em.createQueryBuilder(OutgoingDocumentSchema, 'o').select('*').where(followed.sql, followed.params);
  if (query.state) qb.andWhere({ state: query.state });
  if (query.from) qb.andWhere({ promulgationDate: { $gte: query.from } });
  if (query.to) qb.andWhere({ promulgationDate: { $lte: query.to } });
  if (query.type) qb.andWhere({ type: query.type });
  if (query.series) qb.andWhere({ series: query.series });
  if (query.recipient) qb.andWhere(`exists (select 1 from delivery d where d.document_id = o.id and d.recipient_code = ?)`, [query.recipient]);
  const words = searchQuery(query.q);
  if (words) qb.andWhere(`o.search @@ to_tsquery('simple', ?)`, [words]);
  if (query.deadlines && hasDeadlineFilter(query.deadlines.filter)) {
    const condition = deadlineCondition('d', query.deadlines.filter, query.deadlines.now);
    qb.andWhere(`exists (select 1 from delivery_deadline d where d.document_id = o.id and ${condition.sql})`, condition.params);
  }
  if (query.before) qb.andWhere(`(o.created_at, o.id) < (?, ?)`, [query.before.at, query.before.id]);
  return qb.orderBy({ createdAt: 'desc', id: 'desc' }).limit(query.limit + 1).getResultList();
}

/** How many deliveries of each document are in each state (for a list's "3/10 đã tiếp nhận"). */
export async function deliveryStateCounts(em: EntityManager, documentIds: readonly string[]): Promise<Map<string, Partial<Record<DeliveryState, number>>>> {
  const counts = new Map<string, Partial<Record<DeliveryState, number>>>(documentIds.map((id) => [id, {}]));
  if (documentIds.length === 0) return counts;
  const rows = await sqlOn(em)<Array<{ document_id: string; state: DeliveryState; n: string }>>(
    'select document_id, state, count(*) as n from delivery where document_id in (select jsonb_array_elements_text(?::jsonb)::uuid) group by document_id, state',
    [JSON.stringify(documentIds)],
  );
  for (const r of rows) counts.get(r.document_id)![r.state] = Number(r.n);
  return counts;
}

// ─── the directory as a document's recipients read it (recipients.ts) ───────────────────────────

/** The agencies of a group (`group:CODE`), by code, whatever their state; none when there is no such group. */
export async function groupAgencies(em: EntityManager, groupCode: string): Promise<Agency[]> {
  const group = await em.findOne(GroupSchema, { code: groupCode });
  const members = group ? await em.find(GroupMemberSchema, { groupCode }) : [];
  return members.length ? selectRows(em, AgencySchema, 'code = any(?) order by code', [members.map((m) => m.agencyCode)]) : [];
}

/**
 * The agencies directly under `parentCode` that are active at `at` (`children:CODE`): the flag, the
 * validity dates (codes change when units merge) and not closed (issue 19). Plain rows (src/db/rows.ts):
 * a directive to every commune reads a thousand of them.
 */
export function activeChildren(em: EntityManager, parentCode: string, at: Date): Promise<Agency[]> {
  const today = vietnamToday(at);
  return selectRows(
    em,
    AgencySchema,
    'parent_code = ? and active and (valid_from is null or valid_from <= ?) and (valid_to is null or valid_to >= ?) and (closed_at is null or closed_at > ?)',
    [parentCode, today, today, at],
  );
}
