import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { agencyRows } from '../directory/directory.repository.js';
import { lockDocumentState } from './outgoing.repository.js';
import { assertDocumentMove } from './states.js';
import { PAYLOAD_MIN_BYTES } from '../edxml/sign-payloads.js';
import type { Agency } from '../directory/agency.entity.js';
import { DeliverySchema, OutgoingDocumentSchema, type Delivery, type DocumentState, type OutgoingDocument } from './document.entity.js';

/**
 * The queries of the `sign` step (sign.ts) and of its failure record: what a document is signed
 * from, and the lock under which its packages are stored (issue 12: only repositories touch SQL).
 */

/** What a queued document is signed from, read without a transaction; null when it is gone. */
export interface SigningInput {
  draft: OutgoingDocument;
  sender: Agency;
  /** Its deliveries, by recipient code. */
  planned: Delivery[];
  recipients: Map<string, Agency>;
}

/** The document; and, while it is queued, its sender, deliveries (by recipient code) and recipients (plain rows: src/db/rows.ts). */
export async function readSigningInput(em: EntityManager, documentId: string): Promise<SigningInput | { draft: OutgoingDocument | null; sender?: undefined }> {
  const [draft] = await selectRows(em, OutgoingDocumentSchema, 'id = ?', [documentId]);
  if (!draft || draft.state !== 'queued') return { draft: draft ?? null };
  const planned = await selectRows(em, DeliverySchema, 'document_id = ? order by recipient_code', [documentId]);
  // The sender and the recipients with one query.
  const agencies = new Map((await agencyRows(em, [draft.agencyCode, ...planned.map((d) => d.recipientCode)])).map((a) => [a.code, a]));
  const sender = agencies.get(draft.agencyCode);
  if (!sender) throw new Error(`the sender ${draft.agencyCode} of document ${documentId} is not in the directory`);
  const recipients = new Map(planned.flatMap((d) => (agencies.has(d.recipientCode) ? [[d.recipientCode, agencies.get(d.recipientCode)!] as const] : [])));
  return { draft, sender, planned, recipients };
}

/** A document as the `sign` step's transaction sees it, its row locked until COMMIT; null when it is gone. */
export async function lockForSigning(tx: Tx, documentId: string): Promise<{ state: DocumentState; packageId: string | null; deliveryIds: Set<string> } | null> {
  const doc = await lockDocumentState(tx, documentId);
  if (!doc) return null;
  const deliveries = await sqlOn(tx)<Array<{ id: string }>>('select id from delivery where document_id = ?', [documentId]);
  return { ...doc, deliveryIds: new Set(deliveries.map((d) => d.id)) };
}

/**
 * Records a document as signed (under lockForSigning's lock, in the state `from` it read there, along
 * the graph: assertDocumentMove): its first package, and the package of each delivery's destination.
 */
export async function markSigned(tx: Tx, documentId: string, from: DocumentState, packageOf: ReadonlyMap<string, string>, firstPackageId: string | null): Promise<void> {
  assertDocumentMove(from, 'signed');
  await sqlOn(tx)(`update outgoing_document set state = 'signed', package_id = coalesce(package_id, ?::uuid), updated_at = now() where id = ? and state = ?`, [firstPackageId, documentId, from]);
  const values = [...packageOf.keys()].map(() => '(?::uuid, ?::uuid)').join(', ');
  if (values) {
    await sqlOn(tx)(`update delivery d set package_id = v.package_id, updated_at = now() from (values ${values}) as v(id, package_id) where d.id = v.id`, [...packageOf].flat());
  }
}

/** Bytes of a file read per statement (the driver brings a bytea back as hex text, twice its size: issue 16). */
export const ATTACHMENT_READ_SLICE = 512 * 1024;

/**
 * A document's files, in order, with their bytes, each read in slices into one buffer of its size
 * and checked against its stored SHA-256 (a file replaced while it was read is read again; one
 * emptied by retention comes back empty, as before).
 */
export async function documentFiles(em: EntityManager, documentId: string): Promise<Array<{ name: string; contentType: string; content: Buffer }>> {
  const sql = sqlOn(em);
  for (let attempt = 0; ; attempt++) {
    // The first slice comes with the list: a file that fits in one (most do) takes no statement of its own.
    const rows = await sql<Array<{ index: number; name: string; content_type: string; sha256: string; size: number; head: Buffer }>>(
      'select index, name, content_type, sha256, octet_length(content) as size, substring(content from 1 for ?) as head from document_attachment where document_id = ? order by index',
      [ATTACHMENT_READ_SLICE, documentId],
    );
    const files: Array<{ name: string; contentType: string; content: Buffer }> = [];
    for (const row of rows) {
      const size = Number(row.size);
      // A large file is read into shared memory: the signing thread reads it there, without a copy.
      const content = size === row.head.length ? row.head : size >= PAYLOAD_MIN_BYTES ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
      const hash = createHash('sha256').update(row.head);
      if (content !== row.head) row.head.copy(content, 0);
      for (let filled = row.head.length; filled < size; ) {
        const want = Math.min(ATTACHMENT_READ_SLICE, size - filled);
        const [slice] = await sql<Array<{ part: Buffer }>>('select substring(content from ? for ?) as part from document_attachment where document_id = ? and index = ?', [
          filled + 1,
          want,
          documentId,
          row.index,
        ]);
        if (!slice || slice.part.length !== want) break;
        hash.update(slice.part);
        filled += slice.part.copy(content, filled);
      }
      // A file emptied by retention keeps its digest; it is read as it is, empty.
      if (size > 0 && hash.digest('hex') !== row.sha256) break;
      files.push({ name: row.name, contentType: row.content_type, content });
    }
    if (files.length === rows.length) return files;
    if (attempt >= 2) throw new Error(`the files of document ${documentId} changed while they were read`);
  }
}
