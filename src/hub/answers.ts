import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../errors.js';

/**
 * The JSON answers of the axis SDK (shared/AXIS.md), as the hub gives them. Every answer carries
 * `status` ("OK" or "FAIL") and `ErrorDesc`; lists and packages travel in `data` (as the SDK's result
 * objects name them: `GetReceivedEdocResult.data`, `GetEdocResult.data`).
 */

/**
 * `ErrorCode` of a FAIL answer. AXIS.md names the kinds of failure the provincial variants number
 * (invalid file, wrong credentials, unknown receiver, sender not registered, edXML not compliant,
 * receiver locked) without their numbers, so the numbers are ours; the answer also carries our
 * stable `code` (API.md), which says the same thing precisely.
 */
export const HUB_ERROR_CODES = {
  OK: 0,
  /** The request or its file is not what the call takes (headers, multipart `file_doc`, size). */
  INVALID_REQUEST: 1,
  /** Unknown system, bad or replayed signature, timestamp out of the window. */
  WRONG_CREDENTIALS: 2,
  /** A recipient is not an agency this node receives for. */
  UNKNOWN_RECEIVER: 3,
  /** `from` (or the package's sender) is not an agency the system serves. */
  SENDER_NOT_REGISTERED: 4,
  /** The package is not well-formed edXML, or its signature or certificate does not verify. */
  EDXML_NOT_COMPLIANT: 5,
  /** The recipient agency is closed (issue 19; the answer names its successor). */
  RECEIVER_LOCKED: 6,
  /** No package of that docId for this system. */
  NOT_FOUND: 7,
  /** The package or status conflicts with what is recorded. */
  CONFLICT: 8,
  /** Too many requests, or the node cannot take it now: try again later. */
  TRY_LATER: 9,
  INTERNAL: 99,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: HUB_ERROR_CODES.INVALID_REQUEST,
  BAD_REQUEST: HUB_ERROR_CODES.INVALID_REQUEST,
  PAYLOAD_TOO_LARGE: HUB_ERROR_CODES.INVALID_REQUEST,
  UNSUPPORTED_MEDIA_TYPE: HUB_ERROR_CODES.INVALID_REQUEST,
  UNAUTHENTICATED: HUB_ERROR_CODES.WRONG_CREDENTIALS,
  UNKNOWN_RECIPIENT: HUB_ERROR_CODES.UNKNOWN_RECEIVER,
  FORBIDDEN: HUB_ERROR_CODES.SENDER_NOT_REGISTERED,
  XML_MALFORMED: HUB_ERROR_CODES.EDXML_NOT_COMPLIANT,
  XML_FORBIDDEN: HUB_ERROR_CODES.EDXML_NOT_COMPLIANT,
  SIGNATURE_INVALID: HUB_ERROR_CODES.EDXML_NOT_COMPLIANT,
  CERTIFICATE_UNTRUSTED: HUB_ERROR_CODES.EDXML_NOT_COMPLIANT,
  SECRET_NOT_ALLOWED: HUB_ERROR_CODES.EDXML_NOT_COMPLIANT,
  AGENCY_CLOSED: HUB_ERROR_CODES.RECEIVER_LOCKED,
  NOT_FOUND: HUB_ERROR_CODES.NOT_FOUND,
  CONFLICT: HUB_ERROR_CODES.CONFLICT,
  ILLEGAL_TRANSITION: HUB_ERROR_CODES.CONFLICT,
  DUPLICATE_PACKAGE: HUB_ERROR_CODES.CONFLICT,
  DUPLICATE_NUMBER: HUB_ERROR_CODES.CONFLICT,
  RATE_LIMITED: HUB_ERROR_CODES.TRY_LATER,
  UNAVAILABLE: HUB_ERROR_CODES.TRY_LATER,
  INTERNAL: HUB_ERROR_CODES.INTERNAL,
};

/** The SDK's ErrorCode for one of our error codes. */
export const hubErrorCode = (code: ErrorCode): number => BY_CODE[code];

