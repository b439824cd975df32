import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { DocumentInput } from '../documents/documents.schemas.js';
import { fileSha256, type Clerk, type UploadedFile } from '../documents/documents.service.js';
import { planRecipients } from '../documents/recipients.js';
import { invalidField } from '../http/problem.js';
import { DraftFileSchema, DraftSchema, type DraftInput } from './draft.entity.js';
import { readDraftPdf } from './pdf-checks.js';
import { draftView, type DraftView } from './views.js';

/**
 * Step 1, a draft (dự thảo) is uploaded: the metadata of the document it will become and its files,
 * the first being the PDF the leader signs. Checked now as far as it can be (the PDF, the
 * recipients), so that the leader does not approve what cannot be sent; the number and the date of
 * issue are given at "Cấp số", never here.
 */
export async function createDraft(
  em: EntityManager,
  clerk: Clerk,
  input: DocumentInput,
  files: UploadedFile[],
  options: { redirectClosed: boolean },
  now = new Date(),
): Promise<DraftView> {
  const first = files[0];
  if (!first) {
    throw invalidField('attachments', { en: 'must begin with the PDF of the draft (the văn bản the leader signs)', vi: 'phải có tệp PDF của dự thảo ở vị trí đầu tiên (văn bản để lãnh đạo ký số)' }, 'document');
  }
  if (first.contentType !== 'application/pdf') {
    throw invalidField('attachments.0', { en: `(${first.name}) must be a PDF: the văn bản the leader signs`, vi: `(${first.name}) phải là tệp PDF: văn bản để lãnh đạo ký số` }, 'document');
  }
  await readDraftPdf(first.content);
  if (input.promulgation.date !== undefined) {
    throw invalidField(
      'promulgation.date',
      { en: 'must be left out of a draft: the date of issue is taken with the number at "Cấp số"', vi: 'phải để trống trong dự thảo: ngày ban hành được lấy cùng số văn bản khi cấp số' },
      'document',
    );
  }
  // Unknown or closed recipients are said now, not after the leader signed.
  await planRecipients(em, clerk.principal.agencyCode, input.to, { at: now, redirectClosed: input.redirectClosed ?? options.redirectClosed });

  const { attachments: _files, ...metadata } = input;
  const stored: DraftInput = metadata;
  return em.transactional(async (tx) => {
    const draft = tx.create(DraftSchema, {
      id: randomUUID(),
      agencyCode: clerk.principal.agencyCode,
      createdBy: clerk.principal.id,
      state: 'draft',
      input: stored,
      approvedBy: null,
      approvedAt: null,
      approval: null,
      leaderSignature: null,
      signedPdf: null,
      signedSha256: null,
      documentId: null,
      issuedBy: null,
      issuedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    const rows = files.map((f, index) =>
      tx.create(DraftFileSchema, { draftId: draft.id, index, name: f.name, contentType: f.contentType, size: f.content.length, sha256: fileSha256(f), content: f.content }),
    );
    recordAudit(tx, {
      actor: clerk.principal,
      action: 'draft.created',
      subjectType: 'draft',
      subjectId: draft.id,
      details: { subject: input.subject, files: rows.map((f) => ({ name: f.name, sha256: f.sha256 })) },
      requestId: clerk.requestId,
    });
    await tx.flush();
    return draftView(draft, rows);
  });
}
