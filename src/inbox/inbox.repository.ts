/**
 * The inbox as its clerks read it (issue 12: only repositories touch the ORM and SQL): pages with
 * their filters, and the items that replace one another. The workflow's reads and locks of the same
 * rows are in src/delivery/inbox-items.repository.ts; these need the deadlines module, a floor above.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { InboxItemSchema, type InboxItem } from '../delivery/inbox.entity.js';
import type { DeliveryState } from '../delivery/states.js';
import { deadlineCondition, hasDeadlineFilter, type DeadlineFilter } from '../deadlines/deadlines.repository.js';
import { canonicalTypeKey, documentType } from '../registers/document-types.js';
import { searchQuery } from '../util/search-text.js';
import { vietnamDayStart } from '../util/vietnam-time.js';

export interface InboxQuery {
  state?: DeliveryState | undefined;
  since?: Date | undefined;
  /**
   * Words a clerk types, with or without their marks: each must be in the trích yếu, the sender's
   * name or the số/ký hiệu (full-text, src/util/search-text.ts).
   */
  q?: string | undefined;
  /** Received on or after / on or before these days (YYYY-MM-DD, Vietnam time). */
  from?: string | undefined;
  to?: string | undefined;
  /** A document type key (NĐ 30/2020 Phụ lục III: CT, QĐ…, CV): the type the sender gave it. */
  type?: string | undefined;
  /** The sender's agency code. */
  sender?: string | undefined;
  /**
   * Only items whose deadlines match (issue 18: `?overdue=`, `?dueSoon=`, `?dueBefore=`) at `now`, on
   * the stored deadline columns: the caller works out first those still waiting (refreshInboxDeadlines).
   */
  deadlines?: { filter: DeadlineFilter; now: Date } | undefined;
  /** The last item of the previous page (newest first). */
  after?: { at: Date; id: string } | undefined;
  limit: number;
}

/**
 * A page of an agency's inbox, newest first: limit + 1 rows (the caller tells whether more follow).
 * The keyset is (receivedAt, id): items received in the same millisecond are neither skipped nor
 * repeated across pages.
 */
export async function inboxPage(em: EntityManager, agencyCode: string, query: InboxQuery): Promise<InboxItem[]> {
  const qb = em.createQueryBuilder(InboxItemSchema, 'i').select('*').where({ agencyCode });
  if (query.state) qb.andWhere({ state: query.state });
  if (query.since) qb.andWhere({ receivedAt: { $gte: query.since } });
  if (query.from) qb.andWhere({ receivedAt: { $gte: vietnamDayStart(query.from) } });
  if (query.to) qb.andWhere({ receivedAt: { $lt: vietnamDayStart(query.to, 1) } });
  if (query.sender) qb.andWhere({ senderCode: query.sender });
  if (query.type) {
    // Items keep the type as the sender's package names it; our table gives the name of a key.
    const name = documentType(canonicalTypeKey(query.type))?.name ?? query.type;
    qb.andWhere(`lower(i.metadata #>> '{messageHeader,documentType,typeName}') = lower(?)`, [name]);
  }
  const words = searchQuery(query.q);
  if (words) qb.andWhere(`i.search @@ to_tsquery('simple', ?)`, [words]);
  if (query.deadlines && hasDeadlineFilter(query.deadlines.filter)) {
    const condition = deadlineCondition('d', query.deadlines.filter, query.deadlines.now);
    qb.andWhere(`exists (select 1 from inbox_item_deadline d where d.item_id = i.id and ${condition.sql})`, condition.params);
  }
  if (query.after) qb.andWhere(`(i.received_at, i.id) < (?, ?)`, [query.after.at, query.after.id]);
  return qb.orderBy({ receivedAt: 'desc', id: 'desc' }).limit(query.limit + 1).getResultList();
}


/** The items of an agency from one sender whose DocumentIds are among `documentIds` (ids and DocumentIds only). */
export async function itemsByDocumentIds(em: EntityManager, agencyCode: string, senderCode: string, documentIds: readonly string[]): Promise<Array<Pick<InboxItem, 'id' | 'documentId'>>> {
  return em.find(InboxItemSchema, { agencyCode, senderCode, documentId: { $in: [...documentIds] } }, { fields: ['id', 'documentId'] });
}

/** The items of the same agency and sender whose replacement list names `item`'s DocumentId, oldest first. */
export function itemsReplacing(em: EntityManager, item: Pick<InboxItem, 'agencyCode' | 'senderCode' | 'documentId'>): Promise<Array<{ id: string; document_id: string }>> {
  return sqlOn(em)<Array<{ id: string; document_id: string }>>(
    `select id, document_id from inbox_item where agency_code = ? and sender_code = ? and metadata->'bussiness'->'replacementInfoList' @> ?::jsonb order by received_at`,
    [item.agencyCode, item.senderCode, JSON.stringify([{ documentId: item.documentId }])],
  );
}

