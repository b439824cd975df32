import { z } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { DELIVERY_STATES } from './states.js';
import { DOCUMENT_STATES } from './document.entity.js';
import { DOCUMENT_TYPE_KEYS } from './document-types.js';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a real date');

/** Allowed attachment types: PDF, Word, Excel, OpenDocument text, ZIP, images. */
export const ATTACHMENT_TYPES = [
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/zip',
  'application/x-zip-compressed',
  'image/jpeg',
  'image/png',
  'image/tiff',
] as const;
export const MAX_ATTACHMENTS = 50;

/** Ký hiệu after the slash: upper-case Vietnamese letters and digits in dash-separated parts. */
const NOTATION = /^[A-ZĐ0-9][A-ZĐa-zđ0-9]*(?:[-.][A-ZĐ0-9][A-ZĐa-zđ0-9]*)*$/u;

const AttachmentJson = z
  .object({
    name: z.string().trim().min(1).max(255),
    contentType: z.string().trim().min(1).max(150),
    contentBase64: z.string().min(1),
  })
  .strict();

export const RecipientSpec = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .refine((s) => /^(group:.+|children:.+|[^:]+)$/.test(s), 'a code, group:CODE or children:CODE');

/** The JSON metadata of POST /v1/documents (also the `metadata` part of the multipart form). */
export const DocumentInputSchema = z
  .object({
    type: z.string().min(1).max(10).openapi({ example: 'CT', description: `NĐ 30/2020 abbreviation, or CV (công văn) / THU (thư công): ${DOCUMENT_TYPE_KEYS.join(', ')}` }),
    notation: z.string().trim().min(1).max(100).regex(NOTATION, 'must look like CT-UBND or UBND-VP').openapi({ example: 'CT-UBND' }),
    subject: z.string().trim().min(1).max(500),
    content: z.string().max(20_000).optional(),
    promulgation: z
      .object({ place: z.string().trim().min(1).max(200).optional(), date: isoDate.optional() })
      .strict()
      .default({})
      .openapi({ description: 'Place defaults to the agency name, date to today (Asia/Ho_Chi_Minh)' }),
    signer: z
      .object({
        fullName: z.string().trim().min(1).max(200),
        position: z.string().trim().min(1).max(200),
        competence: z.string().trim().max(20).optional(),
      })
      .strict(),
    priority: z.number().int().min(0).max(4).default(0),
    confidentiality: z.string().default('normal'),
    steeringType: z.number().int().min(1).max(3).default(1),
    dueDate: isoDate.optional(),
    to: z.array(RecipientSpec).min(1).max(1000),
    toPlaces: z.array(z.string().trim().min(1).max(300)).max(100).default([]),
    responseFor: z
      .array(
        z
          .object({
            organId: AgencyCode,
            documentId: z.string().min(1).max(300),
            code: z.string().max(150).optional(),
            promulgationDate: isoDate.optional(),
          })
          .strict(),
      )
      .max(20)
      .default([]),
    staff: z
      .object({ department: z.string().max(200).optional(), name: z.string().max(200).optional(), email: z.string().max(320).optional(), mobile: z.string().max(50).optional() })
      .strict()
      .optional(),
    attachments: z.array(AttachmentJson).max(MAX_ATTACHMENTS).default([]),
  })
  .strict()
  .openapi('DocumentInput');
export type DocumentInput = z.infer<typeof DocumentInputSchema>;

export const DeliveryViewSchema = z
  .object({
    id: z.string(),
    recipient: z.string(),
    recipientName: z.string().nullable(),
    state: z.enum(DELIVERY_STATES),
    statusCode: z.string().nullable(),
    statusAt: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    statuses: z.array(z.object({ id: z.string(), code: z.string(), at: z.string(), description: z.string().nullable() })),
  })
  .openapi('Delivery');

export const DocumentViewSchema = z
  .object({
    id: z.string(),
    documentId: z.string(),
    agencyCode: z.string(),
    type: z.string(),
    code: z.object({ number: z.number().int(), notation: z.string(), text: z.string() }),
    subject: z.string(),
    content: z.string().nullable(),
    promulgation: z.object({ place: z.string(), date: z.string() }),
    signer: z.object({ fullName: z.string(), position: z.string(), competence: z.string().optional() }),
    priority: z.number().int(),
    steeringType: z.number().int(),
    dueDate: z.string().nullable(),
    toPlaces: z.array(z.string()),
    to: z.array(z.string()),
    state: z.enum(DOCUMENT_STATES),
    recipients: z.array(z.object({ code: z.string(), state: z.enum(DELIVERY_STATES) })),
    deliveries: z.array(DeliveryViewSchema),
    attachments: z.array(z.object({ index: z.number().int(), name: z.string(), contentType: z.string(), size: z.number().int(), sha256: z.string() })),
    lastError: z.string().nullable(),
    recallReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Document');

export const EventViewSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    type: z.string(),
    recipient: z.string().nullable(),
    deliveryId: z.string().nullable(),
    state: z.string().nullable(),
    statusCode: z.string().nullable(),
    statusId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('DocumentEvent');
