/**
 * Directory sync (issue 19): the official list read from a file or from the axis, compared with the
 * directory in a dry run that is stored for review, then applied by an administrator — every change
 * in the audit trail. The nightly job (queues/processors/directory-sync.ts) runs the axis dry run for
 * the partners configured for it and leaves a notice when the lists differ; it applies only when
 * LIENTHONG_DIRECTORY_SYNC_APPLY=true.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { DomainError } from '../errors.js';
import { principalKey, type Principal } from '../http/context.js';
import { AgencySchema, type AgencyDecisionValue } from './agency.entity.js';
import { findAgencies, findPartner } from './directory.repository.js';
import { applySuccession } from './succession.js';
import { changeCount, computeDiff, countsOf, type ClosedChange, type NewAgencyChange, type SyncCounts, type SyncDiff } from './sync.js';
import { DirectorySyncNoticeSchema, DirectorySyncSchema, type DirectorySync, type SyncEndpoint, type SyncSource } from './sync.entity.js';
import { findSync, resolveNotices } from './sync.repository.js';
import { readListFile, rowsFromAxis, type AxisAgencyRow, type RowError, type SourceRow } from './sync-source.js';
import type { Partner } from './partner.entity.js';

/** Who runs a sync: a person or token, or the nightly job. */
export interface SyncActor {
  principal: Principal | { kind: 'system'; id: string };
  requestId?: string;
}

/** Reads an axis partner's getAgenciesList (the runtime wires the axis client: src/transport/axis-client.ts). */
export type AxisAgenciesReader = (partner: Partner) => Promise<AxisAgencyRow[]>;

const actorKey = (a: SyncActor): string => (a.principal.kind === 'system' ? `system:${a.principal.id}` : principalKey(a.principal));

/** The API view of a sync. */
export function syncView(s: DirectorySync) {
  return {
    id: s.id,
    source: s.source as SyncSource,
    partnerId: s.partnerId ?? null,
    fileName: s.fileName ?? null,
    fileSha256: s.fileSha256 ?? null,
    trigger: s.trigger as 'api' | 'nightly',
    state: s.state as 'dry_run' | 'applied',
    endpoint: s.endpoint,
    counts: s.counts,
    diff: s.diff,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    appliedAt: s.appliedAt?.toISOString() ?? null,
    appliedBy: s.appliedBy ?? null,
  };
}
export type SyncView = ReturnType<typeof syncView>;

/** The endpoint new agencies of a file sync get: local, or reached through `partnerId` (which must exist). */
async function endpointFor(em: EntityManager, partnerId: string | undefined): Promise<SyncEndpoint> {
  if (!partnerId) return { type: 'local' };
  if (!(await findPartner(em, partnerId))) {
    throw new DomainError('VALIDATION_FAILED', `partnerId: there is no partner ${partnerId}.`, {
      errors: [{ path: 'partnerId', message: `no partner ${partnerId}`, vi: `không có đối tác ${partnerId}` }],
    });
  }
  return { type: 'remote', partnerId };
}

async function storeDryRun(
  em: EntityManager,
  actor: SyncActor,
  input: { source: SyncSource; partnerId: string | null; fileName: string | null; fileSha256: string | null; trigger: 'api' | 'nightly'; endpoint: SyncEndpoint; rows: SourceRow[]; readErrors: RowError[] },
): Promise<DirectorySync> {
  const diff = await computeDiff(em, input.rows, {
    at: new Date(),
    endpoint: input.endpoint,
    readErrors: input.readErrors,
    ...(input.source === 'axis' && input.partnerId ? { absentOf: input.partnerId } : {}),
  });
  const counts = countsOf(diff);
  const sync = em.create(DirectorySyncSchema, {
    id: randomUUID(),
    source: input.source,
    partnerId: input.partnerId,
    fileName: input.fileName,
    fileSha256: input.fileSha256,
    trigger: input.trigger,
    state: 'dry_run',
    endpoint: input.endpoint,
    rows: input.rows,
    diff,
    counts,
    createdBy: actorKey(actor),
    createdAt: new Date(),
    appliedAt: null,
    appliedBy: null,
  });
  recordAudit(em, {
    actor: actor.principal,
    action: 'directory.sync.dry-run',
    subjectType: 'directory-sync',
    subjectId: sync.id,
    details: { source: input.source, partnerId: input.partnerId, fileName: input.fileName, counts },
    ...(actor.requestId ? { requestId: actor.requestId } : {}),
  });
  await em.flush();
  return sync;
}

