/**
 * Exports: one self-contained archive file per sealed record (a deterministic store-only ZIP) and a
 * range of an agency's chain (canonical JSON). Both are built from the sealed rows and the stored
 * package bytes as they are: if the database was changed behind the application, the export says so
 * by failing `lienthong verify`, which is the point — the file is checked without trusting us.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PkiService } from '../certificates/pki.service.js';
import { DomainError } from '../errors.js';
import type { ArchiveRecord } from './archive.entity.js';
import { certificatesByFingerprint, checkpointsBetween, entriesBetween, lastRecordOf, latestRecord, packageBySha, purgesBySha, recordsBetween } from './archive.repository.js';
import { canonicalBytes } from './canonical-json.js';
import { checkpointFor, signedCheckpoint } from './checkpoint.js';
import {
  ARCHIVE_README,
  buildManifest,
  certificateFileName,
  CHAIN_EXPORT_FORMAT,
  CHECKPOINT_NAME,
  CONTENT_NAME,
  ENTRY_NAME,
  isPurgeable,
  MANIFEST_NAME,
  packageFileName,
  README_NAME,
  SEGMENT_NAME,
  sha256Hex,
  type ArchiveRole,
  type ChainEntry,
  type ChainExport,
  type HandoverContent,
  type ManifestFile,
  type RecordContent,
} from './format.js';
import { dosDateTime, writeZip, type ZipFile } from './zip.js';

/** Largest range one chain export holds (records with their contents). */
export const MAX_CHAIN_EXPORT = 1_000;

/** The latest sealed record of a subject, or 409 CONFLICT saying when it will be sealed. */
export async function sealedRecord(em: EntityManager, role: ArchiveRole, subjectId: string, archiveAfterDays: number): Promise<ArchiveRecord> {
  const record = await latestRecord(em, role, subjectId);
  if (!record) {
    throw new DomainError(
      'CONFLICT',
      `Not sealed yet: a ${role === 'sender' ? 'document' : 'received document'} is sealed into the archive when every delivery is final ` +
        `(completed, refused, recalled, recall_refused, failed) or ${archiveAfterDays} days after it was sent.`,
    );
  }
  return record;
}

/** Builds the archive file of a sealed record: the record, its packages, chain segment, checkpoint, certificates. */
export async function buildArchiveFile(em: EntityManager, pki: PkiService, record: ArchiveRecord): Promise<{ bytes: Buffer; fileName: string }> {
  const checkpoint = await checkpointFor(em, pki, record.agencyCode, record.chainIndex);
  const content = JSON.parse(record.content) as RecordContent;
  const entry = JSON.parse(record.entry) as ChainEntry;
  const segment = (await entriesBetween(em, record.agencyCode, record.chainIndex + 1, checkpoint.chainIndex)).map((e) => JSON.parse(e) as ChainEntry);
  const purges = await purgesBySha(em, content.packages.map((p) => p.sha256));
  const certificates = await certificatesByFingerprint(em, content.certificates);

  const files: ZipFile[] = [
    { name: README_NAME, data: Buffer.from(ARCHIVE_README, 'utf8') },
    { name: ENTRY_NAME, data: Buffer.from(record.entry, 'utf8') },
    { name: CONTENT_NAME, data: Buffer.from(record.content, 'utf8') },
  ];
  // A recipient that accepted a recall (15) destroyed its copy (NĐ 30/2020 Điều 18.4.b): its record
  // keeps the document's digest, the statuses and the time of destruction, not the content.
  const withdrawnAt = content.role === 'recipient' && typeof content.document.withdrawnAt === 'string' ? content.document.withdrawnAt : null;
  const purged: Array<ManifestFile & { purgedAt: string }> = [];
  for (const p of content.packages) {
    const name = packageFileName(p);
    const purge = purges.get(p.sha256);
    if (isPurgeable(p) && (purge || withdrawnAt)) {
      purged.push({ name, sha256: p.sha256, size: p.size, purgedAt: purge?.purgedAt.toISOString() ?? withdrawnAt! });
      continue;
    }
    const stored = await packageBySha(em, p.sha256);
    if (!stored) throw new Error(`package ${p.sha256} of record ${record.agencyCode}#${record.chainIndex} is not stored`);
    files.push({ name, data: stored.bytes });
  }
  files.push({ name: SEGMENT_NAME, data: canonicalBytes(segment) }, { name: CHECKPOINT_NAME, data: canonicalBytes(signedCheckpoint(checkpoint)) });
  for (const fingerprint of content.certificates) {
    const pem = certificates.get(fingerprint);
    if (!pem) throw new Error(`certificate ${fingerprint} named by record ${record.agencyCode}#${record.chainIndex} is not kept`);
    files.push({ name: certificateFileName(fingerprint), data: Buffer.from(pem, 'utf8') });
  }
  const manifest = buildManifest({
    entry,
    hash: record.hash,
    checkpoint: signedCheckpoint(checkpoint).payload,
    files: files.map((f) => ({ name: f.name, sha256: sha256Hex(f.data), size: f.data.length })),
    purged,
  });
  const bytes = writeZip([{ name: MANIFEST_NAME, data: canonicalBytes(manifest) }, ...files], dosDateTime(record.sealedAt));
  const safeId = record.documentId.replace(/[^\p{L}\p{N}.-]+/gu, '_');
  return { bytes, fileName: `archive-${record.agencyCode}-${record.chainIndex}-${safeId}.zip` };
}

