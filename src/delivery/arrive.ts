import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agency } from '../directory/agency.entity.js';
import type { EdocPackage } from '../edxml/model.js';
import type { VerifiedPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import { normaliseFileName, servedContentType } from '../packages/attachment-policy.js';
import { InboxItemSchema, InboxVersionSchema, type AttachmentInfo, type InboxItem, type InboxVersion } from './inbox.entity.js';
import { receivedPdfEvidence, type PdfEvidence } from './pdf-evidence.js';

/** The verified edoc of a VerifiedPackage, or 422 when it is a status package. */
export function verifiedEdoc(pkg: VerifiedPackage): EdocPackage {
  if (pkg.model.kind !== 'edoc') throw new DomainError('VALIDATION_FAILED', 'Expected an edoc package, got a status package.');
  return pkg.model.edoc;
}

/**
 * Attachment list of an edoc, with decoded sizes, in package order. Names and types as the
 * attachment policy normalises them: a received package is never refused for a file's name or
 * type (its bytes are signed), but nothing off the allow-list is ever served as what it claims.
 */
export function attachmentInfos(edoc: EdocPackage, pdfs?: ReadonlyArray<PdfEvidence | null>): AttachmentInfo[] {
  return edoc.attachments.map((a, index) => {
    const b64 = a.contentBase64;
    const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
    const evidence = pdfs?.[index];
    return {
      index,
      name: normaliseFileName(a.attachmentName, `attachment-${index + 1}`),
      contentType: servedContentType(a.contentType),
      size: Math.floor((b64.length * 3) / 4) - padding,
      contentId: a.contentId,
      // The legal signatures inside a PDF, as verified on arrival (issue 17; see verifyReceivedPdfs).
      ...(evidence ? { pdfSignatures: evidence } : {}),
    };
  });
}

/** Above this many recipients an item keeps only its own To entry (and the count); see itemMetadata. */
export const MAX_STORED_RECIPIENTS = 50;

/**
 * The verified header as the item keeps it. A directive to every commune of a province names
 * hundreds of recipients: copying that list into each of them made a fan-out quadratic (1,000 items ×
 * 1,000 entries). Past MAX_STORED_RECIPIENTS the item keeps its own entry and `toCount`; the full
 * list stays in the signed package (GET /v1/inbox/{id}/edxml).
 */
function itemMetadata(edoc: EdocPackage, agencyCode: string): Record<string, unknown> {
  const header = edoc.messageHeader;
  // `agencyCode`: the entry of To the item is for (the closed agency's, when its successor receives it).
  const to = header.to.length > MAX_STORED_RECIPIENTS ? header.to.filter((t) => t.organId === agencyCode) : header.to;
  return JSON.parse(
    JSON.stringify({ messageHeader: { ...header, to, ...(to.length < header.to.length ? { toCount: header.to.length } : {}) }, bussiness: edoc.traceHeaderList.bussiness }),
  ) as Record<string, unknown>;
}

/**
 * Puts a verified edoc package into a local agency's inbox (state arrived). Everything comes from the
 * VerifiedPackage (DESIGN.md §5 step 4). Returns the existing item if this agency already holds this
 * package: the same document is never delivered twice to the same recipient. `addressedTo`: the closed
 * agency the package names when `agency` receives it as its successor (issue 19).
 */
export async function receiveIntoInbox(
  em: EntityManager,
  agency: Agency,
  pkg: VerifiedPackage,
  packageId: string,
  deliveryId: string | null,
  addressedTo: string | null = null,
): Promise<{ item: InboxItem; created: boolean }> {
  const existing = await em.findOne(InboxItemSchema, { agencyCode: agency.code, packageId });
  if (existing) return { item: existing, created: false };
  return { item: newInboxItem(em, agency, pkg, packageId, deliveryId, addressedTo), created: true };
}

/**
 * The inbox item of a verified edoc for a local agency, added to the unit of work of `em`. The caller
 * has made sure the agency does not hold this package yet (receiveIntoInbox; a batch looks up all its
 * recipients at once); the unique (agency, package) constraint stops a second item all the same.
 */
export function newInboxItem(em: EntityManager, agency: Agency, pkg: VerifiedPackage, packageId: string, deliveryId: string | null, addressedTo: string | null = null): InboxItem {
  return em.create(InboxItemSchema, inboxItemRow(agency, pkg, packageId, deliveryId, new Date(), addressedTo));
}

/**
 * The row of a new inbox item (newInboxItem; a batch inserts many at once). UNKNOWN_RECIPIENT if not
 * addressed to `agency` — or to `addressedTo`, the closed agency `agency` receives it for (issue 19).
 */
export function inboxItemRow(agency: Agency, pkg: VerifiedPackage, packageId: string, deliveryId: string | null, now = new Date(), addressedTo: string | null = null): InboxItem {
  const edoc = verifiedEdoc(pkg);
  const header = edoc.messageHeader;
  const named = addressedTo ?? agency.code;
  if (!header.to.some((t) => t.organId === named)) {
    throw new DomainError('UNKNOWN_RECIPIENT', `The package is not addressed to ${named}.`);
  }
  return {
    id: randomUUID(),
    agencyCode: agency.code,
    addressedTo,
    packageId,
    deliveryId,
    partnerId: null,
    senderCode: pkg.senderCode,
    senderName: header.from.organName,
    documentId: header.documentId,
    subject: header.subject,
    metadata: itemMetadata(edoc, named),
    attachments: attachmentInfos(edoc, receivedPdfEvidence(pkg)),
    verification: {
      signatureValid: true,
      certificate: {
        subject: pkg.certificate.subject,
        serialNumber: pkg.certificate.serialNumber,
        issuer: pkg.certificate.issuer,
        fingerprintSha256: pkg.certificate.fingerprintSha256,
      },
      checkedAt: pkg.checkedAt.toISOString(),
      sha256: pkg.sha256,
    },
    state: 'arrived',
    statusCode: '01',
    statusAt: now,
    arrivalNumber: null,
    arrivalYear: null,
    arrivalSeries: null,
    search: '', // the database's trigger writes it
    withdrawnAt: null,
    receivedAt: now,
    updatedAt: now,
  };
}

/**
 * A sender's update (BussinessDocType 2) of a document `item` holds, as a pending version of the item
 * (never a second item: one DocumentId, one incoming number). The clerk answers it with 15 or 16.
 */
export function newInboxVersion(em: EntityManager, item: InboxItem, pkg: VerifiedPackage, packageId: string, now = new Date()): InboxVersion {
  const edoc = verifiedEdoc(pkg);
  if (edoc.traceHeaderList.bussiness.bussinessDocType !== 2) throw new Error('not an update package');
  return em.create(InboxVersionSchema, {
    id: randomUUID(),
    inboxItemId: item.id,
    packageId,
    reason: edoc.traceHeaderList.bussiness.bussinessDocReason ?? null,
    subject: edoc.messageHeader.subject,
    metadata: itemMetadata(edoc, item.agencyCode),
    attachments: attachmentInfos(edoc, receivedPdfEvidence(pkg)),
    state: 'pending',
    receivedAt: now,
    answeredAt: null,
  });
}