/** A dry run of a CSV or XLSX list (admin). New agencies are local, or remote through `partnerId`. */
export async function dryRunFile(
  em: EntityManager,
  actor: SyncActor,
  file: { bytes: Buffer; fileName?: string | undefined; contentType?: string | undefined },
  options: { partnerId?: string | undefined } = {},
): Promise<DirectorySync> {
  const endpoint = await endpointFor(em, options.partnerId);
  const read = await readListFile(file.bytes, file);
  return storeDryRun(em, actor, {
    source: read.kind,
    partnerId: options.partnerId ?? null,
    fileName: file.fileName?.slice(0, 300) ?? null,
    fileSha256: createHash('sha256').update(file.bytes).digest('hex'),
    trigger: 'api',
    endpoint,
    rows: read.rows,
    readErrors: read.errors,
  });
}

/**
 * A dry run of an axis partner's getAgenciesList. New agencies are reached through that partner;
 * agencies of the partner the list no longer names are reported as absent.
 */
export async function dryRunAxis(em: EntityManager, actor: SyncActor, partnerId: string, read: AxisAgenciesReader | undefined, trigger: 'api' | 'nightly' = 'api'): Promise<DirectorySync> {
  const partner = await findPartner(em, partnerId);
  if (!partner) {
    throw new DomainError('VALIDATION_FAILED', `partnerId: there is no partner ${partnerId}.`, { errors: [{ path: 'partnerId', message: `no partner ${partnerId}` }] });
  }
  if (partner.kind !== 'axis' || !partner.baseUrl) {
    throw new DomainError('VALIDATION_FAILED', `partnerId: ${partnerId} is not an axis partner with a baseUrl; only the axis answers getAgenciesList.`, {
      errors: [{ path: 'partnerId', message: 'not an axis partner with a baseUrl', vi: 'không phải đối tác trục liên thông có baseUrl' }],
      vi: `${partnerId} không phải đối tác trục liên thông có địa chỉ (baseUrl); chỉ trục trả lời getAgenciesList.`,
    });
  }
  if (!read) throw new DomainError('UNAVAILABLE', 'This process cannot call the axis (no axis client is wired).');
  let list: AxisAgencyRow[];
  try {
    list = await read(partner);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('UNAVAILABLE', `The axis of partner ${partnerId} did not answer getAgenciesList: ${(error as Error).message}`, {
      vi: `Trục liên thông của đối tác ${partnerId} không trả lời getAgenciesList: ${(error as Error).message}`,
      cause: error,
    });
  }
  const { rows, errors } = rowsFromAxis(list);
  return storeDryRun(em, actor, {
    source: 'axis',
    partnerId,
    fileName: null,
    fileSha256: null,
    trigger,
    endpoint: { type: 'remote', partnerId },
    rows,
    readErrors: errors,
  });
}

/** JSON with object members sorted: the stored diff comes back from jsonb with its keys reordered. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The changes of a diff, without what is only reported: what apply compares. */
const changesOf = (d: SyncDiff) => sortedJson({ new: d.new, renamed: d.renamed, moved: d.moved, closed: d.closed });

/** New agencies, parents before their children. */
function parentsFirst(list: NewAgencyChange[]): NewAgencyChange[] {
  const pending = new Map(list.map((n) => [n.code, n]));
  const out: NewAgencyChange[] = [];
  while (pending.size) {
    const ready = [...pending.values()].filter((n) => !n.parentCode || !pending.has(n.parentCode));
    // The diff's references were checked; a loop of parents among new rows is the list's own error.
    if (!ready.length) throw new DomainError('VALIDATION_FAILED', `The new agencies ${[...pending.keys()].join(', ')} are each other's parents.`);
    for (const n of ready) {
      out.push(n);
      pending.delete(n.code);
    }
  }
  return out;
}

