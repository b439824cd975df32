import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { AgencySchema } from '../directory/agency.entity.js';
import { byDestination } from './destinations.js';
import { DeliverySchema, OutgoingDocumentSchema } from './document.entity.js';
import { edocModel, type BusinessOf } from './edoc-model.js';
import { recordEvent } from './events.js';
import { buildEdoc } from '../edxml/build.js';
import { storeSignedXml } from '../packages/packages.repository.js';
import type { PipelineDeps } from './verify-received.js';

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
