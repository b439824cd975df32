/**
 * What the exchange API and the axis poll read and write (issue 12: only repositories touch the ORM
 * and SQL): the packages received from partners (ExchangeMessage, direction `in`), which make a
 * package received twice answer its first receipt; the stored packages a pull list shows; and the
 * rate windows that count a partner's calls.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { PackageSchema, type Package } from '../packages/package.entity.js';
import { ExchangeMessageSchema, type ExchangeMessage } from '../transport/exchange-message.entity.js';

// ─── packages received from partners ────────────────────────────────────────────────────────────

/** The receipt of the package received under this key (ExchangeMessage.dedupKey), or null. */
export async function receiptByDedupKey(em: EntityManager, dedupKey: string): Promise<string | null> {
  const m = await em.findOne(ExchangeMessageSchema, { direction: 'in', dedupKey });
  return m?.id ?? null;
}

/** The first receipt of a package received with these bytes (their SHA-256), or null. */
export async function receiptBySha256(em: EntityManager, sha256: string): Promise<string | null> {
  const rows = await sqlOn(em)<Array<{ id: string }>>(
    `select m.id from exchange_message m join edxml_package p on p.id = m.package_id where m.direction = 'in' and p.sha256 = ? order by m.created_at limit 1`,
    [sha256],
  );
  return rows[0]?.id ?? null;
}

/** Whether a package the axis offers under `externalId` was received from this partner already. */
export async function isReceivedFromAxis(em: EntityManager, partnerId: string, externalId: string): Promise<boolean> {
  return (await em.findOne(ExchangeMessageSchema, { partnerId, direction: 'in', externalId })) !== null;
}

/** Records a package received from a partner (added to the unit of work of `tx`); its id is the receipt. */
export function addReceivedMessage(
  tx: Tx,
  m: { id: string; partnerId: string; packageId: string; kind: 'edoc' | 'status'; senderCode: string; recipientCodes: string[]; dedupKey: string; externalId: string | null },
): ExchangeMessage {
  return tx.create(ExchangeMessageSchema, {
    ...m,
    direction: 'in',
    deliveryId: null,
    statusId: null,
    state: 'received',
    ackedAt: null,
    createdAt: new Date(),
  });
}

/** The stored packages of these ids (metadata; the bytes stay lazy), by id. */
export async function packagesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, Package>> {
  return new Map((await em.find(PackageSchema, { id: { $in: [...ids] } })).map((p) => [p.id, p]));
}

// ─── rate windows ───────────────────────────────────────────────────────────────────────────────

/** Counts one call of `key` in the window starting at `windowStart`; returns the window's count so far. */
export async function countInWindow(em: EntityManager, key: string, windowStart: Date): Promise<number> {
  const rows = await sqlOn(em)<Array<{ count: number }>>(
    `insert into rate_window (key, window_start, count) values (?, ?, 1)
     on conflict (key, window_start) do update set count = rate_window.count + 1 returning count`,
    [key, windowStart],
  );
  return Number(rows[0]?.count ?? 0);
}

/** Drops the windows that started before `before`. */
export async function dropWindowsBefore(em: EntityManager, before: Date): Promise<void> {
  await sqlOn(em)(`delete from rate_window where window_start < ?`, [before]);
}