/**
 * Applies a dry run (admin): computes the diff again from the stored rows against the directory as it
 * is now and refuses (409) when it is not the one reviewed; otherwise, in one transaction, creates the
 * new agencies (parents first), renames and moves, then closes (with their successors, through the
 * same checks as PATCH /v1/agencies/{code}, and `decision` when given), each change an audit event
 * naming the sync. A sync is applied once.
 */
export async function applySync(em: EntityManager, actor: SyncActor, id: string, input: { decision?: AgencyDecisionValue | undefined } = {}): Promise<{ sync: DirectorySync; applied: SyncCounts }> {
  return em.transactional(async (tx) => {
    const sync = await findSync(tx, id, true);
    if (!sync) throw new DomainError('NOT_FOUND', `No directory sync ${id}.`);
    if (sync.state === 'applied') {
      throw new DomainError('CONFLICT', `The directory sync ${id} was applied on ${sync.appliedAt?.toISOString()} by ${sync.appliedBy}; run a new dry run.`, {
        vi: `Lần đồng bộ danh bạ ${id} đã được áp dụng lúc ${sync.appliedAt?.toISOString()}; hãy chạy thử lại.`,
      });
    }
    const now = new Date();
    const fresh = await computeDiff(tx, sync.rows, { at: now, endpoint: sync.endpoint, ...(sync.source === 'axis' && sync.partnerId ? { absentOf: sync.partnerId } : {}) });
    if (changesOf(fresh) !== changesOf(sync.diff)) {
      throw new DomainError('CONFLICT', 'The directory changed since this dry run: its diff is no longer the one reviewed. Run the dry run again and review the new diff.', {
        vi: 'Danh bạ đã thay đổi kể từ lần chạy thử này: kết quả so sánh không còn như đã xem. Hãy chạy thử lại và xem kết quả mới.',
        extensions: { counts: countsOf(fresh) },
      });
    }
    const audit = (action: string, code: string, details: Record<string, unknown>) =>
      recordAudit(tx, { actor: actor.principal, action, subjectType: 'agency', subjectId: code, agencyCode: code, details: { ...details, sync: id }, ...(actor.requestId ? { requestId: actor.requestId } : {}) });

    for (const n of parentsFirst(fresh.new)) {
      tx.create(AgencySchema, {
        code: n.code,
        name: n.name,
        administrativeUnit: null,
        level: n.level,
        parentCode: n.parentCode,
        address: null,
        email: null,
        phone: null,
        fax: null,
        website: null,
        endpointType: n.endpoint.type,
        partnerId: n.endpoint.type === 'remote' ? n.endpoint.partnerId : null,
        validFrom: n.validFrom,
        validTo: null,
        active: true,
        createdAt: now,
        updatedAt: now,
      });
      audit('agency.created', n.code, { name: n.name, level: n.level, parentCode: n.parentCode, endpoint: n.endpoint });
      // A partner may act for the agencies it serves (as POST /v1/agencies does for a remote agency).
      if (n.endpoint.type === 'remote') {
        const partner = await findPartner(tx, n.endpoint.partnerId);
        if (partner && !partner.agencies.includes(n.code)) partner.agencies = [...partner.agencies, n.code].sort();
      }
      await tx.flush();
    }
    const touched = new Map((await findAgencies(tx, [...fresh.renamed, ...fresh.moved, ...fresh.closed].map((c) => c.code))).map((a) => [a.code, a]));
    for (const r of fresh.renamed) {
      touched.get(r.code)!.name = r.to;
      audit('agency.renamed', r.code, { from: r.from, to: r.to });
    }
    for (const m of fresh.moved) {
      const agency = touched.get(m.code)!;
      agency.parentCode = m.toParent;
      agency.level = m.toLevel;
      audit('agency.moved', m.code, { fromParent: m.fromParent, toParent: m.toParent, fromLevel: m.fromLevel, toLevel: m.toLevel });
    }
    await tx.flush();
    const closings = [...fresh.closed].sort((a, b) => a.closedAt.localeCompare(b.closedAt) || (a.code < b.code ? -1 : 1));
    for (const c of closings) await close(tx, touched.get(c.code) ?? (await findAgencies(tx, [c.code]))[0]!, c, input.decision, audit);
    sync.state = 'applied';
    sync.appliedAt = now;
    sync.appliedBy = actorKey(actor);
    await resolveNotices(tx, { syncId: id }, now);
    const applied = countsOf(fresh);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'directory.sync.applied',
      subjectType: 'directory-sync',
      subjectId: id,
      details: { source: sync.source, partnerId: sync.partnerId ?? null, counts: applied, decision: input.decision ?? null },
      ...(actor.requestId ? { requestId: actor.requestId } : {}),
    });
    await tx.flush();
    return { sync, applied };
  });
}

