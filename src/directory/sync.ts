/**
 * The diff of a directory sync (issue 19): what the official list (sync-source.ts) says against what
 * the directory holds — new agencies, renamed ones, moved ones (another parent or level), closed ones
 * with their successors — computed in a dry run for an administrator to review, and computed again
 * when it is applied (sync.service.ts), so that what is applied is what was reviewed.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agency, AgencyLevel } from './agency.entity.js';
import { findAgencies, findAgenciesOfPartner } from './directory.repository.js';
import type { SyncEndpoint } from './sync.entity.js';
import type { RowError, SourceRow } from './sync-source.js';
import { successorsOf } from './succession.js';

export type { RowError, SourceRow } from './sync-source.js';

export interface NewAgencyChange {
  code: string;
  name: string;
  parentCode: string | null;
  level: AgencyLevel;
  validFrom: string | null;
  endpoint: SyncEndpoint;
}

export interface RenamedChange {
  code: string;
  from: string;
  to: string;
}

export interface MovedChange {
  code: string;
  name: string;
  fromParent: string | null;
  toParent: string | null;
  fromLevel: AgencyLevel;
  toLevel: AgencyLevel;
}

export interface ClosedChange {
  code: string;
  name: string;
  /** The successor that receives the documents (the first of successorCodes), or null when none is named. */
  successorCode: string | null;
  successorCodes: string[];
  /** ISO 8601: 00:00 in Vietnam on the list's validTo. */
  closedAt: string;
  /** What the directory said before (null: the agency was open). */
  previously: { closedAt: string | null; successorCodes: string[] } | null;
}

export interface SkippedRow {
  row: number;
  code: string;
  reason: string;
  vi: string;
}

/** The diff of a sync (`POST /v1/directory/sync/dry-run`). Every list is sorted by code. */
export interface SyncDiff {
  new: NewAgencyChange[];
  renamed: RenamedChange[];
  moved: MovedChange[];
  closed: ClosedChange[];
  /** Rows that say what the directory says already. */
  unchanged: number;
  /** Rows left out: unreadable, or naming a parent or successor that is neither in the directory nor new. */
  errors: RowError[];
  /** Rows with nothing to do: an agency closed before it was ever in this directory. */
  skipped: SkippedRow[];
  /**
   * From the axis only: agencies the directory reaches through that partner that its list no longer
   * names. Not closed by a sync: the list says nothing of a successor.
   */
  absent: Array<{ code: string; name: string }>;
}

export interface SyncCounts {
  new: number;
  renamed: number;
  moved: number;
  closed: number;
  unchanged: number;
  errors: number;
  skipped: number;
  absent: number;
}

export const countsOf = (d: SyncDiff): SyncCounts => ({
  new: d.new.length,
  renamed: d.renamed.length,
  moved: d.moved.length,
  closed: d.closed.length,
  unchanged: d.unchanged,
  errors: d.errors.length,
  skipped: d.skipped.length,
  absent: d.absent.length,
});

/** Changes a sync would apply (absent agencies and unreadable rows are reported, not applied). */
export const changeCount = (c: SyncCounts): number => c.new + c.renamed + c.moved + c.closed;

/** 00:00 in Vietnam (UTC+7, no daylight saving) on a YYYY-MM-DD day. */
export const vietnamMidnight = (day: string): Date => new Date(`${day}T00:00:00+07:00`);

const byCode = <T extends { code: string }>(a: T, b: T) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/**
 * Compares the list's rows with the directory at `at`. A row names an agency that is:
 * - not in the directory: new (with its parent, level — `other` when the list does not say — and the
 *   endpoint the sync gives new agencies), unless it closed before `at` (skipped: nothing to keep);
 * - in it with another name: renamed; another parent or level (as stated: a blank says nothing): moved;
 * - closed by the list (validTo, and its successors) when the directory does not say the same: closed.
 * A parent or successor must be in the directory or new in the same list, and a successor must not
 * close before the agency it takes over from; otherwise the row is an error (and rows depending on it
 * too). With `absentOf`, agencies of that partner the list does not name are reported as absent.
 */
