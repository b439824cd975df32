import { z } from '@hono/zod-openapi';
import { isoDate as isoDateOf } from '../http/edge-input.js';
import { xmlText } from '../http/xml-text.js';
import { tokenShownOnceFields } from '../http/idempotency.js';
import { AGENCY_LEVELS } from './agency.entity.js';
import { PARTNER_KINDS } from './partner.entity.js';
import { USER_ROLES } from './user.entity.js';

/**
 * Mã định danh of QCVN 102 / Decision 20/2020/QĐ-TTg, shape `XXX.YY.ZZ.Lnn` (e.g. 000.00.33.H33).
 * We validate the shape only: codes are assigned by the province, never computed here.
 */
export const AGENCY_CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/;

/** An agency code as the directory writes it: trimmed and in upper case (`000.01.33.h33 ` is 000.01.33.H33). */
export const AgencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(AGENCY_CODE, 'must have the shape XXX.YY.ZZ.Lnn, e.g. 000.00.33.H33')
  .openapi({ example: '000.00.33.H33' });

const isoDate = isoDateOf();

export const EndpointSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('local') }).strict(),
    z.object({ type: z.literal('remote'), partnerId: z.string().min(1).max(100) }).strict(),
  ])
  .openapi('Endpoint');

/** Agency fields are written into the From/To of every package: no character XML cannot carry. */
const optionalText = (max: number) => xmlText().trim().max(max).nullable().optional();

