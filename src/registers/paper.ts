import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { vietnamToday, vietnamYear } from '../util/vietnam-time.js';
import { nextRegisterNumber, numberText } from './numbering.js';
import { PaperDocumentSchema, type PaperDocument, type RegisterKind } from './register.entity.js';
import type { PaperInInput, PaperOutInput } from './registers.schemas.js';
import { chooseSeries } from './series.js';
import type { TypeCatalog } from './type-catalog.js';

/** A clerk of an agency registering its paper documents. */
export interface Registrar {
  principal: Extract<Principal, { kind: 'user' }>;
  requestId: string;
}

/** A date YYYY-MM-DD as a Vietnamese reader writes it. */
const vietnameseDate = (iso: string): string => iso.split('-').reverse().join('/');

/**
 * Registers a paper document going out (NĐ 30/2020 Điều 15.1: paper and electronic documents share
 * the series): its number is the next of the series, its date of issue today in Vietnam — as a
 * composed document's — and the ký hiệu must fit the type. Nothing is signed or sent.
 */
export async function registerPaperOut(em: EntityManager, clerk: Registrar, input: PaperOutInput, catalog: TypeCatalog, now = new Date()): Promise<PaperView> {
  const type = catalog.key(input.type);
  if (!type) {
    throw invalidField('type', {
      en: `is "${input.type}", which is not a type we know. Accepted: ${catalog.keys.join(', ')}`,
      vi: `"${input.type}" không có trong danh mục. Các loại được chấp nhận: ${catalog.keys.join(', ')}`,
    });
  }
  const problem = catalog.notationProblem(type, input.notation, 'en');
  if (problem) throw invalidField('notation', { en: `must fit the document type: ${problem}`, vi: `phải hợp với loại văn bản: ${catalog.notationProblem(type, input.notation, 'vi')!}` });
  return register(em, clerk, 'out', type, input.register, now, (number) => ({
    type,
    typeName: catalog.name(type) ?? null,
    codeText: `${numberText(number)}/${input.notation}`,
    numberText: numberText(number),
    notation: input.notation,
    subject: input.subject,
    signer: input.signer,
    recipients: input.recipients,
    holder: input.keeper ?? null,
    copies: input.copies ?? null,
    note: input.note ?? null,
  }));
}

/**
 * Registers a paper document that came in (Điều 22.2): the next số đến of the series, today as the
 * day it came. Its own date cannot be after today, nor the day it was handed on before it came.
 */
export async function registerPaperIn(em: EntityManager, clerk: Registrar, input: PaperInInput, catalog: TypeCatalog, now = new Date()): Promise<PaperView> {
  const today = vietnamToday(now);
  if (input.date > today) {
    throw invalidField('date', { en: `(${input.date}) is after today in Vietnam (${today})`, vi: `(${vietnameseDate(input.date)}) sau ngày hôm nay (${vietnameseDate(today)})` });
  }
  if (input.handedOn !== undefined && input.handedOn < today) {
    throw invalidField('handedOn', {
      en: `(${input.handedOn}) is before the day the document came (${today})`,
      vi: `(${vietnameseDate(input.handedOn)}) trước ngày văn bản đến (${vietnameseDate(today)})`,
    });
  }
  const type = input.type === undefined ? undefined : catalog.key(input.type);
  if (input.type !== undefined && !type) {
    throw invalidField('type', {
      en: `is "${input.type}", which is not a type we know. Accepted: ${catalog.keys.join(', ')}`,
      vi: `"${input.type}" không có trong danh mục. Các loại được chấp nhận: ${catalog.keys.join(', ')}`,
    });
  }
  return register(em, clerk, 'in', type, input.register, now, (number) => ({
    type: type ?? null,
    typeName: type ? (catalog.name(type) ?? null) : null,
    codeText: input.code,
    numberText: String(number),
    notation: null,
    subject: input.subject,
    author: input.author,
    documentDate: input.date,
    recipients: [],
    holder: input.holder ?? null,
    handedOn: input.handedOn ?? null,
    note: input.note ?? null,
  }));
}

type Fields = Omit<
  PaperDocument,
  'id' | 'agencyCode' | 'kind' | 'series' | 'year' | 'number' | 'registeredOn' | 'createdBy' | 'createdAt' | 'author' | 'documentDate' | 'signer' | 'handedOn' | 'copies'
> &
  Partial<Pick<PaperDocument, 'author' | 'documentDate' | 'signer' | 'handedOn' | 'copies'>>;

async function register(
  em: EntityManager,
  clerk: Registrar,
  kind: RegisterKind,
  type: string | undefined,
  named: string | undefined,
  now: Date,
  fields: (number: number) => Fields,
): Promise<PaperView> {
  const agencyCode = clerk.principal.agencyCode;
  const year = vietnamYear(now);
  return em.transactional(async (tx) => {
    const agency = await tx.findOneOrFail(AgencySchema, { code: agencyCode });
    if (!agency.active) throw new DomainError('FORBIDDEN', `Agency ${agencyCode} is not active.`, { vi: `Cơ quan ${agencyCode} không còn hoạt động.` });
    const series = await chooseSeries(tx, agencyCode, kind, type, named);
    // The counter row's lock is held from here to COMMIT, as for an electronic document.
    const number = await nextRegisterNumber(tx, agencyCode, year, kind, series);
    const row = tx.create(PaperDocumentSchema, {
      id: randomUUID(),
      agencyCode,
      kind,
      series,
      year,
      number,
      registeredOn: vietnamToday(now),
      author: null,
      documentDate: null,
      signer: null,
      handedOn: null,
      copies: null,
      ...fields(number),
      createdBy: clerk.principal.id,
      createdAt: now,
    });
    recordAudit(tx, {
      actor: clerk.principal,
      action: `register.paper.${kind}`,
      subjectType: 'paper-document',
      subjectId: row.id,
      details: { series, year, number, code: row.codeText },
      requestId: clerk.requestId,
    });
    await tx.flush();
    return paperView(row);
  });
}

export type PaperView = ReturnType<typeof paperView>;

export function paperView(row: PaperDocument) {
  return {
    id: row.id,
    kind: row.kind as RegisterKind,
    medium: 'paper' as const,
    register: { series: row.series, year: row.year },
    number: row.number,
    code: row.codeText,
    registeredOn: row.registeredOn,
    type: row.type ?? null,
    subject: row.subject,
    author: row.author ?? null,
    documentDate: row.documentDate ?? null,
    signer: row.signer ?? null,
    recipients: row.recipients,
    holder: row.holder ?? null,
    handedOn: row.handedOn ?? null,
    copies: row.copies ?? null,
    note: row.note ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
