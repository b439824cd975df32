import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { DomainError, type FieldError } from '../errors.js';
import type { Logger } from '../logger.js';
import { fieldSectionOf, type FieldSection } from './field-names.js';
import { preferredLanguage } from './language.js';
import { problemFieldErrors, problemMessage, problemTitle, validationDetail } from './problem-messages.js';
import { fieldError, zodFieldErrors, type Predicate } from './validation-messages.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** problem+json body (RFC 9457) with our stable `code`. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

/**
 * Converts zod issues to field errors with dotted paths (`to.2`, `signer.fullName`): one per field,
 * each naming the field in plain words, in English and Vietnamese (validation-messages.ts).
 */
export function fieldErrors(error: z.ZodError, options?: { input?: unknown; section?: FieldSection }): FieldError[] {
  return zodFieldErrors(error, options);
}

/**
 * The 422 for a body, query or path that does not match its schema. `input`, what was parsed, tells
 * a missing field from one of the wrong type; the field names are those of `section`, or of the
 * request at `urlPath` (field-names.ts).
 */
export function validationError(
  error: z.ZodError,
  where = 'request',
  options: { input?: unknown; section?: FieldSection; urlPath?: string } = {},
): DomainError {
  const { urlPath, section, ...rest } = options;
  const errors = fieldErrors(error, { ...rest, section: section ?? (urlPath === undefined ? undefined : fieldSectionOf(urlPath)) });
  return new DomainError('VALIDATION_FAILED', validationDetail(errors, where, 'en'), { errors, vi: validationDetail(errors, where, 'vi') });
}

/**
 * A 422 on one field, whose messages say what is wrong with it in both languages ("<Field>
 * <predicate>.", the field named in plain words from `section`).
 */
export function invalidField(path: string, predicate: Predicate, section?: FieldSection): DomainError {
  const error = fieldError(path, predicate, section);
  return new DomainError('VALIDATION_FAILED', error.message, { errors: [error], vi: error.vi });
}

/**
 * The problem+json answer of a domain error, in the language the request prefers (Accept-Language:
 * `vi` or English): `title`, `detail` and each `errors[].message`; the `code` and the paths stay.
 */
export function problemResponse(c: Context, error: DomainError): Response {
  const lang = preferredLanguage(c.req.header('accept-language'));
  const section = fieldSectionOf(c.req.path);
  const body = {
    // Extension members first: the standard ones below always win a clash of names.
    ...error.extensions,
    type: `https://lienthong.gov.vn/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: problemTitle(error, lang),
    status: error.status,
    detail: problemMessage(error, lang, section),
    code: error.code,
    ...(error.errors ? { errors: problemFieldErrors(error, lang, section) } : {}),
    requestId: c.get('requestId') as string | undefined,
  };
  const retryAfter = error.retryAfterSeconds;
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-language': lang,
    vary: 'Accept-Language',
    ...(typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {}),
  });
}

/**
 * The single error mapper (STYLE.md "Errors"): domain errors keep their code; malformed JSON (400)
 * and Hono's own HTTP errors are translated; anything else is logged and answered 500 without
 * internals.
 */
export function toDomainError(error: unknown, logger: Logger, requestId?: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof z.ZodError) return validationError(error);
  if (error instanceof HTTPException) {
    if (error.status === 413) return new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
    if (error.status === 400) {
      return new DomainError('BAD_REQUEST', malformedJsonDetail(error));
    }
    if (error.status === 415) return new DomainError('UNSUPPORTED_MEDIA_TYPE', error.message || 'Unsupported content type.');
    if (error.status === 401) return new DomainError('UNAUTHENTICATED', error.message || 'Authentication required.');
  }
  if (error instanceof SyntaxError) return new DomainError('BAD_REQUEST', `Malformed JSON body: ${error.message}`);
  logger.error({ err: error, requestId }, 'unhandled error');
  return new DomainError('INTERNAL', 'An internal error occurred; it has been logged.');
}

function malformedJsonDetail(error: HTTPException): string {
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return /json/i.test(error.message) || cause ? `Malformed JSON body${cause ? `: ${cause}` : ''}.` : error.message;
}
