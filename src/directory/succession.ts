import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, type FieldError } from '../errors.js';
import { vietnamToday } from '../util/vietnam-time.js';
import type { Agency, AgencyDecisionValue, AgencyLevel } from './agency.entity.js';
import { findAgencies, findAgency, findPredecessors } from './directory.repository.js';

/**
 * Reorganisation (issue 19; DESIGN.md §4 "Reorganisation"): agencies merge, split and close. A closed
 * agency names its successors, the first of them the one that receives documents still addressed to
 * it (a merger has one successor; a split names every agency that took part of its work, the one
 * that carries on its correspondence first). From `closedAt` on it receives nothing itself.
 */

/**
 * How far a chain of successors is followed. The order of closings the writes keep (a successor
 * closes after its predecessor) already forbids cycles; this bounds the reads all the same.
 */
const MAX_CHAIN = 32;

/** The agencies that took over from `a`, the one that receives its documents first. */
export const successorsOf = (a: Pick<Agency, 'successorCodes'>): string[] => a.successorCodes ?? [];

/** Closed at `at`: its `closedAt` is that instant or earlier. */
export const isClosedAt = (a: Pick<Agency, 'closedAt'>, at: Date): boolean => a.closedAt !== null && a.closedAt !== undefined && a.closedAt.getTime() <= at.getTime();

/** Open at `at`: active, within its validity dates (days in Vietnam) and not closed. */
export function isOpenAt(a: Pick<Agency, 'active' | 'validFrom' | 'validTo' | 'closedAt'>, at: Date): boolean {
  const day = vietnamToday(at);
  return a.active && (!a.validFrom || a.validFrom <= day) && (!a.validTo || a.validTo >= day) && !isClosedAt(a, at);
}

/**
 * The open agency that receives what is addressed to the closed agency `closed` at `at`: its first
 * successor, or that one's first successor when it closed too, and so on; with the closed agencies
 * passed (`closed` first). Null when the chain ends without an open agency.
 */
export async function openSuccessorOf(em: EntityManager, closed: Agency, at: Date): Promise<{ agency: Agency; via: string[] } | null> {
  const via = [closed.code];
  let current = closed;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const next = successorsOf(current)[0];
    if (!next || via.includes(next)) return null;
    const agency = await findAgency(em, next);
    if (!agency) return null;
    if (!isClosedAt(agency, at)) return isOpenAt(agency, at) ? { agency, via } : null;
    via.push(agency.code);
    current = agency;
  }
  return null;
}

/** Who receives what is addressed to an agency code (receivingAgencyFor). */
export interface ReceivingAgency {
  /** The open agency that receives it: the code's own agency, or its open successor. */
  agency: Agency;
  /** The code asked for when it is closed and `agency` is its successor; null when it is open itself. */
  redirectedFrom: string | null;
  /** The closed agencies passed on the way, the code asked for first; empty when it is open. */
  via: string[];
}

/**
 * For a package that arrives for `code` at `at` (a partner's, on the exchange API): the open agency
 * that receives it — the agency itself while it is open, its open successor once it is closed
 * (following the chain when the successor closed too). Null when no agency has the code, when it is
 * inactive or out of its validity dates without being closed, or when it is closed and no open
 * successor follows it: then the package is refused as today (UNKNOWN_RECIPIENT). The answer may be
 * a remote agency: whoever receives checks `agency.endpointType` as for any recipient.
 */
export async function receivingAgencyFor(em: EntityManager, code: string, at: Date = new Date()): Promise<ReceivingAgency | null> {
  const agency = await findAgency(em, code);
  if (!agency) return null;
  if (!isClosedAt(agency, at)) return isOpenAt(agency, at) ? { agency, redirectedFrom: null, via: [] } : null;
  const successor = await openSuccessorOf(em, agency, at);
  return successor ? { agency: successor.agency, redirectedFrom: code, via: successor.via } : null;
}

/**
 * Whether `code` took over from the closed agency `closed`: one of its successors, or one of theirs
 * down the chain (every successor of a split counts). A status signed by such an agency answers for
 * the closed one (the successor received its documents, or its handed-over copies).
 */
export async function isSuccessorOf(em: EntityManager, code: string, closed: Pick<Agency, 'code' | 'successorCodes'>): Promise<boolean> {
  const seen = new Set([closed.code]);
  let frontier = successorsOf(closed);
  for (let depth = 0; frontier.length && depth < MAX_CHAIN; depth++) {
    if (frontier.includes(code)) return true;
    for (const c of frontier) seen.add(c);
    frontier = (await findAgencies(em, frontier)).flatMap(successorsOf).filter((c) => !seen.has(c));
  }
  return false;
}

