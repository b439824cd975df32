/**
 * Issue 11, the edge: authenticate, then authorise, then read the body; body limits by bytes read,
 * whatever the content type says; bounded XML checked in a memory-capped thread; admission per
 * caller and per process with 503 + Retry-After; the event loop stays free. Over a real socket,
 * since chunked bodies, Content-Length and connection handling are what is tested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, type Agency } from './acceptance/helpers.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { startTestNode, type TestNode } from './support/runtime.js';

let node: TestNode;
let http: HttpNode;
let clerk: Agency;
let partnerToken: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  node = await startTestNode({
    roles: { worker: false },
    // A small process budget, so that two large uploads at once are enough to fill it.
    env: { LIENTHONG_MAX_BODY_BYTES: String(4 * MiB), LIENTHONG_INFLIGHT_BODY_BYTES: String(8 * MiB) },
  });
  http = new HttpNode(node, await freePort());
  await http.start();
  clerk = await createAgency(node, { code: '000.00.71.H33', name: 'UBND huyện Biên', level: 'district' });
  const partner = await node.call('POST', '/v1/partners', {
    token: node.adminToken,
    body: { id: 'edge-peer', name: 'Peer', kind: 'lienthong', baseUrl: 'http://127.0.0.1:9', agencies: ['000.00.72.H33'] },
  });
  expect(partner.status, partner.text).toBe(201);
  partnerToken = partner.json.token as string;
});

afterAll(async () => {
  await http?.stop();
  await node?.close();
});

/** A body that streams `total` bytes of `fill` without a Content-Length (chunked), 64 KiB at a time. */
function chunked(total: number, fill: (offset: number, size: number) => Buffer): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(64 * 1024, total - sent);
      controller.enqueue(fill(sent, size));
      sent += size;
    },
  });
}

interface Answer {
  status: number;
  headers: Headers;
  json: { code?: string; detail?: string } | undefined;
}

async function post(path: string, init: { token?: string; type?: string; body: string | Uint8Array | ReadableStream<Uint8Array> }): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.type !== undefined) headers['content-type'] = init.type;
  try {
    const res = await fetch(`${http.url}${path}`, { method: 'POST', headers, body: init.body, duplex: 'half', signal: AbortSignal.timeout(20_000) } as RequestInit);
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Answer['json']) : undefined };
  } catch (error) {
    // The server may close the connection while a refused body is still being sent: the answer was
    // given, but fetch reports the broken upload. That is a refusal, not a crash.
    return { status: -1, headers: new Headers(), json: { detail: String((error as Error).cause ?? error) } };
  }
}

describe('authentication comes before the body', () => {
  it('answers 401, not 422, to an unauthenticated request with a bad body', async () => {
    const answer = await post('/v1/agencies', { type: 'application/json', body: '{"code": 12' });
    expect(answer.status).toBe(401);
    expect(answer.json?.code).toBe('UNAUTHENTICATED');
  });

  it('answers 401 to a 200 MB unauthenticated body without reading it, and closes the connection', async () => {
    const started = Date.now();
    const answer = await post('/v1/agencies', { type: 'Application/JSON', body: chunked(200 * MiB, (_, n) => Buffer.alloc(n, 0x20)) });
    // Either the 401 arrived, or the upload was cut off by the closing connection: never a read to the end.
    expect([401, -1]).toContain(answer.status);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
  });

  it('answers 403, not 422, to a clerk posting a bad body to an admin route', async () => {
    const answer = await post('/v1/agencies', { token: clerk.clerk, type: 'application/json', body: '{"code": 12' });
    expect(answer.status).toBe(403);
    expect(answer.json?.code).toBe('FORBIDDEN');
  });
});

