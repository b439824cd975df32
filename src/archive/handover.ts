/**
 * Handover (issue 19, DESIGN.md §4 "Reorganisation"): a closed agency's open work goes to the open
 * successor that receives its documents, under the legal act that closed it.
 *
 * - Its open inbox items (not completed, refused or recalled) become the successor's: the same item —
 *   id, statuses, versions, audit trail — with `addressedTo` naming the closed agency and an audit
 *   event `inbox.handed-over`. An item whose package the successor holds already is not moved (its
 *   unique copy per agency), and the answer says so.
 * - Its outgoing documents whose deliveries are still open are followed up by the successor from now
 *   on (agency_handover_item): they stay the closed agency's — their numbers are in its register — and
 *   their timeline gets a `handover` event. The successor's clerks see them in their list, open them
 *   and act on them as the sender (recall, update, replace), and the recipients' statuses keep moving
 *   their deliveries: one rule says who follows up a document (followUpCondition,
 *   src/delivery/outgoing.repository.ts). Documents the closed agency was itself following up for an
 *   agency handed over to it earlier go on to its successor in the same way, named in this statement
 *   too: a chain of reorganisations loses nothing on the way.
 * - Its users are deactivated (tokens and console logins stop working).
 * - One statement of all that — ids and digests, when, by whom, under which decision — is signed by
 *   the node's archive key and sealed into both chains: `handover` in the closed agency's, `takeover`
 *   in its successor's. `lienthong verify-chain` checks both offline, the signature included.
 *
 * A second handover of the same agency moves nothing twice (the items are gone, the documents are
 * recorded, the users inactive) and appends nothing when nothing is left: it says so.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import type { Agency, AgencyDecisionValue } from '../directory/agency.entity.js';
import { AgencyHandoverItemSchema, AgencyHandoverSchema, type AgencyHandover, type AgencyHandoverItem, type HandoverRecordRef } from '../directory/handover.entity.js';
import { isClosedAt, openSuccessorOf, vietnamIso, vietnameseDateTime } from '../directory/succession.js';
import { recordEvent } from '../delivery/document-events.repository.js';
import { DomainError } from '../errors.js';
import { isAdmin, principalKey, type Principal } from '../http/context.js';
import { canonicalBytes } from './canonical-json.js';
import {
  CHECKPOINT_ALGORITHM,
  HANDOVER_CONTENT_FORMAT,
  HANDOVER_FORMAT,
  HANDOVER_REASON,
  type HandoverContent,
  type HandoverRole,
  type HandoverSignature,
  type HandoverStatement,
} from './format.js';
import {
  activeUsersOf,
  handoverItems,
  handoversOf,
  latestSealed,
  lockAgency,
  openDocumentsOf,
  openItemsOf,
  packageDigests,
  packagesHeldBy,
} from './handover.repository.js';
import { nodeSigner } from './node-signer.js';
import { appendRecord } from './seal.js';

export interface HandoverDeps {
  pki: PkiService;
}

/** The answer of POST /v1/agencies/{code}/handover. */
export interface HandoverResult {
  /** Null when nothing was left to hand over. */
  handoverId: string | null;
  nothingNew: boolean;
  from: { code: string; name: string; closedAt: string | null };
  to: { code: string; name: string };
  decision: AgencyDecisionValue | null;
  at: string;
  moved: { inboxItems: number; documents: number };
  usersDeactivated: number;
  inboxItems: Array<{ id: string; documentId: string; state: string }>;
  documents: Array<{ id: string; documentId: string; code: string }>;
  skipped: HandoverStatement['skipped'];
  /** The records appended: the closed agency's (`handover`) and the successor's (`takeover`). */
  records: HandoverRecordRef[];
  /** Earlier handovers of this agency (when nothing was new). */
  earlier: Array<{ id: string; performedAt: string; inboxItems: number; documents: number; usersDeactivated: number }>;
  message: string;
  messageVi: string;
}

const named = (a: { code: string; name: string }) => `${a.code} (${a.name})`;

