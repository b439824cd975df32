import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from '../db/sql.js';
import { DocumentAttachmentSchema, type DocumentAttachment } from '../delivery/document.entity.js';
import type { PdfEvidence } from '../delivery/pdf-evidence.js';
import type { DocumentFileRow } from '../delivery/document-files.repository.js';

/**
 * What composition does to the files of a new document after they are inserted
 * (src/delivery/document-files.repository.ts, bytes as binary parameters): the issued file replacing
 * the uploaded one, the legal signatures found in it, and the list shown back.
 */

/** Replaces a stored file (name, type, bytes, digest). */
export async function replaceAttachment(tx: EntityManager, documentId: string, f: Omit<DocumentFileRow, 'pdfSignatures'>): Promise<void> {
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
