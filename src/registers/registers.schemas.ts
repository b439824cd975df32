import { z } from '@hono/zod-openapi';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { xmlText } from '../http/xml-text.js';
import { DEFAULT_SERIES, REGISTER_KINDS } from './register.entity.js';

const isoDate = isoDateOf();

/** A series code of the agency's own: upper-case letters, digits, `-` and `_` (`VBQPPL`). */
const SeriesCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,19}$/, 'must be 1–20 letters A–Z, digits, - or _ (e.g. VBQPPL)')
  .openapi({ example: 'VBQPPL' });

/** `register` on a body: a series code, or `default`. */
export const RegisterChoice = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .optional()
  .openapi({ example: 'VBQPPL', description: 'The series to register it in (GET /v1/agencies/{code}/registers); left out, the series whose rule takes its type, else `default`' });

// Everything below is printed in the books (XLSX is XML inside, PDF is text): what XML 1.0 cannot
// carry is refused like in a package.
const text = (max: number) => xmlText().trim().min(1).max(max);

export const SeriesInputSchema = z
  .object({
    kind: z.enum(REGISTER_KINDS).openapi({ description: '`out`: sổ văn bản đi; `in`: sổ văn bản đến' }),
    code: SeriesCode.refine((c) => c !== DEFAULT_SERIES.toUpperCase(), 'DEFAULT is the name of the series every agency has'),
    name: text(200).openapi({ example: 'Sổ đăng ký văn bản quy phạm pháp luật' }),
    types: z
      .array(z.string().trim().min(1).max(10))
      .max(40)
      .default([])
      .openapi({ example: ['QĐ', 'NQ'], description: 'Document type keys registered here unless a document names a series; a type goes to one series of a kind' }),
  })
  .strict()
  .openapi('RegisterSeriesInput');

export const SeriesViewSchema = z
  .object({
    kind: z.enum(REGISTER_KINDS),
    code: z.string(),
    name: z.string(),
    types: z.array(z.string()),
    isDefault: z.boolean(),
    years: z.array(z.object({ year: z.number().int(), last: z.number().int() })).openapi({ description: 'Years it holds numbers for, newest first, with the last number given' }),
  })
  .openapi('RegisterSeries');

const Medium = z.literal('paper').openapi({
  description: 'Only paper documents are registered here; an electronic one is numbered by POST /v1/documents (đi) or its 03 (đến)',
});

/** A paper document going out: numbered now from the register, like a composed one, but never sent. */
export const PaperOutInputSchema = z
  .object({
    medium: Medium,
    type: z.string().trim().min(1).max(10).openapi({ example: 'QĐ' }),
    notation: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-ZĐ0-9][A-ZĐa-zđ0-9]*(?:[-.][A-ZĐ0-9][A-ZĐa-zđ0-9]*)*$/u, 'must look like QĐ-UBND or UBND-VP')
      .openapi({ example: 'QĐ-UBND' }),
    subject: text(1000),
    signer: text(300).openapi({ example: 'Chủ tịch Nguyễn Văn A' }),
    recipients: z.array(text(300)).min(1).max(200).openapi({ description: 'Nơi nhận, as printed', example: ['UBND các xã', 'Lưu: VT'] }),
    keeper: text(300).optional().openapi({ description: 'Đơn vị, người nhận bản lưu', example: 'Văn phòng' }),
    copies: z.number().int().min(1).max(100_000).optional().openapi({ description: 'Số lượng bản' }),
    note: text(2000).optional(),
    register: RegisterChoice,
  })
  .strict()
  .openapi('PaperOutInput');
export type PaperOutInput = z.infer<typeof PaperOutInputSchema>;

