/**
 * Sealing (issue 6): when a document's life ends — every delivery final, or LIENTHONG_ARCHIVE_AFTER_DAYS
 * after it was sent — its evidence is fixed into a record appended to the agency's hash chain. The
 * sender seals its outgoing document; every local recipient seals its inbox item, each in its own chain.
 *
 * The record content names every package by SHA-256 together with what the node verified when it
 * sealed (signer, signing time, attachments' digests), the statuses, the delivery timeline, the audit
 * events and the certificates. A later change (a recall after completion, an operator retrying a failed
 * delivery, an update of the document or its answer) is sealed again as the next version of the same
 * subject; nothing sealed is ever rewritten.
 *
 * A document its sender updated (edXML BussinessDocType 2; issue 12) has versions: the record then
 * seals every one of them — each package that carried a version, verified like the first, and per
 * version its files' digests (format /2, `documentVersions`) — so the archive holds every version the
 * sender sent and every version the recipient received, whichever one the item shows.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditEvent } from '../audit/audit-event.entity.js';
import { listCertificates } from '../certificates/certificates.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { fingerprintSha256, splitPemCertificates } from '../crypto/certificates.js';
import type { TrustStore } from '../crypto/trust.js';
import { receivedVersions, type ReceivedVersion } from '../delivery/arrive.js';
import type { DeliveryUpdate, DocumentEvent, DocumentUpdate, OutgoingDocument } from '../delivery/document.entity.js';
import { FINAL_STATES } from '../delivery/states.js';
import type { XmlLimits } from '../edxml/harden.js';
import { attachmentBytes, createOfflineCertificateCheck, verifyPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';
import type { StatusRecord } from '../delivery/inbox.entity.js';
import type { Package } from '../packages/package.entity.js';
import { storedPackageBytes } from '../packages/packages.repository.js';
import type { ArchiveRecord } from './archive.entity.js';
import {
  advanceChainHead,
  auditOf,
  deliveryEvents,
  documentAttachments,
  documentEvents,
  insertRecord,
  isPurged,
  keepCertificates,
  latestRecord,
  lockChainHead,
  lockDocumentForSeal,
  lockInboxItemForSeal,
  packagesById,
  statusesOfDeliveries,
  statusesOfItem,
  updatesOfDocument,
  versionsOfItem,
} from './archive.repository.js';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import {
  CONTENT_FORMAT,
  ENTRY_FORMAT,
  sha256Hex,
  type ChainEntry,
  type ChainRole,
  type HANDOVER_REASON,
  type HandoverContent,
  type PackageEvidence,
  type RecordContent,
  type SealReason,
  type StatusEvidence,
  type VersionEvidence,
  type VersionFileEvidence,
  VERSIONED_CONTENT_FORMAT,
} from './format.js';

const DAY_MS = 86_400_000;

export interface SealDeps {
  pki: PkiService;
  /** Unfinished documents are sealed this many days after they were sent (snapshot, reason `timeout`). */
  archiveAfterDays: number;
  limits: Partial<XmlLimits>;
}

export type SealOutcome =
  | { sealed: true; agency: string; index: number; hash: string; version: number }
  | { sealed: false; reason: 'missing' | 'unfinished' | 'unchanged' };