/** "under 1654/NQ-UBTVQH15 of 2025-06-16" / "theo 1654/NQ-UBTVQH15 ngày 16/06/2025", or nothing. */
function underDecision(decision: Agency['decision'] | null | undefined): { en: string; vi: string } {
  if (!decision) return { en: '', vi: '' };
  return { en: ` under ${decision.number} of ${decision.date}`, vi: ` theo ${decision.number} ngày ${decision.date.split('-').reverse().join('/')}` };
}

/**
 * Hands a closed agency's open work over to its open successor (admin): see the module comment. 404
 * for an unknown agency; 409 when it is not closed yet, has no open successor, or it or its successor
 * is not hosted on this node.
 */
export async function handOver(em: EntityManager, deps: HandoverDeps, actor: { principal: Principal; requestId: string }, code: string): Promise<HandoverResult> {
  if (!isAdmin(actor.principal)) throw new DomainError('FORBIDDEN', 'Only an administrator may hand over a closed agency.');
  return em.transactional(async (tx) => {
    const closed = await lockAgency(tx, code);
    if (!closed) throw new DomainError('NOT_FOUND', `No agency ${code}.`);
    const now = new Date();
    if (!isClosedAt(closed, now)) {
      throw new DomainError('CONFLICT', `${named(closed)} is not closed${closed.closedAt ? ` before ${vietnamIso(closed.closedAt.toISOString())}` : ''}: close it first (PATCH /v1/agencies/${code} with closedAt and successorCode), then hand it over.`, {
        vi: `${named(closed)} chưa ngừng hoạt động${closed.closedAt ? ` trước ${vietnameseDateTime(closed.closedAt.toISOString())}` : ''}: hãy cập nhật thời điểm ngừng hoạt động và cơ quan kế thừa trước, rồi bàn giao.`,
      });
    }
    if (closed.endpointType !== 'local') {
      throw new DomainError('CONFLICT', `${named(closed)} is reached through partner ${closed.partnerId}: its work is on the node that hosts it; hand it over there.`, {
        vi: `${named(closed)} thuộc nút liên thông khác (đối tác ${closed.partnerId}): hãy bàn giao tại nút đó.`,
      });
    }
    const successor = await openSuccessorOf(tx, closed, now);
    if (!successor) {
      throw new DomainError('CONFLICT', `${named(closed)} has no open successor to hand over to: name one (PATCH /v1/agencies/${code} with successorCode).`, {
        vi: `${named(closed)} không có cơ quan kế thừa đang hoạt động để nhận bàn giao: hãy cập nhật cơ quan kế thừa.`,
      });
    }
    const to = successor.agency;
    if (to.endpointType !== 'local') {
      throw new DomainError('CONFLICT', `The successor ${named(to)} is reached through partner ${to.partnerId}: the open work of ${code} cannot move to another node.`, {
        vi: `Cơ quan kế thừa ${named(to)} thuộc nút liên thông khác (đối tác ${to.partnerId}): không thể chuyển công việc của ${code} sang nút khác.`,
      });
    }
    const decision = closed.decision ?? null;
    const under = underDecision(decision);
    const from = { code: closed.code, name: closed.name, closedAt: closed.closedAt?.toISOString() ?? null };
    const toRef = { code: to.code, name: to.name };

    // Documents (and their deliveries) first, then items: the order every workflow step locks them in.
    const documents = await openDocumentsOf(tx, code);
    const items = await openItemsOf(tx, code);
    const users = await activeUsersOf(tx, code);
    if (documents.length === 0 && items.length === 0 && users.length === 0) {
      const earlier = await handoversOf(tx, code);
      return {
        handoverId: null,
        nothingNew: true,
        from,
        to: toRef,
        decision,
        at: now.toISOString(),
        moved: { inboxItems: 0, documents: 0 },
        usersDeactivated: 0,
        inboxItems: [],
        documents: [],
        skipped: [],
        records: [],
        earlier: earlier.filter((h) => h.fromCode === code).map((h) => ({ id: h.id, performedAt: h.performedAt.toISOString(), inboxItems: h.inboxItems, documents: h.documents, usersDeactivated: h.usersDeactivated })),
        message: `Nothing new to hand over: ${named(closed)} has no open inbox item, no document still followed up and no active user left${earlier.length ? ` (handed over to ${earlier[0]!.toCode} on ${vietnamIso(earlier[0]!.performedAt.toISOString())})` : ''}.`,
        messageVi: `Không còn gì để bàn giao: ${named(closed)} không còn văn bản đến đang xử lý, văn bản đi cần theo dõi hay người dùng đang hoạt động.`,
      };
    }

    const held = await packagesHeldBy(tx, to.code, items.map((i) => i.packageId));
    const moving = items.filter((i) => !held.has(i.packageId));
    const skipped: HandoverStatement['skipped'] = items
      .filter((i) => held.has(i.packageId))
      .map((i) => ({ kind: 'inbox-item' as const, id: i.id, reason: `${to.code} holds the same package already (its own copy of ${i.documentId})` }));
    const digests = await packageDigests(tx, [...items.map((i) => i.packageId), ...documents.map((d) => d.doc.packageId)]);
    const sealedItems = await latestSealed(tx, 'recipient', moving.map((i) => i.id));
    const sealedDocs = await latestSealed(tx, 'sender', documents.map((d) => d.doc.id));
    const handoverId = randomUUID();
    const statement: HandoverStatement = {
      format: HANDOVER_FORMAT,
      id: handoverId,
      from,
      to: toRef,
      decision: decision ? { number: decision.number, date: decision.date, ...(decision.link ? { link: decision.link } : {}) } : null,
      at: now.toISOString(),
      by: principalKey(actor.principal),
      inboxItems: moving.map((i) => ({
        id: i.id,
        documentId: i.documentId,
        sender: i.senderCode,
        state: i.state,
        arrivalNumber: i.arrivalNumber ?? null,
        packageSha256: digests.get(i.packageId) ?? i.verification.sha256,
        sealed: sealedItems.get(i.id) ?? null,
      })),
      documents: documents.map(({ doc, deliveries }) => ({
        id: doc.id,
        documentId: doc.documentId,
        code: `${doc.numberText}/${doc.notation}`,
        packageSha256: doc.packageId ? (digests.get(doc.packageId) ?? null) : null,
        deliveries: deliveries.map((d) => ({ recipient: d.recipientCode, state: d.state })),
        sealed: sealedDocs.get(doc.id) ?? null,
      })),
      users: users.map((u) => ({ id: u.id, name: u.name })),
      skipped,
    };

    const sentence = {
      en: `Handed over from ${named(closed)} to ${named(to)}${under.en}.`,
      vi: `Bàn giao từ ${named(closed)} cho ${named(to)}${under.vi}.`,
    };
    const about = { from: code, to: to.code, decision, handover: handoverId, description: sentence.en, descriptionVi: sentence.vi };
    const audit = (action: string, subjectType: string, subjectId: string, agencyCode: string, details: Record<string, unknown>) =>
      recordAudit(tx, { actor: actor.principal, action, subjectType, subjectId, agencyCode, details: { ...about, ...details }, requestId: actor.requestId });
    const itemRow = (kind: AgencyHandoverItem['kind'], subjectId: string, documentId: string, sha256: string | null) =>
      tx.create(AgencyHandoverItemSchema, { handoverId, kind, subjectId, fromCode: code, toCode: to.code, documentId, sha256 });

    for (const item of items.filter((i) => held.has(i.packageId))) itemRow('skipped-item', item.id, item.documentId, digests.get(item.packageId) ?? null);
    for (const item of moving) {
      item.agencyCode = to.code;
      // The package still names the agency it was sent to; a chain of handovers keeps the first.
      item.addressedTo ??= code;
      audit('inbox.handed-over', 'inbox-item', item.id, to.code, { state: item.state, documentId: item.documentId });
      itemRow('inbox-item', item.id, item.documentId, digests.get(item.packageId) ?? null);
    }
    for (const { doc } of documents) {
      recordEvent(tx, { documentId: doc.id, type: 'handover', details: about });
      audit('document.handed-over', 'document', doc.id, code, { documentId: doc.documentId });
      itemRow('document', doc.id, doc.documentId, doc.packageId ? (digests.get(doc.packageId) ?? null) : null);
    }
    for (const user of users) {
      user.active = false;
      audit('user.deactivated', 'user', user.id, code, { reason: 'handover' });
    }
    await tx.flush();

    // One statement, signed once by the node, sealed into both chains (heads locked in code order).
    const signer = await nodeSigner(tx, deps.pki, now);
    const signature: HandoverSignature = {
      algorithm: CHECKPOINT_ALGORITHM,
      value: signer.sign(canonicalBytes(statement)).toString('base64'),
      certificatePem: signer.certificatePem,
      chainPem: signer.chainPem,
    };
    const documentId = `handover ${code} → ${to.code}`;
    const sides: Array<{ agency: string; role: HandoverRole }> = [
      { agency: code, role: 'handover' as const },
      { agency: to.code, role: 'takeover' as const },
    ].sort((a, b) => (a.agency < b.agency ? -1 : 1));
    const records: HandoverRecordRef[] = [];
    for (const side of sides) {
      const content: HandoverContent = { format: HANDOVER_CONTENT_FORMAT, agency: side.agency, role: side.role, subject: handoverId, documentId, statement, signature };
      const outcome = await appendRecord(tx, { ...side, subject: handoverId, documentId, reason: HANDOVER_REASON, content, previous: null, certificates: new Map() });
      if (!outcome.sealed) throw new Error(`the handover record of ${side.agency} was not appended`);
      records.push({ agency: side.agency, role: side.role, index: outcome.index, hash: outcome.hash });
    }
    records.sort((a, b) => (a.role === b.role ? 0 : a.role === 'handover' ? -1 : 1));
    tx.create(AgencyHandoverSchema, {
      id: handoverId,
      fromCode: code,
      toCode: to.code,
      decision,
      performedAt: now,
      performedBy: principalKey(actor.principal),
      requestId: actor.requestId,
      inboxItems: moving.length,
      documents: documents.length,
      usersDeactivated: users.length,
      records,
    });
    recordAudit(tx, {
      actor: actor.principal,
      action: 'agency.handed-over',
      subjectType: 'agency',
      subjectId: code,
      agencyCode: code,
      details: { ...about, inboxItems: moving.length, documents: documents.length, usersDeactivated: users.length, skipped: skipped.length, records },
      requestId: actor.requestId,
    });
    await tx.flush();
    return {
      handoverId,
      nothingNew: false,
      from,
      to: toRef,
      decision,
      at: now.toISOString(),
      moved: { inboxItems: moving.length, documents: documents.length },
      usersDeactivated: users.length,
      inboxItems: moving.map((i) => ({ id: i.id, documentId: i.documentId, state: i.state })),
      documents: documents.map(({ doc }) => ({ id: doc.id, documentId: doc.documentId, code: `${doc.numberText}/${doc.notation}` })),
      skipped,
      records,
      earlier: [],
      message: `${sentence.en} ${moving.length} inbox item(s) and ${documents.length} document(s) to follow up; ${users.length} user(s) deactivated; the signed record is #${records[0]!.index} of ${records[0]!.agency}'s chain and #${records[1]!.index} of ${records[1]!.agency}'s.`,
      messageVi: `${sentence.vi} ${moving.length} văn bản đến, ${documents.length} văn bản đi cần theo dõi; ${users.length} người dùng bị khóa; biên bản có ký số ở bản ghi #${records[0]!.index} chuỗi lưu trữ của ${records[0]!.agency} và #${records[1]!.index} của ${records[1]!.agency}.`,
    };
  });
}

