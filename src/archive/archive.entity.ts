import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/*
 * The archive's tables. Sealed evidence (records, checkpoints, certificates, purge marks) is
 * append-only: triggers in the migration refuse UPDATE and DELETE, and a record is only accepted if
 * it links to the previous one. Agency codes are plain columns, not foreign keys: a cascading update
 * of an agency must not try to rewrite sealed rows.
 */

/** One sealed record: a link of an agency's hash chain, with the exact canonical bytes hashed. */
export const ArchiveRecordSchema = defineEntity({
  name: 'ArchiveRecord',
  tableName: 'archive_record',
  uniques: [
    { name: 'archive_record_chain_unique', properties: ['agencyCode', 'chainIndex'] },
    { name: 'archive_record_subject_version_unique', properties: ['subjectId', 'role', 'version'] },
  ],
  properties: {
    id: p.uuid().primary(),
    agencyCode: p.string().length(13),
    chainIndex: p.integer(),
    prevHash: p.string().length(64),
    hash: p.string().length(64).unique(),
    /** `sender` (an outgoing document) or `recipient` (an inbox item). */
    role: p.string().length(10),
    subjectId: p.uuid().index(),
    version: p.integer(),
    /** `final` (every delivery final) or `timeout` (sealed after LIENTHONG_ARCHIVE_AFTER_DAYS). */
    reason: p.string().length(10),
    documentId: p.string().length(300).index(),
    sealedAt: p.datetime(),
    /** The chain entry, canonical JSON: hash = SHA-256 of these bytes. */
    entry: p.text(),
    /** The record content, canonical JSON: SHA-256 = entry.contentSha256. */
    content: p.text(),
    contentSha256: p.string().length(64),
  },
});
export type ArchiveRecord = InferEntity<typeof ArchiveRecordSchema>;

/** The head of an agency's chain: the row appends lock, so two seals never take the same index. */
export const ArchiveChainHeadSchema = defineEntity({
  name: 'ArchiveChainHead',
  tableName: 'archive_chain_head',
  properties: {
    agencyCode: p.string().length(13).primary(),
    lastIndex: p.integer(),
    lastHash: p.string().length(64),
    updatedAt: p.datetime(),
  },
});
export type ArchiveChainHead = InferEntity<typeof ArchiveChainHeadSchema>;

/** The node's signature over an agency's chain head at a time: truncation or rewriting shows. */
export const ArchiveCheckpointSchema = defineEntity({
  name: 'ArchiveCheckpoint',
  tableName: 'archive_checkpoint',
  uniques: [{ name: 'archive_checkpoint_chain_unique', properties: ['agencyCode', 'chainIndex'] }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: p.string().length(13),
    chainIndex: p.integer(),
    hash: p.string().length(64),
    signedAt: p.datetime(),
    /** Canonical JSON of the signed payload. */
    payload: p.text(),
    /** base64 RSA-SHA256 signature over `payload`. */
    signature: p.text(),
    keyId: p.uuid(),
    certificatePem: p.text(),
    /** The CA certificate(s) that issued the signing certificate, at signing time. */
    chainPem: p.text(),
  },
});
export type ArchiveCheckpoint = InferEntity<typeof ArchiveCheckpointSchema>;

/** Certificates sealed records name, kept here so an export still has them after any rotation. */
export const ArchiveCertificateSchema = defineEntity({
  name: 'ArchiveCertificate',
  tableName: 'archive_certificate',
  properties: {
    fingerprintSha256: p.string().length(64).primary(),
    certificatePem: p.text(),
    createdAt: p.datetime(),
  },
});
export type ArchiveCertificate = InferEntity<typeof ArchiveCertificateSchema>;

/**
 * The node's archive signing keys (checkpoints), issued from the node CA. The newest valid one signs;
 * older ones stay so that what they signed can still be exported. The key is sealed with the master
 * key and only the KeyVault opens it.
 */
export const ArchiveNodeKeySchema = defineEntity({
  name: 'ArchiveNodeKey',
  tableName: 'archive_node_key',
  properties: {
    id: p.uuid().primary(),
    fingerprintSha256: p.string().length(64).unique(),
    certificatePem: p.text(),
    chainPem: p.text(),
    privateKeyEncrypted: p.text(),
    notBefore: p.datetime(),
    notAfter: p.datetime(),
    createdAt: p.datetime().index(),
  },
});
export type ArchiveNodeKey = InferEntity<typeof ArchiveNodeKeySchema>;

/** An agency's retention period: attachments are purged this many days after the record is sealed. */
export const ArchiveRetentionSchema = defineEntity({
  name: 'ArchiveRetention',
  tableName: 'archive_retention',
  properties: {
    agencyCode: p.string().length(13).primary(),
    attachmentsDays: p.integer(),
    updatedAt: p.datetime(),
    updatedBy: p.string().length(150),
  },
});
export type ArchiveRetention = InferEntity<typeof ArchiveRetentionSchema>;

/** A package whose bytes were purged under retention: its digest stays in the sealed records. */
export const ArchivePurgeSchema = defineEntity({
  name: 'ArchivePurge',
  tableName: 'archive_purge',
  properties: {
    packageId: p.uuid().primary(),
    sha256: p.string().length(64).unique(),
    size: p.integer(),
    purgedAt: p.datetime(),
    /** The agencies whose retention periods had all expired. */
    agencies: p.array().columnType('text[]'),
  },
});
export type ArchivePurge = InferEntity<typeof ArchivePurgeSchema>;