export async function computeDiff(
  em: EntityManager,
  rows: readonly SourceRow[],
  options: { at: Date; endpoint: SyncEndpoint; readErrors?: readonly RowError[]; absentOf?: string },
): Promise<SyncDiff> {
  const referenced = rows.flatMap((r) => [r.code, ...(r.parentCode ? [r.parentCode] : []), ...r.successorCodes]);
  const existing = new Map((await findAgencies(em, referenced)).map((a) => [a.code, a]));
  const errors: RowError[] = [...(options.readErrors ?? [])];
  const skipped: SkippedRow[] = [];
  const closingOf = (r: SourceRow): Date | null => (r.validTo ? vietnamMidnight(r.validTo) : null);

  // Rows of agencies this directory will hold: those it has, and new ones not closed already.
  let live = rows.filter((r) => {
    const closing = closingOf(r);
    if (existing.has(r.code) || !closing || closing.getTime() > options.at.getTime()) return true;
    skipped.push({
      row: r.row,
      code: r.code,
      reason: `${r.code} (${r.name}) closed on ${r.validTo}, before it was ever in this directory: nothing to keep.`,
      vi: `${r.code} (${r.name}) đã hết hiệu lực từ ${r.validTo}, trước khi có trong danh bạ này: không cần lưu.`,
    });
    return false;
  });

  // Parents and successors must be there; a row whose reference goes away takes its dependants along.
  for (;;) {
    const held = new Set([...existing.keys(), ...live.map((r) => r.code)]);
    const closingByCode = new Map(live.map((r) => [r.code, closingOf(r)]));
    const failed: RowError[] = [];
    for (const r of live) {
      const error = referenceProblem(r, held, existing, closingByCode, closingOf(r));
      if (error) failed.push(error);
    }
    if (failed.length === 0) break;
    errors.push(...failed);
    const out = new Set(failed.map((e) => e.code));
    live = live.filter((r) => !out.has(r.code));
  }

  const diff: SyncDiff = { new: [], renamed: [], moved: [], closed: [], unchanged: 0, errors, skipped, absent: [] };
  for (const r of live) {
    const agency = existing.get(r.code);
    const closing = closingOf(r);
    if (!agency) {
      diff.new.push({ code: r.code, name: r.name, parentCode: r.parentCode, level: r.level ?? 'other', validFrom: r.validFrom, endpoint: options.endpoint });
      if (closing) diff.closed.push(closedChange(r, r.name, closing, null));
      continue;
    }
    let changed = false;
    if (agency.name !== r.name) {
      diff.renamed.push({ code: r.code, from: agency.name, to: r.name });
      changed = true;
    }
    const parent = agency.parentCode ?? null;
    const toParent = r.parentCode ?? parent;
    const toLevel = r.level ?? agency.level;
    if (toParent !== parent || toLevel !== agency.level) {
      diff.moved.push({ code: r.code, name: r.name, fromParent: parent, toParent, fromLevel: agency.level, toLevel });
      changed = true;
    }
    if (closing && !sameClosing(agency, closing, r.successorCodes)) {
      diff.closed.push(closedChange(r, r.name, closing, { closedAt: agency.closedAt?.toISOString() ?? null, successorCodes: successorsOf(agency) }));
      changed = true;
    }
    if (!changed) diff.unchanged += 1;
  }
  if (options.absentOf) {
    const named = new Set(rows.map((r) => r.code));
    for (const a of await findAgenciesOfPartner(em, options.absentOf)) {
      const closedNow = a.closedAt && a.closedAt.getTime() <= options.at.getTime();
      if (!named.has(a.code) && !closedNow) diff.absent.push({ code: a.code, name: a.name });
    }
  }
  diff.new.sort(byCode);
  diff.renamed.sort(byCode);
  diff.moved.sort(byCode);
  diff.closed.sort(byCode);
  diff.absent.sort(byCode);
  diff.errors.sort((a, b) => a.row - b.row);
  diff.skipped.sort((a, b) => a.row - b.row);
  return diff;
}

function closedChange(r: SourceRow, name: string, closing: Date, previously: ClosedChange['previously']): ClosedChange {
  return { code: r.code, name, successorCode: r.successorCodes[0] ?? null, successorCodes: r.successorCodes, closedAt: closing.toISOString(), previously };
}

const sameClosing = (a: Agency, closing: Date, successors: string[]): boolean =>
  a.closedAt?.getTime() === closing.getTime() && JSON.stringify(successorsOf(a)) === JSON.stringify(successors);

/** Why a row's parent or successors cannot be taken, or null. */
function referenceProblem(r: SourceRow, held: Set<string>, existing: Map<string, Agency>, closingByCode: Map<string, Date | null>, closing: Date | null): RowError | null {
  if (r.parentCode && !held.has(r.parentCode)) {
    return {
      row: r.row,
      code: r.code,
      field: 'parentCode',
      message: `The parent ${r.parentCode} of ${r.code} is neither in the directory nor new in this list.`,
      vi: `Cơ quan cấp trên ${r.parentCode} của ${r.code} không có trong danh bạ và cũng không phải cơ quan mới trong danh sách này.`,
    };
  }
  for (const s of r.successorCodes) {
    if (!held.has(s)) {
      return {
        row: r.row,
        code: r.code,
        field: 'successorCode',
        message: `The successor ${s} of ${r.code} is neither in the directory nor new in this list.`,
        vi: `Cơ quan kế thừa ${s} của ${r.code} không có trong danh bạ và cũng không phải cơ quan mới trong danh sách này.`,
      };
    }
    // The list's closing of the successor counts, else the directory's.
    const successorClosing = closingByCode.has(s) ? closingByCode.get(s)! : (existing.get(s)?.closedAt ?? null);
    if (closing && successorClosing && successorClosing.getTime() <= closing.getTime()) {
      return {
        row: r.row,
        code: r.code,
        field: 'successorCode',
        message: `The successor ${s} of ${r.code} closes (${successorClosing.toISOString()}) no later than ${r.code} itself: name its successor instead.`,
        vi: `Cơ quan kế thừa ${s} của ${r.code} ngừng hoạt động (${successorClosing.toISOString()}) không sau ${r.code}: hãy nêu cơ quan kế thừa của nó.`,
      };
    }
  }
  return null;
}
