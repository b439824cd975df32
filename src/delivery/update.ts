/**
 * Updating a sent document (edXML BussinessDocType 2, cập nhật; issue 12): the same DocumentId and
 * number, corrected metadata, an update package per destination to every recipient that holds the
 * document, and each recipient's answer — 15 (it takes the new version) or 16 (it keeps its own) —
 * recorded per recipient beside the delivery, whose state (arrived, accepted, …) it does not touch.
 *
 * An update may carry files (the rule is at UpdateFile): its file list replaces the document's, and
 * every update package carries the document's files as they are in that version.
 *
 * Steps: `updateDocument` (the request: the new version, the packages, one DeliveryUpdate per holder),
 * `sendUpdate` (the `update` job: into the local recipient's inbox as a version of its item, or to
 * the partner), `answerUpdate` (a 15/16 from the recipient, local or remote, when an update waits).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { inTransaction, type Tx } from '../db/tx.js';
import type { Agency } from '../directory/agency.entity.js';
import { findAgencies, findAgencyOrFail, findPartnerOrFail } from '../directory/directory.repository.js';
import { buildEdoc } from '../edxml/build.js';
import { attachmentBytes, parseStoredPackage } from '../edxml/verify-package.js';
import { DomainError, type FieldError } from '../errors.js';
import { fieldError } from '../http/validation-messages.js';
import { sendToPartner } from '../transport/outbound.js';
import { lockItemOfDelivery } from './inbox-items.repository.js';
import { newInboxVersion } from './arrive.js';
import { packageBytes, storeSignedXml } from '../packages/packages.repository.js';
import { byDestination } from './destinations.js';
import type { Delivery, OutgoingDocument } from './document.entity.js';
import type { Clerk } from '../documents/documents.service.js';
import { deliveryByIdOrFail, lockDeliveries } from './deliveries.repository.js';
import {
  addDeliveryUpdate,
  addDocumentUpdate,
  deliveryUpdateById,
  lockAnswerableUpdates,
  lockDeliveryUpdate,
  lockOpenDeliveryUpdates,
} from './document-updates.repository.js';
import { documentByIdOrFail, findOwnDocument, lockDocumentRow } from './outgoing.repository.js';
import { replaceDocumentFiles } from './document-files.repository.js';
import { edocModel } from './edoc-model.js';
import { recordEvent, updateWentOut } from './document-events.repository.js';
import { documentFiles } from './signing.repository.js';
import { pdfEvidence, verifyReceivedPdfs } from './pdf-evidence.js';
import { verifyReceived, type PipelineDeps } from './verify-received.js';
import { DELIVERED_STATES, type StatusCode } from './states.js';

/**
 * An update: a body like POST /v1/documents with every field optional, plus `reason`. What a văn thư
 * corrects changes (UPDATABLE, and the files: see UpdateFile); what makes the DocumentId (type, ký
 * hiệu, date) and the recipients must stay as they are (replace the document for those).
 */
export interface UpdateInput {
  reason: string;
  subject?: string;
  content?: string | null;
  dueDate?: string | null;
  toPlaces?: string[];
  signer?: { fullName: string; position: string; competence?: string };
  priority?: number;
  steeringType?: number;
  type?: string;
  notation?: string;
  promulgation?: { place?: string; date?: string };
  to?: string[];
  /** The JSON files: the route decodes and checks them into `files` (updateDocument's last argument). */
  attachments?: unknown[];
  confidentiality?: string;
}

/**
 * A file of an update, as the route read it (JSON base64 or a multipart part) and checked it with
 * the attachment policy, the same way POST /v1/documents does (name and type normalised; refused
 * with 422 on `attachments.<i>.…` otherwise). The rule:
 * - files given replace the document's whole file list, in the order given (a corrected file and the
 *   files kept alike: send them all); none given keeps the list as it is — an update cannot take
 *   every file away (replace the document for that);
 * - the same files again (names, types and bytes) change nothing;
 * - their PDFs' legal signatures are verified as a new document's are (issue 17), kept with the file
 *   and on the timeline (`document.pdf-signatures-checked` with the update's id);
 * - every update package carries the document's files as they are in that version, so each
 *   recipient's new version shows them, and the earlier version's files stay in its own package.
 */
