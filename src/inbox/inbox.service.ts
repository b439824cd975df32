import { pdfSignaturesView } from '../delivery/pdf-evidence.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { flushChanges, inTransaction, type Tx } from '../db/tx.js';
import { findAgencyOrFail } from '../directory/directory.repository.js';
import { nextRegisterNumber } from '../registers/numbering.js';
import { chooseSeries } from '../registers/series.js';
import { documentTypeByName } from '../registers/document-types.js';
import { vietnamYear } from '../util/vietnam-time.js';
import { withArrivalNumber } from '../delivery/arrival-number.js';
import { assertTransition, CODE_MEANING, STATE_OF_CODE, type StatusCode } from '../delivery/states.js';
import { move } from '../delivery/writer.js';
import { attachmentBytes as fileOf, parseStoredPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { normaliseFileName, servedContentType } from '../packages/attachment-policy.js';
import { packageBytes } from '../packages/packages.repository.js';
import type { InboxItem, InboxVersion } from '../delivery/inbox.entity.js';
import { inboxItemById, lockPendingVersions, versionsOfItemByArrival } from '../delivery/inbox-items.repository.js';
import { statusesOfItem } from '../delivery/status-records.repository.js';
import { issueStatus, type StaffInput } from '../delivery/statuses.js';
import { inboxPage, itemsByDocumentIds, itemsReplacing, type InboxQuery } from './inbox.repository.js';

type User = Extract<Principal, { kind: 'user' }>;

/**
 * A page of an agency's inbox, newest first; `more` when another page follows. Shared by the API and
 * the console. The keyset is (receivedAt, id): items received in the same millisecond are neither
 * skipped nor repeated across pages.
 */
export async function listInbox(em: EntityManager, agencyCode: string, query: InboxQuery): Promise<{ items: InboxItem[]; more: boolean }> {
  const rows = await inboxPage(em, agencyCode, query);
  return { items: rows.slice(0, query.limit), more: rows.length > query.limit };
}

/** The caller's agency's inbox item, or 404; locked FOR UPDATE with `lock`. */
export async function findOwnItem(em: EntityManager, user: User, id: string, opts: { lock?: boolean } = {}): Promise<InboxItem> {
  const item = /^[0-9a-f-]{36}$/i.test(id) ? await inboxItemById(em, id, { lock: opts.lock ?? false }) : null;
  if (!item || item.agencyCode !== user.agencyCode) throw new DomainError('NOT_FOUND', `No inbox item ${id} for agency ${user.agencyCode}.`);
  return item;
}

export function inboxView(item: InboxItem) {
  const header = (item.metadata as { messageHeader?: Record<string, unknown> }).messageHeader ?? {};
  return {
    id: item.id,
    agencyCode: item.agencyCode,
    // The closed agency it was addressed to, when this agency received it as its successor (issue 19).
    addressedTo: item.addressedTo ?? null,
    documentId: item.documentId,
    sender: { code: item.senderCode, name: item.senderName },
    subject: item.subject,
    state: item.state,
    statusCode: item.statusCode,
    statusAt: item.statusAt.toISOString(),
    arrivalNumber: item.arrivalNumber ?? null,
    arrivalYear: item.arrivalYear ?? null,
    arrivalSeries: item.arrivalSeries ?? null,
    receivedAt: item.receivedAt.toISOString(),
    withdrawn: item.withdrawnAt !== null && item.withdrawnAt !== undefined,
    verification: item.verification,
    attachments: item.withdrawnAt ? [] : item.attachments.map((a) => ({ index: a.index, ...servedFile(a), size: a.size, ...pdfSignaturesView(a.pdfSignatures) })),
    metadata: header,
  };
}

/**
 * A recipient clerk reports a status (02 refuse, 03 accept + số đến, 04, 05, 06, 15/16 answer a
 * recall). The transition is checked against the state machine; the status package is signed with
 * the agency's key and carried to the sender by the `status` job. Returns the status to carry.
 */
export async function reportStatus(
  em: EntityManager,
  pki: PkiService,
  actor: { principal: User; requestId: string },
  id: string,
  input: { code: StatusCode; description?: string; staff?: StaffInput },
): Promise<{ view: ReturnType<typeof inboxView>; statusId: string | null }> {
  if (input.code === '02' && !input.description?.trim()) {
    throw new DomainError('VALIDATION_FAILED', 'A refusal (02) needs a description: the reason.', {
      errors: [{ path: 'description', message: 'The description is required for 02: the reason for refusing.', vi: 'Mô tả là bắt buộc với trạng thái 02: lý do từ chối.' }],
      vi: 'Từ chối (02) cần có mô tả: lý do từ chối.',
    });
  }
  if (!['02', '03', '04', '05', '06', '15', '16'].includes(input.code)) {
    throw new DomainError('VALIDATION_FAILED', `Status ${input.code} cannot be reported from the inbox.`);
  }
  return inTransaction(em, async (tx) => {
    const item = await findOwnItem(tx, actor.principal, id, { lock: true });
    const now = new Date();
    // 15/16 answer the sender's recall when one is asked; otherwise its update, when one waits.
    const update = (input.code === '15' || input.code === '16') && item.state !== 'recall_requested' ? await pendingUpdate(tx, item.id) : null;
    if (update) answerUpdate(item, update, input.code === '15', now);
    else {
      const to = STATE_OF_CODE[input.code];
      assertTransition(item.state, to, 'inbox item'); // before the register number is taken
      if (input.code === '03') {
        // Số đến: the next number of the agency's incoming register, inside this transaction, in
        // the series whose rule takes the document's type (else the default one; src/registers).
        const typeName = (item.metadata as { messageHeader?: { documentType?: { typeName?: string } } }).messageHeader?.documentType?.typeName;
        item.arrivalYear = vietnamYear(now);
        item.arrivalSeries = await chooseSeries(tx, item.agencyCode, 'in', typeName ? documentTypeByName(typeName)?.key : undefined, undefined);
        item.arrivalNumber = await nextRegisterNumber(tx, item.agencyCode, item.arrivalYear, 'in', item.arrivalSeries);
      }
      if (input.code === '15') item.withdrawnAt = now;
      move(item, to, { code: input.code, at: now });
    }
    const agency = await findAgencyOrFail(tx, item.agencyCode);
    const header = (item.metadata as { messageHeader: { code: { codeNumber: string; codeNotation: string }; promulgationInfo: { promulgationDate: string } } }).messageHeader;
    let statusId: string | null = null;
    // Back to the sender: straight to its delivery when it is on this node, else through the
    // partner the document came from.
    if (item.deliveryId || item.partnerId) {
      const status = await issueStatus(tx, pki, {
        from: agency,
        about: {
          organId: item.senderCode,
          documentId: item.documentId,
          code: `${header.code.codeNumber}/${header.code.codeNotation}`,
          promulgationDate: header.promulgationInfo.promulgationDate,
        },
        code: input.code,
        // A 03 carries the số đến back to the sender, signed (delivery/arrival-number.ts).
        description: input.code === '03' && item.arrivalNumber ? withArrivalNumber(input.description ?? CODE_MEANING['03'], item.arrivalNumber) : input.description,
        staff: input.staff,
        deliveryId: item.deliveryId ?? null,
        inboxItemId: item.id,
        partnerId: item.partnerId ?? null,
        at: now,
      });
      statusId = status.id;
    }
    recordAudit(tx, {
      actor: actor.principal,
      action: `inbox.status.${input.code}`,
      subjectType: 'inbox-item',
      subjectId: item.id,
      details: { documentId: item.documentId, arrivalNumber: item.arrivalNumber ?? undefined, description: input.description },
      requestId: actor.requestId,
    });
    await flushChanges(tx);
    return { view: inboxView(item), statusId };
  });
}

/** The newest update of an item still waiting for the clerk's 15/16, locked; null when none waits. */
async function pendingUpdate(tx: Tx, itemId: string): Promise<InboxVersion | null> {
  const pending = await lockPendingVersions(tx, itemId);
  // An older update still waiting is answered with the newest: the sender's latest word counts.
  for (const older of pending.slice(1)) {
    older.state = 'refused';
    older.answeredAt = new Date();
  }
  return pending[0] ?? null;
}

/**
 * The clerk's answer to an update: 15 makes it the item's version (subject, header, files, package;
 * the state and the số đến stay: the same document), 16 keeps the one it had.
 */
function answerUpdate(item: InboxItem, update: InboxVersion, accept: boolean, now: Date): void {
  update.state = accept ? 'accepted' : 'refused';
  update.answeredAt = now;
  if (!accept) return;
  item.packageId = update.packageId;
  item.subject = update.subject;
  item.metadata = update.metadata;
  item.attachments = update.attachments;
}

/** The versions of an item (updates from its sender), oldest first. */
export async function itemVersions(em: EntityManager, itemId: string) {
  const rows = await versionsOfItemByArrival(em, itemId);
  return rows.map((v) => ({ id: v.id, kind: 'update' as const, subject: v.subject, reason: v.reason ?? null, state: v.state, receivedAt: v.receivedAt.toISOString(), answeredAt: v.answeredAt?.toISOString() ?? null }));
}

/**
 * Replacements (BussinessDocType 3) on both sides: the documents of this agency's inbox that `item`
 * replaces, and those that replace it (a replacement is a document of its own, with its own
 * DocumentId and number, naming the ones it replaces).
 */
export async function itemReplacements(em: EntityManager, item: InboxItem) {
  const bussiness = (item.metadata as { bussiness?: { bussinessDocType?: number; replacementInfoList?: Array<{ documentId: string; organIdList?: string[] }> } }).bussiness;
  const replaced = bussiness?.bussinessDocType === 3 ? (bussiness.replacementInfoList ?? []).map((r) => r.documentId) : [];
  const replaces = replaced.length ? await itemsByDocumentIds(em, item.agencyCode, item.senderCode, replaced) : [];
  const replacedBy = await itemsReplacing(em, item);
  return {
    replaces: replaced.map((documentId) => ({ documentId, itemId: replaces.find((r) => r.documentId === documentId)?.id ?? null })),
    replacedBy: replacedBy.map((r) => ({ documentId: r.document_id, itemId: r.id })),
  };
}

/** The bytes of one attachment, from the stored (verified) package. 410 once the copy was withdrawn. */
export async function attachmentBytes(em: EntityManager, item: InboxItem, index: number): Promise<{ name: string; contentType: string; bytes: Buffer }> {
  if (item.withdrawnAt) throw new DomainError('NOT_FOUND', 'This document was recalled: its attachments are no longer served.', { status: 410 });
  const info = item.attachments[index];
  if (!info) throw new DomainError('NOT_FOUND', `No attachment ${index}; the document has ${item.attachments.length}.`);
  const stored = await packageBytes(em, item.packageId);
  // A large file is decoded from where it lies in the package, not from a string of the whole text.
  const parsed = parseStoredPackage(stored);
  if (parsed.kind !== 'edoc') throw new Error('inbox item without an edoc package');
  const attachment = parsed.edoc.attachments.find((a) => a.contentId === info.contentId);
  if (!attachment) throw new Error(`attachment ${info.contentId} missing from package ${item.packageId}`);
  return { ...servedFile(info), bytes: fileOf(attachment) };
}

/**
 * A stored attachment's name and type as they are shown and served: through the attachment policy
 * again, so items received before it (a partner's `text/html`, a CR/LF in a type) are served safely too.
 */
function servedFile(info: { index: number; name: string; contentType: string }): { name: string; contentType: string } {
  return { name: normaliseFileName(info.name, `attachment-${info.index + 1}`), contentType: servedContentType(info.contentType) };
}

/** Statuses this agency reported on an item (for the detail view). */
export async function itemStatuses(em: EntityManager, itemId: string) {
  const rows = await statusesOfItem(em, itemId);
  return rows.map((s) => ({ id: s.id, code: s.code, from: s.fromCode, at: s.createdAt.toISOString(), description: s.description ?? null }));
}