export const AgencyInputSchema = z
  .object({
    code: AgencyCode,
    name: xmlText().trim().min(1).max(500).openapi({ example: 'UBND huyện Kiên Lương' }),
    administrativeUnit: xmlText().trim().min(1).max(200).nullable().optional().openapi({
      example: 'Kiên Lương',
      description: 'Địa danh: the name of the administrative unit where the agency sits, the default place of promulgation of its documents (NĐ 30/2020 Phụ lục I II.4.a). Without it the agency name is used',
    }),
    level: z.enum(AGENCY_LEVELS),
    parentCode: AgencyCode.nullable().optional(),
    address: optionalText(500),
    email: z.string().trim().email().max(320).nullable().optional(),
    phone: optionalText(50),
    fax: optionalText(50),
    website: optionalText(300),
    endpoint: EndpointSchema.optional(),
    validFrom: isoDate.nullable().optional(),
    validTo: isoDate.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .openapi('AgencyInput', {
    example: { code: '000.09.33.H33', name: 'UBND xã Thuận Yên', level: 'commune', parentCode: '000.00.33.H33', administrativeUnit: 'Thuận Yên' },
  });

/** The legal act that closes, merges or splits an agency (issue 19). */
export const AgencyDecisionSchema = z
  .object({
    number: xmlText().trim().min(1).max(100).openapi({ example: '1654/NQ-UBTVQH15', description: 'Số, ký hiệu of the act' }),
    date: isoDate.openapi({ example: '2025-06-16', description: 'The day it was signed' }),
    link: z
      .string()
      .trim()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//.test(u), 'must be http(s)')
      .optional()
      .openapi({ example: 'https://vanban.chinhphu.vn/?pageid=27160&docid=214152' }),
  })
  .strict()
  .openapi('AgencyDecision');

export const AgencyPatchSchema = AgencyInputSchema.omit({ code: true })
  .partial()
  .extend({
    successorCode: AgencyCode.nullable().optional().openapi({
      description:
        'The successor that receives documents still addressed to this agency once it is closed. Alone, it is the only successor (a merger). ' +
        'With successorCodes (a split), it names which of them receives the documents. null removes every successor',
    }),
    successorCodes: z.array(AgencyCode).min(1).max(50).nullable().optional().openapi({
      description: 'A split: every agency that took over part of the work, the one that receives the documents first (unless successorCode names another). null removes them',
      example: ['000.09.33.H33', '000.10.33.H33'],
    }),
    closedAt: z.iso.datetime({ offset: true }).nullable().optional().openapi({
      description:
        'ISO 8601 with offset. From this instant on a document to this agency is refused with 422 AGENCY_CLOSED naming its successor, ' +
        'or goes to the successor when the sender asks (`redirectClosed`). Needed with a successor or a decision; null opens the agency again',
      example: '2025-07-01T00:00:00+07:00',
    }),
    decision: AgencyDecisionSchema.nullable().optional(),
  })
  .strict()
  .openapi('AgencyPatch', {
    example: { successorCode: '000.09.33.H33', closedAt: '2025-07-01T00:00:00+07:00', decision: { number: '1654/NQ-UBTVQH15', date: '2025-06-16' } },
  });

export const CertificateSummarySchema = z
  .object({
    serialNumber: z.string(),
    subject: z.string(),
    issuer: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    fingerprintSha256: z.string(),
    expiresInDays: z.number().int(),
    expiringSoon: z.boolean(),
  })
  .openapi('CertificateSummary');

export const AgencySchema = z
  .object({
    code: z.string(),
    name: z.string(),
    administrativeUnit: z.string().nullable(),
    level: z.enum(AGENCY_LEVELS),
    parentCode: z.string().nullable(),
    address: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    fax: z.string().nullable(),
    website: z.string().nullable(),
    endpoint: EndpointSchema,
    validFrom: z.string().nullable(),
    validTo: z.string().nullable(),
    active: z.boolean(),
    successorCode: z.string().nullable().openapi({ description: 'The successor that receives documents still addressed here once closed (the first of successorCodes)' }),
    successorCodes: z.array(z.string()).openapi({ description: 'Every successor (several after a split), the one that receives the documents first' }),
    closedAt: z.string().nullable().openapi({ description: 'From this instant on the agency is closed (ISO 8601)' }),
    decision: AgencyDecisionSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    certificate: CertificateSummarySchema.nullable().optional(),
  })
  .openapi('Agency');

const LineageEntrySchema = z
  .object({
    code: z.string(),
    name: z.string(),
    level: z.enum(AGENCY_LEVELS),
    closedAt: z.string().nullable(),
    decision: AgencyDecisionSchema.nullable(),
    successorCodes: z.array(z.string()).openapi({ description: 'Its successors, the one that receives its documents first' }),
    depth: z.number().int().openapi({ description: 'Steps from the agency asked about: 1 for a direct predecessor or successor' }),
  })
  .openapi('LineageEntry');

export const LineageSchema = z
  .object({
    agency: LineageEntrySchema,
    receivingAgency: z
      .object({ code: z.string(), name: z.string() })
      .nullable()
      .openapi({ description: 'Who receives documents addressed to this agency now: itself while open, its open successor once closed (following the chain), else null' }),
    predecessors: z.array(LineageEntrySchema).openapi({ description: 'The agencies it took over from, and theirs, nearest first' }),
    successors: z.array(LineageEntrySchema).openapi({ description: 'The agencies that took over from it, and theirs, nearest first' }),
  })
  .openapi('Lineage', {
    example: {
      agency: { code: '000.05.33.H33', name: 'UBND xã Bình An', level: 'commune', closedAt: '2025-06-30T17:00:00.000Z', decision: { number: '1654/NQ-UBTVQH15', date: '2025-06-16' }, successorCodes: ['000.09.33.H33'], depth: 0 },
      receivingAgency: { code: '000.09.33.H33', name: 'UBND xã Thuận Yên' },
      predecessors: [],
      successors: [{ code: '000.09.33.H33', name: 'UBND xã Thuận Yên', level: 'commune', closedAt: null, decision: null, successorCodes: [], depth: 1 }],
    },
  });

export const GroupInputSchema = z
  .object({
    code: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (max 100)').openapi({ example: 'KL-XA' }),
    name: z.string().trim().min(1).max(500),
    members: z.array(AgencyCode).max(10_000),
  })
  .strict()
  .openapi('GroupInput', { example: { code: 'KL-XA-VEN-BIEN', name: 'Các xã ven biển', members: ['000.02.33.H33', '000.08.33.H33'] } });

export const GroupSchema = z
  .object({ code: z.string(), name: z.string(), members: z.array(z.string()), createdAt: z.string() })
  .openapi('Group');

export const UserInputSchema = z
  .object({
    agencyCode: AgencyCode,
    name: z.string().trim().min(1).max(300),
    roles: z.array(z.enum(USER_ROLES)).min(1),
    username: z.string().trim().min(3).max(100).optional().openapi({ description: 'For the console: 3–100 of a–z, 0–9, . _ - (compared in lower case)', example: 'vanthu.binhan' }),
    password: z.string().min(10).max(200).optional().openapi({ description: 'For the console: at least 10 characters; needs a username' }),
    email: z.string().trim().email().max(320).optional().openapi({ description: "Where the reminders of a clerk's agency are e-mailed (issue 18)", example: 'vanthu@binhan.kiengiang.gov.vn' }),
  })
  .strict()
  .refine((u) => (u.username === undefined) === (u.password === undefined), { message: 'give both username and password, or neither', path: ['password'] })
  .openapi('UserInput', {
    example: { agencyCode: '000.02.33.H33', name: 'Trần Thị Bình', roles: ['clerk'], username: 'vanthu.binhan2', password: 'mot-mat-khau-dai' },
  });

export const UserSchema = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    name: z.string(),
    roles: z.array(z.enum(USER_ROLES)),
    active: z.boolean(),
    username: z.string().nullable(),
    email: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('User');

/** PATCH /v1/users/{id}: the user's e-mail address (null removes it). */
export const UserPatchSchema = z
  .object({ email: z.string().trim().email().max(320).nullable().openapi({ description: 'null removes it' }) })
  .strict()
  .openapi('UserPatch', { example: { email: 'vanthu@binhan.kiengiang.gov.vn' } });

export const UserCreatedSchema = UserSchema.extend(tokenShownOnceFields('Bearer token')).openapi('UserCreated');

export const PartnerInputSchema = z
  .object({
    id: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (max 100)'),
    name: z.string().trim().min(1).max(300),
    kind: z.enum(PARTNER_KINDS),
    baseUrl: z
      .string()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//.test(u), 'must be http(s)')
      .openapi({ description: 'Where we push to (a peer node, the axis). A partner without one is a pull partner' })
      .optional(),
    credentials: z.record(z.string(), z.unknown()).optional().openapi({ description: 'What we present to the partner; stored encrypted, never returned' }),
    agencies: z.array(AgencyCode).max(100_000),
    legacy: z.boolean().optional().openapi({ description: 'Accept SHA-1 signatures from this partner (old axis software only)' }),
    mode: z.enum(['push', 'pull']).optional().openapi({
      description:
        'push: we POST to baseUrl; pull: it fetches GET /exchange/v1/packages. Default: push with a baseUrl, pull without; push without a baseUrl is 422. ' +
        'On PATCH, without mode: removing the baseUrl makes the partner pull, giving a baseUrl to one that had none makes it push, changing it keeps the mode',
    }),
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .openapi('PartnerInput');

export const PartnerPatchSchema = PartnerInputSchema.omit({ id: true, kind: true })
  .extend({ baseUrl: PartnerInputSchema.shape.baseUrl.unwrap().nullable().optional(), credentials: z.record(z.string(), z.unknown()).nullable().optional(), active: z.boolean().optional() })
  .partial()
  .strict()
  .openapi('PartnerPatch');

export const PartnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(PARTNER_KINDS),
    baseUrl: z.string().nullable(),
    agencies: z.array(z.string()),
    hasCredentials: z.boolean(),
    active: z.boolean(),
    legacy: z.boolean(),
    mode: z.enum(['push', 'pull']),
    maxAttempts: z.number().int(),
    circuit: z.object({ consecutiveFailures: z.number().int(), openUntil: z.string().nullable(), lastError: z.string().nullable() }),
    createdAt: z.string(),
  })
  .openapi('Partner');

export const PartnerCreatedSchema = PartnerSchema.extend(tokenShownOnceFields('The token the partner presents on the exchange API')).openapi(
  'PartnerCreated',
);

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    agencyCode: z.string().nullable(),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEvent');
