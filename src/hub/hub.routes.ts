import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JobQueues } from '../../queues/producer.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { DomainError } from '../errors.js';
import { enforceRateLimit } from '../exchange/rate-limit.js';
import { carriesBody, readBodyLimited, readMultipart } from '../http/body.js';
import type { AppEnv } from '../http/context.js';
import { preferredLanguage } from '../http/language.js';
import { problemMessage } from '../http/problem-messages.js';
import { toDomainError } from '../http/problem.js';
import type { Logger } from '../logger.js';
import { AgenciesAnswer, EdocListAnswer, FailAnswer, GetEdocAnswer, hubErrorCode, SendEdocAnswer, UpdateStatusAnswer } from './answers.js';
import { identifyCaller, verifyCaller, type HubAuthOptions, type HubCaller } from './hub-auth.js';
import { registerHubSystemRoutes } from './hub-systems.routes.js';
import {
  acknowledgePackage,
  agenciesList,
  checkSender,
  checkServiceType,
  fetchPackage,
  messageTypeOf,
  receivedList,
  sendPackage,
  sentList,
} from './hub.service.js';

export interface HubDeps {
  pipeline: PipelineDeps;
  queues: JobQueues;
  secrets: Secrets;
  logger: Logger;
  /** Where the calls are mounted (LIENTHONG_HUB_PREFIX): `<prefix>/sendEdoc`… */
  prefix: string;
  maxBodyBytes: number;
  /** Calls one system may make per minute (the exchange API's limit; 429 beyond). */
  ratePerMinute: number;
  clockSkewSeconds: number;
}

/** Room for the multipart framing around the package (boundaries, part headers). */
const MULTIPART_OVERHEAD = 64 * 1024;
/** The calls other than sendEdoc carry no body; whatever one sends is hashed for the signature, up to this. */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * The axis-compatible hub (issue 19): the calls of the national axis SDK (shared/AXIS.md) under a
 * configurable prefix, so that a document-management system built on the SDK points its base URL at
 * this node and works unchanged — the same packages, the same poll / fetch / acknowledge cycle,
 * business statuses as status packages. Requests are authenticated by the SDK's HMAC headers
 * (hub-auth.ts), not by bearer tokens; answers are the SDK's JSON, failures included.
 */
export function registerHubRoutes(app: OpenAPIHono<AppEnv>, deps: HubDeps): void {
  registerHubSystemRoutes(app, { secrets: deps.secrets });
  const auth: HubAuthOptions = { secrets: deps.secrets, clockSkewSeconds: deps.clockSkewSeconds };
  const hub = new Hono<AppEnv>();
  hub.onError((error, c) => failure(c, toDomainError(error, deps.logger, c.get('requestId'))));

  /**
   * Identify (headers only: an unknown system is refused before its body is read), read the body
   * within its limit, check the signature over it and take it once, then count the call.
   */
  const authenticated = async (c: Context<AppEnv>, call: string, bodyLimit: number): Promise<{ caller: HubCaller; body: Buffer; header: (n: string) => string | undefined }> => {
    const em = c.get('em');
    const header = (name: string): string | undefined => c.req.header(name);
    const caller = await identifyCaller(em, header, auth);
    const body = await readBodyLimited(c.req.raw, bodyLimit);
    await verifyCaller(em, caller, { method: c.req.method, callPath: `/${call}`, urlPath: c.req.path, header, body }, auth);
    await enforceRateLimit(em, `hub:${caller.system.id}`, deps.ratePerMinute);
    checkServiceType(header('servicetype'));
    return { caller, body, header };
  };

  hub.post('/sendEdoc', async (c) => {
    const { caller, body, header } = await authenticated(c, 'sendEdoc', deps.maxBodyBytes + MULTIPART_OVERHEAD);
    checkSender(caller, header('from'));
    // The package says what it is (edoc or status); the header is checked for its shape only.
    messageTypeOf(header('messagetype'));
    const bytes = await fileDoc(header('content-type'), body, deps.maxBodyBytes);
    const result = await sendPackage(c.get('em'), deps.pipeline, caller, bytes);
    // The recipients' 01 go back to the system's pull list; if Redis is down the sweep carries them.
    if (result.statusIds.length) await deps.queues.enqueueMany('status', result.statusIds.map((statusId) => ({ statusId }))).catch(() => undefined);
    return c.json(
      {
        status: 'OK' as const,
        ErrorDesc: '',
        DocID: result.receiptId,
        ...(result.duplicate ? { duplicate: true as const } : {}),
        ...(result.notApplied !== undefined ? { applied: false as const, reason: result.notApplied } : {}),
      },
      200,
    );
  });

  // AXIS.md: every call is a POST; GET is taken too for the calls without a body (signed as GET).
  hub.on(['POST', 'GET'], '/getReceivedEdocList', async (c) => {
    const { caller, header } = await authenticated(c, 'getReceivedEdocList', SMALL_BODY_BYTES);
    return c.json({ status: 'OK' as const, ErrorDesc: '', data: await receivedList(c.get('em'), caller, messageTypeOf(header('messagetype'))) }, 200);
  });

  hub.on(['POST', 'GET'], '/getEdoc', async (c) => {
    const { caller, header } = await authenticated(c, 'getEdoc', SMALL_BODY_BYTES);
    const bytes = await fetchPackage(c.get('em'), caller, requiredHeader(header, 'docid'));
    return c.json({ status: 'OK' as const, ErrorDesc: '', data: bytes.toString('base64') }, 200);
  });

  hub.on(['POST', 'GET'], '/updateStatus', async (c) => {
    const { caller, header } = await authenticated(c, 'updateStatus', SMALL_BODY_BYTES);
    await acknowledgePackage(c.get('em'), caller, requiredHeader(header, 'docid'), header('status'), reasonOf(header('reason')), c.get('requestId'));
    return c.json({ status: 'OK' as const, ErrorCode: 0 as const, ErrorDesc: '' }, 200);
  });

  hub.on(['POST', 'GET'], '/getSentEdocList', async (c) => {
    const { caller, header } = await authenticated(c, 'getSentEdocList', SMALL_BODY_BYTES);
    const docId = header('docid') || undefined;
    return c.json({ status: 'OK' as const, ErrorDesc: '', data: await sentList(c.get('em'), caller, messageTypeOf(header('messagetype')), docId) }, 200);
  });

  hub.on(['POST', 'GET'], '/getAgenciesList', async (c) => {
    await authenticated(c, 'getAgenciesList', SMALL_BODY_BYTES);
    const { open, closed } = await agenciesList(c.get('em'));
    return c.json({ status: 'OK' as const, ErrorDesc: '', data: open, closed }, 200);
  });

  app.route(deps.prefix, hub);
  documentHub(app, deps.prefix);
}

