import { createHash } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import type { PkiService } from '../certificates/pki.service.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { VerifiedCache } from './verified-cache.js';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { PartnerSchema, type Partner } from '../directory/partner.entity.js';
import { TransportError } from '../exchange/http-client.js';
import { isQueuedForPull, sendToPartner } from '../exchange/outbound.js';
import { PackageSchema, type Package } from '../packages/package.entity.js';
import { buildEdoc } from '../edxml/build.js';
import type { XmlLimits } from '../edxml/harden.js';
import { verifyPackage, type VerifiedPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import { InboxItemSchema, StatusRecordSchema, type InboxItem, type StatusRecord } from '../inbox/inbox.entity.js';
import { inboxItemRow } from '../inbox/receive.js';
import { signStatus, statusRecordRow, type StatusInput } from '../inbox/statuses.js';
import { packageBytes, signedPackageRow, storeSignedXml, type PackageRow } from '../packages/packages.repository.js';
import { DeliverySchema, DocumentEventSchema, OutgoingDocumentSchema, type Delivery, type DocumentEvent, type OutgoingDocument } from './document.entity.js';
import { byDestination } from './destinations.js';
import { edocModel, type BusinessOf } from './edoc-model.js';
import { eventRow, recordEvent, type EventInput } from './events.js';
import type { StatusCode, StatusOutcome } from '../delivery/states.js';
import { answerUpdate } from './update.js';
import { applyStatus, move, statusEventType } from '../delivery/writer.js';

/** What the pipeline steps need besides a database context. */
export interface PipelineDeps {
  pki: PkiService;
  limits: Partial<XmlLimits>;
  /** Opens partner credentials (sealed with the master key). */
  secrets: Secrets;
  /** Recent verification results by SHA-256 (this process only; see VerifiedCache). */
  verified?: VerifiedCache;
}

/** Verifies received bytes as the exchange API does (DESIGN.md §5), with this node's registry. */
export async function verifyReceived(em: EntityManager, deps: PipelineDeps, bytes: Buffer): Promise<VerifiedPackage> {
  return verifyPackage(bytes, { checkCertificate: await deps.pki.certificateCheck(em), limits: deps.limits, checkXml: deps.pki.checkPackageXml });
}

/** verifyReceived, reusing a recent result for the same bytes (the same package to many recipients). */
async function verifyOnce(em: EntityManager, deps: PipelineDeps, bytes: Buffer): Promise<VerifiedPackage> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  // Looked up without yielding first, so two callers cannot both miss a verification one of them starts.
  const known = deps.verified?.get(sha) ?? deps.verified?.inFlight(sha);
  const cached = known ? await known : undefined;
  if (cached) {
    // The signature of these exact bytes was checked; the certificate is checked again every time,
    // so a certificate withdrawn from the registry stops deliveries at once, not after the TTL.
    const check = await deps.pki.certificateCheck(em);
    await check({ certificatePem: cached.certificate.certificatePem, agencyCode: cached.senderCode, at: cached.signingTime });
    return cached;
  }
  const verifying = verifyReceived(em, deps, bytes);
  deps.verified?.track(sha, verifying);
  return verifying;
}

/**
 * `sign` step: builds the edoc package of a queued document, signs it once per destination with the
 * sender agency's key, stores the exact bytes. The packages are built and signed before the
 * transaction opens (a large attachment takes a while); the transaction then locks the document and
 * stores them only if it is still queued with the same deliveries. Idempotent: a document already
 * signed is left alone. Returns true when the document is (now) signed.
 */
