import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { flushChanges, inTransaction, isUniqueViolation, type Tx } from '../db/tx.js';
import type { Agency } from '../directory/agency.entity.js';
import { findAgencies, findClosedAgencies } from '../directory/directory.repository.js';
import { isClosedAt, isOpenAt, isSuccessorOf, receivingAgencyFor, type ReceivingAgency } from '../directory/succession.js';
import type { Partner } from '../directory/partner.entity.js';
import type { Delivery } from '../delivery/document.entity.js';
import { deliveriesByRecipient, lockDeliveryTo, relockDelivery } from '../delivery/deliveries.repository.js';
import { documentByDocumentId } from '../delivery/outgoing.repository.js';
import { recordEvent } from '../delivery/document-events.repository.js';
import { carriedEvent } from '../delivery/carry-status.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import type { StatusCode, StatusOutcome } from '../delivery/states.js';
import { answerUpdate } from '../delivery/update.js';
import { applyStatus } from '../delivery/writer.js';
import { verifyPackage, type VerifiedPackage } from '../edxml/verify-package.js';
import { verifyReceivedPdfs } from '../delivery/pdf-evidence.js';
import { DomainError } from '../errors.js';
import { itemsOfDocument, lockItemAskedBack, lockItemsOfDocument } from '../delivery/inbox-items.repository.js';
import { addStatusRecord } from '../delivery/status-records.repository.js';
import { newInboxVersion, receiveIntoInbox } from '../delivery/arrive.js';
import { issueStatus } from '../delivery/statuses.js';
import { storePackage } from '../packages/packages.repository.js';
import { addReceivedMessage, receiptByDedupKey, receiptBySha256 } from './exchange.repository.js';

