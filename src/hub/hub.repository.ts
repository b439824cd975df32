import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { DeliverySchema, type Delivery } from '../delivery/document.entity.js';
import { InboxItemSchema, type InboxItem } from '../delivery/inbox.entity.js';
import { PackageSchema, type Package } from '../packages/package.entity.js';
import { ExchangeMessageSchema, type ExchangeMessage } from '../transport/exchange-message.entity.js';
import { HubSystemSchema, type HubSystem } from './hub-system.entity.js';

export const findHubSystem = (em: EntityManager, id: string): Promise<HubSystem | null> => em.findOne(HubSystemSchema, { id });

export const listHubSystems = (em: EntityManager, afterId: string | undefined, limit: number): Promise<HubSystem[]> =>
  em.find(HubSystemSchema, afterId ? { id: { $gt: afterId } } : {}, { orderBy: { id: 'asc' }, limit });

/** Deletes a system; true when there was one. Its signatures already taken expire on their own. */
export async function deleteHubSystem(em: EntityManager, id: string): Promise<boolean> {
  return (await em.nativeDelete(HubSystemSchema, { id })) > 0;
}

/** Notes that the system called, at most once a minute (one cheap update, not a write per request). */
export async function touchHubSystem(em: EntityManager, id: string, now = new Date()): Promise<void> {
  const minuteAgo = new Date(now.getTime() - 60_000);
  await em.nativeUpdate(HubSystemSchema, { id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: minuteAgo } }] }, { lastUsedAt: now });
}

/**
 * Takes a request's signature: true the first time, false when it was taken before (a replay). One
 * insert, atomic across api processes; what expired is dropped by whoever takes one.
 */
export async function takeSignature(em: EntityManager, systemId: string, signatureHash: string, expiresAt: Date, now = new Date()): Promise<boolean> {
  const connection = em.getConnection();
  const rows = await connection.execute<Array<{ taken: number }>>(
    `insert into hub_seen_request (system_id, signature_hash, expires_at) values (?, ?, ?) on conflict do nothing returning 1 as taken`,
    [systemId, signatureHash, expiresAt],
  );
  if (rows.length === 0) return false;
  await connection.execute(`delete from hub_seen_request where expires_at < ?`, [now]);
  return true;
}

/** What a system's partner sent here (newest first), with the packages and the recipients' inbox items. */
export interface SentMessages {
  messages: ExchangeMessage[];
  packages: Map<string, Package>;
  /** The recipients' items of each message: the item of (recipient, DocumentId, sender). */
  items: InboxItem[];
}

export async function sentMessages(
  em: EntityManager,
  partnerId: string,
  filter: { kind?: 'edoc' | 'status' | undefined; id?: string | undefined; limit: number },
): Promise<SentMessages> {
  const messages = await em.find(
    ExchangeMessageSchema,
    { partnerId, direction: 'in', ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.id ? { id: filter.id } : {}) },
    { orderBy: { seq: 'desc' }, limit: filter.limit },
  );
  if (messages.length === 0) return { messages, packages: new Map(), items: [] };
  const packages = new Map(
    (await em.find(PackageSchema, { id: { $in: [...new Set(messages.map((m) => m.packageId))] } }, { fields: ['id', 'documentId', 'kind', 'statusCode'] })).map((p) => [p.id, p as Package]),
  );
  const edocs = messages.filter((m) => m.kind === 'edoc');
  // An update or a recall package names the document the recipient holds: the item is found by
  // (agency, DocumentId, sender), not by the package it first came in.
  const items = edocs.length
    ? await em.find(
        InboxItemSchema,
        {
          $or: edocs.map((m) => ({ agencyCode: { $in: m.recipientCodes }, documentId: packages.get(m.packageId)?.documentId ?? '', senderCode: m.senderCode })),
        },
        { fields: ['id', 'agencyCode', 'documentId', 'senderCode', 'state', 'statusCode', 'statusAt', 'updatedAt'] },
      )
    : [];
  return { messages, packages, items: items as InboxItem[] };
}

/** The delivery a pull-list message carries, locked (its state may change: updateStatus fail). */
export const lockDelivery = (em: EntityManager, id: string): Promise<Delivery | null> => em.findOne(DeliverySchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * Gives up a pull-list message's place as its delivery's hand-over (the message stays, acknowledged,
 * under a key of its own): the list holds one message per delivery (src/transport/outbound.ts), so
 * that an operator's retry of the failed delivery puts the package in the list again instead of
 * finding the place taken by the copy the system could not take. On the caller's transaction.
 */
export async function releasePullPlace(em: EntityManager, messageId: string): Promise<void> {
  await em
    .getConnection()
    .execute(
      `update exchange_message set dedup_key = 'failed:' || id::text where id = ? and direction = 'out'`,
      [messageId],
      'run',
      em.getTransactionContext(),
    );
}