export const FailAnswer = z
  .object({
    status: z.literal('FAIL'),
    ErrorCode: z.number().int().openapi({ description: '1 invalid request or file, 2 wrong credentials, 3 unknown receiver, 4 sender not registered, 5 edXML not compliant, 6 receiver closed, 7 no such docId, 8 conflict, 9 try later, 99 internal' }),
    ErrorDesc: z.string(),
    code: z.string().openapi({ description: "lienthong's stable error code (API.md), e.g. SIGNATURE_INVALID" }),
  })
  .openapi('AxisFail');

export const SendEdocAnswer = z
  .object({
    status: z.literal('OK'),
    ErrorDesc: z.string(),
    DocID: z.string().openapi({ description: 'The receipt of the package here; getSentEdocList takes it as docId' }),
    duplicate: z.literal(true).optional().openapi({ description: 'The same package was received before: DocID is the first receipt, nothing changed' }),
    applied: z.literal(false).optional().openapi({ description: 'A status recorded without changing the state (it crossed a recall, or the graph refuses it)' }),
    reason: z.string().optional(),
  })
  .openapi('AxisSendEdocAnswer');

export const EdocListItem = z
  .object({
    docId: z.string(),
    serviceType: z.literal('eDoc'),
    messageType: z.enum(['edoc', 'status']),
    created_time: z.string().openapi({ description: 'ISO 8601' }),
    updated_time: z.string().openapi({ description: 'ISO 8601' }),
    from: z.string().openapi({ description: 'Sender OrganId' }),
    to: z.string().openapi({ description: 'Recipient OrganId (several, comma-separated, when one package is for several of the system’s agencies)' }),
    status: z.string().openapi({
      description:
        'Transport state. Received: `initial` (not fetched yet) or `processing` (fetched, not acknowledged). Sent: `done` (the recipient holds it)',
    }),
    status_desc: z.string(),
    statusCode: z.string().optional().openapi({ description: 'Sent edocs: the last business status code (01…16) of the recipient' }),
    state: z.string().optional().openapi({ description: 'Sent edocs: the recipient’s state (arrived, accepted, refused…)' }),
  })
  .openapi('AxisEdocListItem');
export type EdocListItem = z.infer<typeof EdocListItem>;

export const EdocListAnswer = z.object({ status: z.literal('OK'), ErrorDesc: z.string(), data: z.array(EdocListItem) }).openapi('AxisEdocList');

export const GetEdocAnswer = z
  .object({ status: z.literal('OK'), ErrorDesc: z.string(), data: z.string().openapi({ description: 'The package exactly as signed, base64' }) })
  .openapi('AxisGetEdocAnswer');

export const UpdateStatusAnswer = z.object({ status: z.literal('OK'), ErrorCode: z.literal(0), ErrorDesc: z.string() }).openapi('AxisUpdateStatusAnswer');

export const AgencyItem = z
  .object({
    id: z.string().openapi({ description: 'The agency code (mã định danh): the directory is keyed by it' }),
    code: z.string(),
    name: z.string(),
    mail: z.string().nullable(),
    pid: z.string().nullable().openapi({ description: 'The parent agency code' }),
  })
  .openapi('AxisAgency');
export type AgencyItem = z.infer<typeof AgencyItem>;

export const ClosedAgencyItem = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    closedAt: z.string(),
    successors: z.array(z.string()).openapi({ description: 'The agencies that took over, the one that receives its documents first' }),
  })
  .openapi('AxisClosedAgency');
export type ClosedAgencyItem = z.infer<typeof ClosedAgencyItem>;

export const AgenciesAnswer = z
  .object({
    status: z.literal('OK'),
    ErrorDesc: z.string(),
    data: z.array(AgencyItem).openapi({ description: 'The open agencies of the directory' }),
    closed: z.array(ClosedAgencyItem).openapi({ description: 'Not in the SDK: agencies closed by a reorganisation, with their successors' }),
  })
  .openapi('AxisAgenciesList');
