import { z } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { xmlText } from '../http/xml-text.js';
import { ATTACHMENT_TYPES, MAX_FILE_NAME_BYTES } from '../packages/attachment-policy.js';
import { DELIVERY_STATES } from '../delivery/states.js';
import { DOCUMENT_STATES } from '../delivery/document.entity.js';
import { canonicalTypeKey, DOCUMENT_TYPE_KEYS } from '../registers/document-types.js';
import { DeadlinesSchema } from '../deadlines/deadlines.schemas.js';

/**
 * The legal signatures inside a PDF attachment (issue 17; NĐ 30/2020 Điều 5): verified when the
 * document was sent or arrived. Present on PDFs only. The package signature decides delivery; these
 * say whether the document is an official one.
 */
export const PdfSignaturesFields = {
  pdfSignatures: z
    .array(
      z.object({
        signer: z.string().nullable().openapi({ example: 'Nguyễn Văn An' }),
        organisation: z.string().nullable(),
        role: z.enum(['person', 'agency', 'timestamp']).openapi({ description: "person: the competent person's signature; agency: the agency's (with its seal)" }),
        signedAt: z.string().nullable().openapi({ example: '2026-12-07T08:34:08.000Z' }),
        coversWholeFile: z.boolean(),
        valid: z.boolean(),
        problems: z.array(z.string()).openapi({ example: [], description: 'Stable codes: digest-mismatch, untrusted-chain, expired, key-usage, content-changed-after-signing, …' }),
      }),
    )
    .optional(),
  officiallySigned: z.boolean().optional().openapi({ description: "The person's signature and then the sending agency's, every one valid" }),
  pdfProblems: z.array(z.string()).optional().openapi({ example: [], description: 'no-signature, no-person-signature, no-agency-signature, agency-before-person, agency-mismatch, invalid-signature, …' }),
};

const isoDate = isoDateOf();

export const MAX_ATTACHMENTS = 50;

/** Ký hiệu after the slash: upper-case Vietnamese letters and digits in dash-separated parts. */
const NOTATION = /^[A-ZĐ0-9][A-ZĐa-zđ0-9]*(?:[-.][A-ZĐ0-9][A-ZĐa-zđ0-9]*)*$/u;

// Name and type are decided by the attachment policy (checkDocumentInput), the same for JSON and
// multipart; the bounds here only stop absurd input before it is looked at.
const AttachmentJson = z
  .object({
    name: z.string().min(1).max(4 * MAX_FILE_NAME_BYTES).openapi({ description: `At most ${MAX_FILE_NAME_BYTES} bytes in UTF-8; no /, \\, control characters or leading dot` }),
    contentType: z
      .string()
      .max(150)
      .optional()
      .openapi({ description: `One of ${ATTACHMENT_TYPES.join(', ')}. Left out (or application/octet-stream), it is read from the file name's extension` }),
    contentBase64: z.string().min(1),
  })
  .strict();

/** StaffInfo of a package (the clerk who handled it), for documents and statuses alike. */
export const StaffSchema = z
  .object({ department: xmlText().max(200).optional(), name: xmlText().max(200).optional(), email: xmlText().max(320).optional(), mobile: xmlText().max(50).optional() })
  .strict()
  .openapi('StaffInfo');

/**
 * A recipient as the directory spells it, whatever the clerk typed: an agency code in upper case
 * (`000.01.33.h33` → `000.01.33.H33`), `group:` and `children:` in lower case, the agency code of a
 * `children:` in upper case. A group's code keeps its case: groups are named by their creators.
 */
export function canonicalRecipient(raw: string): string {
  const spec = raw.trim();
  const prefixed = /^(group|children)\s*:\s*(.*)$/i.exec(spec);
  if (!prefixed) return spec.toUpperCase();
  return prefixed[1]!.toLowerCase() === 'group' ? `group:${prefixed[2]!}` : `children:${prefixed[2]!.toUpperCase()}`;
}

export const RecipientSpec = z
  .string()
  .overwrite(canonicalRecipient)
  .min(1)
  .max(120)
  .refine((s) => /^(group:.+|children:.+|[^:]+)$/.test(s), 'a code, group:CODE or children:CODE');

