import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';

/** 'out' = sổ văn bản đi (số đi), 'in' = sổ văn bản đến (số đến). */
export const REGISTER_KINDS = ['out', 'in'] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

/**
 * The series every agency has for each kind without defining it: every document no other series
 * takes (NĐ 30/2020 Điều 15.1.b, 22.2).
 */
export const DEFAULT_SERIES = 'default';

/**
 * The counters of the registers (sổ văn bản): one per agency, kind, series and year, from 01 on
 * 1 January (Vietnam time). Incremented inside the transaction that uses the number, so a rolled-back
 * request leaves no gap (numbering.ts).
 */
export const RegisterCounterSchema = defineEntity({
  name: 'RegisterCounter',
  tableName: 'register_counter',
  properties: {
    agencyCode: p.string().length(13).primary(),
    year: p.smallint().primary(),
    kind: p.string().length(3).primary(),
    series: p.string().length(20).primary().default(DEFAULT_SERIES),
    last: p.integer(),
  },
});
export type RegisterCounter = InferEntity<typeof RegisterCounterSchema>;

/**
 * A series an agency keeps besides its default one (NĐ 30/2020 Điều 15.1.a: legal normative
 * documents have their own; an agency may keep others): its code, its name as printed on the book,
 * and the document types it takes without being asked (`types`; a document may also name it).
 */
export const RegisterSeriesSchema = defineEntity({
  name: 'RegisterSeries',
  tableName: 'register_series',
  properties: {
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().primary().fieldName('agency_code'),
    kind: p.string().length(3).primary(),
    code: p.string().length(20).primary(),
    name: p.string().length(200),
    /** Document type keys (NĐ 30 Phụ lục III, CV, THU) registered here unless the document names a series. */
    types: p.array().columnType('text[]'),
    createdBy: p.string().length(100),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type RegisterSeries = InferEntity<typeof RegisterSeriesSchema>;

/**
 * A paper document in a register (NĐ 30/2020 Điều 15.1, 22.2: paper and electronic documents share
 * a series): no package, no delivery, only the row of the book. The columns are those of the books
 * of Phụ lục IV; a field that one kind of book does not have stays null.
 */
export const PaperDocumentSchema = defineEntity({
  name: 'PaperDocument',
  tableName: 'paper_document',
  uniques: [{ name: 'paper_document_register_unique', properties: ['agencyCode', 'kind', 'series', 'year', 'number'] }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    kind: p.string().length(3),
    series: p.string().length(20),
    year: p.smallint(),
    number: p.integer(),
    /** Số as written: leading zero below 10 for a số đi; the số đến as a plain number. */
    numberText: p.string().length(20),
    /** The day of registration in Vietnam: the date of issue (đi) or the day it came (đến). */
    registeredOn: p.date(),
    /** Type key (đi), or as printed on the paper (đến: the sender's own words). */
    type: p.string().length(10).nullable(),
    typeName: p.string().length(100).nullable(),
    /** Số, ký hiệu: `05/QĐ-UBND` (đi: the register's number and the ký hiệu), as written on the paper (đến). */
    codeText: p.string().length(150),
    notation: p.string().length(100).nullable(),
    subject: p.string().length(1000),
    /** Đến: the agency that issued it (tác giả). */
    author: p.string().length(500).nullable(),
    /** Đến: the date printed on it. */
    documentDate: p.date().nullable(),
    /** Đi: who signed it. */
    signer: p.string().length(300).nullable(),
    /** Đi: nơi nhận. */
    recipients: p.array().columnType('text[]'),
    /** Đi: the unit or person who keeps the file copy; đến: the unit or person it went to. */
    holder: p.string().length(300).nullable(),
    /** Đến: the day it was handed on (ngày chuyển). */
    handedOn: p.date().nullable(),
    /** Đi: copies issued (số lượng bản). */
    copies: p.integer().nullable(),
    note: p.text().nullable(),
    createdBy: p.string().length(100),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type PaperDocument = InferEntity<typeof PaperDocumentSchema>;