/** A handover as GET /v1/agencies/{code}/handovers shows it. */
function handoverView(h: AgencyHandover, items: AgencyHandoverItem[]) {
  const mine = items.filter((i) => i.handoverId === h.id);
  return {
    id: h.id,
    from: h.fromCode,
    to: h.toCode,
    decision: h.decision ?? null,
    performedAt: h.performedAt.toISOString(),
    performedBy: h.performedBy,
    moved: { inboxItems: h.inboxItems, documents: h.documents },
    usersDeactivated: h.usersDeactivated,
    records: h.records,
    inboxItems: mine.filter((i) => i.kind === 'inbox-item').map((i) => ({ id: i.subjectId, documentId: i.documentId, sha256: i.sha256 ?? null })),
    documents: mine.filter((i) => i.kind === 'document').map((i) => ({ id: i.subjectId, documentId: i.documentId, sha256: i.sha256 ?? null })),
    skipped: mine.filter((i) => i.kind === 'skipped-item').map((i) => ({ id: i.subjectId, documentId: i.documentId, sha256: i.sha256 ?? null })),
  };
}

/** The handovers from or to an agency, newest first (admin, or a user of that agency). */
export async function listHandovers(em: EntityManager, principal: Principal, code: string) {
  if (principal.kind === 'partner') throw new DomainError('FORBIDDEN', 'Partner tokens reach only the exchange API.');
  if (!isAdmin(principal) && (principal.kind !== 'user' || principal.agencyCode !== code)) {
    throw new DomainError('FORBIDDEN', `Only an administrator or a user of ${code} may see its handovers.`);
  }
  const rows = await handoversOf(em, code);
  const items = await handoverItems(em, rows.map((r) => r.id));
  return rows.map((r) => handoverView(r, items));
}

