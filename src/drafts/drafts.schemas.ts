import { z } from '@hono/zod-openapi';
import { DocumentInputSchema } from '../documents/documents.schemas.js';
import { DRAFT_APPROVALS, DRAFT_STATES } from './draft.entity.js';

/** The shapes of the drafts API (issue 17: issuing with legal signatures). */

/** PDF points (1/72 inch) on a page: A4 is 595 × 842. */
const coordinate = z.number().min(0).max(14_400);
const page = z.number().int().min(0).max(9_999).openapi({ description: 'The page, 0 = the first' });

const TextPlacementSchema = z
  .object({
    page,
    x: coordinate,
    y: coordinate.openapi({ description: "The text's baseline, from the page's lower-left corner" }),
    fontSize: z.number().min(6).max(40).optional().openapi({ description: 'Points; 13 by default (NĐ 30 Phụ lục I)' }),
    align: z.enum(['left', 'center', 'right']).optional().openapi({ description: 'Whether x is where the text starts, centres or ends' }),
  })
  .strict();

export const SignatureBoxSchema = z
  .object({ page, x: coordinate, y: coordinate, width: z.number().gt(0).max(14_400), height: z.number().gt(0).max(14_400) })
  .strict()
  .openapi('SignatureBox', { description: "Where the leader's signature shows: a box in PDF points from the page's lower-left corner" });

export const StampTemplateSchema = z
  .object({
    number: TextPlacementSchema.openapi({ description: 'Where the line "Số: 01/CT-UBND" goes' }),
    date: TextPlacementSchema.openapi({ description: 'Where the line "Kiên Lương, ngày 05 tháng 01 năm 2026" goes' }),
    signature: SignatureBoxSchema.optional().openapi({ description: "The leader's signature box when the node signs for the leader and the approval gives none" }),
  })
  .strict()
  .openapi('StampTemplate', {
    description:
      "An agency's stamp template: where the number and date of issue are written into a draft that has no `so_ky_hieu` / `ngay_ban_hanh` text fields, " +
      "and where the node puts the leader's signature",
  });

export const ApproveInputSchema = z
  .object({
    signatureBox: SignatureBoxSchema.optional(),
  })
  .strict()
  .openapi('ApproveInput');

const LeaderSignatureSchema = z.object({
  signer: z.string(),
  subject: z.string(),
  issuer: z.string(),
  fingerprintSha256: z.string(),
  signedAt: z.string().nullable(),
});

export const DraftViewSchema = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    state: z.enum(DRAFT_STATES),
    stateText: z.string().openapi({ description: 'The state in Vietnamese' }),
    metadata: DocumentInputSchema.omit({ attachments: true }).openapi({ description: 'What POST /v1/documents takes, without the files' }),
    files: z.array(z.object({ index: z.number().int(), name: z.string(), contentType: z.string(), size: z.number().int(), sha256: z.string() })),
    pdfSha256: z.string().nullable().openapi({ description: 'SHA-256 of the current PDF (GET /v1/drafts/{id}/pdf)' }),
    approval: z.object({ kind: z.enum(DRAFT_APPROVALS), by: z.string(), at: z.string(), leaderSignature: LeaderSignatureSchema.nullable() }).nullable(),
    issued: z
      .object({ documentId: z.string(), by: z.string().nullable(), at: z.string().nullable(), code: z.string().nullable(), edxmlDocumentId: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The outgoing document it became (GET /v1/documents/{documentId})' }),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Draft');

export const SigningKeyInputSchema = z
  .union([
    z
      .object({
        fullName: z.string().trim().min(1).max(200).optional().openapi({ description: "The certificate's CN; the user's name by default" }),
      })
      .strict(),
    z
      .object({
        pkcs12: z.string().min(1).max(200_000).openapi({ description: 'A PKCS#12 (.p12/.pfx) file, base64' }),
        password: z.string().max(500),
      })
      .strict(),
  ])
  .openapi('SigningKeyInput', {
    description: '`{}` (or `{ fullName }`): the node CA issues a personal certificate and key; `{ pkcs12, password }`: the leader\'s own key and certificate',
  });

export const SigningKeyViewSchema = z
  .object({
    userId: z.string(),
    agencyCode: z.string(),
    origin: z.enum(['issued', 'imported']),
    serialNumber: z.string(),
    subject: z.string(),
    issuer: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    fingerprintSha256: z.string(),
    certificatePem: z.string(),
    createdAt: z.string(),
  })
  .openapi('SigningKey', { description: "A leader's signing key kept by the node: its certificate; the key itself never leaves the node's vault" });

export const SealViewSchema = z
  .object({
    agencyCode: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    transparent: z.boolean(),
    updatedAt: z.string(),
  })
  .openapi('Seal');
