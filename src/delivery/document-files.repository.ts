import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import type { PdfEvidence } from './pdf-evidence.js';

/**
 * The files of outgoing documents (`document_attachment`) as they are written: by composition (a new
 * document) and by an update that replaces the list. Their bytes go as binary parameters (issue 16:
 * through the unit of work a file went to PostgreSQL as a hex literal inside the statement text,
 * twice its size); the sign step reads them back in slices (signing.repository.ts).
 */

/** A file as it is stored, at its place in the document's list. */
export interface DocumentFileRow {
  index: number;
  name: string;
  contentType: string;
  sha256: string;
  content: Buffer;
  pdfSignatures: PdfEvidence | null;
}

/** Inserts files of a document (its row must exist: flushed first), with one statement. */
export async function insertDocumentFiles(tx: Tx, documentId: string, files: readonly DocumentFileRow[]): Promise<void> {
  if (files.length === 0) return;
  await sqlOn(tx)(
    `insert into document_attachment (document_id, index, name, content_type, size, sha256, content, pdf_signatures) values ${files.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    files.flatMap((f) => [documentId, f.index, f.name, f.contentType, f.content.length, f.sha256, f.content, f.pdfSignatures === null ? null : JSON.stringify(f.pdfSignatures)]),
  );
}

/** A document's file list becomes `files` (in their order): the rows of the earlier list are deleted. */
export async function replaceDocumentFiles(tx: Tx, documentId: string, files: ReadonlyArray<Omit<DocumentFileRow, 'index'>>): Promise<void> {
  await sqlOn(tx)('delete from document_attachment where document_id = ?', [documentId]);
  await insertDocumentFiles(
    tx,
    documentId,
    files.map((f, index) => ({ ...f, index })),
  );
}
