import { createHash, randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { AgencySchema } from '../directory/agency.entity.js';
import type { Partner } from '../directory/partner.entity.js';
import { DeliverySchema, OutgoingDocumentSchema } from '../delivery/document.entity.js';
import { recordEvent } from '../delivery/events.js';
import { carriedEvent } from '../delivery/carry-status.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { vietnamToday } from '../util/vietnam-time.js';
import type { StatusCode, StatusOutcome } from '../delivery/states.js';
import { answerUpdate } from '../delivery/update.js';
import { applyStatus } from '../delivery/writer.js';
import { verifyPackage, type VerifiedPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import { InboxItemSchema, StatusRecordSchema } from '../delivery/inbox.entity.js';
import { newInboxVersion, receiveIntoInbox } from '../delivery/arrive.js';
import { issueStatus } from '../delivery/statuses.js';
import { storePackage } from '../packages/packages.repository.js';
import { ExchangeMessageSchema } from '../transport/exchange-message.entity.js';

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
    const m = await em.fork().findOne(ExchangeMessageSchema, { direction: 'in', dedupKey: where.dedupKey });
    if (m) return m.id;
  }
  if (where.sha) {
    const rows = await em
      .fork()
      .getConnection()
      .execute<Array<{ id: string }>>(
        `select m.id from exchange_message m join edxml_package p on p.id = m.package_id where m.direction = 'in' and p.sha256 = ? order by m.created_at limit 1`,
        [where.sha],
      );
    if (rows[0]) return rows[0].id;
  }
  return null;
}

/**
 * Takes in a package from a partner (exchange API push, or fetched from the axis). Verified before
 * anything is stored (DESIGN.md §5); the sender must be an agency the partner serves (403);
 * edoc recipients must be active agencies of this node (422); from the axis, whose packages name every
 * recipient of the document wherever it is hosted, at least one must, and only those get it. Edoc
 * packages land in the recipients' inboxes and each recipient issues a signed 01; status packages
 * move our own deliveries. The same package twice answers the first receipt and changes nothing.
 */