/** A failure in the SDK's shape (status FAIL, ErrorCode, ErrorDesc), with our code and the HTTP status of the error. */
function failure(c: Context<AppEnv>, error: DomainError): Response {
  const lang = preferredLanguage(c.req.header('accept-language'));
  const body = { status: 'FAIL', ErrorCode: hubErrorCode(error.code), ErrorDesc: problemMessage(error, lang), code: error.code };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (typeof error.retryAfterSeconds === 'number') headers['retry-after'] = String(error.retryAfterSeconds);
  // Refused before its body was read (an unknown system): close rather than drain a large body.
  if (error.status >= 400 && !c.req.raw.bodyUsed && carriesBody(c.req.raw)) headers.connection = 'close';
  return c.body(JSON.stringify(body), error.status as ContentfulStatusCode, headers);
}

function requiredHeader(header: (name: string) => string | undefined, name: string): string {
  const value = header(name);
  if (!value) throw new DomainError('VALIDATION_FAILED', `This call carries the header ${name === 'docid' ? 'docId' : name}.`, { errors: [{ path: name, message: 'required' }] });
  return value;
}

/** The optional `reason` of updateStatus fail (URI-encoded by clients, since headers are ASCII). */
function reasonOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return decodeURIComponent(value).slice(0, 1000);
  } catch {
    return value.slice(0, 1000);
  }
}

/** sendEdoc's package: the multipart part `file_doc` of the (already read and authenticated) body. */
async function fileDoc(contentType: string | undefined, body: Buffer, maxBytes: number): Promise<Buffer> {
  if (!contentType?.toLowerCase().startsWith('multipart/form-data')) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'sendEdoc takes multipart/form-data with the package in the part file_doc.');
  }
  const request = new Request('http://hub.invalid/sendEdoc', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
  const { files } = await readMultipart(request, { maxBytes, maxFiles: 4 });
  const file = files.find((f) => f.field === 'file_doc');
  if (!file) throw new DomainError('BAD_REQUEST', 'sendEdoc takes the .edxml package in the multipart part file_doc; there is none.');
  return file.content;
}

