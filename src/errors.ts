/**
 * Domain errors with stable, machine-readable codes (API.md "Conventions").
 * One `app.onError` maps them to application/problem+json; anything that is not a
 * DomainError is answered 500 without internals.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ILLEGAL_TRANSITION'
  | 'SECRET_NOT_ALLOWED'
  | 'UNKNOWN_RECIPIENT'
  | 'AGENCY_CLOSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_REQUEST'
  | 'XML_MALFORMED'
  | 'XML_FORBIDDEN'
  | 'SIGNATURE_INVALID'
  | 'CERTIFICATE_UNTRUSTED'
  | 'DUPLICATE_PACKAGE'
  | 'DUPLICATE_NUMBER'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 422,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_TRANSITION: 409,
  SECRET_NOT_ALLOWED: 422,
  UNKNOWN_RECIPIENT: 422,
  AGENCY_CLOSED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BAD_REQUEST: 400,
  XML_MALFORMED: 400,
  XML_FORBIDDEN: 400,
  SIGNATURE_INVALID: 422,
  CERTIFICATE_UNTRUSTED: 422,
  DUPLICATE_PACKAGE: 409,
  DUPLICATE_NUMBER: 409,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const TITLE: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  ILLEGAL_TRANSITION: 'Illegal state transition',
  SECRET_NOT_ALLOWED: 'Secret documents are not sent over this system',
  UNKNOWN_RECIPIENT: 'Unknown recipient',
  AGENCY_CLOSED: 'The recipient agency is closed',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  BAD_REQUEST: 'Bad request',
  XML_MALFORMED: 'Malformed XML',
  XML_FORBIDDEN: 'Forbidden XML construct',
  SIGNATURE_INVALID: 'Invalid signature',
  CERTIFICATE_UNTRUSTED: 'Untrusted certificate',
  DUPLICATE_PACKAGE: 'Duplicate package',
  DUPLICATE_NUMBER: 'Number already used in the register',
  UNAVAILABLE: 'Service unavailable',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
};

/** One field-level problem, as listed in problem+json `errors`. */
export interface FieldError {
  path: string;
  /** In English, naming the field in plain words. */
  message: string;
  /** The same in Vietnamese, answered with `Accept-Language: vi` (src/http/problem-messages.ts). */
  vi?: string;
}

/** An error the client can act on: it carries a stable `code` and its HTTP status. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  /** When the client may try again (503, 429): answered as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;
  /**
   * The detail in Vietnamese, where the thrower wrote one (with the specifics the English names);
   * otherwise src/http/problem-messages.ts says it from the code.
   */
  readonly vi: string | undefined;
  /**
   * Machine-readable members of the problem beside the standard ones (RFC 9457 §3.2 extension
   * members), the same in every language: e.g. AGENCY_CLOSED's `successors`.
   */
  readonly extensions: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options?: { errors?: FieldError[]; cause?: unknown; status?: number; retryAfterSeconds?: number; vi?: string; extensions?: Record<string, unknown> },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.status = options?.status ?? STATUS[code];
    this.title = TITLE[code];
    this.errors = options?.errors;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.vi = options?.vi;
    this.extensions = options?.extensions;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