export interface UpdateFile {
  name: string;
  contentType: string;
  content: Buffer;
  /** SHA-256 (hex) of `content`. */
  sha256: string;
}

/** A file as the update's changes and the archive name it: without its bytes. */
export interface FileSummary {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

const UPDATABLE = ['subject', 'content', 'dueDate', 'toPlaces', 'signer', 'priority', 'steeringType'] as const;

/**
 * 422 naming each field an update may not change (they make the DocumentId, or the recipients), and
 * a due date before the document's date of issue.
 */
function assertUpdatable(doc: OutgoingDocument, input: UpdateInput): void {
  const errors: FieldError[] = [];
  const refuse = (path: string, en: string, vi: string) => errors.push(fieldError(path, { en, vi }, 'document'));
  const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  if (input.type !== undefined && input.type !== doc.type) {
    refuse('type', `stays ${doc.type}: the type is part of the DocumentId (replace the document to change it)`, `giữ nguyên là ${doc.type}: loại văn bản là một phần của mã văn bản (DocumentId); muốn đổi thì thay thế văn bản`);
  }
  if (input.notation !== undefined && input.notation !== doc.notation) {
    refuse('notation', `stays ${doc.notation}: the ký hiệu is part of the DocumentId`, `giữ nguyên là ${doc.notation}: ký hiệu là một phần của mã văn bản (DocumentId)`);
  }
  if (input.promulgation?.date !== undefined && input.promulgation.date !== doc.promulgationDate) {
    refuse('promulgation.date', `stays ${doc.promulgationDate}: the date is part of the DocumentId`, `giữ nguyên là ${doc.promulgationDate}: ngày ban hành là một phần của mã văn bản (DocumentId)`);
  }
  if (input.promulgation?.place !== undefined && input.promulgation.place !== doc.promulgationPlace) {
    refuse('promulgation.place', 'cannot change', 'không thay đổi được');
  }
  if (input.to !== undefined && differs([...input.to].sort(), [...doc.recipientSpec].sort())) {
    refuse('to', 'cannot change in an update (send the document to the others, or replace it)', 'không thay đổi được khi cập nhật (hãy gửi văn bản cho nơi nhận khác, hoặc thay thế văn bản)');
  }
  if (input.confidentiality !== undefined && input.confidentiality !== 'normal') {
    refuse('confidentiality', 'must be "normal": secret documents are never sent over this system', 'phải là "normal": văn bản mật không bao giờ được gửi qua hệ thống này');
  }
  // The date of issue stays; a deadline before it could never be met.
  if (typeof input.dueDate === 'string' && input.dueDate < doc.promulgationDate) {
    refuse(
      'dueDate',
      `(${input.dueDate}) must not be before the date of issue, ${doc.promulgationDate}`,
      `(${input.dueDate.split('-').reverse().join('/')}) không được trước ngày ban hành ${doc.promulgationDate.split('-').reverse().join('/')}`,
    );
  }
  if (errors.length) {
    throw new DomainError('VALIDATION_FAILED', `The update is refused: ${errors.map((e) => e.message).join(' ')}`, {
      errors,
      vi: `Không cập nhật được: ${errors.map((e) => e.vi).join(' ')}`,
    });
  }
}

/**
 * The request: the document takes the new version, and each recipient holding it gets an update
 * package (signed once per destination) to answer. Every delivery must be settled first: one still on
 * its way would arrive as the old version. Returns the DeliveryUpdates for the `update` job.
 */
export async function updateDocument(
  em: EntityManager,
  deps: PipelineDeps,
  clerk: Clerk,
  id: string,
  input: UpdateInput,
  /** The update's files, checked (UpdateFile); empty keeps the document's. */
  files: readonly UpdateFile[] = [],
): Promise<{ updateId: string; deliveryUpdateIds: string[] }> {
  return inTransaction(em, async (tx) => {
    if (/^[0-9a-f-]{36}$/i.test(id)) await lockDocumentRow(tx, id);
    const doc = await findOwnDocument(tx, clerk, id);
    if (doc.state !== 'sent') {
      throw new DomainError('ILLEGAL_TRANSITION', `The document is ${doc.state}; only a sent document can be updated.`, {
        vi: `Văn bản đang ở trạng thái "${doc.state}"; chỉ văn bản đã gửi mới cập nhật được.`,
      });
    }
    const deliveries = await lockDeliveries(tx, id);
    const onTheWay = deliveries.filter((d) => ['pending', 'sending'].includes(d.state));
    if (onTheWay.length) {
      const codes = onTheWay.map((d) => d.recipientCode).join(', ');
      throw new DomainError('CONFLICT', `${onTheWay.length} recipient(s) have not received the document yet (${codes}); update it once they have.`, {
        vi: `${onTheWay.length} nơi nhận chưa nhận được văn bản (${codes}); hãy cập nhật sau khi họ đã nhận.`,
      });
    }
    const holders = deliveries.filter((d) => DELIVERED_STATES.includes(d.state) || d.state === 'recall_refused');
    if (!holders.length) throw new DomainError('CONFLICT', 'No recipient holds the document: there is nothing to update.', { vi: 'Không nơi nhận nào đang giữ văn bản: không có gì để cập nhật.' });
    assertUpdatable(doc, input);
    const current = await currentFiles(tx, doc);
    const newFiles = files.length > 0 && !sameFiles(current.map(summaryOf), files.map(summaryOf));
    const changes: Record<string, { from: unknown; to: unknown }> = applyChanges(doc, input);
    if (newFiles) changes.attachments = { from: current.map(summaryOf), to: files.map(summaryOf) };
    if (!Object.keys(changes).length) {
      throw new DomainError('VALIDATION_FAILED', `The update changes nothing: give at least one of ${[...UPDATABLE, 'attachments'].join(', ')} with a new value.`, {
        vi: `Nội dung cập nhật không thay đổi gì: hãy cho giá trị mới của ít nhất một trong các trường ${[...UPDATABLE, 'attachments'].join(', ')}.`,
      });
    }

    const at = new Date();
    // Files alone do not make the row dirty; the archive looks for documents changed since their seal.
    doc.updatedAt = at;
    const sender = await findAgencyOrFail(tx, doc.agencyCode);
    const agencies = new Map((await findAgencies(tx, holders.map((d) => d.recipientCode))).map((a) => [a.code, a]));
    const signer = await deps.pki.signerFor(tx, sender.code, at);
    const update = addDocumentUpdate(tx, { id: randomUUID(), documentId: doc.id, reason: input.reason, changes, createdBy: clerk.principal.id, createdAt: at });
    const sent = newFiles ? [...files] : current;
    // An update not yet answered gives way to this one: the recipient answers the newest.
    const open = await lockOpenDeliveryUpdates(tx, holders.map((d) => d.id));
    for (const o of open) o.state = 'superseded';
    const deliveryUpdateIds: string[] = [];
    for (const [, group] of byDestination(holders)) {
      const to = group.map((d) => agencies.get(d.recipientCode)).filter((a): a is Agency => a !== undefined);
      const { edoc, payloads } = edocModel(doc, sender, to, sent, { type: 2, reason: input.reason }, at);
      const xml = await deps.pki.signPackageWithPayloads(buildEdoc(edoc), payloads, signer);
      const pkg = await storeSignedXml(tx, xml, { kind: 'edoc', senderCode: sender.code, documentId: doc.documentId, businessDocType: 2 });
      for (const d of group) {
        const row = addDeliveryUpdate(tx, { id: randomUUID(), updateId: update.id, deliveryId: d.id, packageId: pkg.id, state: 'requested', answeredAt: null, createdAt: at, updatedAt: at });
        deliveryUpdateIds.push(row.id);
        recordEvent(tx, { documentId: doc.id, deliveryId: d.id, recipientCode: d.recipientCode, type: 'update.requested', state: d.state, details: { updateId: update.id, reason: input.reason, sha256: pkg.sha256 } });
      }
    }
    recordEvent(tx, { documentId: doc.id, type: 'document.updated', state: doc.state, details: { updateId: update.id, reason: input.reason, changes } });
    if (newFiles) await replaceFiles(tx, deps, doc, update.id, files, at);
    recordAudit(tx, { actor: clerk.principal, action: 'document.updated', subjectType: 'document', subjectId: doc.id, details: { reason: input.reason, fields: Object.keys(changes) }, requestId: clerk.requestId });
    return { updateId: update.id, deliveryUpdateIds };
  });
}

const sha256Of = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

const summaryOf = (f: { name: string; contentType: string; content: Buffer; sha256?: string }): FileSummary => ({
  name: f.name,
  contentType: f.contentType,
  size: f.content.length,
  sha256: f.sha256 ?? sha256Of(f.content),
});

const sameFiles = (a: readonly FileSummary[], b: readonly FileSummary[]): boolean =>
  a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.contentType === b[i]!.contentType && f.sha256 === b[i]!.sha256);