/** The hub's calls in the OpenAPI document (they are plain Hono routes: their answers are the SDK's, not problem+json). */
function documentHub(app: OpenAPIHono<AppEnv>, prefix: string): void {
  const tags = ['Hub (axis SDK calls)'];
  app.openAPIRegistry.registerComponent('securitySchemes', 'axisHmac', {
    type: 'apiKey',
    in: 'header',
    name: 'systemid',
    description:
      'The axis SDK authentication (AXIS.md): headers `systemid`, `timestamp` (ISO 8601 with zone, or Unix s/ms; within LIENTHONG_HUB_CLOCK_SKEW_SECONDS) and `signature`, ' +
      'made with the system secret by its scheme (src/transport/axis-signing.ts). hmac-sha256-v1: base64 HMAC-SHA256 of "systemid\\ntimestamp\\nMETHOD\\n/call\\nsha256hex(body)"; ' +
      'hmac-sha256-v2 adds, before the body hash, a line "name:value" for each of from, servicetype, messagetype, docid, status, filepath the request carries. Each signature is accepted once.',
  });
  const security = [{ axisHmac: [] }];
  const fail = (description: string) => ({ description, content: { 'application/json': { schema: FailAnswer } } });
  const failures = {
    400: fail('status FAIL: malformed request or file'),
    401: fail('status FAIL, ErrorCode 2: unknown system, wrong or replayed signature, stale timestamp'),
    403: fail('status FAIL, ErrorCode 4: the sender is not an agency of the system'),
    404: fail('status FAIL, ErrorCode 7: no such docId for this system'),
    422: fail('status FAIL: package refused (3 unknown receiver or one served by another system — nothing is forwarded, 5 edXML not compliant, 6 receiver closed) or a header invalid'),
    429: fail('status FAIL, ErrorCode 9: too many calls this minute (Retry-After)'),
  };
  const ok = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ 200: { description, content: { 'application/json': { schema } } } });
  const MessageType = z.enum(['edoc', 'status']).optional();
  const calls = [
    {
      call: 'sendEdoc',
      summary: 'Send a signed edXML package (edoc, or status with messagetype status)',
      description:
        'Verified before anything is stored, then received as the exchange API receives it. Every recipient must be an agency this node receives for (hosted here, or closed into a successor hosted here): ' +
        'the node passes no package on to a peer node, the axis or another document system, so a package naming an agency served elsewhere is refused whole — nothing stored — with status FAIL, ErrorCode 3 (UNKNOWN_RECIPIENT), ' +
        'and an ErrorDesc naming, for each such recipient, the system that serves it. The same package again answers its first DocID.',
      headers: z.object({ from: z.string().openapi({ description: 'OrganId of the sender: an agency of the system' }), servicetype: z.literal('eDoc').optional(), messagetype: MessageType }),
      body: { content: { 'multipart/form-data': { schema: z.object({ file_doc: z.string().openapi({ format: 'binary', description: 'The .edxml package' }) }) } } },
      answer: ok(SendEdocAnswer, 'status OK with the DocID'),
    },
    {
      call: 'getReceivedEdocList',
      summary: "What waits for the system's agencies (its pull list), oldest first, at most 500",
      headers: z.object({ servicetype: z.literal('eDoc').optional(), messagetype: MessageType }),
      answer: ok(EdocListAnswer, 'status OK, the list in data'),
    },
    {
      call: 'getEdoc',
      summary: 'One waiting package, exactly as signed (base64 in data)',
      headers: z.object({ docId: z.string(), filePath: z.string().optional() }),
      answer: ok(GetEdocAnswer, 'status OK, the package in data'),
    },
    {
      call: 'updateStatus',
      summary: 'Acknowledge a fetched package: done or fail (it leaves the list), or processing',
      description:
        'The transport acknowledgement, not the business status (send a status package for that). A fail on a document’s package is a transport failure: ' +
        'the sender’s delivery becomes `failed` with the reason as its `lastError` and a `delivery.refused-by-partner` event on its timeline, and the sender’s retry lists the package again.',
      headers: z.object({ docId: z.string(), status: z.enum(['done', 'fail', 'processing']), reason: z.string().optional().openapi({ description: 'With fail: why (URI-encoded)' }) }),
      answer: ok(UpdateStatusAnswer, 'status OK'),
    },
    {
      call: 'getSentEdocList',
      summary: 'What the system sent, newest first, one entry per recipient with its state',
      headers: z.object({ servicetype: z.literal('eDoc').optional(), messagetype: MessageType, docId: z.string().optional() }),
      answer: ok(EdocListAnswer, 'status OK, the list in data'),
    },
    {
      call: 'getAgenciesList',
      summary: 'The directory: open agencies { id, code, name, mail, pid }, and closed ones with their successors',
      headers: z.object({}),
      answer: ok(AgenciesAnswer, 'status OK, the agencies in data'),
    },
  ];
  for (const c of calls) {
    app.openAPIRegistry.registerPath({
      method: 'post',
      path: `${prefix}/${c.call}`,
      tags,
      security,
      summary: c.summary,
      ...(c.description ? { description: c.description } : {}),
      request: { headers: c.headers, ...(c.body ? { body: c.body } : {}) },
      responses: { ...c.answer, ...failures },
    });
  }
}