/** An agency named in a message: its code and name. */
export interface AgencyRef {
  code: string;
  name: string;
}

/** What a sender is told about a closed recipient (AGENCY_CLOSED, group warnings). */
export interface ClosedAgencyInfo extends AgencyRef {
  closedAt: string;
  decision: AgencyDecisionValue | null;
  /** Its successors as the directory names them, the one that receives its documents first. */
  successors: AgencyRef[];
  /** The open agency that receives its documents now (the end of the chain), or null. */
  receivingAgency: AgencyRef | null;
}

/** What the directory says of a closed agency at `at`, for messages (see ClosedAgencyInfo). */
export async function closedAgencyInfo(em: EntityManager, agency: Agency, at: Date): Promise<ClosedAgencyInfo> {
  const names = new Map((await findAgencies(em, successorsOf(agency))).map((a) => [a.code, a.name]));
  const receiving = await openSuccessorOf(em, agency, at);
  return {
    code: agency.code,
    name: agency.name,
    closedAt: agency.closedAt!.toISOString(),
    decision: agency.decision ?? null,
    successors: successorsOf(agency).map((code) => ({ code, name: names.get(code) ?? code })),
    receivingAgency: receiving ? { code: receiving.agency.code, name: receiving.agency.name } : null,
  };
}

/** An instant in Vietnam time, ISO 8601 to the minute with its offset: `2025-07-01T00:00+07:00`. */
export function vietnamIso(iso: string): string {
  return `${new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 16)}+07:00`;
}

/** An instant as a Vietnamese reader writes it, in Vietnam time: `01/07/2025 00:00`. */
export function vietnameseDateTime(iso: string): string {
  const local = vietnamIso(iso);
  return `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11, 16)}`;
}

const named = (a: AgencyRef) => `${a.code} (${a.name})`;

/** "A (…)", "A (…) and B (…)", "A (…), B (…) and C (…)" — or with "và" in Vietnamese. */
export function namedList(agencies: readonly AgencyRef[], and: string): string {
  const each = agencies.map(named);
  const last = each.pop();
  return each.length ? `${each.join(', ')} ${and} ${last}` : (last ?? '');
}

/** One sentence on a closed agency and where its documents go, in English and Vietnamese. */
export function closedAgencySentence(info: ClosedAgencyInfo): { en: string; vi: string } {
  const split = info.successors.length > 1;
  const en =
    `${named(info)} closed on ${vietnamIso(info.closedAt)}` +
    (info.decision ? ` (${info.decision.number} of ${info.decision.date})` : '') +
    (info.successors.length ? `; its ${split ? 'successors are' : 'successor is'} ${namedList(info.successors, 'and')}` : '; it has no successor') +
    (info.receivingAgency ? (split || info.receivingAgency.code !== info.successors[0]?.code ? `; its documents go to ${named(info.receivingAgency)}` : '') : '; no open agency receives its documents') +
    '.';
  const vi =
    `${named(info)} đã ngừng hoạt động từ ${vietnameseDateTime(info.closedAt)}` +
    (info.decision ? ` (theo ${info.decision.number} ngày ${info.decision.date.split('-').reverse().join('/')})` : '') +
    (info.successors.length ? `; cơ quan kế thừa: ${namedList(info.successors, 'và')}` : '; không có cơ quan kế thừa') +
    (info.receivingAgency
      ? split || info.receivingAgency.code !== info.successors[0]?.code
        ? `; văn bản gửi cơ quan này do ${named(info.receivingAgency)} nhận`
        : ''
      : '; không có cơ quan đang hoạt động nào nhận văn bản thay') +
    '.';
  return { en, vi };
}

/** What PATCH /v1/agencies/{code} may say about succession. */
export interface SuccessionPatch {
  /** The successor that receives the documents; alone, the only successor (a merger). Null: none. */
  successorCode?: string | null | undefined;
  /** Every successor (a split), the one that receives the documents first unless successorCode names another. Null: none. */
  successorCodes?: string[] | null | undefined;
  /** ISO 8601 with offset. Null: open again. */
  closedAt?: string | null | undefined;
  decision?: AgencyDecisionValue | null | undefined;
}

/** A 422 on succession fields, each message a sentence in both languages. */
function invalid(errors: FieldError[]): DomainError {
  return new DomainError('VALIDATION_FAILED', `The succession is not valid: ${errors.map((e) => e.message).join(' ')}`, {
    errors,
    vi: `Thông tin kế thừa không hợp lệ: ${errors.map((e) => e.vi ?? e.message).join(' ')}`,
  });
}