/**
 * The files of the document's current version: its stored files, or — for a package its agency's own
 * software signed, which has none stored — the files inside that package, so an update of it carries
 * them on as a composed document's update does.
 */
async function currentFiles(tx: Tx, doc: OutgoingDocument): Promise<UpdateFile[]> {
  const stored = await documentFiles(tx, doc.id);
  if (stored.length || doc.source !== 'edxml' || !doc.packageId) return stored.map((f) => ({ ...f, sha256: sha256Of(f.content) }));
  const bytes = await packageBytes(tx, doc.packageId);
  const parsed = parseStoredPackage(bytes);
  if (parsed.kind !== 'edoc') return [];
  return parsed.edoc.attachments.map((a) => {
    const content = attachmentBytes(a);
    return { name: a.attachmentName, contentType: a.contentType ?? '', content, sha256: sha256Of(content) };
  });
}

/**
 * The update's files become the document's (the earlier ones stay, byte for byte, in the packages of
 * the versions that carried them), with their PDFs' legal signatures verified as a new document's are
 * (createDocument; issue 17) and the verdicts on the timeline.
 */
async function replaceFiles(tx: Tx, deps: PipelineDeps, doc: OutgoingDocument, updateId: string, files: readonly UpdateFile[], at: Date): Promise<void> {
  const anchors = (await deps.pki.trust(tx)).store.anchorsPem();
  const evidence = pdfEvidence(files, anchors, doc.agencyCode, at);
  await replaceDocumentFiles(
    tx,
    doc.id,
    files.map((f, index) => ({ name: f.name, contentType: f.contentType, sha256: f.sha256, content: f.content, pdfSignatures: evidence[index] ?? null })),
  );
  const checked = evidence.flatMap((e, index) =>
    e ? [{ index, name: files[index]!.name, officiallySigned: e.officiallySigned, problems: e.problems, signers: e.signatures.map((g) => ({ signer: g.signer, role: g.role, valid: g.valid })) }] : [],
  );
  if (checked.length) recordEvent(tx, { documentId: doc.id, type: 'document.pdf-signatures-checked', details: { updateId, attachments: checked } });
}

