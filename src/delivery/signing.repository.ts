import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { PAYLOAD_MIN_BYTES } from '../edxml/sign-payloads.js';
import { AgencySchema, type Agency } from '../directory/agency.entity.js';
import { DeliverySchema, OutgoingDocumentSchema, type Delivery, type OutgoingDocument } from './document.entity.js';

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

/** The document; and, while it is queued, its sender, deliveries (by recipient code) and recipients. */
export async function readSigningInput(em: EntityManager, documentId: string): Promise<SigningInput | { draft: OutgoingDocument | null; sender?: undefined }> {
  const draft = await em.findOne(OutgoingDocumentSchema, { id: documentId });
  if (!draft || draft.state !== 'queued') return { draft };
  const sender = await em.findOneOrFail(AgencySchema, { code: draft.agencyCode });
  const planned = await em.find(DeliverySchema, { documentId }, { orderBy: { recipientCode: 'asc' } });
  const recipients = new Map((await em.find(AgencySchema, { code: { $in: planned.map((d) => d.recipientCode) } })).map((a) => [a.code, a]));
  return { draft, sender, planned, recipients };
}

/** The document's deliveries by id (managed by `tx`: changes are written when it commits). */
export async function deliveriesById(tx: EntityManager, documentId: string): Promise<Map<string, Delivery>> {
  return new Map((await tx.find(DeliverySchema, { documentId })).map((d) => [d.id, d]));
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
