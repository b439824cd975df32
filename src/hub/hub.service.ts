import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { recordEvent } from '../delivery/document-events.repository.js';
import { canMove } from '../delivery/states.js';
import { move } from '../delivery/writer.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { listAgencies } from '../directory/directory.repository.js';
import { isClosedAt, isOpenAt, successorsOf } from '../directory/succession.js';
import { DomainError } from '../errors.js';
import { ingestPackage } from '../exchange/ingest.js';
import { packageBytes } from '../packages/packages.repository.js';
import type { ExchangeMessage } from '../transport/exchange-message.entity.js';
import { acknowledge, markFetched, pulledMessage, waitingFor } from '../transport/outbound.js';
import type { AgencyItem, ClosedAgencyItem, EdocListItem } from './answers.js';
import type { HubCaller } from './hub-auth.js';
import { lockDelivery, releasePullPlace, sentMessages } from './hub.repository.js';
import { asSystemPartner, routingRefusal } from './routing.js';

/**
 * The calls of the axis SDK over lienthong's exchange (AXIS.md "Meaning"): what a system sends goes
 * through the exchange API's ingest (verified before anything is stored); what waits for its
 * agencies is its partner's pull list (src/transport/outbound.ts), served as the exchange API serves
 * it to a pull partner; `updateStatus` is the pull list's acknowledgement. Business statuses are
 * status packages both ways.
 */

export type MessageType = 'edoc' | 'status';

/** How many packages one list answer carries, oldest first for the received list: acknowledge and poll again. */
export const HUB_LIST_LIMIT = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (docId: string, caller: HubCaller) => new DomainError('NOT_FOUND', `No package ${docId.slice(0, 100)} for system ${caller.system.id}.`);

/** The `messagetype` header: edoc, status, or (absent) both. */
export function messageTypeOf(value: string | undefined): MessageType | undefined {
  if (value === undefined || value === '') return undefined;
  const type = value.toLowerCase();
  if (type === 'edoc' || type === 'status') return type;
  throw new DomainError('VALIDATION_FAILED', `messagetype is edoc or status, not ${value.slice(0, 50)}.`, { errors: [{ path: 'messagetype', message: 'edoc or status' }] });
}

/** The `servicetype` header: eDoc (the only service of AXIS.md), in any case, or absent. */
export function checkServiceType(value: string | undefined): void {
  if (value !== undefined && value.toLowerCase() !== 'edoc') {
    throw new DomainError('VALIDATION_FAILED', `servicetype is eDoc, not ${value.slice(0, 50)}.`, { errors: [{ path: 'servicetype', message: 'eDoc' }] });
  }
}

/** sendEdoc: the `from` header names an agency the system serves; the package's own sender is checked by ingest. */
export function checkSender(caller: HubCaller, from: string | undefined): void {
  if (!from) throw new DomainError('VALIDATION_FAILED', 'sendEdoc carries the header from: <OrganId>.', { errors: [{ path: 'from', message: 'required' }] });
  if (!caller.partner.agencies.includes(from)) {
    throw new DomainError('FORBIDDEN', `System ${caller.system.id} does not act for agency ${from.slice(0, 13)} (its agencies: ${caller.partner.agencies.join(', ') || 'none'}).`);
  }
}

export interface SendResult {
  receiptId: string;
  duplicate: boolean;
  statusIds: string[];
  notApplied?: string;
}

/**
 * sendEdoc: the package goes through the exchange API's ingest, as from the system's partner. Every
 * agency it is addressed to must be received here: this node passes no package on, and a package
 * naming an agency served elsewhere is refused whole, the answer saying where (routing.ts).
 */
