import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { DEFAULT_SERIES, RegisterCounterSchema, RegisterSeriesSchema, type RegisterKind, type RegisterSeries } from './register.entity.js';
import type { TypeCatalog } from './type-catalog.js';

/** The name of the default series as printed on its book (Phụ lục IV). */
export const DEFAULT_SERIES_NAME: Record<RegisterKind, string> = {
  out: 'Sổ đăng ký văn bản đi',
  in: 'Sổ đăng ký văn bản đến',
};

export interface SeriesView {
  kind: RegisterKind;
  code: string;
  name: string;
  /** The types it takes unless a document names another series; the default series takes the rest. */
  types: string[];
  isDefault: boolean;
  /** The years it holds numbers for, with the last number given. */
  years: Array<{ year: number; last: number }>;
}

export interface SeriesInput {
  kind: RegisterKind;
  code: string;
  name: string;
  types: string[];
}

/** Every series of an agency: the default one of each kind first, then its own, by code. */
export async function listSeries(em: EntityManager, agencyCode: string): Promise<SeriesView[]> {
  const [own, counters] = await Promise.all([
    em.find(RegisterSeriesSchema, { agencyCode }, { orderBy: { kind: 'desc', code: 'asc' } }),
    em.find(RegisterCounterSchema, { agencyCode }, { orderBy: { year: 'desc' } }),
  ]);
  const years = (kind: RegisterKind, series: string) => counters.filter((c) => c.kind === kind && c.series === series).map((c) => ({ year: c.year, last: c.last }));
  const defaults = (['out', 'in'] as const).map((kind) => ({ kind, code: DEFAULT_SERIES, name: DEFAULT_SERIES_NAME[kind], types: [], isDefault: true, years: years(kind, DEFAULT_SERIES) }));
  return [...defaults, ...own.map((s) => ({ ...seriesView(s), years: years(s.kind as RegisterKind, s.code) }))];
}

const seriesView = (s: RegisterSeries): Omit<SeriesView, 'years'> => ({ kind: s.kind as RegisterKind, code: s.code, name: s.name, types: s.types, isDefault: false });

/**
 * Defines a series of an agency. Its code is the agency's own (`VBQPPL`); a type may be taken by one
 * series of a kind only, or the rule would be ambiguous (409).
 */
export async function createSeries(
  em: EntityManager,
  actor: { principal: Principal; requestId: string },
  agencyCode: string,
  input: SeriesInput,
  catalog: TypeCatalog,
): Promise<SeriesView> {
  const types = input.types.map((given, i) => {
    const key = catalog.key(given);
    if (!key) {
      throw invalidField(`types.${i}`, {
        en: `is "${given}", which is not a document type key. Accepted: ${catalog.keys.join(', ')}`,
        vi: `"${given}" không phải là loại văn bản. Các loại được chấp nhận: ${catalog.keys.join(', ')}`,
      });
    }
    return key;
  });
  return em.transactional(async (tx) => {
    if (!(await tx.findOne(AgencySchema, { code: agencyCode }))) throw new DomainError('NOT_FOUND', `No agency ${agencyCode}.`, { vi: `Không có cơ quan ${agencyCode}.` });
    // One definition at a time per agency and kind: the checks below then see every committed one.
    await tx.getConnection().execute(`select pg_advisory_xact_lock(hashtext(?))`, [`register_series:${agencyCode}:${input.kind}`], 'all', tx.getTransactionContext());
    const existing = await tx.find(RegisterSeriesSchema, { agencyCode, kind: input.kind });
    if (existing.some((s) => s.code === input.code)) {
      throw new DomainError('CONFLICT', `Agency ${agencyCode} already has a series ${input.code} of ${input.kind === 'out' ? 'outgoing' : 'incoming'} documents.`, {
        vi: `Cơ quan ${agencyCode} đã có sổ ${input.code} (${input.kind === 'out' ? 'văn bản đi' : 'văn bản đến'}).`,
      });
    }
    for (const s of existing) {
      const shared = types.filter((t) => s.types.includes(t));
      if (shared.length) {
        throw new DomainError('CONFLICT', `Series ${s.code} already takes ${shared.join(', ')}: a type goes to one series of a kind.`, {
          vi: `Sổ ${s.code} đã nhận loại ${shared.join(', ')}: mỗi loại văn bản chỉ vào một sổ.`,
        });
      }
    }
    const row = tx.create(RegisterSeriesSchema, { agencyCode, kind: input.kind, code: input.code, name: input.name, types: [...new Set(types)], createdBy: actor.principal.id, createdAt: new Date() });
    recordAudit(tx, {
      actor: actor.principal,
      action: 'register.series.created',
      agencyCode,
      subjectType: 'agency',
      subjectId: agencyCode,
      details: { kind: input.kind, code: input.code, name: input.name, types: row.types },
      requestId: actor.requestId,
    });
    await tx.flush();
    return { ...seriesView(row), years: [] };
  });
}

/**
 * The series a document is registered in: the one the clerk named (`register`, 422 when the agency
 * has no such series of that kind), else the agency's series whose rule takes the document's type,
 * else the default series.
 */
export async function chooseSeries(
  em: EntityManager,
  agencyCode: string,
  kind: RegisterKind,
  typeKey: string | undefined,
  named: string | undefined,
  path = 'register',
): Promise<string> {
  if (named !== undefined) {
    if (named === DEFAULT_SERIES) return DEFAULT_SERIES;
    const code = named.trim().toUpperCase();
    const found = await em.findOne(RegisterSeriesSchema, { agencyCode, kind, code });
    if (found) return found.code;
    const codes = [DEFAULT_SERIES, ...(await em.find(RegisterSeriesSchema, { agencyCode, kind }, { orderBy: { code: 'asc' } })).map((s) => s.code)];
    throw invalidField(path, {
      en: `is "${named}", which is not a series of the agency's ${kind === 'out' ? 'outgoing' : 'incoming'} registers: ${codes.join(', ')}`,
      vi: `"${named}" không phải là sổ ${kind === 'out' ? 'văn bản đi' : 'văn bản đến'} của cơ quan: ${codes.join(', ')}`,
    });
  }
  if (!typeKey) return DEFAULT_SERIES;
  const rows = await em.getConnection().execute<Array<{ code: string }>>(
    `select code from register_series where agency_code = ? and kind = ? and ? = any(types) order by code limit 1`,
    [agencyCode, kind, typeKey],
    'all',
    em.getTransactionContext(),
  );
  return rows[0]?.code ?? DEFAULT_SERIES;
}

/** The series of an agency by kind and code (the default one included), or 404. */
export async function findSeries(em: EntityManager, agencyCode: string, kind: RegisterKind, code: string): Promise<Omit<SeriesView, 'years'>> {
  if (code === DEFAULT_SERIES) return { kind, code, name: DEFAULT_SERIES_NAME[kind], types: [], isDefault: true };
  const row = await em.findOne(RegisterSeriesSchema, { agencyCode, kind, code: code.toUpperCase() });
  if (!row) {
    throw new DomainError('NOT_FOUND', `Agency ${agencyCode} has no ${kind === 'out' ? 'outgoing' : 'incoming'} series ${code}.`, {
      vi: `Cơ quan ${agencyCode} không có sổ ${kind === 'out' ? 'văn bản đi' : 'văn bản đến'} ${code}.`,
    });
  }
  return seriesView(row);
}