export interface IngestResult {
  receiptId: string;
  /** The same package (bytes, or DocumentId + sender + recipients) was received before. */
  duplicate: boolean;
  /** Statuses made here (the recipients' 01) to carry back through the partner. */
  statusIds: string[];
  /** For a status package: what it did here (moved the delivery or item, or kept or refused with a reason). */
  outcome?: StatusOutcome;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function firstReceipt(em: EntityManager, where: { dedupKey?: string; sha?: string }): Promise<string | null> {
  if (where.dedupKey) {
    const m = await receiptByDedupKey(em.fork(), where.dedupKey);
    if (m) return m;
  }
  if (where.sha) {
    const first = await receiptBySha256(em.fork(), where.sha);
    if (first) return first;
  }
  return null;
}

/**
 * Takes in a package from a partner (exchange API push, or fetched from the axis). Verified before
 * anything is stored (DESIGN.md §5); the sender must be an agency the partner serves (403);
 * edoc recipients must be active agencies of this node (422) — or closed ones whose open successor is
 * here: it receives the package for them, recorded as such (issue 19); from the axis, whose packages
 * name every recipient of the document wherever it is hosted, at least one must, and only those get it. Edoc
 * packages land in the recipients' inboxes and each recipient issues a signed 01; status packages
 * move our own deliveries. The same package twice answers the first receipt and changes nothing.
 */
export async function ingestPackage(
  em: EntityManager,
  deps: PipelineDeps,
  partner: Partner,
  bytes: Buffer,
  options: { externalId?: string; handOver?: boolean } = {},
): Promise<IngestResult> {
  const { externalId } = options;
  const sameBytes = await firstReceipt(em, { sha: sha256(bytes) });
  if (sameBytes) return { receiptId: sameBytes, duplicate: true, statusIds: [] };

  const verified = await verifyPackage(bytes, {
    checkCertificate: await deps.pki.certificateCheck(em),
    limits: deps.limits,
    allowLegacy: partner.legacy,
    checkXml: deps.pki.checkPackageXml,
    handOver: options.handOver === true,
  });
  if (!partner.agencies.includes(verified.senderCode)) {
    throw new DomainError('FORBIDDEN', `Partner ${partner.id} does not act for agency ${verified.senderCode}.`);
  }
  // The legal signatures inside its PDFs, kept with the item's attachments (issue 17).
  if (verified.model.kind === 'edoc') verifyReceivedPdfs(verified, (await deps.pki.trust(em)).store.anchorsPem());
  try {
    return verified.model.kind === 'edoc'
      ? await ingestEdoc(em, deps, partner, verified, externalId)
      : await ingestStatus(em, partner, verified, externalId);
  } catch (error) {
    // The same package sent twice at once: the second answers the first receipt.
    if (isUniqueViolation(error)) {
      const receipt = await firstReceipt(em, { sha: verified.sha256, dedupKey: dedupKeyOf(verified) });
      if (receipt) return { receiptId: receipt, duplicate: true, statusIds: [] };
    }
    throw error;
  }
}

/** The key that makes the same package received twice answer the first receipt (ExchangeMessage.dedupKey). */
function dedupKeyOf(pkg: VerifiedPackage): string {
  return pkg.model.kind === 'edoc' ? edocDedupKey(pkg) : statusDedupKey(pkg);
}

function edocDedupKey(pkg: VerifiedPackage): string {
  if (pkg.model.kind !== 'edoc') throw new Error('not an edoc');
  const h = pkg.model.edoc.messageHeader;
  const type = pkg.model.edoc.traceHeaderList.bussiness.bussinessDocType;
  const recipients = h.to.map((t) => t.organId).sort();
  // A document resent is the same document; an update is not the same as the one before it: each
  // is told apart by the time its sender signed it.
  const version = type === 2 ? [pkg.signingTime.toISOString()] : [];
  return `doc:${sha256([h.documentId, pkg.senderCode, type, ...recipients, ...version].join('\n'))}`;
}

/**
 * A status is the same status when what its signature covers says the same thing, whatever the
 * bytes: a copy re-encoded on the way (attributes re-quoted, white space between elements, another
 * equivalent serialisation) still verifies but has another SHA-256, and was recorded a second time
 * with a second event. The key is taken from the model, which verifyPackage parses from the signed
 * content only: every field of the status package, in a fixed order, JSON-encoded (unambiguous).
 */
function statusDedupKey(pkg: VerifiedPackage): string {
  if (pkg.model.kind !== 'status') throw new Error('not a status');
  const s = pkg.model.status;
  const f = s.from;
  const r = s.responseFor;
  const staff = s.staffInfo;
  const fields = [
    pkg.senderCode,
    [f.organId, f.organizationInCharge, f.organName, f.organAdd, f.email, f.telephone, f.fax, f.website],
    [r.organId, r.documentId, r.code, r.promulgationDate],
    staff ? [staff.department, staff.staff, staff.email, staff.mobile] : null,
    s.statusCode,
    s.description,
    s.timestamp,
  ];
  return `status:${sha256(JSON.stringify(fields))}`;
}

async function ingestEdoc(em: EntityManager, deps: PipelineDeps, partner: Partner, pkg: VerifiedPackage, externalId?: string): Promise<IngestResult> {
  if (pkg.model.kind !== 'edoc') throw new Error('not an edoc');
  const edoc = pkg.model.edoc;
  const dedupKey = edocDedupKey(pkg);
  const earlier = await firstReceipt(em, { dedupKey });
  if (earlier) return { receiptId: earlier, duplicate: true, statusIds: [] };

  const to = [...new Set(edoc.messageHeader.to.map((t) => t.organId))];
  const at = new Date();
  return inTransaction(em, async (tx) => {
    const receivers = await localReceivers(tx, to, at);
    const ours = to.filter((code) => receivers.has(code));
    const notHere = to.filter((code) => !receivers.has(code));
    // A lienthong peer sends one package per destination: a recipient that is not ours is a routing
    // mistake (or an agency of ours that is inactive, or closed with no successor here) and is refused
    // loudly, so the peer's delivery fails with the reason instead of waiting. The axis hands every
    // system the package naming all recipients of the document: ours get it, the others are not ours.
    if (ours.length === 0 || (notHere.length > 0 && partner.kind !== 'axis')) {
      throw new DomainError('UNKNOWN_RECIPIENT', `Not active agencies of this node: ${notHere.join(', ')}. Nothing was stored.`);
    }
    // The agencies that get the document, each once: in its own right when the package names it, else
    // as the successor of the first closed agency it names that it took over from (issue 19).
    const targets = new Map<string, Receiver>();
    for (const code of ours) {
      const r = receivers.get(code)!;
      const earlier = targets.get(r.agency.code);
      if (!earlier || (earlier.redirectedFrom && !r.redirectedFrom)) targets.set(r.agency.code, r);
    }
    const stored = await storePackage(tx, {
      sha256: pkg.sha256,
      kind: 'edoc',
      senderCode: pkg.senderCode,
      documentId: edoc.messageHeader.documentId,
      businessDocType: edoc.traceHeaderList.bussiness.bussinessDocType,
      bytes: pkg.bytes,
    });
    const receiptId = receivedMessage(tx, { partner, packageId: stored.id, kind: 'edoc', senderCode: pkg.senderCode, recipientCodes: ours, dedupKey, externalId });
    await flushChanges(tx);
    const statusIds: string[] = [];
    // The items of this document this package is about: those of the agencies that receive it, and
    // those a closed agency it names handed over to its successor (issue 19).
    const heldHere = [edoc.messageHeader.documentId, pkg.senderCode, [...targets.keys()], ours] as const;
    if (edoc.traceHeaderList.bussiness.bussinessDocType === 1) {
      // A recall package: every copy of that document from that sender is asked back (13).
      const items = await lockItemsOfDocument(tx, ...heldHere);
      // An item that cannot be asked back (refused, already withdrawn) keeps its state.
      for (const item of items) applyStatus(item, '13', new Date());
      return { receiptId, duplicate: false, statusIds };
    }
    let first = [...targets.values()];
    if (edoc.traceHeaderList.bussiness.bussinessDocType === 2) {
      // An update of a document an agency holds is a version of its item, answered with 15/16 —
      // never a second item with a second incoming number. An agency the update adds as a recipient
      // gets its first copy below.
      const held = await itemsOfDocument(tx, ...heldHere);
      for (const item of held) newInboxVersion(tx, item, pkg, stored.id);
      const holders = new Set(held.map((i) => i.agencyCode));
      first = first.filter((r) => !holders.has(r.agency.code));
    }
    for (const r of first) {
      const agency = r.agency;
      const { item, created } = await receiveIntoInbox(tx, agency, pkg, stored.id, null, r.redirectedFrom);
      if (!created) continue;
      item.partnerId = partner.id;
      if (r.redirectedFrom) {
        // Received for the closed agency the package names: recorded on the item (addressedTo) and in
        // its audit trail, which is its timeline on the recipient's side and is sealed with it.
        recordAudit(tx, {
          actor: { kind: 'system', id: `partner:${partner.id}` },
          action: 'inbox.received-for-successor',
          subjectType: 'inbox-item',
          subjectId: item.id,
          agencyCode: agency.code,
          details: {
            documentId: edoc.messageHeader.documentId,
            addressedTo: r.redirectedFrom,
            receivedBy: agency.code,
            via: r.via,
            closedAt: r.closed?.closedAt?.toISOString() ?? null,
            decision: r.closed?.decision ?? null,
            partnerId: partner.id,
          },
        });
      }
      await flushChanges(tx);
      const status = await issueStatus(tx, deps.pki, {
        from: agency,
        about: {
          organId: pkg.senderCode,
          documentId: edoc.messageHeader.documentId,
          code: `${edoc.messageHeader.code.codeNumber}/${edoc.messageHeader.code.codeNotation}`,
          promulgationDate: edoc.messageHeader.promulgationInfo.promulgationDate,
        },
        code: '01',
        deliveryId: null,
        inboxItemId: item.id,
        partnerId: partner.id,
      });
      statusIds.push(status.id);
    }
    return { receiptId, duplicate: false, statusIds };
  });
}

/** Who receives a code a package names: the local agency itself, or its successor (with the closed agency). */
type Receiver = ReceivingAgency & { closed: Agency | null };

/**
 * The local agencies that receive what arrives for these codes at `at` (issue 19): an open agency
 * itself, a closed one's open successor (following the chain: receivingAgencyFor). A code with no such
 * agency here — unknown, inactive, out of its validity dates, closed without an open successor, or
 * received by an agency hosted elsewhere — is left out.
 */
async function localReceivers(em: EntityManager, codes: string[], at: Date): Promise<Map<string, Receiver>> {
  const found = new Map((await findAgencies(em, codes)).map((a) => [a.code, a]));
  const out = new Map<string, Receiver>();
  for (const code of codes) {
    const agency = found.get(code);
    if (!agency) continue;
    const closed = isClosedAt(agency, at);
    const r = closed ? await receivingAgencyFor(em, code, at) : isOpenAt(agency, at) ? { agency, redirectedFrom: null, via: [] } : null;
    if (r && r.agency.endpointType === 'local') out.set(code, { ...r, closed: closed ? agency : null });
  }
  return out;
}

async function ingestStatus(em: EntityManager, partner: Partner, pkg: VerifiedPackage, externalId?: string): Promise<IngestResult> {
  if (pkg.model.kind !== 'status') throw new Error('not a status');
  const s = pkg.model.status;
  const code = s.statusCode as StatusCode;
  const dedupKey = statusDedupKey(pkg);
  const earlier = await firstReceipt(em, { dedupKey });
  if (earlier) return { receiptId: earlier, duplicate: true, statusIds: [] };
  return inTransaction(em, async (tx) => {
    const stored = await storePackage(tx, {
      sha256: pkg.sha256,
      kind: 'status',
      senderCode: pkg.senderCode,
      documentId: s.responseFor.documentId,
      statusCode: code,
      bytes: pkg.bytes,
    });
    const receiptId = receivedMessage(tx, {
      partner,
      packageId: stored.id,
      kind: 'status',
      senderCode: pkg.senderCode,
      recipientCodes: [s.responseFor.organId],
      dedupKey,
      externalId,
    });
    const at = new Date();
    if (code === '13') {
      // The sender asks for its document back; ResponseFor names the recipient (our agency).
      // The closed agency's copy may be its successor's now (received for it, or handed over: issue 19).
      const item = await lockItemAskedBack(tx, s.responseFor.documentId, pkg.senderCode, s.responseFor.organId);
      if (!item) throw new DomainError('NOT_FOUND', `No document ${s.responseFor.documentId} from ${pkg.senderCode} at ${s.responseFor.organId}.`);
      // Recorded whatever it does: an item refused or already withdrawn keeps its state, and the
      // partner's job ends here rather than retrying a 409 for ever.
      const outcome = applyStatus(item, code, at);
      addStatusRecord(tx, statusRow(stored.id, code, pkg.senderCode, s.description, null, item.id, partner.id, at));
      return { receiptId, duplicate: false, statusIds: [], outcome };
    }
    // A recipient's status about one of our documents: it moves our delivery to that recipient — or,
    // signed by the successor of a closed recipient (issue 19), our deliveries to the closed agencies
    // it took over from (it received the document for them, or holds their handed-over copy).
    const doc = await documentByDocumentId(tx, s.responseFor.documentId);
    const answered = doc ? await deliveriesAnswered(tx, doc.id, pkg.senderCode) : [];
    if (!doc || answered.length === 0) {
      throw new DomainError('NOT_FOUND', `No delivery of ${s.responseFor.documentId} to ${pkg.senderCode} on this node.`);
    }
    let outcome: StatusOutcome | undefined;
    for (const { delivery, forClosed } of answered) {
      const record = addStatusRecord(tx, statusRow(stored.id, code, pkg.senderCode, s.description, delivery.id, null, partner.id, at));
      // A 15/16 answering our update is recorded there; it does not move the delivery.
      if (await answerUpdate(tx, delivery, code, record.id, at)) continue;
      // Through the graph, like a status from this node: a status it refuses, or one crossing our
      // recall, is recorded on the timeline with the reason, and the partner gets its receipt.
      outcome = applyStatus(delivery, code, at, s.description);
      recordEvent(tx, carriedEvent(delivery, record, pkg.sha256, outcome, { via: partner.id, ...(forClosed ? { successorOf: forClosed } : {}) }));
    }
    return { receiptId, duplicate: false, statusIds: [], ...(outcome ? { outcome } : {}) };
  });
}

/**
 * The deliveries of a document a status signed by `signer` answers, locked: the one to `signer`; or,
 * when there is none, those to closed agencies `signer` succeeds (directly or down a chain, any of a
 * split's successors), by recipient code — each with the closed agency it answers for.
 */
async function deliveriesAnswered(tx: Tx, documentId: string, signer: string): Promise<Array<{ delivery: Delivery; forClosed: string | null }>> {
  const direct = await lockDeliveryTo(tx, documentId, signer);
  if (direct) return [{ delivery: direct, forClosed: null }];
  const all = await deliveriesByRecipient(tx, documentId);
  const closed = new Map((await findClosedAgencies(tx, all.map((d) => d.recipientCode))).map((a) => [a.code, a]));
  const out: Array<{ delivery: Delivery; forClosed: string | null }> = [];
  for (const d of all) {
    const agency = closed.get(d.recipientCode);
    if (!agency || !(await isSuccessorOf(tx, signer, agency))) continue;
    const locked = await relockDelivery(tx, d.id);
    out.push({ delivery: locked, forClosed: d.recipientCode });
  }
  return out;
}

/** Records a package received from a partner; its id is the receipt the partner gets. */
function receivedMessage(
  tx: Tx,
  m: { partner: Partner; packageId: string; kind: 'edoc' | 'status'; senderCode: string; recipientCodes: string[]; dedupKey: string; externalId: string | undefined },
): string {
  const id = randomUUID();
  addReceivedMessage(tx, {
    id,
    partnerId: m.partner.id,
    packageId: m.packageId,
    kind: m.kind,
    senderCode: m.senderCode,
    recipientCodes: m.recipientCodes,
    dedupKey: m.dedupKey,
    externalId: m.externalId ?? null,
  });
  return id;
}

function statusRow(packageId: string, code: string, fromCode: string, description: string | undefined, deliveryId: string | null, inboxItemId: string | null, partnerId: string, at: Date) {
  return {
    id: randomUUID(),
    deliveryId,
    inboxItemId,
    partnerId,
    direction: 'in' as const,
    code,
    fromCode,
    description: description ?? null,
    staff: null,
    packageId,
    carried: true,
    carriedAt: at,
    createdAt: at,
  };
}
