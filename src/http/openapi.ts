import { z } from '@hono/zod-openapi';
import { edgeSchema } from './edge-input.js';
import { ProblemSchema } from './problem.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The error answers most routes share, for the OpenAPI document. */
export const COMMON_ERRORS = {
  400: problem('Malformed request (e.g. invalid JSON)'),
  401: problem('UNAUTHENTICATED: missing or unknown bearer token'),
  403: problem('FORBIDDEN: the caller may not do this'),
  413: problem('PAYLOAD_TOO_LARGE'),
  422: problem('VALIDATION_FAILED (with `errors`), or a domain refusal'),
  500: problem('INTERNAL'),
  503: problem('UNAVAILABLE: database or queue unreachable'),
} as const;

export const NOT_FOUND = { 404: problem('NOT_FOUND') } as const;
export const CONFLICT = { 409: problem('CONFLICT') } as const;

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A route's JSON body: read in NFC before its schema checks it (edge-input.ts). */
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema: edgeSchema(schema) } },
});

export const BEARER = [{ bearer: [] }];

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: 'The same key and body returns the first answer; another body → 409' }),
});