describe('body limits by the bytes read, whatever the content type', () => {
  const spellings = ['application/json', 'Application/JSON', 'application/vnd.lienthong+json', 'application/json; charset=utf-8', 'text/plain', undefined];

  it.each(spellings)('refuses 2 MiB on a JSON route with Content-Type %s: 413, announced or chunked', async (type) => {
    const announced = await post('/v1/groups', { token: node.adminToken, ...(type ? { type } : {}), body: Buffer.alloc(2 * MiB, 0x20) });
    expect(announced.status).toBe(413);
    expect(announced.json?.code).toBe('PAYLOAD_TOO_LARGE');
    const streamed = await post('/v1/groups', { token: node.adminToken, ...(type ? { type } : {}), body: chunked(2 * MiB, (_, n) => Buffer.alloc(n, 0x20)) });
    expect([413, -1]).toContain(streamed.status);
    if (streamed.status === 413) expect(streamed.json?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('still takes a JSON body just under the limit, in any spelling of its type', async () => {
    // JSON allows white space anywhere between tokens: 1 MiB less a little, and a valid group.
    const json = JSON.stringify({ code: 'EDGE-G', name: 'Nhóm biên', members: [clerk.code] });
    const body = json.replace('{', `{${' '.repeat(MiB - json.length - 100)}`);
    const answer = await post('/v1/groups', { token: node.adminToken, type: 'Application/JSON', body });
    expect(answer.status, answer.json?.detail).toBe(201);
  });
});

describe('bounded XML, checked in a memory-capped thread', () => {
  it('refuses an element flood posted by a clerk as a pre-signed package: 400 XML_FORBIDDEN, and /healthz keeps answering', async () => {
    const flood = Buffer.from(`<r>${'<a/>'.repeat(900_000)}</r>`); // 3.6 MB, 900,000 elements
    const probes: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = performance.now();
        await fetch(`${http.url}/healthz`);
        probes.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await post('/v1/documents', { token: clerk.clerk, type: 'application/xml', body: flood }));
    probing = false;
    await probe;
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.json?.code).toBe('XML_FORBIDDEN');
      expect(answer.json?.detail).toMatch(/more than 500000 elements, attributes and text nodes/);
    }
    expect(probes.length).toBeGreaterThan(0);
    // On main this DOM was built on the event loop; here the loop only ever waits on I/O. The bound
    // is loose on purpose (a shared CI machine): what it catches is a loop held for seconds.
    expect(Math.max(...probes)).toBeLessThan(1_000);
  });

  it('refuses one element with 200,000 attributes, from a partner too', async () => {
    const attrs = Array.from({ length: 200_000 }, (_, i) => ` a${i}="x"`).join('');
    const answer = await post('/exchange/v1/packages', { token: partnerToken, type: 'application/xml', body: `<r${attrs}/>` });
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('XML_FORBIDDEN');
    expect(answer.json?.detail).toMatch(/more than 64 attributes/);
  });
});

describe('bodies cut off mid-way', () => {
  it('survives a client that goes away in the middle of a multipart file or a JSON body', async () => {
    const boundary = 'edge-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    for (const [path, type, first] of [
      ['/v1/documents', `multipart/form-data; boundary=${boundary}`, head],
      ['/v1/groups', 'application/json', Buffer.from('{"code": "')],
    ] as const) {
      const controller = new AbortController();
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          pulls += 1;
          if (pulls === 1) return c.enqueue(first);
          if (pulls < 20) return c.enqueue(new Uint8Array(16 * 1024).fill(0x41));
          controller.abort(); // the client is gone: the connection is reset mid-body
          await new Promise(() => undefined);
        },
      });
      const token = path === '/v1/documents' ? clerk.clerk : node.adminToken;
      await fetch(`${http.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
        duplex: 'half',
        signal: controller.signal,
      } as RequestInit).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
    }
  });
});

describe('admission: what does not fit waits outside', () => {
  it('answers 503 with Retry-After past a caller’s and the process’s budget, lets small bodies through, and admits again after', async () => {
    const other = await createAgency(node, { code: '000.00.73.H33', name: 'UBND huyện Khác', level: 'district' });
    const third = await createAgency(node, { code: '000.00.74.H33', name: 'UBND huyện Ba', level: 'district' });
    // An upload that sends half of itself, then waits for the test to let it finish.
    const release: Array<() => void> = [];
    const slowUpload = (token: string, size: number) => {
      let sent = 0;
      const gate = new Promise<void>((resolve) => release.push(resolve));
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= size) return controller.close();
          if (sent >= size / 2) await gate;
          const n = Math.min(256 * 1024, size - sent);
          controller.enqueue(new Uint8Array(n).fill(0x20));
          sent += n;
        },
      });
      return fetch(`${http.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml', 'content-length': String(size) },
        body,
        duplex: 'half',
      } as RequestInit).then(async (r) => ({ status: r.status, text: await r.text() }));
    };
    const size = Math.floor(3.5 * MiB);
    const first = slowUpload(clerk.clerk, size); // alone, a caller may use the whole process budget
    await new Promise((r) => setTimeout(r, 300));
    // The same caller again: 3.5 + 2 MiB is past its half of the 8 MiB budget.
    const sameCaller = await post('/v1/documents', { token: clerk.clerk, type: 'application/xml', body: Buffer.alloc(2 * MiB, 0x20) });
    expect(sameCaller.status).toBe(503);
    expect(sameCaller.json?.code).toBe('UNAVAILABLE');
    expect(sameCaller.headers.get('retry-after')).toBe('2');
    const second = slowUpload(other.clerk, size); // another caller: 7 of 8 MiB taken
    await new Promise((r) => setTimeout(r, 300));
    const full = await post('/v1/documents', { token: third.clerk, type: 'application/xml', body: Buffer.alloc(2 * MiB, 0x20) });
    expect(full.status).toBe(503);
    expect(full.json?.detail).toMatch(/node is busy/);
    // A small body still fits: it is read and refused for what it is (not XML), not for the load.
    const small = await post('/v1/documents', { token: third.clerk, type: 'application/xml', body: Buffer.alloc(100 * 1024, 0x20) });
    expect(small.status).toBe(400);
    for (const r of release) r();
    for (const done of await Promise.all([first, second])) expect(done.status).toBe(400);
    const after = await post('/v1/documents', { token: third.clerk, type: 'application/xml', body: Buffer.alloc(2 * MiB, 0x20) });
    expect(after.status).toBe(400);
  });
});
