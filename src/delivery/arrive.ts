import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agency } from '../directory/agency.entity.js';
import type { EdocPackage } from '../edxml/model.js';
import { attachmentSize, type VerifiedPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import { normaliseFileName, servedContentType } from '../packages/attachment-policy.js';
import type { AttachmentInfo, InboxItem, InboxVersion } from './inbox.entity.js';
import { addInboxItem, addInboxVersion, heldItem } from './inbox-items.repository.js';
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
    const evidence = pdfs?.[index];
    return {
      index,
      name: normaliseFileName(a.attachmentName, `attachment-${index + 1}`),
      contentType: servedContentType(a.contentType),
      size: attachmentSize(a),
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
  const to = header.to.length > MAX_STORED_RECIPIENTS ? (recipientIndex(edoc).get(agencyCode) ?? []) : header.to;
  return JSON.parse(
    JSON.stringify({ messageHeader: { ...header, to, ...(to.length < header.to.length ? { toCount: header.to.length } : {}) }, bussiness: edoc.traceHeaderList.bussiness }),
  ) as Record<string, unknown>;
}

type ToEntry = EdocPackage['messageHeader']['to'][number];
const recipientIndexes = new WeakMap<EdocPackage, Map<string, ToEntry[]>>();

/**
 * The package's To entries by OrganId, made once per package: a batch puts one package into many
 * inboxes, and looking each recipient up in a list of 10,000 made a fan-out quadratic again.
 */
function recipientIndex(edoc: EdocPackage): Map<string, ToEntry[]> {
  let index = recipientIndexes.get(edoc);
  if (!index) {
    index = new Map();
    for (const t of edoc.messageHeader.to) {
      const same = index.get(t.organId);
      if (same) same.push(t);
      else index.set(t.organId, [t]);
    }
    recipientIndexes.set(edoc, index);
  }
  return index;
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
  const existing = await heldItem(em, agency.code, packageId);
  if (existing) return { item: existing, created: false };
  return { item: newInboxItem(em, agency, pkg, packageId, deliveryId, addressedTo), created: true };
}

/**
 * The inbox item of a verified edoc for a local agency, added to the unit of work of `em`. The caller
 * has made sure the agency does not hold this package yet (receiveIntoInbox; a batch looks up all its
 * recipients at once); the unique (agency, package) constraint stops a second item all the same.
 */
export function newInboxItem(em: EntityManager, agency: Agency, pkg: VerifiedPackage, packageId: string, deliveryId: string | null, addressedTo: string | null = null): InboxItem {
  return addInboxItem(em, inboxItemRow(agency, pkg, packageId, deliveryId, new Date(), addressedTo));
}

/**
 * The row of a new inbox item (newInboxItem; a batch inserts many at once). UNKNOWN_RECIPIENT if not
 * addressed to `agency` — or to `addressedTo`, the closed agency `agency` receives it for (issue 19).
 */
export function inboxItemRow(agency: Agency, pkg: VerifiedPackage, packageId: string, deliveryId: string | null, now = new Date(), addressedTo: string | null = null): InboxItem {
  const edoc = verifiedEdoc(pkg);
  const header = edoc.messageHeader;
  const named = addressedTo ?? agency.code;
  if (!recipientIndex(edoc).has(named)) {
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
 * (never a second item: one DocumentId, one incoming number). The clerk answers it with 15 or 16. The
 * version keeps what the item showed when it came (`previous`): a 15 moves the update onto the item,
 * and the earlier version must stay the recipient's to read and to seal (receivedVersions).
 */
export function newInboxVersion(em: EntityManager, item: InboxItem, pkg: VerifiedPackage, packageId: string, now = new Date()): InboxVersion {
  const edoc = verifiedEdoc(pkg);
  if (edoc.traceHeaderList.bussiness.bussinessDocType !== 2) throw new Error('not an update package');
  return addInboxVersion(em, {
    id: randomUUID(),
    inboxItemId: item.id,
    packageId,
    reason: edoc.traceHeaderList.bussiness.bussinessDocReason ?? null,
    subject: edoc.messageHeader.subject,
    metadata: itemMetadata(edoc, item.agencyCode),
    attachments: attachmentInfos(edoc, receivedPdfEvidence(pkg)),
    previous: { packageId: item.packageId, subject: item.subject, metadata: item.metadata, attachments: item.attachments },
    state: 'pending',
    receivedAt: now,
    answeredAt: null,
  });
}

/** One version of a received document as the recipient holds it (receivedVersions). */
export interface ReceivedVersion {
  /** 1: the document as first received; 2, 3 …: the sender's updates, in the order they came. */
  number: number;
  kind: 'original' | 'update';
  /** The InboxVersion row of an update; null for the first version. */
  id: string | null;
  packageId: string;
  subject: string;
  reason: string | null;
  /** `received` for the first version; an update's as the clerk answered it (15 accepted, 16 refused). */
  state: 'received' | InboxVersion['state'];
  receivedAt: Date;
  answeredAt: Date | null;
  metadata: Record<string, unknown>;
  attachments: AttachmentInfo[];
  /** The version the item shows now (its package, subject and files). */
  current: boolean;
}

/**
 * Every version of an item, oldest first: the document as first received, then each update (`rows`,
 * the item's InboxVersions in any order). The first version is the earliest update's `previous`, or
 * the item itself while it has no update. An item updated and answered 15 before updates kept
 * `previous` (rows of migration 20261208110000 that could not be filled) has no first version here:
 * its numbering still counts it, so the updates keep their numbers.
 */
export function receivedVersions(item: InboxItem, rows: readonly InboxVersion[]): ReceivedVersion[] {
  const updates = [...rows].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : 1));
  const first = updates.length === 0 ? { packageId: item.packageId, subject: item.subject, metadata: item.metadata, attachments: item.attachments } : (updates[0]!.previous ?? null);
  const versions: ReceivedVersion[] = [];
  if (first) {
    versions.push({
      number: 1,
      kind: 'original',
      id: null,
      packageId: first.packageId,
      subject: first.subject,
      reason: null,
      state: 'received',
      receivedAt: item.receivedAt,
      answeredAt: null,
      metadata: first.metadata,
      attachments: first.attachments,
      current: first.packageId === item.packageId,
    });
  }
  updates.forEach((u, i) =>
    versions.push({
      number: i + 2,
      kind: 'update',
      id: u.id,
      packageId: u.packageId,
      subject: u.subject,
      reason: u.reason ?? null,
      state: u.state,
      receivedAt: u.receivedAt,
      answeredAt: u.answeredAt ?? null,
      metadata: u.metadata,
      attachments: u.attachments,
      current: u.packageId === item.packageId,
    }),
  );
  return versions;
}
