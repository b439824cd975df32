import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../db/tx.js';
import type { Agency } from '../directory/agency.entity.js';
import { agencyRows } from '../directory/directory.repository.js';
import type { OutgoingDocument } from './document.entity.js';
import { lockOpenDeliveries, openDeliveries, saveDeliveryStates } from './deliveries.repository.js';
import { insertEvents, type EventInput } from './document-events.repository.js';
import type { VerifiedPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import type { InboxItem, StatusRecord } from './inbox.entity.js';
import { heldItems, insertInboxItems } from './inbox-items.repository.js';
import { documentsByIds } from './outgoing.repository.js';
import { inboxItemRow } from './arrive.js';
import { signStatus, statusRecordRow, type StatusInput } from './statuses.js';
import { insertStatusPackages, insertStatusRecords, uncarried01 } from './status-records.repository.js';
import { signedPackageRow, type PackageRow } from '../packages/packages.repository.js';
import { carriedEvent } from './carry-status.js';
import { verifyReceivedPdfs } from './pdf-evidence.js';
import { verifyStoredOnce, type PipelineDeps } from './verify-received.js';
import { applyStatus, move } from './writer.js';

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
  return inTransaction(em, async (tx) => {
    const deliveries = await lockOpenDeliveries(tx, [...plan.keys()], opts);
    if (deliveries.length === 0) return [];
    const held = await heldItems(tx, deliveries.map((d) => ({ agencyCode: plan.get(d.id)!.recipient.code, packageId: plan.get(d.id)!.packageId })));
    const toCarry: string[] = [];
    // Rows written with one INSERT per table for the whole batch, and the deliveries' new states with
    // one UPDATE (no unit-of-work bookkeeping).
    const rows = { packages: [] as PackageRow[], items: [] as InboxItem[], statuses: [] as StatusRecord[], events: [] as EventInput[] };
    for (const delivery of deliveries) {
      const p = plan.get(delivery.id)!;
      delivery.attempts += 1;
      if (delivery.state === 'pending') move(delivery, 'sending');
      const existing = held.get(`${p.recipient.code} ${p.packageId}`);
      if (existing) {
        const pending = await uncarried01(tx, existing.id);
        if (pending) toCarry.push(pending);
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
    await insertStatusPackages(tx, rows.packages);
    await insertInboxItems(tx, rows.items);
    await insertStatusRecords(tx, rows.statuses);
    await insertEvents(tx, rows.events);
    await saveDeliveryStates(tx, deliveries);
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
  const deliveries = await openDeliveries(em, deliveryIds);
  if (deliveries.length === 0) return plan;
  const docs = await documentsByIds(em, unique(deliveries.map((d) => d.documentId)));
  const codes = unique(deliveries.map((d) => d.recipientCode));
  const recipients = new Map((await agencyRows(em, codes)).map((a) => [a.code, a]));
  for (const code of codes) {
    const recipient = recipients.get(code);
    if (!recipient) throw new DomainError('NOT_FOUND', `Recipient ${code} no longer exists.`);
    if (recipient.endpointType !== 'local') {
      throw new DomainError('UNAVAILABLE', `Recipient ${code} is remote; remote delivery is not available on this node.`);
    }
  }
  const verified = new Map<string, VerifiedPackage>();
  // The PDFs' legal signatures are verified with the package, once per package (issue 17).
  const anchors = deliveries.length ? (await deps.pki.trust(em)).store.anchorsPem() : [];
  for (const d of deliveries) {
    const packageId = d.packageId ?? docs.get(d.documentId)?.packageId;
    if (!packageId) continue;
    if (!verified.has(packageId)) {
      const checked = await verifyStoredOnce(em, deps, packageId);
      verifyReceivedPdfs(checked, anchors);
      verified.set(packageId, checked);
    }
    plan.set(d.id, { doc: docs.get(d.documentId)!, recipient: recipients.get(d.recipientCode)!, packageId, verified: verified.get(packageId)! });
  }
  const held = await heldItems(em, [...plan.values()].map((p) => ({ agencyCode: p.recipient.code, packageId: p.packageId })));
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

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

function verifiedDate(pkg: VerifiedPackage): string | undefined {
  return pkg.model.kind === 'edoc' ? pkg.model.edoc.messageHeader.promulgationInfo.promulgationDate : undefined;
}
