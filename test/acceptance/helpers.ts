import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { eventually, type TestNode, type TestResponse } from '../support/runtime.js';

/**
 * Factories and readers for the acceptance tests. Everything goes through HTTP (API.md); the
 * readers are lenient only where API.md leaves a shape open, and say so.
 */

/** An answer read loosely, as `TestResponse.json` is. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely
export type Loose = any;

/** Generous: the worker signs, routes and delivers in the background. */
export const ASYNC_TIMEOUT_MS = 20_000;

/** ISO 8601 with an offset (API.md "Conventions"); `Z` counts as the zero offset. */
export const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The XMLDSig namespace every emitted package's signature uses (DESIGN.md §5). */
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

export interface Agency {
  code: string;
  name: string;
  /** Bearer token of a clerk of this agency. */
  clerk: string;
  /** The certificate the node CA issued for it (`POST /v1/agencies/{code}/certificates` with `{}`). */
  certificate: { subject: string; serialNumber: string; fingerprintSha256: string };
}

/**
 * Agency codes of one "family" (a district and its communes), unique per test:
 * district `000.00.FF.H33`, commune n `000.NN.FF.H33` (the QCVN 102 shape `XXX.YY.ZZ.Lnn`).
 */
export function familyCodes(family: number): { district: string; commune(n: number): string } {
  const ff = String(family).padStart(2, '0');
  return {
    district: `000.00.${ff}.H33`,
    commune: (n) => `000.${String(n).padStart(2, '0')}.${ff}.H33`,
  };
}

/** Creates a local agency, issues its certificate from the node CA and gives it a clerk. */
export async function createAgency(
  node: TestNode,
  body: { code: string; name: string; level: string; parentCode?: string },
): Promise<Agency> {
  const admin = node.adminToken;
  const created = await node.call('POST', '/v1/agencies', { token: admin, body });
  expect(created.status, created.text).toBe(201);
  const cert = await node.call('POST', `/v1/agencies/${body.code}/certificates`, { token: admin, body: {} });
  expect(cert.status, cert.text).toBe(201);
  const user = await node.call('POST', '/v1/users', {
    token: admin,
    body: { agencyCode: body.code, name: `Văn thư ${body.name}`, roles: ['clerk'] },
  });
  expect(user.status, user.text).toBe(201);
  return {
    code: body.code,
    name: body.name,
    clerk: user.json.token as string,
    certificate: {
      subject: cert.json.subject as string,
      serialNumber: cert.json.serialNumber as string,
      fingerprintSha256: cert.json.fingerprintSha256 as string,
    },
  };
}

/** A district and `communes` communes under it (parentCode = district), each with a certificate and a clerk. */
export async function createDistrict(
  node: TestNode,
  family: number,
  communes: number,
): Promise<{ district: Agency; communes: Agency[] }> {
  const codes = familyCodes(family);
  const district = await createAgency(node, { code: codes.district, name: `UBND huyện ${family}`, level: 'district' });
  const children: Agency[] = [];
  for (let n = 1; n <= communes; n++) {
    children.push(
      await createAgency(node, { code: codes.commune(n), name: `UBND xã ${n} huyện ${family}`, level: 'commune', parentCode: codes.district }),
    );
  }
  return { district, communes: children };
}

/**
 * A small PDF whose bytes are not all ASCII (binary comment line and a random stream), so that any
 * re-encoding on the way shows up as a byte difference.
 */
export function samplePdf(): Buffer {
  const stream = randomBytes(64);
  return Buffer.concat([
    Buffer.from('%PDF-1.4\n%', 'latin1'),
    Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]),
    Buffer.from(`\n1 0 obj\n<< /Length ${stream.length} >>\nstream\n`, 'latin1'),
    stream,
    Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'),
  ]);
}

/** Today in Asia/Ho_Chi_Minh as `YYYY-MM-DD` (the default promulgation date, API.md). */
export function todayInVietnam(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}

/** A directive (`CT`) body as in API.md, with overrides. */
export function directive(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'CT',
    notation: 'CT-UBND',
    subject: `V/v triển khai dịch vụ công trực tuyến toàn trình (${randomBytes(4).toString('hex')})`,
    promulgation: { place: 'Kiên Lương', date: todayInVietnam() },
    signer: { fullName: 'Nguyễn Văn A', position: 'Chủ tịch', competence: 'TM.' },
    priority: 0,
    confidentiality: 'normal',
    steeringType: 2,
    ...overrides,
  };
}

/** `POST /v1/documents` as JSON. */
export function sendDocument(node: TestNode, token: string, body: unknown, headers?: Record<string, string>): Promise<TestResponse> {
  return node.call('POST', '/v1/documents', { token, body, ...(headers ? { headers } : {}) });
}