export async function sendPackage(em: EntityManager, pipeline: PipelineDeps, caller: HubCaller, bytes: Buffer): Promise<SendResult> {
  let result: Awaited<ReturnType<typeof ingestPackage>>;
  try {
    result = await ingestPackage(em, pipeline, asSystemPartner(caller.partner), bytes);
  } catch (error) {
    throw await routingRefusal(em, pipeline, caller.partner, bytes, error);
  }
  const outcome = result.outcome;
  return {
    receiptId: result.receiptId,
    duplicate: result.duplicate,
    statusIds: result.statusIds,
    ...(outcome && (outcome.kind === 'keep' || outcome.kind === 'refuse') ? { notApplied: outcome.reason } : {}),
  };
}

const iso = (d: Date) => d.toISOString();

/** getReceivedEdocList: the system's pull list (its partner's), oldest first. */
export async function receivedList(em: EntityManager, caller: HubCaller, type: MessageType | undefined): Promise<EdocListItem[]> {
  const waiting = await waitingFor(em, caller.partner.id, { kind: type, limit: HUB_LIST_LIMIT });
  return waiting.map((m) => receivedItem(m));
}

function receivedItem(m: ExchangeMessage): EdocListItem {
  return {
    docId: m.id,
    serviceType: 'eDoc',
    messageType: m.kind,
    created_time: iso(m.createdAt),
    updated_time: iso(m.fetchedAt ?? m.createdAt),
    from: m.senderCode,
    to: m.recipientCodes.join(','),
    status: m.fetchedAt ? 'processing' : 'initial',
    status_desc: m.fetchedAt ? 'Fetched, waiting for updateStatus done or fail' : 'Waiting to be fetched',
  };
}

/** getEdoc: the package exactly as signed; fetching marks it (a recall from then on asks the recipient back). */
export async function fetchPackage(em: EntityManager, caller: HubCaller, docId: string): Promise<Buffer> {
  const packageId = UUID.test(docId) ? await markFetched(em, caller.partner.id, docId) : null;
  if (!packageId) throw notFound(docId, caller);
  return packageBytes(em, packageId);
}

/**
 * updateStatus: the transport acknowledgement of the system's copy (not the business status).
 * `done` and `fail` take it out of the pull list, as the exchange API's ack does; `processing` only
 * marks it fetched. Acknowledging twice answers OK.
 *
 * A `fail` says the system could not take the package: for a document's own package, the transport
 * gave up on that delivery, and the sender's delivery becomes `failed` (DESIGN.md §4: "transport
 * gave up; retryable") with the reason as its lastError, through the one writer, with a timeline
 * event and an audit record — as when a push partner refuses it for good. Its place in the pull list
 * is given up, so that the operator's retry (POST /v1/documents/{id}/deliveries/{recipient}/retry)
 * lists it again. A delivery the graph cannot fail any more (its 01 came already, a recall was
 * asked) keeps its state; the fail is on its timeline all the same. A business refusal travels as a
 * status package 02.
 */
export async function acknowledgePackage(
  em: EntityManager,
  caller: HubCaller,
  docId: string,
  status: string | undefined,
  reason: string | undefined,
  requestId: string,
): Promise<void> {
  const value = (status ?? '').toLowerCase();
  if (value !== 'done' && value !== 'fail' && value !== 'processing') {
    throw new DomainError('VALIDATION_FAILED', 'updateStatus takes status: done, fail or processing.', { errors: [{ path: 'status', message: 'done, fail or processing' }] });
  }
  const message = UUID.test(docId) ? await pulledMessage(em, caller.partner.id, docId) : null;
  if (!message) throw notFound(docId, caller);
  if (value === 'processing') {
    await markFetched(em, caller.partner.id, docId);
    return;
  }
  await em.transactional(async (tx) => {
    // The delivery first (the order of every path that holds a delivery and its pull-list message).
    const delivery = value === 'fail' && message.deliveryId ? await lockDelivery(tx, message.deliveryId) : null;
    const taken = await acknowledge(tx, caller.partner.id, docId);
    if (!taken || value !== 'fail') return;
    const error = reason ?? `Document system ${caller.system.id} could not take the package (updateStatus fail, no reason given).`;
    const details: Record<string, unknown> = { docId, system: caller.system.id, partner: caller.partner.id, reason: reason ?? null, kind: message.kind };
    if (delivery) {
      const failed = canMove(delivery.state, 'failed');
      if (failed) {
        move(delivery, 'failed');
        delivery.lastError = error;
        await releasePullPlace(tx, message.id);
      } else {
        details.kept = `the delivery is ${delivery.state}: ${delivery.state === 'failed' ? 'it failed already' : 'the graph does not let it fail any more'}`;
      }
      recordEvent(tx, {
        documentId: delivery.documentId,
        deliveryId: delivery.id,
        recipientCode: delivery.recipientCode,
        type: 'delivery.refused-by-partner',
        state: delivery.state,
        details,
      });
    }
    recordAudit(tx, {
      actor: { kind: 'partner', id: caller.partner.id, agencies: caller.partner.agencies },
      action: 'hub.fetch-failed',
      subjectType: 'exchange-message',
      subjectId: docId,
      details: { ...details, ...(delivery ? { deliveryId: delivery.id, state: delivery.state } : {}) },
      requestId,
    });
    await tx.flush();
  });
}

