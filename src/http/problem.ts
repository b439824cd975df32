import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { DomainError, type FieldError } from '../errors.js';
import type { Logger } from '../logger.js';

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

/** Converts zod issues to field errors with dotted paths (`to.2`, `signer.fullName`). */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** The 422 for a body, query or path that does not match its schema. */
export function validationError(error: z.ZodError, where = 'request'): DomainError {
  const errors = fieldErrors(error);
  return new DomainError(
    'VALIDATION_FAILED',
    `The ${where} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    { errors },
  );
}

export function problemResponse(c: Context, error: DomainError): Response {
  const body = {
    type: `https://lienthong.gov.vn/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    requestId: c.get('requestId') as string | undefined,
  };
  const retryAfter = error.retryAfterSeconds;
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
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