export async function ingestPackage(
  em: EntityManager,
  deps: PipelineDeps,
  partner: Partner,
  bytes: Buffer,
  externalId?: string,
): Promise<IngestResult> {
  const sameBytes = await firstReceipt(em, { sha: sha256(bytes) });
  if (sameBytes) return { receiptId: sameBytes, duplicate: true, statusIds: [] };

  const verified = await verifyPackage(bytes, {
    checkCertificate: await deps.pki.certificateCheck(em),
    limits: deps.limits,
    allowLegacy: partner.legacy,
    checkXml: deps.pki.checkPackageXml,
  });
  if (!partner.agencies.includes(verified.senderCode)) {
    throw new DomainError('FORBIDDEN', `Partner ${partner.id} does not act for agency ${verified.senderCode}.`);
  }
  try {
    return verified.model.kind === 'edoc'
      ? await ingestEdoc(em, deps, partner, verified, externalId)
      : await ingestStatus(em, partner, verified, externalId);
  } catch (error) {
    // The same package sent twice at once: the second answers the first receipt.
    if (error instanceof UniqueConstraintViolationException) {
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
  const today = vietnamToday();
  return em.transactional(async (tx) => {
    const agencies = await tx.find(AgencySchema, { code: { $in: to } });
    const local = new Map(
      agencies
        .filter((a) => a.endpointType === 'local' && a.active && (!a.validTo || a.validTo >= today) && (!a.validFrom || a.validFrom <= today))
        .map((a) => [a.code, a]),
    );
    const ours = to.filter((code) => local.has(code));
    const notHere = to.filter((code) => !local.has(code));
    // A lienthong peer sends one package per destination: a recipient that is not ours is a routing
    // mistake (or an agency of ours that is inactive or merged) and is refused loudly, so the peer's
    // delivery fails with the reason instead of waiting. The axis hands every system the package
    // naming all recipients of the document: ours get it, the others are not ours to serve.
    if (ours.length === 0 || (notHere.length > 0 && partner.kind !== 'axis')) {
      throw new DomainError('UNKNOWN_RECIPIENT', `Not active agencies of this node: ${notHere.join(', ')}. Nothing was stored.`);
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
    await tx.flush();
    const statusIds: string[] = [];
    if (edoc.traceHeaderList.bussiness.bussinessDocType === 1) {
      // A recall package: every copy of that document from that sender is asked back (13).
      const items = await tx.find(
        InboxItemSchema,
        { agencyCode: { $in: ours }, documentId: edoc.messageHeader.documentId, senderCode: pkg.senderCode },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      // An item that cannot be asked back (refused, already withdrawn) keeps its state.
      for (const item of items) applyStatus(item, '13', new Date());
      return { receiptId, duplicate: false, statusIds };
    }
    let first = ours;
    if (edoc.traceHeaderList.bussiness.bussinessDocType === 2) {
      // An update of a document an agency holds is a version of its item, answered with 15/16 —
      // never a second item with a second incoming number. An agency the update adds as a recipient
      // gets its first copy below.
      const held = await tx.find(InboxItemSchema, { agencyCode: { $in: ours }, documentId: edoc.messageHeader.documentId, senderCode: pkg.senderCode });
      for (const item of held) newInboxVersion(tx, item, pkg, stored.id);
      const holders = new Set(held.map((i) => i.agencyCode));
      first = ours.filter((code) => !holders.has(code));
    }
    for (const code of first) {
      const agency = local.get(code)!;
      const { item, created } = await receiveIntoInbox(tx, agency, pkg, stored.id, null);
      if (!created) continue;
      item.partnerId = partner.id;
      await tx.flush();
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

async function ingestStatus(em: EntityManager, partner: Partner, pkg: VerifiedPackage, externalId?: string): Promise<IngestResult> {
  if (pkg.model.kind !== 'status') throw new Error('not a status');
  const s = pkg.model.status;
  const code = s.statusCode as StatusCode;
  const dedupKey = statusDedupKey(pkg);
  const earlier = await firstReceipt(em, { dedupKey });
  if (earlier) return { receiptId: earlier, duplicate: true, statusIds: [] };
  return em.transactional(async (tx) => {
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
      const item = await tx.findOne(
        InboxItemSchema,
        { agencyCode: s.responseFor.organId, documentId: s.responseFor.documentId, senderCode: pkg.senderCode },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!item) throw new DomainError('NOT_FOUND', `No document ${s.responseFor.documentId} from ${pkg.senderCode} at ${s.responseFor.organId}.`);
      // Recorded whatever it does: an item refused or already withdrawn keeps its state, and the
      // partner's job ends here rather than retrying a 409 for ever.
      const outcome = applyStatus(item, code, at);
      tx.create(StatusRecordSchema, statusRow(stored.id, code, pkg.senderCode, s.description, null, item.id, partner.id, at));
      return { receiptId, duplicate: false, statusIds: [], outcome };
    }
    // A recipient's status about one of our documents: it moves our delivery to that recipient.
    const doc = await tx.findOne(OutgoingDocumentSchema, { documentId: s.responseFor.documentId });
    const delivery = doc ? await tx.findOne(DeliverySchema, { documentId: doc.id, recipientCode: pkg.senderCode }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
    if (!doc || !delivery) {
      throw new DomainError('NOT_FOUND', `No delivery of ${s.responseFor.documentId} to ${pkg.senderCode} on this node.`);
    }
    const record = tx.create(StatusRecordSchema, statusRow(stored.id, code, pkg.senderCode, s.description, delivery.id, null, partner.id, at));
    // A 15/16 answering our update is recorded there; it does not move the delivery.
    if (await answerUpdate(tx, delivery, code, record.id, at)) return { receiptId, duplicate: false, statusIds: [] };
    // Through the graph, like a status from this node: a status it refuses, or one crossing our
    // recall, is recorded on the timeline with the reason, and the partner gets its receipt.
    const outcome = applyStatus(delivery, code, at, s.description);
    recordEvent(tx, carriedEvent(delivery, record, pkg.sha256, outcome, { via: partner.id }));
    return { receiptId, duplicate: false, statusIds: [], outcome };
  });
}

/** Records a package received from a partner; its id is the receipt the partner gets. */
function receivedMessage(
  em: EntityManager,
  m: { partner: Partner; packageId: string; kind: 'edoc' | 'status'; senderCode: string; recipientCodes: string[]; dedupKey: string; externalId: string | undefined },
): string {
  const id = randomUUID();
  em.create(ExchangeMessageSchema, {
    id,
    direction: 'in',
    partnerId: m.partner.id,
    packageId: m.packageId,
    kind: m.kind,
    senderCode: m.senderCode,
    recipientCodes: m.recipientCodes,
    dedupKey: m.dedupKey,
    externalId: m.externalId ?? null,
    deliveryId: null,
    statusId: null,
    state: 'received',
    ackedAt: null,
    createdAt: new Date(),
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