/** The successors a patch leaves, each with the request path that named it. */
function nextSuccessors(current: string[], patch: SuccessionPatch): Array<{ code: string; path: string }> {
  if (patch.successorCodes !== undefined) {
    const list = (patch.successorCodes ?? []).map((code, i) => ({ code, path: `successorCodes.${i}` }));
    const receiver = patch.successorCode;
    if (receiver === undefined || receiver === null) return list;
    const at = list.findIndex((s) => s.code === receiver);
    if (at < 0) {
      throw invalid([
        {
          path: 'successorCode',
          message: `The successor that receives the documents (${receiver}) must be one of successorCodes.`,
          vi: `Cơ quan kế thừa nhận văn bản (${receiver}) phải nằm trong danh sách successorCodes.`,
        },
      ]);
    }
    return [list[at]!, ...list.filter((_, i) => i !== at)];
  }
  if (patch.successorCode !== undefined) return patch.successorCode === null ? [] : [{ code: patch.successorCode, path: 'successorCode' }];
  return current.map((code, i) => ({ code, path: `successorCodes.${i}` }));
}

/**
 * Applies the succession fields of a patch to `agency` (admin, in the caller's transaction) after
 * checking them: every successor exists, is not the agency itself, is named once, is not already
 * closed when this agency closes (name its own successor instead), and leads back to this agency
 * by no chain of successors (no cycle); an agency with successors or a decision has `closedAt`; an
 * agency that names this one as its successor closed before this one closes. 422 VALIDATION_FAILED
 * naming the field. Returns whether anything was given.
 */
export async function applySuccession(em: EntityManager, agency: Agency, patch: SuccessionPatch): Promise<boolean> {
  if (patch.successorCode === undefined && patch.successorCodes === undefined && patch.closedAt === undefined && patch.decision === undefined) return false;
  const successors = nextSuccessors(successorsOf(agency), patch);
  const closedAt = patch.closedAt === undefined ? (agency.closedAt ?? null) : patch.closedAt === null ? null : new Date(patch.closedAt);
  const decision = patch.decision === undefined ? (agency.decision ?? null) : patch.decision;
  const errors: FieldError[] = [];
  if (closedAt === null && successors.length) {
    errors.push({
      path: 'closedAt',
      message: 'An agency with a successor needs closedAt, the instant it closes (ISO 8601 with offset).',
      vi: 'Cơ quan có cơ quan kế thừa phải có thời điểm ngừng hoạt động (closedAt, theo ISO 8601 có múi giờ).',
    });
  }
  if (closedAt === null && decision !== null) {
    errors.push({ path: 'decision', message: 'A decision is the act that closes the agency: give closedAt with it.', vi: 'Quyết định là văn bản cho cơ quan ngừng hoạt động: hãy nhập kèm thời điểm ngừng hoạt động (closedAt).' });
  }
  const seen = new Set<string>();
  for (const s of successors) {
    if (s.code === agency.code) {
      errors.push({ path: s.path, message: `An agency cannot be its own successor (${s.code}).`, vi: `Cơ quan không thể kế thừa chính mình (${s.code}).` });
    } else if (seen.has(s.code)) {
      errors.push({ path: s.path, message: `${s.code} is named twice.`, vi: `${s.code} được nêu hai lần.` });
    }
    seen.add(s.code);
  }
  const others = successors.filter((s) => s.code !== agency.code);
  const found = new Map((await findAgencies(em, others.map((s) => s.code))).map((a) => [a.code, a]));
  const missing = others.filter((s) => !found.has(s.code));
  for (const s of missing) {
    errors.push({ path: s.path, message: `There is no agency ${s.code} in the directory.`, vi: `Không có cơ quan nào mang mã ${s.code} trong danh bạ.` });
  }
  // Said first: a cycle also breaks the order of closings below, but the cycle is what to fix.
  const cycle = missing.length ? null : await cycleThrough(em, agency.code, others);
  if (cycle) {
    errors.push({
      path: cycle.path,
      message: `The succession would go round in a cycle: ${cycle.chain.join(' → ')}.`,
      vi: `Quan hệ kế thừa sẽ tạo thành vòng lặp: ${cycle.chain.join(' → ')}.`,
    });
    throw invalid(errors);
  }
  for (const s of others) {
    const successor = found.get(s.code);
    if (successor && closedAt && successor.closedAt && successor.closedAt.getTime() <= closedAt.getTime()) {
      errors.push({
        path: s.path,
        message: `${named(successor)} is itself closed since ${vietnamIso(successor.closedAt.toISOString())}, not after this agency closes: name its successor instead.`,
        vi: `${named(successor)} đã ngừng hoạt động từ ${vietnameseDateTime(successor.closedAt.toISOString())}, không sau thời điểm cơ quan này ngừng hoạt động: hãy nêu cơ quan kế thừa của nó.`,
      });
    }
  }
  if (closedAt) {
    for (const p of await findPredecessors(em, [agency.code])) {
      if (p.code !== agency.code && p.closedAt && p.closedAt.getTime() >= closedAt.getTime()) {
        errors.push({
          path: 'closedAt',
          message: `${named(p)} names this agency as its successor and closes on ${vietnamIso(p.closedAt.toISOString())}: this agency must close after it.`,
          vi: `${named(p)} nhận cơ quan này làm cơ quan kế thừa và ngừng hoạt động từ ${vietnameseDateTime(p.closedAt.toISOString())}: cơ quan này phải ngừng hoạt động sau đó.`,
        });
      }
    }
  }
  if (errors.length) throw invalid(errors);
  agency.successorCodes = successors.length ? successors.map((s) => s.code) : null;
  agency.closedAt = closedAt;
  agency.decision = decision;
  return true;
}