/** Moves the new values onto the document; returns what changed (field → from, to). */
function applyChanges(doc: OutgoingDocument, input: UpdateInput): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of UPDATABLE) {
    const to = input[field];
    if (to === undefined) continue;
    const from = doc[field];
    if (JSON.stringify(from ?? null) === JSON.stringify(to ?? null)) continue;
    changes[field] = { from: from ?? null, to: to ?? null };
  }
  if (changes.subject) doc.subject = input.subject!;
  if (changes.content) doc.content = input.content ?? null;
  if (changes.dueDate) doc.dueDate = input.dueDate ?? null;
  if (changes.toPlaces) doc.toPlaces = input.toPlaces!;
  if (changes.signer) doc.signer = input.signer!;
  if (changes.priority) doc.priority = input.priority!;
  if (changes.steeringType) doc.steeringType = input.steeringType!;
  return changes;
}

/**
 * The `update` job: a recipient on this node gets the update as a version of its item (it is verified
 * as a received package is); a partner's recipient gets the package through the partner. Idempotent:
 * only a `requested` update is sent, and the item takes a package once.
 */
export async function sendUpdate(em: EntityManager, deps: PipelineDeps, deliveryUpdateId: string): Promise<void> {
  const pending = await deliveryUpdateById(em.fork(), deliveryUpdateId);
  if (!pending || pending.state !== 'requested') return;
  const delivery = await deliveryByIdOrFail(em.fork(), pending.deliveryId);
  const bytes = await packageBytes(em.fork(), pending.packageId);
  let receipt: string | null = null;
  if (delivery.partnerId) {
    const partner = await findPartnerOrFail(em.fork(), delivery.partnerId);
    const doc = await documentByIdOrFail(em.fork(), delivery.documentId);
    receipt = await sendToPartner(em.fork(), partner, deps.secrets, {
      bytes,
      packageId: pending.packageId,
      kind: 'edoc',
      senderCode: doc.agencyCode,
      recipientCodes: [delivery.recipientCode],
      dedupKey: `update:${pending.id}`,
    });
  }
  const verified = delivery.partnerId ? null : await verifyReceived(em.fork(), deps, bytes);
  if (verified) verifyReceivedPdfs(verified, (await deps.pki.trust(em)).store.anchorsPem());
  await inTransaction(em, async (tx) => {
    const row = await lockDeliveryUpdate(tx, deliveryUpdateId);
    if (!row || row.state !== 'requested') return;
    let holder = true;
    if (verified) {
      const item = await lockItemOfDelivery(tx, delivery.id);
      if (item && !item.withdrawnAt) newInboxVersion(tx, item, verified, row.packageId);
      else holder = false;
    }
    row.state = holder ? 'sent' : 'superseded';
    recordEvent(tx, {
      documentId: delivery.documentId,
      deliveryId: delivery.id,
      recipientCode: delivery.recipientCode,
      type: holder ? 'update.sent' : 'update.not-held',
      state: delivery.state,
      details: { updateId: row.updateId, ...(receipt !== null ? { via: delivery.partnerId, receipt } : {}) },
    });
  });
}

