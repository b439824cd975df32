import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { SourceRow, SyncCounts, SyncDiff } from './sync.js';

export const SYNC_SOURCES = ['csv', 'xlsx', 'axis'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

/** Where new agencies of a sync are reached: here (`local`), or through a partner. */
export type SyncEndpoint = { type: 'local' } | { type: 'remote'; partnerId: string };

/**
 * A directory sync (issue 19): the official list as read (the rows), the diff against the directory
 * at the time of the dry run, and, once an administrator applied it, when and by whom. Apply reads
 * the rows again against the directory as it is then, and refuses when the diff is no longer the one
 * that was reviewed.
 */
export const DirectorySyncSchema = defineEntity({
  name: 'DirectorySync',
  tableName: 'directory_sync',
  properties: {
    id: p.uuid().primary(),
    source: p.string().length(10),
    partnerId: p.string().length(100).nullable().index(),
    fileName: p.string().length(300).nullable(),
    fileSha256: p.string().length(64).nullable(),
    /** `api` (an administrator's dry run) or `nightly` (the scheduled job). */
    trigger: p.string().length(10),
    /** `dry_run`, then `applied`. */
    state: p.string().length(10),
    endpoint: p.json<SyncEndpoint>(),
    rows: p.json<SourceRow[]>(),
    diff: p.json<SyncDiff>(),
    counts: p.json<SyncCounts>(),
    createdBy: p.string().length(150),
    createdAt: p.datetime().index(),
    appliedAt: p.datetime().nullable(),
    appliedBy: p.string().length(150).nullable(),
  },
});
export type DirectorySync = InferEntity<typeof DirectorySyncSchema>;

/**
 * What the console shows an administrator: a nightly dry run found differences between the axis's
 * list and the directory, not applied. Resolved when that sync is applied or a later nightly run for
 * the same partner replaces it.
 */
export const DirectorySyncNoticeSchema = defineEntity({
  name: 'DirectorySyncNotice',
  tableName: 'directory_sync_notice',
  properties: {
    id: p.uuid().primary(),
    syncId: p.uuid().index(),
    partnerId: p.string().length(100),
    counts: p.json<SyncCounts>(),
    message: p.text(),
    messageVi: p.text(),
    createdAt: p.datetime(),
    resolvedAt: p.datetime().nullable().index(),
  },
});
export type DirectorySyncNotice = InferEntity<typeof DirectorySyncNoticeSchema>;