export async function signDocument(em: EntityManager, deps: PipelineDeps, documentId: string): Promise<boolean> {
  const read = em.fork();
  const draft = await read.findOne(OutgoingDocumentSchema, { id: documentId });
  if (!draft) return false;
  if (draft.state !== 'queued') return draft.packageId !== null;
  const sender = await read.findOneOrFail(AgencySchema, { code: draft.agencyCode });
  const planned = await read.find(DeliverySchema, { documentId }, { orderBy: { recipientCode: 'asc' } });
  const recipients = new Map((await read.find(AgencySchema, { code: { $in: planned.map((d) => d.recipientCode) } })).map((a) => [a.code, a]));
  const attachments = await documentFiles(read, documentId);
  const at = new Date();
  const signer = await deps.pki.signerFor(read, sender.code, at);
  // One package per destination, signed once per destination, never per recipient.
  const packages = await Promise.all(
    byDestination(planned).map(async ([destination, group]) => {
      const to = group.map((d) => recipients.get(d.recipientCode)).filter((a): a is NonNullable<typeof a> => a !== undefined);
      const business: BusinessOf = draft.replaces
        ? { type: 3, reason: draft.replaces.reason, replaces: [{ documentId: draft.replaces.documentId, organIdList: draft.replaces.recipients }] }
        : { type: 0 };
      const xml = await deps.pki.signPackage(buildEdoc(edocModel(draft, sender, to, attachments, business, at)), signer);
      return { destination, deliveryIds: group.map((d) => d.id), xml };
    }),
  );

  return em.transactional(async (tx) => {
    const doc = await tx.findOne(OutgoingDocumentSchema, { id: documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!doc) return false;
    if (doc.state !== 'queued') return doc.packageId !== null; // another job signed it meanwhile
    const deliveries = new Map((await tx.find(DeliverySchema, { documentId })).map((d) => [d.id, d]));
    if (deliveries.size !== planned.length || planned.some((d) => !deliveries.has(d.id))) {
      throw new Error(`the deliveries of document ${documentId} changed while it was signed; signing again`);
    }
    for (const { destination, deliveryIds, xml } of packages) {
      const pkg = await storeSignedXml(tx, xml, { kind: 'edoc', senderCode: sender.code, documentId: doc.documentId, businessDocType: doc.replaces ? 3 : 0 });
      for (const id of deliveryIds) deliveries.get(id)!.packageId = pkg.id;
      doc.packageId ??= pkg.id;
      recordEvent(tx, { documentId, type: 'package.signed', details: { destination, sha256: pkg.sha256, size: pkg.size, recipients: deliveryIds.length } });
    }
    doc.state = 'signed';
    recordEvent(tx, { documentId, type: 'document.signed', state: 'signed', details: { packages: packages.length } });
    return true;
  });
}

/** A document's files, in order, with their bytes (plain SQL: the entity keeps them lazy so listings stay small). */
export async function documentFiles(em: EntityManager, documentId: string): Promise<Array<{ name: string; contentType: string; content: Buffer }>> {
  const files = await em
    .getConnection()
    .execute<Array<{ name: string; content_type: string; content: Buffer }>>(
      'select name, content_type, content from document_attachment where document_id = ? order by index',
      [documentId],
      'all',
      em.getTransactionContext(),
    );
  return files.map((f) => ({ name: f.name, contentType: f.content_type, content: f.content }));
}

/**
 * `route` step: the document leaves for its recipients. Returns the deliveries still to be made
 * (pending or sending), for the `deliver` jobs, local ones in batches of LOCAL_DELIVERY_BATCH.
 */
export async function routeDocument(em: EntityManager, documentId: string): Promise<Array<{ deliveryId: string; batch?: string[] }>> {
  return em.transactional(async (tx) => {
    const doc = await tx.findOne(OutgoingDocumentSchema, { id: documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!doc || !doc.packageId) return [];
    if (doc.state === 'signed') {
      doc.state = 'sent';
      recordEvent(tx, { documentId, type: 'document.sent', state: 'sent' });
    }
    const open = await tx.find(DeliverySchema, { documentId, state: { $in: ['pending', 'sending'] } }, { orderBy: { id: 'asc' } });
    const jobs: Array<{ deliveryId: string; batch?: string[] }> = open.filter((d) => d.partnerId).map((d) => ({ deliveryId: d.id }));
    const local = open.filter((d) => !d.partnerId).map((d) => d.id);
    for (let i = 0; i < local.length; i += LOCAL_DELIVERY_BATCH) {
      const [head, ...batch] = local.slice(i, i + LOCAL_DELIVERY_BATCH);
      jobs.push(batch.length ? { deliveryId: head!, batch } : { deliveryId: head! });
    }
    return jobs;
  });
}

/** At most this many local deliveries of one document are made by one job, in one transaction. */
export const LOCAL_DELIVERY_BATCH = 25;

/**
 * `deliver` step for recipients on this node — one delivery, or a batch of them. For each: verify the
 * package exactly as a received one, put it into the recipient's inbox, sign the recipient's 01 and
 * apply it to the sender's delivery at once.
 *
 * In two phases, so that no lock is held while CPU work runs:
 *  1. outside any transaction: read what is open, verify each package (once; VerifiedCache keeps
 *     the result for later batches, the certificate check runs again), and sign the 01s of the
 *     recipients that have no item yet — concurrently, in the signing threads when the node has them;
 *  2. one short write transaction: lock the deliveries (in id order, so overlapping batches cannot
 *     deadlock; with `skipLocked`, rows another job holds are left to it), look again at what the
 *     recipients hold, and write the items, the 01s and the delivery states. A delivery that another
 *     job finished meanwhile is left alone (its signed 01 is dropped unstored); a retry after any
 *     crash finds the items and does nothing twice.
 *
 * The 01 is applied here rather than by a `status` job because both sides are on this node: it was
 * just signed with the recipient's registered key and checked by signPackage (fail closed). Returns
 * statuses still to be carried by the `status` job (an item whose 01 an earlier attempt left
 * uncarried).
 */
export async function deliverLocal(em: EntityManager, deps: PipelineDeps, deliveryIds: readonly string[], opts: { skipLocked?: boolean } = {}): Promise<string[]> {
  const plan = await planLocalDeliveries(em.fork(), deps, deliveryIds);
  if (plan.size === 0) return [];
  return em.transactional(async (tx) => {
    const deliveries = await tx.find(
      DeliverySchema,
      { id: { $in: [...plan.keys()] }, state: { $in: ['pending', 'sending'] } },
      { lockMode: opts.skipLocked ? LockMode.PESSIMISTIC_PARTIAL_WRITE : LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    );
    if (deliveries.length === 0) return [];
    const held = await heldItems(tx, deliveries.map((d) => plan.get(d.id)!));
    const toCarry: string[] = [];
    // Rows written with one INSERT per table for the whole batch (no unit-of-work bookkeeping); the
    // deliveries, loaded above, are updated at COMMIT.
    const rows = { packages: [] as PackageRow[], items: [] as InboxItem[], statuses: [] as StatusRecord[], events: [] as EventInput[] };
    for (const delivery of deliveries) {
      const p = plan.get(delivery.id)!;
      delivery.attempts += 1;
      if (delivery.state === 'pending') move(delivery, 'sending');
      const existing = held.get(`${p.recipient.code} ${p.packageId}`);
      if (existing) {
        const pending = await tx.findOne(StatusRecordSchema, { inboxItemId: existing.id, code: '01' });
        if (pending && !pending.carried) toCarry.push(pending.id);
        continue;
      }
      if (!p.status) continue; // held when read, so nothing was signed; nothing to do
      // Arrived when its 01 says so: the 01 was signed at planning time.
      const item = inboxItemRow(p.recipient, p.verified, p.packageId, delivery.id, p.status.input.at);
      const input = { ...p.status.input, deliveryId: delivery.id, inboxItemId: item.id };
      // A fresh 01 names its document, its signer and its second: its bytes are new (the unique
      // SHA-256 index would refuse a repeat, and the transaction would roll back).
      const pkg = signedPackageRow(p.status.xml, { kind: 'status', senderCode: input.from.code, documentId: input.about.documentId, statusCode: input.code });
      const status = { ...statusRecordRow(input, pkg.id), carried: true, carriedAt: new Date() };
      const outcome = applyStatus(delivery, '01', status.createdAt);
      rows.packages.push(pkg);
      rows.items.push(item);
      rows.statuses.push(status);
      rows.events.push(
        {
          documentId: delivery.documentId,
          deliveryId: delivery.id,
          recipientCode: delivery.recipientCode,
          type: 'delivery.delivered',
          state: 'sending',
          details: { attempt: delivery.attempts, inboxItemId: item.id },
        },
        carriedEvent(delivery, status, pkg.sha256, outcome),
      );
    }
    if (rows.packages.length) await tx.insertMany<Package>(PackageSchema, rows.packages as unknown as Package[]);
    if (rows.items.length) await tx.insertMany(InboxItemSchema, rows.items);
    if (rows.statuses.length) await tx.insertMany(StatusRecordSchema, rows.statuses);
    if (rows.events.length) await tx.insertMany<DocumentEvent>(DocumentEventSchema, rows.events.map(eventRow));
    return toCarry;
  });
}

interface LocalDeliveryPlan {
  doc: OutgoingDocument;
  recipient: Agency;
  packageId: string;
  verified: VerifiedPackage;
  /** The recipient's signed 01, when it held no item for the package at planning time. */
  status?: { input: StatusInput & { at: Date }; xml: string };
}

/** Phase 1 of deliverLocal: reads, verifications and signatures, no transaction and no lock. */
async function planLocalDeliveries(em: EntityManager, deps: PipelineDeps, deliveryIds: readonly string[]): Promise<Map<string, LocalDeliveryPlan>> {
  const plan = new Map<string, LocalDeliveryPlan>();
  const deliveries = await em.find(DeliverySchema, { id: { $in: [...deliveryIds] }, state: { $in: ['pending', 'sending'] } }, { orderBy: { id: 'asc' } });
  if (deliveries.length === 0) return plan;
  const docs = new Map((await em.find(OutgoingDocumentSchema, { id: { $in: unique(deliveries.map((d) => d.documentId)) } })).map((d) => [d.id, d]));
  const codes = unique(deliveries.map((d) => d.recipientCode));
  const recipients = new Map((await em.find(AgencySchema, { code: { $in: codes } })).map((a) => [a.code, a]));
  for (const code of codes) {
    const recipient = recipients.get(code);
    if (!recipient) throw new DomainError('NOT_FOUND', `Recipient ${code} no longer exists.`);
    if (recipient.endpointType !== 'local') {
      throw new DomainError('UNAVAILABLE', `Recipient ${code} is remote; remote delivery is not available on this node.`);
    }
  }
  const verified = new Map<string, VerifiedPackage>();
  for (const d of deliveries) {
    const packageId = d.packageId ?? docs.get(d.documentId)?.packageId;
    if (!packageId) continue;
    if (!verified.has(packageId)) verified.set(packageId, await verifyOnce(em, deps, await packageBytes(em, packageId)));
    plan.set(d.id, { doc: docs.get(d.documentId)!, recipient: recipients.get(d.recipientCode)!, packageId, verified: verified.get(packageId)! });
  }
  const held = await heldItems(em, [...plan.values()]);
  const unsigned = [...plan.entries()].filter(([, p]) => !held.has(`${p.recipient.code} ${p.packageId}`));
  if (unsigned.length === 0) return plan;
  const at = new Date();
  const signers = await deps.pki.signersFor(em, unique(unsigned.map(([, p]) => p.recipient.code)), at);
  await Promise.all(
    unsigned.map(async ([deliveryId, p]) => {
      const { doc } = p;
      const input = {
        from: p.recipient,
        about: { organId: doc.agencyCode, documentId: doc.documentId, code: `${doc.numberText}/${doc.notation}`, promulgationDate: verifiedDate(p.verified) },
        code: '01' as const,
        deliveryId,
        inboxItemId: null,
        at,
      };
      p.status = { input, xml: await signStatus(deps.pki, input, signers.get(p.recipient.code)!) };
    }),
  );
  return plan;
}

/** The inbox items the recipients already hold for these packages, by "agency package". */
async function heldItems(em: EntityManager, wanted: ReadonlyArray<{ recipient: Agency; packageId: string }>): Promise<Map<string, InboxItem>> {
  const items = await em.find(InboxItemSchema, {
    agencyCode: { $in: unique(wanted.map((w) => w.recipient.code)) },
    packageId: { $in: unique(wanted.map((w) => w.packageId)) },
  });
  return new Map(items.map((i) => [`${i.agencyCode} ${i.packageId}`, i]));
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

function verifiedDate(pkg: VerifiedPackage): string | undefined {
  return pkg.model.kind === 'edoc' ? pkg.model.edoc.messageHeader.promulgationInfo.promulgationDate : undefined;
}

/** Marks a document whose package could not be made (after the sign job's last attempt). */
export async function recordSignFailure(em: EntityManager, documentId: string, error: string, final: boolean): Promise<void> {
  await em.transactional(async (tx) => {
    const doc = await tx.findOne(OutgoingDocumentSchema, { id: documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!doc || doc.state !== 'queued') return;
    doc.lastError = error;
    if (final) doc.state = 'failed';
    recordEvent(tx, { documentId, type: final ? 'document.sign-failed' : 'document.sign-retry', state: doc.state, details: { error } });
  });
}

/** Records a failed delivery attempt; after the last attempt the delivery is `failed` with the reason. */
export async function recordDeliveryFailure(em: EntityManager, deliveryId: string, error: string, final: boolean): Promise<void> {
  await em.transactional(async (tx) => {
    const delivery = await tx.findOne(DeliverySchema, { id: deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!delivery) return;
    // The attempt ended: counted here (its own transaction rolled back), also when a recall crossed
    // it — the 13 waits for the hand-over attempt to end (carryStatusToPartner).
    if (delivery.state === 'recall_requested' && delivery.partnerId) {
      delivery.attempts += 1;
      delivery.lastError = error;
      recordEvent(tx, { documentId: delivery.documentId, deliveryId, recipientCode: delivery.recipientCode, type: 'delivery.retry', state: delivery.state, details: { error } });
      return;
    }
    if (!['pending', 'sending'].includes(delivery.state)) return;
    delivery.attempts += 1;
    delivery.lastError = error;
    const partner = delivery.partnerId ? await tx.findOne(PartnerSchema, { id: delivery.partnerId }) : null;
    if (final || (partner && delivery.attempts >= partner.maxAttempts)) move(delivery, 'failed');
    final = delivery.state === 'failed';
    recordEvent(tx, {
      documentId: delivery.documentId,
      deliveryId,
      recipientCode: delivery.recipientCode,
      type: final ? 'delivery.failed' : 'delivery.retry',
      state: delivery.state,
      details: { error },
    });
  });
}

/**
 * `status` step: applies a signed status package on the other side. 01–06, 15, 16 move the sender's
 * delivery; 13 (recall asked by the sender) moves the recipient's inbox item. The package is
 * verified again, as if it had just arrived. Idempotent through `carried`.
 */
export async function carryStatus(em: EntityManager, deps: PipelineDeps, statusId: string): Promise<void> {
  const pending = await em.fork().findOne(StatusRecordSchema, { id: statusId });
  if (!pending || pending.carried) return;
  // One signer's statuses about one document reach the other side in the order they were made:
  // jobs run in any order (and a lost one comes back with the sweep), and a 03 carried before the
  // 16 made ahead of it would leave the two sides in different states.
  const earlier = await earlierUncarried(em.fork(), pending);
  if (earlier) throw new Error(`status ${pending.code} waits for the earlier status ${earlier} of ${pending.fromCode} to be carried first`);
  if (pending.direction === 'out' && pending.partnerId) {
    await carryStatusToPartner(em, deps, pending);
    return;
  }
  await em.transactional(async (tx) => {
    const status = await tx.findOne(StatusRecordSchema, { id: statusId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!status || status.carried) return;
    const verified = await verifyReceived(tx, deps, await packageBytes(tx, status.packageId));
    if (verified.model.kind !== 'status' || verified.senderCode !== status.fromCode) {
      throw new DomainError('SIGNATURE_INVALID', `Status package ${status.packageId} does not verify as a status of ${status.fromCode}.`);
    }
    if (!status.deliveryId) throw new Error(`status ${status.id} has neither a local delivery nor a partner`);
    // Locked in the order every path takes: the delivery, then the item (documents/locks.ts).
    const delivery = await tx.findOneOrFail(DeliverySchema, { id: status.deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const code = status.code as StatusCode;
    let outcome: StatusOutcome;
    if (code === '13') {
      // The sender's recall moves the recipient's item; the sender's delivery moved when it asked.
      const item = status.inboxItemId ? await tx.findOne(InboxItemSchema, { id: status.inboxItemId }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
      outcome = item ? applyStatus(item, code, status.createdAt) : { kind: 'refuse', reason: 'status 13: the recipient holds no copy of the document' };
    } else if (await answerUpdate(tx, delivery, code, status.id, status.createdAt)) {
      // A 15/16 answering the sender's update: recorded there; the delivery's state is not its business.
      status.carried = true;
      status.carriedAt = new Date();
      return;
    } else {
      outcome = applyStatus(delivery, code, status.createdAt, status.description);
    }
    status.carried = true;
    status.carriedAt = new Date();
    recordEvent(tx, carriedEvent(delivery, status, verified.sha256, outcome));
  });
}

/** The code of an earlier status of the same signer about the same item or delivery not carried yet, or null. */
async function earlierUncarried(em: EntityManager, status: StatusRecord): Promise<string | null> {
  if (!status.inboxItemId && !status.deliveryId) return null;
  const rows = await em.getConnection().execute<Array<{ code: string }>>(
    `select code from status_record
      where from_code = ? and carried = false and direction = 'out' and id <> ? and created_at < ?
        and (inbox_item_id = ? or delivery_id = ?)
      order by created_at limit 1`,
    [status.fromCode, status.id, status.createdAt, status.inboxItemId ?? null, status.deliveryId ?? null],
  );
  return rows[0]?.code ?? null;
}

/**
 * The timeline event of a status applied on the sender's side: `status` when it moved the delivery
 * (or found it there), `status.kept` / `status.refused` with the reason when the graph kept the
 * state (a status crossing a recall) or refused it. Either way the status is recorded and its work
 * is done.
 */
export function carriedEvent(
  delivery: Delivery,
  status: Pick<StatusRecord, 'id' | 'code' | 'fromCode' | 'description'>,
  sha256: string,
  outcome: StatusOutcome,
  extra: Record<string, unknown> = {},
): EventInput {
  return {
    documentId: delivery.documentId,
    deliveryId: delivery.id,
    recipientCode: delivery.recipientCode,
    type: statusEventType(outcome),
    state: delivery.state,
    statusCode: status.code,
    statusId: status.id,
    details: {
      from: status.fromCode,
      description: status.description ?? undefined,
      sha256,
      ...extra,
      ...(outcome.kind === 'keep' || outcome.kind === 'refuse' ? { reason: outcome.reason } : {}),
    },
  };
}

/**
 * Carries a status made here to the remote side through its partner. The network call happens
 * outside any transaction; a crash between the call and the bookkeeping resends the same bytes,
 * which the partner recognises (same SHA-256) and answers with its first receipt.
 */
async function carryStatusToPartner(em: EntityManager, deps: PipelineDeps, status: StatusRecord): Promise<void> {
  const partner = await em.fork().findOneOrFail(PartnerSchema, { id: status.partnerId! });
  if (status.code === '13') {
    // A recall that crossed the first hand-over of the document waits for that attempt to end, so
    // that the partner never gets the 13 before the document it asks back.
    const asked = status.deliveryId ? await em.fork().findOne(DeliverySchema, { id: status.deliveryId }) : null;
    // Its 01 says the recipient holds the document, whatever the hand-over's bookkeeping says yet.
    const arrived = asked ? (await em.fork().count(StatusRecordSchema, { deliveryId: asked.id, code: '01' })) > 0 : true;
    if (asked && !arrived && partner.mode === 'push' && asked.remoteReceipt === null && asked.attempts === 0) {
      throw new Error(`the recall of ${asked.recipientCode} waits for the document's first hand-over to ${partner.id} to end`);
    }
    await sendRecallPackage(em, deps, partner, status);
  }
  // Who the status is for: a 13 goes from our sender to the recipient of its delivery; the others go
  // from our recipient to the document's sender, the OrganId that opens its DocumentId.
  const delivery = status.code === '13' && status.deliveryId ? await em.fork().findOne(DeliverySchema, { id: status.deliveryId }) : null;
  const pkg = await em.fork().findOneOrFail(PackageSchema, { id: status.packageId });
  let receipt: string | null = null;
  let refusal: string | undefined;
  try {
    receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
      bytes: await packageBytes(em.fork(), status.packageId),
      packageId: status.packageId,
      kind: 'status',
      senderCode: status.fromCode,
      recipientCodes: [delivery?.recipientCode ?? pkg.documentId.split(',')[0] ?? ''],
      statusId: status.id,
    });
  } catch (error) {
    // The partner refused the status itself (409: its graph refuses it; 404: it has no such
    // document; 403…): sending the same signed bytes again cannot change its answer. The refusal is
    // the end of this status, recorded on the timeline; transport trouble is retried.
    if (!(error instanceof TransportError) || error.retryable) throw error;
    refusal = error.message;
  }
  await em.transactional(async (tx) => {
    const row = await tx.findOne(StatusRecordSchema, { id: status.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row || row.carried) return;
    row.carried = true;
    row.carriedAt = new Date();
    if (row.deliveryId) {
      const delivery = await tx.findOne(DeliverySchema, { id: row.deliveryId });
      if (delivery) {
        recordEvent(tx, {
          documentId: delivery.documentId,
          deliveryId: delivery.id,
          recipientCode: delivery.recipientCode,
          type: refusal ? 'status.refused-by-partner' : 'status.sent',
          state: delivery.state,
          statusCode: row.code,
          statusId: row.id,
          details: { via: partner.id, ...(refusal ? { error: refusal } : { receipt }) },
        });
      }
    }
  });
}

/**
 * Before a 13 goes to a partner, the recall package (BussinessDocType 1) of that partner's
 * destination goes (API.md: recipients get a recall package and status 13), once per destination:
 * the timeline records it sent (or refused), and the later 13s of the destination skip it (13s
 * carried at the same moment may both send it; the partner keeps one — same SHA-256, same pull-list
 * entry). A partner
 * that refuses the package for good does not hold the 13s back (they ask for the recall on their
 * own); the refusal stays in the timeline. Transport trouble is retried with the 13.
 */
async function sendRecallPackage(em: EntityManager, deps: PipelineDeps, partner: Partner, status: StatusRecord): Promise<void> {
  const delivery = status.deliveryId ? await em.fork().findOne(DeliverySchema, { id: status.deliveryId }) : null;
  const recallPackageId = delivery?.recallPackageId;
  if (!recallPackageId) return; // recalled before recall packages were made per destination
  const done = await em
    .fork()
    .getConnection()
    .execute<Array<{ n: number }>>(
      `select count(*)::int as n from document_event where document_id = ? and type in ('recall.package-sent', 'recall.package-refused') and details->>'packageId' = ?`,
      [delivery.documentId, recallPackageId],
    );
  if ((done[0]?.n ?? 0) > 0) return;
  const named = await em.fork().find(DeliverySchema, { recallPackageId }, { fields: ['recipientCode'], orderBy: { recipientCode: 'asc' } });
  const record = async (type: string, details: Record<string, unknown>) => {
    const f = em.fork();
    recordEvent(f, { documentId: delivery.documentId, type, details: { packageId: recallPackageId, partner: partner.id, recipients: named.map((d) => d.recipientCode), ...details } });
    await f.flush();
  };
  try {
    const receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
      bytes: await packageBytes(em.fork(), recallPackageId),
      packageId: recallPackageId,
      kind: 'edoc',
      senderCode: status.fromCode,
      recipientCodes: named.map((d) => d.recipientCode),
      dedupKey: `recall:${recallPackageId}`,
    });
    await record('recall.package-sent', { receipt });
  } catch (error) {
    if (!(error instanceof TransportError) || error.retryable) throw error;
    await record('recall.package-refused', { error: error.message });
  }
}

/**
 * `deliver` step for a recipient reached through a partner: the destination's package goes to the
 * peer's exchange API, the axis, or the partner's pull list. The delivery stays `sending` until the
 * recipient's signed 01 comes back. The network call is made outside any transaction.
 */
export async function deliverRemote(em: EntityManager, deps: PipelineDeps, deliveryId: string): Promise<void> {
  const delivery = await em.fork().findOne(DeliverySchema, { id: deliveryId });
  if (!delivery || !['pending', 'sending'].includes(delivery.state) || !delivery.partnerId) return;
  const doc = await em.fork().findOneOrFail(OutgoingDocumentSchema, { id: delivery.documentId });
  const packageId = delivery.packageId ?? doc.packageId;
  if (!packageId) return;
  const partner = await em.fork().findOne(PartnerSchema, { id: delivery.partnerId });
  if (!partner) throw new DomainError('NOT_FOUND', `Partner ${delivery.partnerId} of ${delivery.recipientCode} no longer exists.`);
  // Handed over already — the partner gave a receipt, or the package has its place in the pull list:
  // the delivery waits for the recipient's 01. The sweep finds it unfinished; sending again would
  // only count attempts (up to the partner's maxAttempts) and repeat timeline events.
  if (delivery.state === 'sending' && (delivery.remoteReceipt !== null || (partner.mode === 'pull' && (await isQueuedForPull(em.fork(), deliveryId))))) return;
  // The hand-over begins: from now on a recall asks the recipient back (13) rather than cancelling
  // the delivery, since the package may reach the partner whatever happens to this call.
  const started = await em.transactional(async (tx) => {
    const row = await tx.findOne(DeliverySchema, { id: deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row || !['pending', 'sending'].includes(row.state)) return false;
    move(row, 'sending');
    return true;
  });
  if (!started) return;
  const receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
    bytes: await packageBytes(em.fork(), packageId),
    packageId,
    kind: 'edoc',
    senderCode: doc.agencyCode,
    recipientCodes: [delivery.recipientCode],
    deliveryId,
  });
  await em.transactional(async (tx) => {
    const row = await tx.findOne(DeliverySchema, { id: deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row) return;
    // The hand-over is recorded whatever happened meanwhile — the recipient's 01 overtook this answer,
    // or a recall crossed it — so that a 13 knows the partner holds the package.
    row.attempts += 1;
    if (row.state === 'pending') move(row, 'sending');
    row.lastError = null;
    row.remoteReceipt = receipt;
    recordEvent(tx, {
      documentId: row.documentId,
      deliveryId,
      recipientCode: row.recipientCode,
      type: partner.mode === 'pull' ? 'delivery.queued-for-pull' : 'delivery.sent',
      state: row.state,
      details: { partner: partner.id, kind: partner.kind, receipt, attempt: row.attempts },
    });
  });
}

/** Whether a delivery goes to this node's inbox or through a partner. */
export async function isRemoteDelivery(em: EntityManager, deliveryId: string): Promise<boolean> {
  const delivery = await em.fork().findOne(DeliverySchema, { id: deliveryId }, { fields: ['partnerId'] });
  return Boolean(delivery?.partnerId);
}