/** A response body read as raw bytes (for attachments: `TestResponse.text` would re-decode them). */
export async function getBytes(
  node: TestNode,
  path: string,
  token: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await node.runtime.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A list answer's items: API.md lists are `{ items, nextCursor }`; a bare array is tolerated. */
export function itemsOf(json: Loose): Loose[] {
  if (Array.isArray(json)) return json;
  return Array.isArray(json?.items) ? json.items : [];
}

/**
 * The agency code of a delivery. API.md names the field `recipient` without saying whether it is the
 * code or an agency object; both are accepted.
 */
export function recipientCode(delivery: Loose): string | undefined {
  const r = delivery?.recipient ?? delivery?.recipientCode;
  if (typeof r === 'string') return r;
  if (r && typeof r.code === 'string') return r.code;
  return undefined;
}

/**
 * Polls `GET /v1/documents/{id}` until every named recipient's delivery is in the expected state
 * (and status code, when given); fails with the last answer seen, for a readable report.
 */
export async function waitForDeliveries(
  node: TestNode,
  token: string,
  id: string,
  expected: Record<string, { state: string; statusCode?: string }>,
): Promise<Loose> {
  let last: unknown;
  try {
    return await eventually(async () => {
      const res = await node.call('GET', `/v1/documents/${id}`, { token });
      last = res.json ?? res.text;
      if (res.status !== 200) return undefined;
      const deliveries: Loose[] = res.json.deliveries ?? [];
      for (const [code, want] of Object.entries(expected)) {
        const d = deliveries.find((x) => recipientCode(x) === code);
        if (!d || d.state !== want.state) return undefined;
        if (want.statusCode !== undefined && d.statusCode !== want.statusCode) return undefined;
      }
      return res.json;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`${String(error)}; expected ${JSON.stringify(expected)}; last answer: ${JSON.stringify(last)}`, { cause: error });
  }
}

/**
 * The id of the inbox item carrying the document with this DocumentId (or, failing that, this
 * subject). API.md does not list the inbox item fields, so the item is recognised by either value
 * appearing anywhere in it.
 */
export async function waitForInboxItem(node: TestNode, token: string, documentId: string, subject?: string): Promise<string> {
  let last: unknown;
  try {
    return await eventually(async () => {
      const res = await node.call('GET', '/v1/inbox?limit=500', { token });
      last = res.json ?? res.text;
      if (res.status !== 200) return undefined;
      const item = itemsOf(res.json).find((i) => {
        const text = JSON.stringify(i);
        return text.includes(documentId) || (subject !== undefined && text.includes(subject));
      });
      return item ? (item.id as string) : undefined;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`${String(error)}; no inbox item for ${documentId}; last answer: ${JSON.stringify(last)}`, { cause: error });
  }
}

/** `POST /v1/inbox/{id}/status`. */
export function postStatus(node: TestNode, token: string, itemId: string, body: Record<string, unknown>): Promise<TestResponse> {
  return node.call('POST', `/v1/inbox/${itemId}/status`, { token, body });
}

/**
 * Every `statusId` found anywhere in an answer: API.md says the timeline carries the status packages
 * without fixing the event shape, so any object with a string `statusId` counts, and so does the `id`
 * of an element of any `statuses` array.
 */
export function collectStatusIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) collectStatusIds(v, into);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'statusId' && typeof v === 'string') into.add(v);
      if (key === 'statuses' && Array.isArray(v)) {
        for (const s of v) if (s && typeof (s as { id?: unknown }).id === 'string') into.add((s as { id: string }).id);
      }
      collectStatusIds(v, into);
    }
  }
  return into;
}

/**
 * The time of a timeline event. API.md does not name the field: the usual names come first, then any
 * field whose name ends in `At`, `time` or `timestamp` and holds an ISO 8601 time.
 */
export function eventTime(event: Loose): number | undefined {
  const preferred = ['at', 'occurredAt', 'createdAt', 'recordedAt', 'timestamp', 'time'];
  const keys = [...preferred, ...Object.keys(event ?? {}).filter((k) => /(At|time|Time|timestamp|Timestamp)$/.test(k))];
  for (const key of keys) {
    const v = event?.[key];
    if (typeof v === 'string' && ISO_WITH_OFFSET.test(v)) return Date.parse(v);
  }
  return undefined;
}

/**
 * The file name carried by a `Content-Disposition` header: `filename*=UTF-8''…` (RFC 6266/8187)
 * when present, else a quoted `filename="…"`.
 */
export function dispositionFileName(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*utf-8''([^;]+)/i.exec(header);
  if (extended?.[1]) return decodeURIComponent(extended[1].trim());
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1');
  const bare = /filename\s*=\s*([^;\s]+)/i.exec(header);
  return bare?.[1];
}

/** One event of a document's timeline (GET /v1/documents/{id}/events). */
export interface TimelineEvent {
  type: string;
  recipient: string | null;
  statusCode: string | null;
  statusId: string | null;
  state: string | null;
  details: Loose;
}

/** GET /v1/documents/{id}, which must answer 200. */
export async function documentOf(node: TestNode, token: string, id: string): Promise<Loose> {
  const res = await node.call('GET', `/v1/documents/${id}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** A document's delivery to `code`, which must exist. */
export function deliveryOf(doc: Loose, code: string): Loose {
  const d = (doc.deliveries as Loose[]).find((x) => x.recipient === code);
  expect(d, `no delivery to ${code}`).toBeDefined();
  return d;
}

/** GET /v1/documents/{id}/events, which must answer 200. */
export async function timelineOf(node: TestNode, token: string, id: string): Promise<TimelineEvent[]> {
  const res = await node.call('GET', `/v1/documents/${id}/events`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json.items as TimelineEvent[];
}