/** Seals the sender's record of an outgoing document (a no-op when nothing changed since the last seal). */
export async function sealDocument(em: EntityManager, deps: SealDeps, documentId: string, now = new Date()): Promise<SealOutcome> {
  return em.transactional(async (tx) => {
    const locked = await lockDocumentForSeal(tx, documentId);
    if (!locked) return { sealed: false, reason: 'missing' };
    const { doc, deliveries } = locked;
    const allFinal = deliveries.length > 0 && deliveries.every((d) => FINAL_STATES.includes(d.state));
    const timedOut = doc.createdAt.getTime() <= now.getTime() - deps.archiveAfterDays * DAY_MS;
    if (doc.state === 'queued' || (!allFinal && !timedOut)) return { sealed: false, reason: 'unfinished' };

    const previous = await latestRecord(tx, 'sender', doc.id);
    const evidence = new Evidence(tx, deps, previous);
    const deliveryIds = deliveries.map((d) => d.id);
    const recipientOf = new Map(deliveries.map((d) => [d.id, d.recipientCode]));
    // What the sender holds: the statuses carried to it, and the recalls (13) it sent itself.
    const statuses = (await statusesOfDeliveries(tx, deliveryIds)).filter((s) => s.carried || s.fromCode === doc.agencyCode);
    // A recall makes one package per destination (delivery.recallPackageId); doc.recallPackageId is one of them.
    const recallIds = unique([doc.recallPackageId, ...deliveries.map((d) => d.recallPackageId)]);
    // Its updates: each version after the first, with the packages that carried it.
    const { updates, perDelivery } = await updatesOfDocument(tx, doc.id, deliveryIds);
    const firstIds = unique([doc.packageId, ...deliveries.map((d) => d.packageId)]);
    const updateIds = unique(perDelivery.map((u) => u.packageId));
    const rows = await packagesById(tx, unique([...firstIds, ...updateIds, ...recallIds, ...statuses.map((s) => s.packageId)]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of [...firstIds, ...updateIds]) await evidence.add(need(byId, id), 'document', { from: doc.agencyCode });
    for (const id of recallIds) await evidence.add(need(byId, id), 'recall', { from: doc.agencyCode });
    const attachments = await documentAttachments(tx, doc.id);
    for (const s of statuses) await evidence.add(need(byId, s.packageId), 'status', { from: s.fromCode, statusCode: s.code });

    const content: RecordContent = {
      format: CONTENT_FORMAT,
      agency: doc.agencyCode,
      role: 'sender',
      subject: doc.id,
      documentId: doc.documentId,
      document: {
        id: doc.id,
        documentId: doc.documentId,
        type: doc.type,
        code: `${doc.numberText}/${doc.notation}`,
        year: doc.year,
        number: doc.number,
        subject: doc.subject,
        content: doc.content ?? null,
        promulgation: { place: doc.promulgationPlace, date: doc.promulgationDate },
        signer: json(doc.signer),
        priority: doc.priority,
        steeringType: doc.steeringType,
        dueDate: doc.dueDate ?? null,
        toPlaces: doc.toPlaces,
        to: doc.recipientSpec,
        responseFor: json(doc.responseFor),
        state: doc.state,
        source: doc.source,
        recallReason: doc.recallReason ?? null,
        createdBy: doc.createdBy,
        createdAt: doc.createdAt.toISOString(),
        attachments,
      },
      packages: evidence.packages(),
      deliveries: deliveries.map((d) => ({
        id: d.id,
        recipient: d.recipientCode,
        state: d.state,
        statusCode: d.statusCode ?? null,
        statusAt: d.statusAt?.toISOString() ?? null,
        attempts: d.attempts,
        lastError: d.lastError ?? null,
        packageSha256: evidence.shaOf(d.packageId ?? doc.packageId),
      })),
      // The recipients' statuses are addressed to the sender; a recall (13) to the recipient of its delivery.
      statuses: statuses.map((s) => statusEvidence(s, s.fromCode === doc.agencyCode ? (recipientOf.get(s.deliveryId ?? '') ?? null) : doc.agencyCode, need(byId, s.packageId))),
      events: (await documentEvents(tx, doc.id)).map(eventView),
      audit: (await auditOf(tx, 'document', doc.id)).map(auditView),
      certificates: evidence.fingerprints(),
    };
    if (updates.length) {
      content.format = VERSIONED_CONTENT_FORMAT;
      content.documentVersions = sentVersions(doc, { firstIds, updates, perDelivery, attachments, recipientOf, evidence });
    }
    return appendRecord(tx, { agency: doc.agencyCode, role: 'sender', subject: doc.id, documentId: doc.documentId, reason: allFinal ? 'final' : 'timeout', content, previous, certificates: evidence.certificates });
  });
}

/** Seals a local recipient's record of an inbox item. */
export async function sealInboxItem(em: EntityManager, deps: SealDeps, itemId: string, now = new Date()): Promise<SealOutcome> {
  return em.transactional(async (tx) => {
    const item = await lockInboxItemForSeal(tx, itemId);
    if (!item) return { sealed: false, reason: 'missing' };
    const final = FINAL_STATES.includes(item.state);
    if (!final && item.receivedAt.getTime() > now.getTime() - deps.archiveAfterDays * DAY_MS) return { sealed: false, reason: 'unfinished' };

    const previous = await latestRecord(tx, 'recipient', item.id);
    const evidence = new Evidence(tx, deps, previous);
    const statuses = await statusesOfItem(tx, item.id);
    // Its versions, when its sender updated it: every one it received, whichever the item shows.
    const updates = await versionsOfItem(tx, item.id);
    const versions = updates.length ? receivedVersions(item, updates) : [];
    const documentIds = unique([...versions.map((v) => v.packageId), item.packageId]);
    const rows = await packagesById(tx, unique([...documentIds, ...statuses.map((s) => s.packageId)]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of documentIds) await evidence.add(need(byId, id), 'document', { from: item.senderCode });
    for (const s of statuses) await evidence.add(need(byId, s.packageId), 'status', { from: s.fromCode, statusCode: s.code });

    const content: RecordContent = {
      format: CONTENT_FORMAT,
      agency: item.agencyCode,
      role: 'recipient',
      subject: item.id,
      documentId: item.documentId,
      document: {
        id: item.id,
        documentId: item.documentId,
        sender: { code: item.senderCode, name: item.senderName },
        subject: item.subject,
        // The verified edXML header, as the inbox keeps it (DESIGN.md §5 step 4).
        metadata: json(item.metadata),
        state: item.state,
        statusCode: item.statusCode,
        statusAt: item.statusAt.toISOString(),
        arrivalNumber: item.arrivalNumber ?? null,
        arrivalYear: item.arrivalYear ?? null,
        receivedAt: item.receivedAt.toISOString(),
        withdrawnAt: item.withdrawnAt?.toISOString() ?? null,
        deliveryId: item.deliveryId ?? null,
        partnerId: item.partnerId ?? null,
        // With the PDF signatures as verified on arrival (issue 17).
        attachments: item.attachments.map((a) => ({ index: a.index, name: a.name, contentType: a.contentType, size: a.size, ...(a.pdfSignatures ? { pdfSignatures: a.pdfSignatures } : {}) })),
      },
      packages: evidence.packages(),
      deliveries: [],
      // Each status with the agency it was addressed to: the sender for the recipient's own, the recipient for a 13.
      statuses: statuses.map((s) => statusEvidence(s, s.fromCode === item.agencyCode ? item.senderCode : item.agencyCode, need(byId, s.packageId))),
      // The timeline of this delivery as the sending side recorded it, when the sender is on this node.
      events: item.deliveryId ? (await deliveryEvents(tx, item.deliveryId)).map(eventView) : [],
      audit: (await auditOf(tx, 'inbox-item', item.id)).map(auditView),
      certificates: evidence.fingerprints(),
    };
    if (versions.length) {
      content.format = VERSIONED_CONTENT_FORMAT;
      content.documentVersions = versions.map((v) => receivedVersionEvidence(v, evidence));
    }
    return appendRecord(tx, { agency: item.agencyCode, role: 'recipient', subject: item.id, documentId: item.documentId, reason: final ? 'final' : 'timeout', content, previous, certificates: evidence.certificates });
  });
}

/**
 * Appends a record to the agency's chain under the head's row lock: the next index, the previous
 * hash, the hash of the canonical entry. Skipped when the content equals the last version's. Seals
 * append documents' and items' records; a handover (handover.ts) appends its own kind.
 */
export async function appendRecord(
  tx: EntityManager,
  input: {
    agency: string;
    role: ChainRole;
    subject: string;
    documentId: string;
    reason: SealReason | typeof HANDOVER_REASON;
    content: RecordContent | HandoverContent;
    previous: ArchiveRecord | null;
    certificates: Map<string, string>;
  },
): Promise<SealOutcome> {
  const contentText = canonicalJson(input.content);
  const contentSha256 = sha256Hex(Buffer.from(contentText, 'utf8'));
  if (input.previous && input.previous.contentSha256 === contentSha256) return { sealed: false, reason: 'unchanged' };
  const head = await lockChainHead(tx, input.agency);
  const entry: ChainEntry = {
    format: ENTRY_FORMAT,
    agency: input.agency,
    index: head.lastIndex + 1,
    prevHash: head.lastHash,
    // Taken under the lock, so sealedAt never goes backwards along a chain.
    sealedAt: new Date().toISOString(),
    role: input.role,
    subject: input.subject,
    documentId: input.documentId,
    version: (input.previous?.version ?? 0) + 1,
    reason: input.reason,
    contentSha256,
  };
  const entryBytes = canonicalBytes(entry);
  const hash = sha256Hex(entryBytes);
  await keepCertificates(tx, input.certificates);
  insertRecord(tx, {
    agencyCode: entry.agency,
    chainIndex: entry.index,
    prevHash: entry.prevHash,
    hash,
    role: entry.role,
    subjectId: entry.subject,
    version: entry.version,
    reason: entry.reason,
    documentId: entry.documentId,
    sealedAt: new Date(entry.sealedAt),
    entry: entryBytes.toString('utf8'),
    content: contentText,
    contentSha256,
  });
  await tx.flush();
  await advanceChainHead(tx, entry.agency, entry.index, hash);
  return { sealed: true, agency: entry.agency, index: entry.index, hash, version: entry.version };
}

/**
 * Collects package evidence: each package is verified again, offline-style (chain to the node's
 * trust anchors at its own signing time, agency binding), and its signer's full chain is kept.
 * A package whose bytes were purged keeps the evidence sealed in the previous version.
 */
class Evidence {
  private readonly items = new Map<string, PackageEvidence>();
  private readonly shaById = new Map<string, string>();
  readonly certificates = new Map<string, string>();
  private trust: TrustStore | undefined;
  private readonly earlier: Map<string, PackageEvidence>;
  private readonly earlierFingerprints: string[];
  private reusedEarlier = false;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: SealDeps,
    previous: ArchiveRecord | null,
  ) {
    const content = previous ? (JSON.parse(previous.content) as RecordContent) : undefined;
    this.earlier = new Map((content?.packages ?? []).map((p) => [p.sha256, p]));
    this.earlierFingerprints = content?.certificates ?? [];
  }

  async add(row: Package, role: PackageEvidence['role'], expect: { from: string; statusCode?: string }): Promise<void> {
    this.shaById.set(row.id, row.sha256);
    if (this.items.has(row.sha256)) return;
    const bytes = await storedPackageBytes(this.em, row.id);
    if (bytes.length === 0 && row.size > 0 && (await isPurged(this.em, row.id))) {
      const earlier = this.earlier.get(row.sha256);
      if (!earlier) throw new DomainError('CONFLICT', `Package ${row.sha256} was purged before it was sealed for this record; it cannot be sealed.`);
      this.items.set(row.sha256, earlier);
      this.reusedEarlier = true;
      return;
    }
    this.trust ??= (await this.deps.pki.trust(this.em)).store;
    const intermediates = (await listCertificates(this.em, expect.from)).flatMap((c) => splitPemCertificates(c.chainPem));
    // Legacy (rsa-sha1) signatures are accepted here: such a package was let in only from a partner
    // marked legacy, and the algorithm is sealed with it for the verifier to judge.
    // The offline binding (agency code in the certificate) first, as `lienthong verify` checks the
    // archive later; a certificate bound to its agency only by its registration here is checked
    // against the registry instead (it cannot be told apart offline: see the README).
    const offline = createOfflineCertificateCheck(this.trust, intermediates);
    const registry = await this.deps.pki.certificateCheck(this.em);
    const verified = await verifyPackage(bytes, {
      checkCertificate: (input) => offline(input).catch(() => registry(input)),
      limits: this.deps.limits,
      allowLegacy: true,
      // The XML work in a memory-capped thread, not on the event loop the API serves from.
      checkXml: this.deps.pki.checkPackageXml,
    });
    // The stored row and the signed bytes must tell the same story; a mismatch means the database was
    // changed behind the application, and sealing it would launder the change.
    const kind = role === 'status' ? 'status' : 'edoc';
    if (verified.kind !== kind || verified.senderCode !== expect.from || verified.sha256 !== row.sha256) {
      throw new DomainError('SIGNATURE_INVALID', `Package ${row.id} does not verify as the ${role} package of ${expect.from} the database says it is.`);
    }
    if (verified.model.kind === 'status' && verified.model.status.statusCode !== expect.statusCode) {
      throw new DomainError('SIGNATURE_INVALID', `Status package ${row.id} carries code ${verified.model.status.statusCode}, the database says ${expect.statusCode}.`);
    }
    const chain = this.trust.validate(verified.certificate.certificatePem, { at: verified.signingTime, intermediates }).chainPem;
    for (const pem of chain) this.certificates.set(fingerprintSha256(pem), pem);
    this.items.set(row.sha256, {
      role,
      sha256: row.sha256,
      size: bytes.length,
      from: verified.senderCode,
      signer: {
        fingerprintSha256: verified.certificate.fingerprintSha256,
        subject: verified.certificate.subject,
        serialNumber: verified.certificate.serialNumber,
        issuer: verified.certificate.issuer,
      },
      signedAt: verified.signingTime.toISOString(),
      signatureAlgorithm: verified.signatureAlgorithm,
      statusCode: verified.model.kind === 'status' ? verified.model.status.statusCode : null,
      attachments:
        verified.model.kind === 'edoc'
          ? verified.model.edoc.attachments.map((a, index) => {
              const decoded = attachmentBytes(a);
              return { index, name: a.attachmentName, contentType: a.contentType ?? 'application/octet-stream', size: decoded.length, sha256: sha256Hex(decoded) };
            })
          : [],
    });
  }

  shaOf(id: string | null | undefined): string | null {
    return id ? (this.shaById.get(id) ?? null) : null;
  }

  /** The attachments of a document package added here (their digests as the signed package carries them). */
  attachmentsOf(id: string | null | undefined): PackageEvidence['attachments'] {
    const sha = this.shaOf(id);
    return (sha ? this.items.get(sha)?.attachments : undefined) ?? [];
  }

  /** Documents first, then recalls, then statuses in the order they were added. */
  packages(): PackageEvidence[] {
    const order = { document: 0, recall: 1, status: 2 } as const;
    return [...this.items.values()].sort((a, b) => order[a.role] - order[b.role]);
  }

  /** Fingerprints of every certificate the record needs, sorted. */
  fingerprints(): string[] {
    // A purged package's signer chain cannot be read again: the earlier version's certificates
    // (all kept in archive_certificate) are carried over.
    return [...new Set([...this.certificates.keys(), ...(this.reusedEarlier ? this.earlierFingerprints : [])])].sort();
  }
}

/**
 * The versions an outgoing document went out in: 1 as registered, then each update, each with the
 * packages that carried it (one per destination) and its files. The files are the stored ones for the
 * current version, and going back, each update's `changes.attachments.from` for the version before it
 * (an update without new files kept them); a package its agency's own software signed had no files
 * stored, so its package's are taken.
 */
function sentVersions(
  doc: OutgoingDocument,
  input: {
    firstIds: string[];
    updates: DocumentUpdate[];
    perDelivery: DeliveryUpdate[];
    attachments: Array<{ index: number; name: string; contentType: string; size: number; sha256: string; pdfSignatures?: unknown }>;
    recipientOf: Map<string, string>;
    evidence: Evidence;
  },
): VersionEvidence[] {
  const { updates, perDelivery, evidence } = input;
  const packagesOf = (u: DocumentUpdate) => unique(perDelivery.filter((d) => d.updateId === u.id).map((d) => d.packageId));
  const newest = updates.length ? packagesOf(updates[updates.length - 1]!) : input.firstIds;
  let files: VersionFileEvidence[] = input.attachments.length || doc.source !== 'edxml' ? input.attachments : evidence.attachmentsOf(newest[0]);
  const filesOf: VersionFileEvidence[][] = [];
  for (let i = updates.length; i >= 0; i--) {
    filesOf[i] = files;
    const changed = updates[i - 1]?.changes.attachments?.from;
    if (Array.isArray(changed)) files = (changed as Array<Omit<VersionFileEvidence, 'index'>>).map((f, index) => ({ index, name: f.name, contentType: f.contentType, size: f.size, sha256: f.sha256 }));
  }
  return [
    { number: 1, kind: 'original', id: null, at: doc.createdAt.toISOString(), reason: null, subject: subjectOfVersion(updates, 0, doc.subject), packages: input.firstIds.map((id) => evidence.shaOf(id)!), attachments: filesOf[0]! },
    ...updates.map(
      (u, i): VersionEvidence => ({
        number: i + 2,
        kind: 'update',
        id: u.id,
        at: u.createdAt.toISOString(),
        reason: u.reason,
        subject: subjectOfVersion(updates, i + 1, doc.subject),
        packages: packagesOf(u).map((id) => evidence.shaOf(id)!),
        attachments: filesOf[i + 1]!,
        changed: Object.keys(u.changes).sort(),
        answers: perDelivery
          .filter((d) => d.updateId === u.id)
          .map((d) => ({ recipient: input.recipientOf.get(d.deliveryId) ?? '', state: d.state, answeredAt: d.answeredAt?.toISOString() ?? null, packageSha256: evidence.shaOf(d.packageId) })),
      }),
    ),
  ];
}

/**
 * The trích yếu of version `k` (0: as registered; k: the one update k-1 made), from the updates'
 * changes: what update k-1 changed it to, else what the next update that changed it changed it from,
 * else the document's own, which no update changed since.
 */
function subjectOfVersion(updates: DocumentUpdate[], k: number, current: string): string {
  const text = (u: DocumentUpdate | undefined, side: 'from' | 'to'): string | null => {
    const change = u?.changes.subject;
    return change && typeof change[side] === 'string' ? change[side] : null;
  };
  const own = k > 0 ? text(updates[k - 1], 'to') : null;
  if (own !== null) return own;
  for (const later of updates.slice(k)) {
    const from = text(later, 'from');
    if (from !== null) return from;
  }
  return current;
}

/** A received version as the record seals it: its package, its answer, its files with their digests. */
function receivedVersionEvidence(v: ReceivedVersion, evidence: Evidence): VersionEvidence {
  const digests = evidence.attachmentsOf(v.packageId);
  return {
    number: v.number,
    kind: v.kind,
    id: v.id,
    at: v.receivedAt.toISOString(),
    reason: v.reason,
    subject: v.subject,
    packages: [evidence.shaOf(v.packageId)!],
    attachments: v.attachments.map((a) => ({
      index: a.index,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      sha256: digests[a.index]?.sha256 ?? '',
      ...(a.pdfSignatures ? { pdfSignatures: json(a.pdfSignatures) } : {}),
    })),
    state: v.state,
    answeredAt: v.answeredAt?.toISOString() ?? null,
    current: v.current,
  };
}

function statusEvidence(s: StatusRecord, recipient: string | null, row: Package): StatusEvidence {
  return {
    id: s.id,
    code: s.code,
    from: s.fromCode,
    direction: s.direction,
    deliveryId: s.deliveryId ?? null,
    recipient,
    description: s.description ?? null,
    at: s.createdAt.toISOString(),
    packageSha256: row.sha256,
  };
}

function eventView(e: DocumentEvent): Record<string, unknown> {
  return {
    id: String(e.id),
    at: e.at.toISOString(),
    type: e.type,
    deliveryId: e.deliveryId ?? null,
    recipient: e.recipientCode ?? null,
    state: e.state ?? null,
    statusCode: e.statusCode ?? null,
    statusId: e.statusId ?? null,
    details: json(e.details ?? null),
  };
}

function auditView(a: AuditEvent): Record<string, unknown> {
  return {
    id: String(a.id),
    at: a.at.toISOString(),
    actorType: a.actorType,
    actorId: a.actorId ?? null,
    agencyCode: a.agencyCode ?? null,
    action: a.action,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    details: json(a.details ?? null),
    requestId: a.requestId ?? null,
  };
}

/** A JSON column's value as plain JSON (drops undefined members, turns dates into strings). */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

function unique(ids: Array<string | null | undefined>): string[] {
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
}

function need(byId: Map<string, Package>, id: string): Package {
  const row = byId.get(id);
  if (!row) throw new Error(`package ${id} is missing`);
  return row;
}