/**
 * A 15 or 16 from a recipient answers the sender's update when one waits for it and no recall is
 * asked (a recall's answer moves the delivery instead). Records the answer and returns true, or
 * returns false when the status is not an update's answer. Runs on the caller's transaction, with the
 * delivery locked.
 *
 * Which update it answers: the recipient answers the newest update it holds (the inbox refuses the
 * older ones waiting), so the newest one that had reached it when the answer was made (`at`): one
 * sent, and made before the answer. An answer can cross the next update — the clerk takes version 2
 * while the sender makes version 3 — and then it answers version 2, which version 3 superseded here,
 * never version 3, which the recipient has not seen and which must still go out.
 */
export async function answerUpdate(tx: Tx, delivery: Delivery, code: StatusCode, statusId: string, at: Date): Promise<boolean> {
  if ((code !== '15' && code !== '16') || delivery.state === 'recall_requested') return false;
  const candidates = await lockAnswerableUpdates(tx, delivery.id, at);
  let open: (typeof candidates)[number] | undefined;
  for (const c of candidates) {
    // A superseded update may never have gone out (superseded while still `requested`).
    if (c.state === 'sent' || (await updateWentOut(tx, c.deliveryId, c.updateId))) {
      open = c;
      break;
    }
  }
  if (!open) return false;
  open.state = code === '15' ? 'accepted' : 'refused';
  open.answeredAt = at;
  recordEvent(tx, {
    documentId: delivery.documentId,
    deliveryId: delivery.id,
    recipientCode: delivery.recipientCode,
    type: code === '15' ? 'update.accepted' : 'update.refused',
    state: delivery.state,
    statusCode: code,
    statusId,
    details: { updateId: open.updateId },
  });
  return true;
}

/** A partner refused an update package for good: the update ends there, on the timeline. */
export async function refuseUpdate(em: EntityManager, deliveryUpdateId: string, error: string): Promise<void> {
  await inTransaction(em, async (tx) => {
    const row = await lockDeliveryUpdate(tx, deliveryUpdateId);
    if (!row || row.state !== 'requested') return;
    const delivery = await deliveryByIdOrFail(tx, row.deliveryId);
    row.state = 'refused';
    row.answeredAt = new Date();
    recordEvent(tx, { documentId: delivery.documentId, deliveryId: delivery.id, recipientCode: delivery.recipientCode, type: 'update.refused-by-partner', state: delivery.state, details: { updateId: row.updateId, error } });
  });
}