/** A paper document that came in: its số đến is the next of the incoming register. */
export const PaperInInputSchema = z
  .object({
    medium: Medium,
    author: text(500).openapi({ description: 'Tác giả: the agency that issued it', example: 'UBND tỉnh Kiên Giang' }),
    code: text(150).openapi({ description: 'Số, ký hiệu as printed on it', example: '125/QĐ-UBND' }),
    date: isoDate.openapi({ description: 'Its date (ngày tháng văn bản)' }),
    type: z.string().trim().min(1).max(10).optional().openapi({ description: 'Its type key, when it has one of NĐ 30 (for the series rule and the book)', example: 'QĐ' }),
    subject: text(1000),
    holder: text(300).optional().openapi({ description: 'Đơn vị hoặc người nhận' }),
    handedOn: isoDate.optional().openapi({ description: 'Ngày chuyển' }),
    note: text(2000).optional(),
    register: RegisterChoice,
  })
  .strict()
  .openapi('PaperInInput');
export type PaperInInput = z.infer<typeof PaperInInputSchema>;

export const PaperViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum(REGISTER_KINDS),
    medium: z.literal('paper'),
    register: z.object({ series: z.string(), year: z.number().int() }),
    number: z.number().int(),
    code: z.string().openapi({ description: 'Đi: số/ký hiệu given by the register (05/QĐ-UBND); đến: as printed on it' }),
    registeredOn: z.string().openapi({ description: 'Đi: the date of issue; đến: the day it came (Vietnam time)' }),
    type: z.string().nullable(),
    subject: z.string(),
    author: z.string().nullable(),
    documentDate: z.string().nullable(),
    signer: z.string().nullable(),
    recipients: z.array(z.string()),
    holder: z.string().nullable(),
    handedOn: z.string().nullable(),
    copies: z.number().int().nullable(),
    note: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('PaperDocument');

const Medium2 = z.enum(['electronic', 'paper']);

const OutgoingBookRowSchema = z
  .object({
    id: z.string(),
    medium: Medium2,
    number: z.number().int(),
    code: z.string().openapi({ description: 'Số, ký hiệu văn bản' }),
    date: z.string().openapi({ description: 'Ngày tháng văn bản' }),
    type: z.string().nullable(),
    typeName: z.string().nullable().openapi({ description: 'Tên loại' }),
    subject: z.string().openapi({ description: 'Trích yếu nội dung' }),
    signer: z.string().openapi({ description: 'Người ký' }),
    recipients: z.array(z.string()).openapi({ description: 'Nơi nhận văn bản' }),
    keeper: z.string().nullable().openapi({ description: 'Đơn vị, người nhận bản lưu' }),
    copies: z.number().int().nullable().openapi({ description: 'Số lượng bản' }),
    note: z.string().nullable().openapi({ description: 'Ghi chú' }),
  })
  .openapi('OutgoingBookRow');

const IncomingBookRowSchema = z
  .object({
    id: z.string(),
    medium: Medium2,
    number: z.number().int().openapi({ description: 'Số đến' }),
    arrivedOn: z.string().openapi({ description: 'Ngày đến' }),
    author: z.string().openapi({ description: 'Tác giả' }),
    code: z.string().openapi({ description: 'Số, ký hiệu' }),
    documentDate: z.string().nullable().openapi({ description: 'Ngày tháng' }),
    typeName: z.string().nullable().openapi({ description: 'Tên loại' }),
    subject: z.string().openapi({ description: 'Trích yếu nội dung' }),
    holder: z.string().nullable().openapi({ description: 'Đơn vị hoặc người nhận (from the latest 04)' }),
    handedOn: z.string().nullable().openapi({ description: 'Ngày chuyển' }),
    receivedBy: z.string().nullable().openapi({ description: 'Ký nhận (signed by hand in the printed book)' }),
    note: z.string().nullable().openapi({ description: 'Ghi chú' }),
  })
  .openapi('IncomingBookRow');

export const BookSchema = z
  .object({
    agency: z.object({ code: z.string(), name: z.string(), parentName: z.string().nullable() }),
    kind: z.enum(REGISTER_KINDS),
    series: z.object({ code: z.string(), name: z.string() }),
    year: z.number().int(),
    items: z.array(z.union([OutgoingBookRowSchema, IncomingBookRowSchema])).openapi({ description: 'The rows by number' }),
    nextCursor: z.string().nullable(),
  })
  .openapi('RegisterBook');
