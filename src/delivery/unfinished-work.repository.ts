/**
 * What the sweep reads and flags (sweep.ts): unfinished work PostgreSQL knows of, and the deliveries
 * that wait too long for the other side (issue 12: only repositories touch SQL).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';

/** SQL: delivery `d` was taken by its partner (a receipt, or a place in the pull list). */
const HANDED_OVER = `(d.remote_receipt is not null or exists (select 1 from exchange_message m where m.direction = 'out' and m.dedup_key = 'delivery:' || d.id::text))`;

/**
 * The ids of each kind of unfinished work changed before `before`, oldest first, at most `limit` of
 * each; a remote delivery its partner has taken is not work (it waits for the recipient's 01). The
 * five reads run at once, each on a connection of its own (`em` is no transaction).
 */
export async function unfinishedWork(
  em: EntityManager,
  before: Date,
  limit: number,
): Promise<{ sign: string[]; route: string[]; deliver: string[]; status: string[]; update: string[] }> {
  const sql = sqlOn(em);
  const ids = async (query: string) => (await sql<Array<{ id: string }>>(query, [before, limit])).map((r) => r.id);
  const [sign, route, deliver, status, update] = await Promise.all([
    ids(`select id from outgoing_document where state = 'queued' and updated_at < ? order by updated_at limit ?`),
    ids(`select id from outgoing_document where state = 'signed' and updated_at < ? order by updated_at limit ?`),
    ids(`select d.id from delivery d join outgoing_document o on o.id = d.document_id
         where d.state in ('pending', 'sending') and o.state in ('sent', 'recalled') and d.updated_at < ?
           and not (d.state = 'sending' and d.partner_id is not null and ${HANDED_OVER})
         order by d.updated_at limit ?`),
    ids(`select id from status_record where carried = false and created_at < ? order by created_at limit ?`),
    ids(`select id from delivery_update where state = 'requested' and updated_at < ? order by updated_at limit ?`),
  ]);
  return { sign, route, deliver, status, update };
}

/** A delivery the sweep flagged, with what its timeline event names. */
export interface FlaggedDelivery {
  id: string;
  document_id: string;
  recipient_code: string;
}

/**
 * Sets `reason` as the lastError of remote deliveries handed over before `before` whose 01 has not
 * come back and that are not flagged yet (oldest first, at most `limit`; rows another transaction
 * holds are skipped), and returns them.
 */
export function flagDeliveriesWaitingForArrival(tx: Tx, reason: string, before: Date, limit: number): Promise<FlaggedDelivery[]> {
  return sqlOn(tx)<FlaggedDelivery[]>(
    `update delivery d set last_error = ?, updated_at = now()
      where d.id in (select d.id from delivery d where d.state = 'sending' and d.partner_id is not null and d.last_error is null
                       and d.updated_at < ? and ${HANDED_OVER} order by d.updated_at limit ? for update skip locked)
      returning d.id, d.document_id, d.recipient_code`,
    [reason, before, limit],
  );
}

/**
 * Sets `reason` as the lastError of deliveries whose recall was asked before `before` and is not
 * answered nor flagged yet (oldest first, at most `limit`; rows another transaction holds are
 * skipped), and returns them.
 */
export function flagUnansweredRecallDeliveries(tx: Tx, reason: string, before: Date, limit: number): Promise<FlaggedDelivery[]> {
  return sqlOn(tx)<FlaggedDelivery[]>(
    `update delivery d set last_error = ?, updated_at = now()
      where d.id in (select d.id from delivery d where d.state = 'recall_requested' and d.last_error is null
                       and d.updated_at < ? order by d.updated_at limit ? for update skip locked)
      returning d.id, d.document_id, d.recipient_code`,
    [reason, before, limit],
  );
}
