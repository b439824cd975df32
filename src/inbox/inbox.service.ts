import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { nextRegisterNumber, vietnamYear } from '../documents/registers.js';
import { assertTransition, STATE_OF_CODE, type StatusCode } from '../delivery/states.js';
import { move } from '../delivery/writer.js';
import { parsePackage } from '../edxml/parse.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { normaliseFileName, servedContentType } from '../packages/attachment-policy.js';
import { packageBytes } from '../packages/packages.repository.js';
import { InboxItemSchema, StatusRecordSchema, type InboxItem } from './inbox.entity.js';
import { issueStatus, type StaffInput } from './statuses.js';

type User = Extract<Principal, { kind: 'user' }>;

/** The caller's agency's inbox item, or 404. */
export async function findOwnItem(em: EntityManager, user: User, id: string, lockMode?: LockMode): Promise<InboxItem> {
  const item = /^[0-9a-f-]{36}$/i.test(id) ? await em.findOne(InboxItemSchema, { id }, lockMode ? { lockMode } : {}) : null;
  if (!item || item.agencyCode !== user.agencyCode) throw new DomainError('NOT_FOUND', `No inbox item ${id} for agency ${user.agencyCode}.`);
  return item;
}

export function inboxView(item: InboxItem) {
  const header = (item.metadata as { messageHeader?: Record<string, unknown> }).messageHeader ?? {};
  return {
    id: item.id,
    agencyCode: item.agencyCode,
    documentId: item.documentId,
    sender: { code: item.senderCode, name: item.senderName },
    subject: item.subject,
    state: item.state,
    statusCode: item.statusCode,
    statusAt: item.statusAt.toISOString(),
    arrivalNumber: item.arrivalNumber ?? null,
    arrivalYear: item.arrivalYear ?? null,
    receivedAt: item.receivedAt.toISOString(),
    withdrawn: item.withdrawnAt !== null && item.withdrawnAt !== undefined,
    verification: item.verification,
    attachments: item.withdrawnAt ? [] : item.attachments.map((a) => ({ index: a.index, ...servedFile(a), size: a.size })),
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
    throw new DomainError('VALIDATION_FAILED', 'A refusal (02) needs a description: the reason.', { errors: [{ path: 'description', message: 'required for 02' }] });
  }
  if (!['02', '03', '04', '05', '06', '15', '16'].includes(input.code)) {
    throw new DomainError('VALIDATION_FAILED', `Status ${input.code} cannot be reported from the inbox.`);
  }
  return em.transactional(async (tx) => {
    const item = await findOwnItem(tx, actor.principal, id, LockMode.PESSIMISTIC_WRITE);
    const to = STATE_OF_CODE[input.code];
    assertTransition(item.state, to, 'inbox item'); // before the register number is taken
    const now = new Date();
    if (input.code === '03') {
      // Số đến: the next number of the agency's incoming register, inside this transaction.
      item.arrivalYear = vietnamYear(now);
      item.arrivalNumber = await nextRegisterNumber(tx, item.agencyCode, item.arrivalYear, 'in');
    }
    if (input.code === '15') item.withdrawnAt = now;
    move(item, to, { code: input.code, at: now });
    const agency = await tx.findOneOrFail(AgencySchema, { code: item.agencyCode });
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
        description: input.description,
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
    await tx.flush();
    return { view: inboxView(item), statusId };
  });
}

/** The bytes of one attachment, from the stored (verified) package. 410 once the copy was withdrawn. */
export async function attachmentBytes(em: EntityManager, item: InboxItem, index: number): Promise<{ name: string; contentType: string; bytes: Buffer }> {
  if (item.withdrawnAt) throw new DomainError('NOT_FOUND', 'This document was recalled: its attachments are no longer served.', { status: 410 });
  const info = item.attachments[index];
  if (!info) throw new DomainError('NOT_FOUND', `No attachment ${index}; the document has ${item.attachments.length}.`);
  const parsed = parsePackage(await packageBytes(em, item.packageId));
  if (parsed.kind !== 'edoc') throw new Error('inbox item without an edoc package');
  const attachment = parsed.edoc.attachments.find((a) => a.contentId === info.contentId);
  if (!attachment) throw new Error(`attachment ${info.contentId} missing from package ${item.packageId}`);
  return { ...servedFile(info), bytes: Buffer.from(attachment.contentBase64, 'base64') };
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
  const rows = await em.find(StatusRecordSchema, { inboxItemId: itemId }, { orderBy: { createdAt: 'asc' } });
  return rows.map((s) => ({ id: s.id, code: s.code, from: s.fromCode, at: s.createdAt.toISOString(), description: s.description ?? null }));
}

