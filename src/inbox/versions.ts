/**
 * The versions of a received document (issue 12): the document as first received, then each update
 * of its sender (BussinessDocType 2), as the recipient holds them. The item shows one of them — the
 * first, or the last update the clerk took with 15 — and every other stays readable as itself: its
 * header, its files and its package, each from the signed package that carried it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { receivedVersions, type ReceivedVersion } from '../delivery/arrive.js';
import type { InboxItem } from '../delivery/inbox.entity.js';
import { versionsOfItem } from '../delivery/inbox-items.repository.js';
import { DomainError } from '../errors.js';
import { packageBytes, storedPackageDigest } from '../packages/packages.repository.js';
import { attachmentBytes, inboxView } from './inbox.service.js';

/** Every version of an item, oldest first (receivedVersions). */
export async function versionsOf(em: EntityManager, item: InboxItem): Promise<ReceivedVersion[]> {
  return receivedVersions(item, await versionsOfItem(em, item.id));
}

/** Version `number` of an item, or 404 naming the versions it has. */
export async function versionOf(em: EntityManager, item: InboxItem, number: number): Promise<ReceivedVersion> {
  const versions = await versionsOf(em, item);
  const found = versions.find((v) => v.number === number);
  if (!found) {
    const known = versions.map((v) => v.number).join(', ');
    throw new DomainError('NOT_FOUND', `No version ${number} of inbox item ${item.id}; it has ${known}.`, { vi: `Văn bản đến ${item.id} không có phiên bản ${number}; các phiên bản: ${known}.` });
  }
  return found;
}

/**
 * A version's files as the item's are shown (names and types through the attachment policy, the PDF
 * evidence verified on arrival); none once a recall was accepted (15): the copy was destroyed.
 */
const filesOf = (item: InboxItem, v: ReceivedVersion) => inboxView({ ...item, attachments: v.attachments }).attachments;

/**
 * The sender's updates of an item as GET /v1/inbox/{id} lists them (`versions`), oldest first: each
 * with its number (2, 3 …; 1 is the document as first received), its files and whether the item
 * shows it now.
 */
export async function updateViews(em: EntityManager, item: InboxItem) {
  return (await versionsOf(em, item))
    .filter((v) => v.kind === 'update')
    .map((v) => ({
      id: v.id!,
      kind: 'update' as const,
      version: v.number,
      subject: v.subject,
      reason: v.reason,
      state: v.state as Exclude<ReceivedVersion['state'], 'received'>,
      receivedAt: v.receivedAt.toISOString(),
      answeredAt: v.answeredAt?.toISOString() ?? null,
      current: v.current,
      attachments: filesOf(item, v),
    }));
}

/** One version in full (GET /v1/inbox/{id}/versions/{version}): its header, files and package digest. */
export async function versionView(em: EntityManager, item: InboxItem, number: number) {
  const v = await versionOf(em, item, number);
  const pkg = await storedPackageDigest(em, v.packageId);
  if (!pkg) throw new Error(`package ${v.packageId} of version ${v.number} is missing`);
  const header = (v.metadata as { messageHeader?: Record<string, unknown> }).messageHeader ?? {};
  return {
    version: v.number,
    kind: v.kind,
    id: v.id,
    subject: v.subject,
    reason: v.reason,
    state: v.state,
    receivedAt: v.receivedAt.toISOString(),
    answeredAt: v.answeredAt?.toISOString() ?? null,
    current: v.current,
    sha256: pkg.sha256,
    metadata: header,
    attachments: filesOf(item, v),
  };
}

/** A file of one version, from the signed package of that version (410 once the copy was withdrawn). */
export async function versionFile(em: EntityManager, item: InboxItem, number: number, index: number) {
  const v = await versionOf(em, item, number);
  return attachmentBytes(em, { ...item, packageId: v.packageId, attachments: v.attachments }, index);
}

/** The package of one version, exactly as received (410 once the copy was withdrawn, as the item's own). */
export async function versionPackage(em: EntityManager, item: InboxItem, number: number): Promise<Buffer> {
  if (item.withdrawnAt) throw new DomainError('NOT_FOUND', 'This document was recalled (15): its packages are no longer served.', { status: 410 });
  const v = await versionOf(em, item, number);
  return packageBytes(em, v.packageId);
}