/**
 * A chain of successors from `successors` back to `code`, if any (`code → s → … → code`), and the
 * field of the successor it starts from. Every successor is followed, not only the receiving one:
 * a split's part that came back to its origin would be a cycle too.
 */
async function cycleThrough(em: EntityManager, code: string, successors: Array<{ code: string; path: string }>): Promise<{ path: string; chain: string[] } | null> {
  const chainTo = new Map<string, { chain: string[]; path: string }>(successors.map((s) => [s.code, { chain: [code, s.code], path: s.path }]));
  let frontier = successors.map((s) => s.code);
  for (let depth = 0; frontier.length && depth < MAX_CHAIN; depth++) {
    const next: string[] = [];
    for (const a of await findAgencies(em, frontier)) {
      const from = chainTo.get(a.code)!;
      for (const s of successorsOf(a)) {
        if (s === code) return { path: from.path, chain: [...from.chain, code] };
        if (!chainTo.has(s)) {
          chainTo.set(s, { chain: [...from.chain, s], path: from.path });
          next.push(s);
        }
      }
    }
    frontier = next;
  }
  return null;
}

/** One agency of a lineage. */
export interface LineageEntry {
  code: string;
  name: string;
  level: AgencyLevel;
  closedAt: string | null;
  decision: AgencyDecisionValue | null;
  successorCodes: string[];
  /** Steps from the agency asked about: 1 for a direct predecessor or successor. */
  depth: number;
}

/** GET /v1/agencies/{code}/lineage. */
export interface Lineage {
  agency: LineageEntry;
  /** Who receives documents addressed to this agency now: itself while open, its open successor once closed, else null. */
  receivingAgency: AgencyRef | null;
  /** The agencies it took over from, and theirs, nearest first. */
  predecessors: LineageEntry[];
  /** The agencies that took over from it, and theirs, nearest first. */
  successors: LineageEntry[];
}

const lineageEntry = (a: Agency, depth: number): LineageEntry => ({
  code: a.code,
  name: a.name,
  level: a.level,
  closedAt: a.closedAt?.toISOString() ?? null,
  decision: a.decision ?? null,
  successorCodes: successorsOf(a),
  depth,
});

/** The agencies related to `start` one way (successors or predecessors), transitively, nearest first, then by code. */
async function walk(em: EntityManager, start: Agency, step: (frontier: Agency[]) => Promise<Agency[]>): Promise<LineageEntry[]> {
  const seen = new Set([start.code]);
  const out: LineageEntry[] = [];
  let frontier = [start];
  for (let depth = 1; frontier.length && depth <= MAX_CHAIN; depth++) {
    const next = (await step(frontier)).filter((a) => !seen.has(a.code)).sort((a, b) => (a.code < b.code ? -1 : 1));
    for (const a of next) {
      seen.add(a.code);
      out.push(lineageEntry(a, depth));
    }
    frontier = next;
  }
  return out;
}

/** The lineage of an agency (predecessors and successors, transitively), or null when there is no such agency. */
export async function agencyLineage(em: EntityManager, code: string, at: Date = new Date()): Promise<Lineage | null> {
  const agency = await findAgency(em, code);
  if (!agency) return null;
  const receiving = await receivingAgencyFor(em, code, at);
  return {
    agency: lineageEntry(agency, 0),
    receivingAgency: receiving ? { code: receiving.agency.code, name: receiving.agency.name } : null,
    predecessors: await walk(em, agency, (frontier) => findPredecessors(em, frontier.map((a) => a.code))),
    successors: await walk(em, agency, (frontier) => findAgencies(em, frontier.flatMap(successorsOf))),
  };
}
