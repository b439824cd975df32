import type { EntityManager } from '@mikro-orm/postgresql';
import { byDestination } from './destinations.js';
import { edocModel, type BusinessOf } from './edoc-model.js';
import { insertEvents, recordEvent, type EventInput } from './document-events.repository.js';
import { inTransaction } from '../db/tx.js';
import { buildEdoc } from '../edxml/build.js';
import { storeSignedXml } from '../packages/packages.repository.js';
import { lockDocument } from './outgoing.repository.js';
import { documentFiles, lockForSigning, markSigned, readSigningInput } from './signing.repository.js';
import type { PipelineDeps } from './verify-received.js';
import { moveDocument } from './writer.js';

/**
 * `sign` step: builds the edoc package of a queued document, signs it once per destination with the
 * sender agency's key, stores the exact bytes. The packages are built and signed before the
 * transaction opens (a large attachment takes a while); the transaction then locks the document and
 * stores them only if it is still queued with the same deliveries. Idempotent: a document already
 * signed is left alone. Returns true when the document is (now) signed.
 */
export async function signDocument(em: EntityManager, deps: PipelineDeps, documentId: string): Promise<boolean> {
  const read = em.fork();
  const input = await readSigningInput(read, documentId);
  if (!input.sender) return input.draft ? input.draft.packageId !== null : false;
  const { draft, sender, planned, recipients } = input;
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
      const { edoc, payloads } = edocModel(draft, sender, to, attachments, business, at);
      const xml = await deps.pki.signPackageWithPayloads(buildEdoc(edoc), payloads, signer);
      return { destination, deliveryIds: group.map((d) => d.id), xml };
    }),
  );

  return inTransaction(em, async (tx) => {
    const doc = await lockForSigning(tx, documentId);
    if (!doc) return false;
    if (doc.state !== 'queued') return doc.packageId !== null; // another job signed it meanwhile
    if (doc.deliveryIds.size !== planned.length || planned.some((d) => !doc.deliveryIds.has(d.id))) {
      throw new Error(`the deliveries of document ${documentId} changed while it was signed; signing again`);
    }
    const packageOf = new Map<string, string>();
    const events: EventInput[] = [];
    let first: string | null = null;
    for (const { destination, deliveryIds, xml } of packages) {
      const pkg = await storeSignedXml(tx, xml, { kind: 'edoc', senderCode: sender.code, documentId: draft.documentId, businessDocType: draft.replaces ? 3 : 0 });
      for (const id of deliveryIds) packageOf.set(id, pkg.id);
      first ??= pkg.id;
      events.push({ documentId, type: 'package.signed', details: { destination, sha256: pkg.sha256, size: pkg.size, recipients: deliveryIds.length } });
    }
    await markSigned(tx, documentId, doc.state, packageOf, first);
    events.push({ documentId, type: 'document.signed', state: 'signed', details: { packages: packages.length } });
    await insertEvents(tx, events);
    return true;
  });
}

/** Marks a document whose package could not be made (after the sign job's last attempt). */
export async function recordSignFailure(em: EntityManager, documentId: string, error: string, final: boolean): Promise<void> {
  await inTransaction(em, async (tx) => {
    const doc = await lockDocument(tx, documentId);
    if (!doc || doc.state !== 'queued') return;
    doc.lastError = error;
    if (final) moveDocument(doc, 'failed');
    recordEvent(tx, { documentId, type: final ? 'document.sign-failed' : 'document.sign-retry', state: doc.state, details: { error } });
  });
}
