import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Secrets } from '../crypto/secret-box.js';
import type { Partner } from '../directory/partner.entity.js';
import { AxisClient, type AxisCredentials } from './axis-client.js';
import { ExchangeMessageSchema, type ExchangeMessage } from './exchange-message.entity.js';
import { answerJson, partnerFetch, TransportError } from './http-client.js';
import { assertCircuitClosed, axisCredentials, PartnerSetupError, partnerCredentials, recordPartnerFailure, recordPartnerProblem, recordPartnerSuccess } from './partners.js';

export interface OutboundPackage {
  bytes: Buffer;
  packageId: string;
  kind: 'edoc' | 'status';
  senderCode: string;
  recipientCodes: string[];
  /** What the message carries, for the pull list and idempotency. */
  deliveryId?: string;
  statusId?: string;
  /** The pull list's idempotency key when neither of the above names the message (a recall package). */
  dedupKey?: string;
}

/**
 * Hands a package to a partner: POST to a peer's exchange API, sendEdoc to the axis, or (pull mode)
 * a place in the list the partner fetches from. Returns the partner's receipt, or null for pull.
 * Throws TransportError (retryable or not); the circuit breaker counts transport failures.
 */
export async function sendToPartner(em: EntityManager, partner: Partner, secrets: Secrets, out: OutboundPackage): Promise<string | null> {
  if (!partner.active) throw new TransportError(`partner ${partner.id} is deactivated`, false);
  if (partner.mode === 'pull') {
    const dedupKey = out.dedupKey ?? (out.deliveryId ? deliveryKey(out.deliveryId) : `status:${out.statusId}`);
    await em
      .getConnection()
      .execute(
        `insert into exchange_message (id, direction, partner_id, package_id, kind, sender_code, recipient_codes, dedup_key, delivery_id, status_id, state, created_at)
         values (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', now()) on conflict (direction, dedup_key) do nothing`,
        [randomUUID(), partner.id, out.packageId, out.kind, out.senderCode, `{${out.recipientCodes.join(',')}}`, dedupKey, out.deliveryId ?? null, out.statusId ?? null],
        'run',
        em.getTransactionContext(),
      );
    return null;
  }
  assertCircuitClosed(partner);
  try {
    if (!partner.baseUrl) throw new PartnerSetupError(partner.id, 'has no baseUrl to push to');
    const receipt =
      partner.kind === 'axis'
        ? await sendToAxis(partner.baseUrl, axisCredentials(partner, secrets), out)
        : await sendToPeer(partner, partner.baseUrl, partnerCredentials(partner, secrets), out);
    await recordPartnerSuccess(em, partner.id);
    return receipt;
  } catch (error) {
    // Only transport trouble opens the circuit; a refused package is the package's problem. A partner
    // registered without what we need to reach it is its own problem, shown on the partner.
    if (error instanceof TransportError && error.retryable) await recordPartnerFailure(em, partner.id, error.message);
    else if (error instanceof PartnerSetupError) await recordPartnerProblem(em, partner.id, error.message);
    throw error;
  }
}

const deliveryKey = (deliveryId: string): string => `delivery:${deliveryId}`;

/** Whether a delivery's package already has its place in a pull partner's list. */
export async function isQueuedForPull(em: EntityManager, deliveryId: string): Promise<boolean> {
  const rows = await em
    .getConnection()
    .execute<Array<{ n: number }>>(`select count(*)::int as n from exchange_message where direction = 'out' and dedup_key = ?`, [deliveryKey(deliveryId)]);
  return (rows[0]?.n ?? 0) > 0;
}

async function sendToPeer(partner: Partner, baseUrl: string, creds: Record<string, unknown>, out: OutboundPackage): Promise<string> {
  const token = typeof creds.token === 'string' ? creds.token : undefined;
  if (!token) throw new PartnerSetupError(partner.id, 'has no credentials.token (the token the peer issued to us)');
  const url = new URL('exchange/v1/packages', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  const res = await partnerFetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
    body: new Uint8Array(out.bytes),
    timeoutMs: typeof creds.timeoutMs === 'number' ? creds.timeoutMs : 15_000,
  });
  const answer = await answerJson(res, `POST ${url}`);
  return String(answer.receiptId ?? '');
}

async function sendToAxis(baseUrl: string, creds: AxisCredentials, out: OutboundPackage): Promise<string> {
  return new AxisClient(baseUrl, creds).sendEdoc(out.senderCode, out.kind, out.bytes);
}

/**
 * Takes a delivery's package out of its partner's pull list when the partner never fetched it (a
 * recall before the hand-over). True when it was withdrawn: the partner will never get it. Runs on
 * the caller's transaction; a concurrent fetch (markFetched) and this serialise on the row.
 */
export async function withdrawFromPullList(em: EntityManager, deliveryId: string): Promise<boolean> {
  const result = await em
    .getConnection()
    .execute<{ affectedRows: number }>(
      `delete from exchange_message where direction = 'out' and dedup_key = ? and state = 'waiting' and fetched_at is null`,
      [deliveryKey(deliveryId)],
      'run',
      em.getTransactionContext(),
    );
  return result.affectedRows > 0;
}

/**
 * The pull list: what waits for `partnerId` (not yet acknowledged), in arrival order (seq), so that
 * a cursor kept between polls never skips a later package and a recall package is listed before its
 * 13. Served to peers by GET /exchange/v1/packages and to document systems by the hub
 * (getReceivedEdocList); `to` keeps what names that agency, `kind` one kind of package.
 */
export function waitingFor(
  em: EntityManager,
  partnerId: string,
  options: { to?: string | undefined; kind?: 'edoc' | 'status' | undefined; afterSeq?: string | undefined; limit: number },
): Promise<ExchangeMessage[]> {
  return em.find(
    ExchangeMessageSchema,
    {
      partnerId,
      direction: 'out',
      state: 'waiting',
      ...(options.to ? { recipientCodes: { $overlap: [options.to] } } : {}),
      ...(options.kind ? { kind: options.kind } : {}),
      ...(options.afterSeq ? { seq: { $gt: options.afterSeq } } : {}),
    },
    { orderBy: { seq: 'asc' }, limit: options.limit },
  );
}

/** A message of `partnerId`'s pull list by its id, waiting or acknowledged; null when it has none of that id. */
export const pulledMessage = (em: EntityManager, partnerId: string, id: string): Promise<ExchangeMessage | null> =>
  em.findOne(ExchangeMessageSchema, { id, partnerId, direction: 'out' });

/** The package of a message waiting for `partnerId`, marked fetched (from then on a recall asks it back); null when none. */
export async function markFetched(em: EntityManager, partnerId: string, receiptId: string): Promise<string | null> {
  const rows = await em
    .getConnection()
    .execute<Array<{ package_id: string }>>(
      `update exchange_message set fetched_at = coalesce(fetched_at, now()) where id = ? and partner_id = ? and direction = 'out' returning package_id`,
      [receiptId, partnerId],
    );
  return rows[0]?.package_id ?? null;
}

/** Marks a pulled message as taken by the partner. */
export async function acknowledge(em: EntityManager, partnerId: string, receiptId: string): Promise<boolean> {
  const n = await em.nativeUpdate(ExchangeMessageSchema, { id: receiptId, partnerId, direction: 'out', state: 'waiting' }, { state: 'acked', ackedAt: new Date() });
  return n > 0;
}
