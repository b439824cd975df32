import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { DocumentAttachmentSchema, type DocumentAttachment } from '../delivery/document.entity.js';
import type { PdfEvidence } from '../delivery/pdf-evidence.js';

/**
 * The files of outgoing documents (`document_attachment`) as composition writes them. Their bytes are
 * written as binary parameters (issue 16: through the ORM a file went to PostgreSQL as a hex literal
 * inside the statement text, twice the file's size); the sign step reads them back in slices
 * (src/delivery/signing.repository.ts).
 */

/** A file as it is stored. */
export interface AttachmentRow {
  index: number;
  name: string;
  contentType: string;
  sha256: string;
  content: Buffer;
  pdfSignatures: PdfEvidence | null;
}

/** Inserts a new document's files (its row must exist: flushed first), one statement per file. */
export async function insertAttachments(tx: EntityManager, documentId: string, files: readonly AttachmentRow[]): Promise<void> {
  const sql = sqlOn(tx);
  for (const f of files) {
    await sql('insert into document_attachment (document_id, index, name, content_type, size, sha256, content, pdf_signatures) values (?, ?, ?, ?, ?, ?, ?, ?)', [
      documentId,
      f.index,
      f.name,
      f.contentType,
      f.content.length,
      f.sha256,
      f.content,
      f.pdfSignatures === null ? null : JSON.stringify(f.pdfSignatures),
    ]);
  }
}

/** Replaces a stored file (name, type, bytes, digest). */
export async function replaceAttachment(tx: EntityManager, documentId: string, f: Omit<AttachmentRow, 'pdfSignatures'>): Promise<void> {
  await sqlOn(tx)('update document_attachment set name = ?, content_type = ?, size = ?, sha256 = ?, content = ? where document_id = ? and index = ?', [
    f.name,
    f.contentType,
    f.content.length,
    f.sha256,
    f.content,
    documentId,
    f.index,
  ]);
}

/** Records the legal signatures found in a stored file (issue 17). */
export async function setAttachmentPdfSignatures(tx: EntityManager, documentId: string, index: number, evidence: PdfEvidence): Promise<void> {
  await sqlOn(tx)('update document_attachment set pdf_signatures = ? where document_id = ? and index = ?', [JSON.stringify(evidence), documentId, index]);
}

/** A document's files without their bytes, in order (the entity keeps the bytes lazy). */
export function attachmentsOf(em: EntityManager, documentId: string): Promise<DocumentAttachment[]> {
  return em.find(DocumentAttachmentSchema, { documentId }, { orderBy: { index: 'asc' } });
}
