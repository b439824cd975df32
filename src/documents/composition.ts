import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../errors.js';
import { jsonDocumentLimit, readBodyLimited, readMultipart } from '../http/body.js';
import { parseJson, parseJsonBody, type JsonPath } from '../http/json-body.js';
import type { AppEnv } from '../http/context.js';
import { edgeSchema } from '../http/edge-input.js';
import { validationError } from '../http/problem.js';
import { fieldError } from '../http/validation-messages.js';
import { MAX_ATTACHMENTS, type DocumentInput } from './documents.schemas.js';
import { checkDocumentInput, decodeAttachments, fileSha256, type UploadedFile } from './documents.service.js';

/**
 * A composed document as the API takes it (POST /v1/documents, /replace, POST /v1/drafts): JSON with
 * base64 attachments, or multipart/form-data with a `metadata` JSON part and one part per file.
 */

/** Where a JSON document carries a file's base64: kept as bytes when long (json-body.ts). */
const isAttachmentContent = (path: JsonPath): boolean => path.length === 3 && path[0] === 'attachments' && typeof path[1] === 'number' && path[2] === 'contentBase64';

/**
 * What a request with an Idempotency-Key is compared by: the document, each JSON file by the SHA-256
 * of its bytes (the same file sent again is the same request, however its base64 arrived), hashed
 * once for the request (fileSha256 keeps it for the attachment row).
 */
function fingerprintOf(input: DocumentInput, decoded: readonly UploadedFile[]): unknown {
  return { ...input, attachments: input.attachments.map((a, i) => ({ ...a, contentBase64: fileSha256(decoded[i]!) })) };
}

/**
 * A composed document as JSON or multipart/form-data (a `metadata` JSON part and one part per file),
 * read with the body limits and checked: what POST /v1/documents and /replace take. `unsupported`
 * is what a request of another content type is told (415).
 */
export async function readComposition<S extends z.ZodType<DocumentInput>>(
  c: Context<AppEnv>,
  deps: { maxBodyBytes: number },
  schema: S,
  unsupported = 'Send application/json, multipart/form-data (metadata + files) or application/xml (a signed edXML package).',
): Promise<{ input: z.infer<S>; files: UploadedFile[]; fingerprint: unknown }> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  // Read as every JSON body is: its text in NFC first (edgeSchema), then the schema.
  const edge = edgeSchema(schema);
  const parse = (value: unknown): z.infer<S> => {
    const parsed = edge.safeParse(value);
    if (!parsed.success) throw validationError(parsed.error, 'document', { input: value, section: 'document' });
    return parsed.data as z.infer<S>;
  };
  let input: z.infer<S>;
  let files: UploadedFile[];
  let fingerprint: unknown;
  if (type.startsWith('multipart/form-data')) {
    const form = await readMultipart(c.req.raw, { maxBytes: deps.maxBodyBytes, maxFiles: MAX_ATTACHMENTS });
    const metadata = form.fields.get('metadata');
    if (!metadata) {
      const error = fieldError('metadata', { en: 'is required: the document as JSON', vi: 'là bắt buộc: thông tin văn bản dạng JSON' }, 'document');
      throw new DomainError('VALIDATION_FAILED', 'The multipart form needs a `metadata` part with the JSON metadata.', {
        errors: [error],
        vi: 'Biểu mẫu multipart cần một phần `metadata` chứa thông tin văn bản dạng JSON.',
      });
    }
    input = parse(parseJson(metadata));
    // A part without a Content-Type of its own is text/plain (RFC 7578 §4.4; busboy says so), which no
    // accepted file is: it counts as no type, and the attachment policy reads the file's extension.
    const typeOf = (f: { contentType: string }) => (f.contentType === 'text/plain' ? '' : f.contentType);
    files = [...decodeAttachments(input), ...form.files.map((f) => ({ name: f.name, contentType: typeOf(f), content: f.content, sha256: f.sha256 }))];
    fingerprint = { metadata: input, files: form.files.map((f) => f.sha256) };
  } else if (type.startsWith('application/json') || type === '') {
    const raw = await readBodyLimited(c.req.raw, jsonDocumentLimit(deps.maxBodyBytes));
    const { value, kept } = parseJsonBody(raw, isAttachmentContent);
    input = parse(value);
    files = decodeAttachments(input, kept);
    fingerprint = fingerprintOf(input, files);
  } else {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', unsupported);
  }
  return { input, files: checkDocumentInput(input, files, deps.maxBodyBytes), fingerprint };
}