/**
 * A range of an agency's chain with the record contents, every checkpoint in it, and the entries
 * after it up to the checkpoint that covers its end (made now if there is none yet).
 */
export async function buildChainExport(em: EntityManager, pki: PkiService, agencyCode: string, range: { from?: number; to?: number }): Promise<ChainExport> {
  const head = await lastRecordOf(em, agencyCode);
  if (!head) throw new DomainError('NOT_FOUND', `The archive chain of ${agencyCode} is empty: nothing has been sealed for it yet.`);
  const from = range.from ?? 1;
  const to = range.to ?? head.chainIndex;
  if (from < 1 || to < from) throw new DomainError('VALIDATION_FAILED', `The range from=${from} to=${to} is empty; give 1 ≤ from ≤ to.`, { errors: [{ path: 'from', message: 'from ≤ to' }] });
  if (to > head.chainIndex) throw new DomainError('VALIDATION_FAILED', `The chain of ${agencyCode} ends at record ${head.chainIndex}; to=${to} is beyond it.`, { errors: [{ path: 'to', message: `at most ${head.chainIndex}` }] });
  if (to - from + 1 > MAX_CHAIN_EXPORT) {
    throw new DomainError('VALIDATION_FAILED', `A chain export holds at most ${MAX_CHAIN_EXPORT} records; ask for a smaller range (from=${from} to=${to}).`, {
      errors: [{ path: 'to', message: `at most from+${MAX_CHAIN_EXPORT - 1}` }],
    });
  }
  const covering = await checkpointFor(em, pki, agencyCode, to);
  const rows = await recordsBetween(em, agencyCode, from, to);
  const records = rows.map((r) => ({ entry: JSON.parse(r.entry) as ChainEntry, content: JSON.parse(r.content) as RecordContent | HandoverContent }));
  const tail = (await entriesBetween(em, agencyCode, to + 1, covering.chainIndex)).map((e) => JSON.parse(e) as ChainEntry);
  const checkpoints = (await checkpointsBetween(em, agencyCode, from, covering.chainIndex)).map(signedCheckpoint);
  // A handover record carries its signer's certificates itself (HandoverContent.signature).
  const fingerprints = [...new Set(records.flatMap((r) => ('certificates' in r.content ? r.content.certificates : [])))].sort();
  const pems = await certificatesByFingerprint(em, fingerprints);
  return {
    format: CHAIN_EXPORT_FORMAT,
    agency: agencyCode,
    from,
    to,
    records,
    tail,
    checkpoints,
    certificates: Object.fromEntries(fingerprints.map((f) => [f, pems.get(f) ?? ''])),
  };
}