/** The JSON metadata of POST /v1/documents (also the `metadata` part of the multipart form). */
export const DocumentInputSchema = z
  .object({
    // `ct` is CT and `ttr` TTr (canonicalTypeKey); an unknown key is refused with suggestions (checkDocumentInput).
    type: z.string().overwrite(canonicalTypeKey).min(1).max(10).openapi({ example: 'CT', description: `NĐ 30/2020 abbreviation, or CV (công văn) / THU (thư công): ${DOCUMENT_TYPE_KEYS.join(', ')}` }),
    notation: z.string().trim().min(1).max(100).regex(NOTATION, 'must look like CT-UBND or UBND-VP').openapi({ example: 'CT-UBND' }),
    subject: xmlText().trim().min(1).max(500),
    content: xmlText().max(20_000).optional(),
    promulgation: z
      .object({ place: xmlText().trim().min(1).max(200).optional(), date: isoDate.optional() })
      .strict()
      .default({})
      .openapi({
        description:
          "Place defaults to the agency's administrative unit (địa danh), or its name when it has none. " +
          'The date is the day of registration in Asia/Ho_Chi_Minh, taken by the server: leave it out, or send today — another date → 422',
      }),
    signer: z
      .object({
        fullName: xmlText().trim().min(1).max(200),
        position: xmlText().trim().min(1).max(200),
        competence: xmlText().trim().max(20).optional(),
      })
      .strict(),
    priority: z.number().int().min(0).max(4).default(0),
    confidentiality: z.string().default('normal'),
    steeringType: z.number().int().min(1).max(3).default(1),
    dueDate: isoDate.optional(),
    to: z.array(RecipientSpec).min(1).max(1000),
    redirectClosed: z.boolean().optional().openapi({
      description:
        'A recipient named by the code of an agency closed at the moment of sending (issue 19): without this (or false), 422 AGENCY_CLOSED whose ' +
        'detail names the successor, with `successors: [{ code, name }]` and `closed: [...]` in the problem; true, the document goes to the open ' +
        'successor (following the chain), recorded on the delivery (`redirectedFrom`) and on the timeline (`recipient.redirected`). ' +
        '`children:` and `group:` take only agencies open at the moment of sending; a group\'s closed members are listed in the answer\'s `warnings`',
    }),
    toPlaces: z.array(xmlText().trim().min(1).max(300)).max(100).default([]),
    responseFor: z
      .array(
        z
          .object({
            organId: AgencyCode,
            documentId: xmlText().min(1).max(300),
            code: xmlText().max(150).optional(),
            promulgationDate: isoDate.optional(),
          })
          .strict(),
      )
      .max(20)
      .default([]),
    staff: StaffSchema.optional(),
    register: z
      .string()
      .trim()
      .min(1)
      .max(20)
      .optional()
      .openapi({ example: 'VBQPPL', description: "The series of the agency's outgoing registers to number it in (GET /v1/agencies/{code}/registers); left out, the series whose rule takes the type, else `default`" }),
    attachments: z.array(AttachmentJson).max(MAX_ATTACHMENTS).default([]),
  })
  .strict()
  // A body "Try it out" can send as it is (the walkthrough's): the date and number come from the register.
  .openapi('DocumentInput', {
    example: {
      type: 'CT',
      notation: 'CT-UBND',
      subject: 'Về việc triển khai phòng, chống lụt bão năm 2026',
      signer: { fullName: 'Nguyễn Văn An', position: 'Chủ tịch', competence: 'TM.' },
      priority: 1,
      to: ['children:000.00.33.H33'],
      toPlaces: ['Như trên', 'Lưu: VT'],
    },
  });
export type DocumentInput = z.infer<typeof DocumentInputSchema>;

export const DeliveryViewSchema = z
  .object({
    id: z.string(),
    recipient: z.string(),
    recipientName: z.string().nullable(),
    state: z.enum(DELIVERY_STATES),
    statusCode: z.string().nullable(),
    statusAt: z.string().nullable(),
    arrivalNumber: z.number().int().nullable().openapi({ description: "The số đến the recipient gave (from its signed 03), once known" }),
    redirectedFrom: z.string().nullable().openapi({ description: 'The closed agency the document was addressed to, when this recipient, its successor, got it instead (`redirectClosed`)' }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    statuses: z.array(z.object({ id: z.string(), code: z.string(), at: z.string(), description: z.string().nullable() })),
    deadlines: DeadlinesSchema.openapi({
      description: "The recipient's deadlines as the sender follows them up (theo dõi, đôn đốc): registration once its 01 came, processing when the document has a due date; none before it arrived",
    }),
  })
  .openapi('Delivery');

export const DocumentViewSchema = z
  .object({
    id: z.string(),
    documentId: z.string(),
    agencyCode: z.string(),
    type: z.string(),
    code: z.object({ number: z.number().int(), notation: z.string(), text: z.string() }),
    register: z.object({ series: z.string(), year: z.number().int() }).openapi({ description: 'The register it is numbered in: its series and year (Vietnam time)' }),
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
    attachments: z.array(z.object({ index: z.number().int(), name: z.string(), contentType: z.string(), size: z.number().int(), sha256: z.string() }).extend(PdfSignaturesFields)),
    lastError: z.string().nullable(),
    recallReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    warnings: z
      .array(
        z.object({
          code: z.literal('GROUP_MEMBERS_CLOSED'),
          recipient: z.string().openapi({ example: 'group:KL-XA' }),
          agencies: z.array(
            z.object({
              code: z.string(),
              name: z.string(),
              closedAt: z.string(),
              successors: z.array(z.object({ code: z.string(), name: z.string() })),
              receivingAgency: z.object({ code: z.string(), name: z.string() }).nullable(),
            }),
          ),
        }),
      )
      .optional()
      .openapi({ description: 'In the answer that creates the document only: the closed members a group recipient left out (also on the timeline, `recipients.closed-skipped`)' }),
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