/**
 * getSentEdocList: what the system's partner sent here, newest first, one entry per recipient. Every
 * package here was verified and stored when sendEdoc answered OK, so the transport state is `done`;
 * an edoc's entry also says where the recipient's copy stands (its state and last status code).
 */
export async function sentList(em: EntityManager, caller: HubCaller, type: MessageType | undefined, docId: string | undefined): Promise<EdocListItem[]> {
  if (docId !== undefined && !UUID.test(docId)) throw notFound(docId, caller);
  const sent = await sentMessages(em, caller.partner.id, { kind: type, id: docId, limit: HUB_LIST_LIMIT });
  if (docId !== undefined && sent.messages.length === 0) throw notFound(docId, caller);
  return sent.messages.flatMap((m) =>
    m.recipientCodes.map((to): EdocListItem => {
      const documentId = sent.packages.get(m.packageId)?.documentId;
      const item = m.kind === 'edoc' ? sent.items.find((i) => i.agencyCode === to && i.documentId === documentId && i.senderCode === m.senderCode) : undefined;
      return {
        docId: m.id,
        serviceType: 'eDoc',
        messageType: m.kind,
        created_time: iso(m.createdAt),
        updated_time: iso(item?.statusAt ?? m.createdAt),
        from: m.senderCode,
        to,
        status: 'done',
        status_desc: item ? `Received by ${to}: ${item.state} (${item.statusCode})` : m.kind === 'status' ? `Status recorded for ${to}` : `Received for ${to}`,
        ...(item ? { statusCode: item.statusCode, state: item.state } : {}),
      };
    }),
  );
}

/**
 * getAgenciesList: the directory's open agencies ({ id, code, name, mail, pid }, keyed by code), and
 * beside them (`closed`, which the SDK does not know and ignores) the agencies closed by a
 * reorganisation with their successors.
 */
export async function agenciesList(em: EntityManager, now = new Date()): Promise<{ open: AgencyItem[]; closed: ClosedAgencyItem[] }> {
  const open: AgencyItem[] = [];
  const closed: ClosedAgencyItem[] = [];
  const pageSize = 1000;
  let after: string | undefined;
  for (;;) {
    const agencies = await listAgencies(em, { afterCode: after, limit: pageSize });
    for (const a of agencies) {
      if (isOpenAt(a, now)) open.push({ id: a.code, code: a.code, name: a.name, mail: a.email ?? null, pid: a.parentCode ?? null });
      else if (isClosedAt(a, now) && successorsOf(a).length > 0) {
        closed.push({ id: a.code, code: a.code, name: a.name, closedAt: iso(a.closedAt!), successors: successorsOf(a) });
      }
    }
    if (agencies.length < pageSize) return { open, closed };
    after = agencies[agencies.length - 1]!.code;
  }
}
