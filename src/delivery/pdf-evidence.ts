/**
 * The legal signatures inside a document's PDFs (issue 17; NĐ 30/2020 Điều 5, Phụ lục I): the package
 * signature decides delivery, these decide whether the document is an official one. Each PDF is
 * verified once, when the document is sent or arrives, and the verdict is kept with the attachment,
 * so the API, the console, the timeline and the sealed archive record all show the same evidence —
 * what the node saw at that time, with the trust anchors it had then.
 */
import { attachmentBytes, type VerifiedPackage } from '../edxml/verify-package.js';
import { verifyPdfSignatures, type PdfDocumentProblem, type PdfSignatureReport } from '../pdf/verify.js';

/** One signature as the API shows it (`pdfSignatures[]` of an attachment). */
export interface PdfSignatureView {
  signer: string | null;
  organisation: string | null;
  role: PdfSignatureReport['role'];
  /** ISO 8601, the time the signature claims. */
  signedAt: string | null;
  coversWholeFile: boolean;
  valid: boolean;
  problems: string[];
}

/** The verdict on one PDF attachment. */
export interface PdfEvidence {
  /** The person's signature and then the agency's (of the sender), every one valid (NĐ 30 Điều 5). */
  officiallySigned: boolean;
  problems: PdfDocumentProblem[];
  signatures: PdfSignatureView[];
}

/** Whether a file is a PDF to verify: by its declared type, or by its name when the type says nothing. */
export function isPdf(file: { name: string; contentType: string }): boolean {
  const type = file.contentType.toLowerCase();
  return type === 'application/pdf' || ((type === '' || type === 'application/octet-stream') && /\.pdf$/i.test(file.name));
}

/**
 * The verdict on each PDF of a document (null for files that are not PDFs), against the node's trust
 * anchors; the agency signature must be bound to `senderCode`. Bounded in size and time by the
 * verifier's limits: a hostile PDF gets a verdict, never a crash or a hang.
 */
export function pdfEvidence(files: ReadonlyArray<{ name: string; contentType: string; content: Uint8Array }>, anchorsPem: readonly string[], senderCode: string, now = new Date()): Array<PdfEvidence | null> {
  return files.map((file) => {
    if (!isPdf(file)) return null;
    const verdict = verifyPdfSignatures(file.content, { trustAnchors: anchorsPem, expectedAgencyCode: senderCode, now });
    return {
      officiallySigned: verdict.officiallySigned,
      problems: [...verdict.problems],
      signatures: verdict.signatures.map((s) => ({
        signer: s.signer,
        organisation: s.organisation,
        role: s.role,
        signedAt: s.signedAt?.toISOString() ?? null,
        coversWholeFile: s.coversWholeFile,
        valid: s.valid,
        problems: [...s.problems],
      })),
    };
  });
}

// The verdicts on a received package's PDFs, kept with the verified package object: a package going
// to many recipients (a batch of deliveries, one VerifiedCache entry) has its PDFs verified once.
const RECEIVED = new WeakMap<VerifiedPackage, Array<PdfEvidence | null>>();

/**
 * Verifies the PDFs of a received edoc (once per VerifiedPackage object) against the node's anchors,
 * the agency signature bound to the package's sender; attachmentInfos then carries each verdict.
 */
export function verifyReceivedPdfs(pkg: VerifiedPackage, anchorsPem: readonly string[]): void {
  if (pkg.model.kind !== 'edoc' || RECEIVED.has(pkg)) return;
  const files = pkg.model.edoc.attachments.map((a) => ({ name: a.attachmentName, contentType: a.contentType ?? '', content: attachmentBytes(a) }));
  RECEIVED.set(pkg, pdfEvidence(files, anchorsPem, pkg.senderCode, pkg.checkedAt));
}

/** The verdicts verifyReceivedPdfs recorded for a package, in attachment order, if it ran. */
export const receivedPdfEvidence = (pkg: VerifiedPackage): ReadonlyArray<PdfEvidence | null> | undefined => RECEIVED.get(pkg);

/** How an attachment shows its PDF's signatures in the API: `pdfSignatures`, `officiallySigned`, `pdfProblems` (PDFs only). */
export function pdfSignaturesView(evidence: PdfEvidence | undefined): { pdfSignatures?: PdfSignatureView[]; officiallySigned?: boolean; pdfProblems?: string[] } {
  return evidence ? { pdfSignatures: evidence.signatures, officiallySigned: evidence.officiallySigned, pdfProblems: evidence.problems } : {};
}