async function close(
  tx: EntityManager,
  agency: Parameters<typeof applySuccession>[1],
  c: ClosedChange,
  decision: AgencyDecisionValue | undefined,
  audit: (action: string, code: string, details: Record<string, unknown>) => void,
): Promise<void> {
  try {
    await applySuccession(tx, agency, { successorCodes: c.successorCodes, closedAt: c.closedAt, ...(decision ? { decision } : {}) });
  } catch (error) {
    // Name the agency: the field paths of applySuccession are those of one PATCH.
    if (error instanceof DomainError) throw new DomainError(error.code, `${c.code}: ${error.message}`, { ...(error.errors ? { errors: error.errors.map((e) => ({ ...e, path: `closed.${c.code}.${e.path}` })) } : {}), ...(error.vi ? { vi: `${c.code}: ${error.vi}` } : {}) });
    throw error;
  }
  audit('agency.closed', c.code, { closedAt: c.closedAt, successorCodes: c.successorCodes, decision: agency.decision ?? null, previously: c.previously });
  await tx.flush();
}

/** The sentences of a notice (English, Vietnamese). */
function noticeText(partnerId: string, syncId: string, c: SyncCounts): { en: string; vi: string } {
  return {
    en:
      `The axis of partner ${partnerId} lists ${c.new} new, ${c.renamed} renamed, ${c.moved} moved and ${c.closed} closed agencies the directory does not have yet` +
      `${c.absent ? `, and no longer names ${c.absent} of the partner's agencies` : ''}. Review the dry run ${syncId} and apply it: POST /v1/directory/sync/${syncId}/apply.`,
    vi:
      `Danh mục của trục liên thông (đối tác ${partnerId}) có ${c.new} cơ quan mới, ${c.renamed} đổi tên, ${c.moved} đổi cấp trên hoặc cấp và ${c.closed} ngừng hoạt động mà danh bạ chưa cập nhật` +
      `${c.absent ? `; ${c.absent} cơ quan của đối tác không còn trong danh mục` : ''}. Hãy xem lần chạy thử ${syncId} rồi áp dụng.`,
  };
}

/**
 * The nightly sync of one axis partner: a dry run; when it differs from the directory, a notice for
 * the console (replacing that partner's earlier ones), and, with `apply`, the changes applied at once
 * by the system. Returns the sync and whether it was applied.
 */
export async function nightlySync(em: EntityManager, partnerId: string, read: AxisAgenciesReader, options: { apply: boolean }): Promise<{ sync: DirectorySync; applied: boolean; notice: boolean }> {
  const actor: SyncActor = { principal: { kind: 'system', id: 'directory-sync' } };
  const sync = await dryRunAxis(em.fork(), actor, partnerId, read, 'nightly');
  const now = new Date();
  await resolveNotices(em.fork(), { partnerId }, now);
  const differs = changeCount(sync.counts) > 0;
  if (differs && options.apply) {
    const { sync: applied } = await applySync(em.fork(), actor, sync.id);
    return { sync: applied, applied: true, notice: false };
  }
  if (differs || sync.counts.absent > 0) {
    const text = noticeText(partnerId, sync.id, sync.counts);
    const f = em.fork();
    f.create(DirectorySyncNoticeSchema, { id: randomUUID(), syncId: sync.id, partnerId, counts: sync.counts, message: text.en, messageVi: text.vi, createdAt: now, resolvedAt: null });
    await f.flush();
    return { sync, applied: false, notice: true };
  }
  return { sync, applied: false, notice: false };
}
