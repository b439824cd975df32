import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { signingCertificate } from '../certificates/certificates.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { splitPemCertificates } from '../crypto/certificates.js';
import { createDocument, type Clerk, type DocumentView, type NumberGiven, type UploadedFile } from '../documents/documents.service.js';
import { DomainError } from '../errors.js';
import { signPdf } from '../pdf/sign.js';
import { STAMP_FIELDS, stampNumberAndDate } from '../pdf/stamp.js';
import type { StampTemplateValue } from './draft.entity.js';
import { draftFiles, findOwnDraft, findSeal, findStampTemplate, signedPdfOf } from './drafts.repository.js';
import { readDraftPdf } from './pdf-checks.js';
import { assertDraftMove, moveDraft } from './states.js';
import { draftView, type DraftView } from './views.js';

/**
 * Step 3, "Cấp số và ký số" (NĐ 30 Điều 13–14, 32.2): the văn thư gives an approved draft the number
 * and date of issue from the outgoing register, exactly as POST /v1/documents does, writes them into
 * the leader-signed PDF (as form fields appended incrementally: the leader's signature stays valid),
 * then applies the agency's PAdES signature with the seal over the left third of the leader's. Only
 * then is the document registered and its package built (the `sign` job): the attachment sent is
 * the signed PDF byte for byte.
 *
 * All of it is one transaction, the number taken last (createDocument's `finishFiles` runs right
 * after it): if stamping or the agency's signature fails — no seal uploaded, no valid agency key —
 * the rollback gives the number back, and the next document gets it. No gap.
 */
export async function issueDraft(
  em: EntityManager,
  pki: PkiService,
  clerk: Clerk,
  id: string,
  options: { redirectClosed: boolean },
  now = new Date(),
): Promise<{ draft: DraftView; document: DocumentView }> {
  const agencyCode = clerk.principal.agencyCode;
  return em.transactional(async (tx) => {
    // Locked to COMMIT: a second "Cấp số" of the same draft waits, then finds it issued (409).
    const draft = await findOwnDraft(tx, agencyCode, id, { lock: true });
    assertDraftMove(draft, 'issued');
    const leaderSigned = await signedPdfOf(tx, draft);
    if (!leaderSigned) throw new Error(`the approved draft ${draft.id} has no signed PDF`);
    const template = (await findStampTemplate(tx, agencyCode))?.template;
    // Said before a number is taken: where the number and the date go is a property of the draft.
    assertStampable((await readDraftPdf(leaderSigned)).textFields, template);

    const rows = await draftFiles(tx, draft.id);
    const files: UploadedFile[] = rows.map((f, index) => ({
      name: f.name,
      contentType: f.contentType,
      content: index === 0 ? leaderSigned : f.content,
      ...(index === 0 ? {} : { sha256: f.sha256 }),
    }));

    /** The agency's step, once the register gave the number: stamp, then seal and sign. */
    const finishFiles = async (given: NumberGiven): Promise<UploadedFile[]> => {
      const seal = await findSeal(tx, agencyCode);
      if (!seal) {
        throw new DomainError('VALIDATION_FAILED', `Agency ${agencyCode} has no seal image: upload it with PUT /v1/agencies/${agencyCode}/seal (a transparent PNG). No number was taken.`, {
          vi: `Cơ quan ${agencyCode} chưa có ảnh con dấu: hãy tải lên ảnh con dấu (tệp PNG nền trong suốt). Chưa có số văn bản nào được cấp.`,
        });
      }
      const stamped = await stampNumberAndDate(files[0]!.content, {
        number: `${given.numberText}/${given.notation}`,
        place: given.place,
        date: given.at,
        ...(template ? { coordinates: { number: template.number, date: template.date } } : {}),
      });
      const certificate = await signingCertificate(tx, agencyCode, given.at);
      const signer = await pki.signerFor(tx, agencyCode, given.at);
      const issued = await signPdf(stamped, {
        signer,
        chainPem: splitPemCertificates(certificate?.chainPem ?? ''),
        role: 'agency',
        imagePng: seal.png,
        appearance: { overSignature: 'last' },
        signingTime: given.at,
        reason: 'Ban hành',
        location: given.place,
      });
      return [{ name: files[0]!.name, contentType: files[0]!.contentType, content: issued }, ...files.slice(1)];
    };

    const document = await createDocument(
      tx,
      pki,
      clerk,
      { ...draft.input, attachments: [], redirectClosed: draft.input.redirectClosed ?? options.redirectClosed },
      files,
      now,
      null,
      finishFiles,
    );
    moveDraft(draft, 'issued', now);
    Object.assign(draft, { documentId: document.id, issuedBy: clerk.principal.id, issuedAt: now });
    recordAudit(tx, {
      actor: clerk.principal,
      action: 'draft.issued',
      subjectType: 'draft',
      subjectId: draft.id,
      details: { documentId: document.documentId, id: document.id, code: document.code.text, pdfSha256: document.attachments[0]?.sha256 ?? null },
      requestId: clerk.requestId,
    });
    await tx.flush();
    const view = draftView(draft, rows, { code: document.code.text, edxmlDocumentId: document.documentId, pdfSha256: document.attachments[0]?.sha256 ?? null });
    return { draft: view, document };
  });
}

/** 422 when a line (number, date) has neither a text field in the draft nor a place in the agency's template. */
function assertStampable(fields: ReadonlySet<string>, template: StampTemplateValue | undefined): void {
  const missing = [STAMP_FIELDS.number, STAMP_FIELDS.date].filter((name) => !fields.has(name) && !template);
  if (missing.length === 0) return;
  throw new DomainError(
    'VALIDATION_FAILED',
    `The draft has no text field ${missing.join(' or ')} and the agency has no stamp template (PUT /v1/agencies/{code}/stamp-template): nowhere to write the number and date. No number was taken.`,
    {
      vi: `Dự thảo không có ô ${missing.join(', ')} và cơ quan chưa khai báo mẫu vị trí cấp số: không biết ghi số và ngày ban hành vào đâu. Chưa có số văn bản nào được cấp.`,
    },
  );
}
