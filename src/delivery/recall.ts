import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { inTransaction, type Tx } from '../db/tx.js';
import type { Agency } from '../directory/agency.entity.js';
import { findAgencies, findAgencyOrFail } from '../directory/directory.repository.js';
import type { Clerk } from '../documents/documents.service.js';
import { buildEdoc } from '../edxml/build.js';
import { DomainError } from '../errors.js';
import { storeSignedXml } from '../packages/packages.repository.js';
import { withdrawFromPullList } from '../transport/outbound.js';
import { byDestination } from './destinations.js';
import type { Delivery } from './document.entity.js';
import { edocModel } from './edoc-model.js';
import { lockDeliveries } from './deliveries.repository.js';
import { recordEvent } from './document-events.repository.js';
import { deliveriesWithItems, itemOfDelivery } from './inbox-items.repository.js';
import { findOwnDocument, isDocumentId, lockDocumentRow } from './outgoing.repository.js';
import { DELIVERED_STATES } from './states.js';
import { issueStatus } from './statuses.js';
import { move, moveDocument } from './writer.js';

/**
 * Recalls a sent document (NĐ 30/2020 Điều 18.4): a recall package (BussinessDocType 1) signed by
 * the sender, and a status 13 to every recipient that may hold it. The outgoing document is frozen.
 * Returns the statuses to carry.
 *
 * Who may hold it (issue 12), delivery by delivery, under the lock every path takes:
 * - a recipient that reported it (01 and after) — asked back (13);
 * - a partner's recipient once the package was handed over, or an attempt may have reached it
 *   (`sending`, or an earlier attempt, whose outcome the transport cannot always tell) — asked back;
 *   for a pull partner, first withdrawn from the pull list when the partner never fetched it: then it
 *   never gets it, and the delivery is recalled at once;
 * - a recipient on this node whose inbox item exists (its 01 still on its way) — asked back;
 * - anyone else never got it: recalled at once.
 */
export async function recallDocument(em: EntityManager, pki: PkiService, clerk: Clerk, id: string, reason: string): Promise<{ statusIds: string[] }> {
  return inTransaction(em, async (tx) => {
    if (isDocumentId(id)) await lockDocumentRow(tx, id);
    const doc = await findOwnDocument(tx, clerk, id);
    if (doc.state === 'recalled') throw new DomainError('ILLEGAL_TRANSITION', 'The document is already recalled.', { vi: 'Văn bản đã được thu hồi rồi.' });
    if (doc.state !== 'sent') {
      throw new DomainError('ILLEGAL_TRANSITION', `The document is ${doc.state}; only a sent document can be recalled.`, {
        vi: `Văn bản đang ở trạng thái "${doc.state}"; chỉ văn bản đã gửi mới thu hồi được.`,
      });
    }
    const sender = await findAgencyOrFail(tx, doc.agencyCode);
    const deliveries = (await lockDeliveries(tx, id)).sort((a, b) => (a.recipientCode < b.recipientCode ? -1 : a.recipientCode > b.recipientCode ? 1 : 0));
    const items = await deliveriesWithItems(tx, deliveries.map((d) => d.id));
    const fates = new Map<string, RecallFate>();
    for (const d of deliveries) fates.set(d.id, await recallFate(tx, d, items.has(d.id)));
    const holders = deliveries.filter((d) => fates.get(d.id) === 'ask');
    const agencies = new Map((await findAgencies(tx, holders.map((d) => d.recipientCode))).map((a) => [a.code, a]));
    const at = new Date();
    const statusIds: string[] = [];
    // One recall package per destination, like the document itself: this node's holders read it here;
    // a partner gets its own before the 13s of its recipients (carryStatusToPartner).
    const signer = holders.length ? await pki.signerFor(tx, sender.code, at) : undefined;
    for (const [, group] of byDestination(holders)) {
      const to = group.map((d) => agencies.get(d.recipientCode)).filter((a): a is Agency => a !== undefined);
      const xml = await pki.signPackage(buildEdoc(edocModel(doc, sender, to, [], { type: 1, reason }, at).edoc), signer!);
      const pkg = await storeSignedXml(tx, xml, { kind: 'edoc', senderCode: sender.code, documentId: doc.documentId, businessDocType: 1 });
      for (const d of group) d.recallPackageId = pkg.id;
      doc.recallPackageId ??= pkg.id;
    }
    for (const d of deliveries) {
      const fate = fates.get(d.id)!;
      if (fate === 'ask') {
        const item = await itemOfDelivery(tx, d.id);
        const status = await issueStatus(tx, pki, {
          from: sender,
          about: { organId: d.recipientCode, documentId: doc.documentId, code: `${doc.numberText}/${doc.notation}`, promulgationDate: doc.promulgationDate.replace(/-/g, '/') },
          code: '13',
          description: reason,
          deliveryId: d.id,
          inboxItemId: item?.id ?? null,
          partnerId: d.partnerId ?? null,
          at,
        });
        move(d, 'recall_requested', { code: '13', at });
        statusIds.push(status.id);
        recordEvent(tx, { documentId: id, deliveryId: d.id, recipientCode: d.recipientCode, type: 'recall.requested', state: d.state, statusCode: '13', statusId: status.id, details: { reason } });
      } else if (fate === 'cancel' || fate === 'withdrawn') {
        move(d, 'recalled', { code: null, at });
        recordEvent(tx, {
          documentId: id,
          deliveryId: d.id,
          recipientCode: d.recipientCode,
          type: fate === 'withdrawn' ? 'recall.withdrawn-from-pull-list' : 'recall.cancelled',
          state: d.state,
          details: { reason },
        });
      }
    }
    moveDocument(doc, 'recalled');
    doc.recallReason = reason;
    recordEvent(tx, { documentId: id, type: 'document.recalled', state: 'recalled', details: { reason } });
    recordAudit(tx, { actor: clerk.principal, action: 'document.recalled', subjectType: 'document', subjectId: id, details: { reason }, requestId: clerk.requestId });
    return { statusIds };
  });
}

/** What a recall does to one delivery: ask the holder (13), cancel it, withdraw it from a pull list, or nothing (final). */
type RecallFate = 'ask' | 'cancel' | 'withdrawn' | 'none';

async function recallFate(tx: Tx, d: Delivery, hasItem: boolean): Promise<RecallFate> {
  if (DELIVERED_STATES.includes(d.state)) return 'ask';
  if (!['pending', 'sending', 'failed'].includes(d.state)) return 'none'; // refused, or a recall already under way
  if (!d.partnerId) return hasItem ? 'ask' : 'cancel';
  // Never fetched from a pull list: it leaves the list, and the partner never gets it.
  if (await withdrawFromPullList(tx, d.id)) return 'withdrawn';
  return d.state === 'sending' || d.attempts > 0 || d.remoteReceipt !== null ? 'ask' : 'cancel';
}