type OpenItem = Awaited<ReturnType<typeof openItemsOf>>[number];
type OpenDelivery = Awaited<ReturnType<typeof openDocumentsOf>>[number]['deliveries'][number];

/** An open inbox item as a handover preview names it. */
export interface PreviewItem {
  id: string;
  documentId: string;
  subject: string;
  senderName: string;
  state: OpenItem['state'];
  arrivalNumber: number | null;
  receivedAt: string;
}

/** What a handover of an agency would move if it ran now (previewHandover). */
export interface HandoverPreview {
  /** Closed now: a handover may run (handOver checks the rest, and says why when it refuses). */
  closed: boolean;
  /** The open successor that would receive the work, or null when none would. */
  to: { code: string; name: string } | null;
  inboxItems: PreviewItem[];
  /** Open items whose package the successor holds already: they stay with the closed agency. */
  skipped: PreviewItem[];
  documents: Array<{ id: string; documentId: string; code: string; subject: string; deliveries: Array<{ recipient: string; state: OpenDelivery['state'] }> }>;
  users: Array<{ id: string; name: string }>;
}

/**
 * What handOver would move if it ran now, moving nothing (the console's confirmation step): the
 * same queries, in a transaction that writes nothing. Null for an unknown agency.
 */
export async function previewHandover(em: EntityManager, code: string): Promise<HandoverPreview | null> {
  return em.transactional(async (tx) => {
    const agency = await lockAgency(tx, code);
    if (!agency) return null;
    const now = new Date();
    const closed = isClosedAt(agency, now);
    const successor = closed ? await openSuccessorOf(tx, agency, now) : null;
    const documents = await openDocumentsOf(tx, code);
    const items = await openItemsOf(tx, code);
    const users = await activeUsersOf(tx, code);
    const held = successor ? await packagesHeldBy(tx, successor.agency.code, items.map((i) => i.packageId)) : new Set<string>();
    const item = (i: OpenItem): PreviewItem => ({
      id: i.id,
      documentId: i.documentId,
      subject: i.subject,
      senderName: i.senderName,
      state: i.state,
      arrivalNumber: i.arrivalNumber ?? null,
      receivedAt: i.receivedAt.toISOString(),
    });
    return {
      closed,
      to: successor ? { code: successor.agency.code, name: successor.agency.name } : null,
      inboxItems: items.filter((i) => !held.has(i.packageId)).map(item),
      skipped: items.filter((i) => held.has(i.packageId)).map(item),
      documents: documents.map(({ doc, deliveries }) => ({
        id: doc.id,
        documentId: doc.documentId,
        code: `${doc.numberText}/${doc.notation}`,
        subject: doc.subject,
        deliveries: deliveries.map((d) => ({ recipient: d.recipientCode, state: d.state })),
      })),
      users: users.map((u) => ({ id: u.id, name: u.name })),
    };
  });
}
