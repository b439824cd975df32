import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobName } from '../queues/jobs.js';
import { generateCa, issueAgencyCertificate, type IssuedCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createLogger } from '../src/logger.js';
import type { StatusCode } from '../src/delivery/states.js';
import {
  type Agency,
  ASYNC_TIMEOUT_MS,
  createAgency,
  deliveryOf,
  directive,
  documentOf,
  type Loose,
  postStatus,
  sendDocument,
  type TimelineEvent,
  timelineOf,
  waitForDeliveries,
} from './acceptance/helpers.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 12 across the exchange: a recall reaches what was handed to a partner, and a partner's
 * statuses that cross it end defined on both sides.
 *
 * - Node A hosts the district. It has a pull partner created without a baseUrl (API.md: such a
 *   partner is a pull partner), serving four agencies whose packages this test signs itself with a
 *   CA of its own (as the partner's software would), and a push peer, node B, a second real node on
 *   loopback hosting five communes (set up as in two-nodes.test.ts).
 * - Everything is read through the API; "nothing retried for ever" is read where only the database
 *   and the queues can tell it (statuses not carried, jobs still waiting or retrying, jobs that
 *   threw in the node's log). An interleaving is forced by pausing a BullMQ queue of one node, or
 *   by holding back node B's HTTP answer until what should happen meanwhile has happened.
 */

const DISTRICT = '000.00.62.H33';
const PEER_COMMUNES = ['000.01.62.H33', '000.02.62.H33', '000.03.62.H33', '000.04.62.H33', '000.05.62.H33'];
const PULLED = ['000.01.63.H33', '000.02.63.H33', '000.03.63.H33', '000.04.63.H33'];
const fast = { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' };

const pullerCa = generateCa({ commonName: 'Puller CA (delivery-remote-recall tests)', validityDays: 365 });
const pulledCerts = new Map<string, IssuedCertificate>(
  PULLED.map((code, i) => [code, issueAgencyCertificate(pullerCa, { agencyCode: code, agencyName: `UBND xã kéo về ${i + 1}`, validityDays: 365 })]),
);

let a: TestNode;
let b: TestNode;
let httpA: HttpNode;
/** Node B on loopback; its answers to pushed packages can be held back (see holdPeerAnswers). */
let serverB: ServerType;
let urlB: string;
/** While set, B answers a POST /exchange/v1/packages only once this settles (B has done the work). */
let holdPeerAnswers: Promise<void> | undefined;
let district: Agency;
const peerCommunes: Agency[] = [];
/** The token the pull partner presents on node A's exchange API. */
let pullerToken: string;
/** The mode node A gave the partner created without a baseUrl (checked by the first test). */
let pullerMode: string;
const logs = new Map<TestNode, string[]>();

function warnLogger(lines: string[]) {
  return createLogger('warn', {}, { write: (line: string) => void lines.push(line) });
}

async function ok(res: Promise<{ status: number; text: string; json: unknown }>, status = 201) {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r;
}

async function nodeCa(node: TestNode): Promise<string> {
  const res = await node.call('GET', '/v1/trust-anchors', { token: node.adminToken });
  return (res.json.items as Array<{ source: string; certificatePem: string }>).find((x) => x.source === 'node-ca')!.certificatePem;
}

async function certificateOf(node: TestNode, code: string): Promise<string> {
  const res = await node.call('GET', `/v1/agencies/${code}/certificates`, { token: node.adminToken });
  return res.json.items[0].certificatePem as string;
}

beforeAll(async () => {
  const linesA: string[] = [];
  const linesB: string[] = [];
  [a, b] = await Promise.all([startTestNode({ env: fast, logger: warnLogger(linesA) }), startTestNode({ env: fast, logger: warnLogger(linesB) })]);
  logs.set(a, linesA);
  logs.set(b, linesB);
  httpA = new HttpNode(a, await freePort());
  await httpA.start();
  const portB = await freePort();
  urlB = `http://127.0.0.1:${portB}`;
  await new Promise<void>((resolve, reject) => {
    serverB = serve(
      {
        fetch: async (req: Request, env: unknown) => {
          const res = await b.runtime.app.fetch(req, env as never);
          const hold = holdPeerAnswers;
          if (hold && req.method === 'POST' && new URL(req.url).pathname === '/exchange/v1/packages') await hold;
          return res;
        },
        port: portB,
        hostname: '127.0.0.1',
      },
      () => resolve(),
    );
    serverB.on('error', reject);
  });

  district = await createAgency(a, { code: DISTRICT, name: 'UBND huyện Hòn Đất', level: 'district' });
  for (const [i, code] of PEER_COMMUNES.entries()) peerCommunes.push(await createAgency(b, { code, name: `UBND xã ${i + 1} Hòn Đất`, level: 'commune' }));

  // The push peer, both ways (two-nodes.test.ts).
  await ok(a.call('POST', '/v1/trust-anchors', { token: a.adminToken, body: { certificatePem: await nodeCa(b) } }));
  await ok(b.call('POST', '/v1/trust-anchors', { token: b.adminToken, body: { certificatePem: await nodeCa(a) } }));
  const aOnB = await ok(b.call('POST', '/v1/partners', { token: b.adminToken, body: { id: 'node-a', name: 'Node A', kind: 'lienthong', baseUrl: httpA.url, agencies: [DISTRICT] } }));
  const bOnA = await ok(
    a.call('POST', '/v1/partners', {
      token: a.adminToken,
      body: { id: 'node-b', name: 'Node B', kind: 'lienthong', baseUrl: urlB, credentials: { token: (aOnB.json as { token: string }).token }, agencies: PEER_COMMUNES },
    }),
  );
  await ok(b.call('PATCH', '/v1/partners/node-a', { token: b.adminToken, body: { credentials: { token: (bOnA.json as { token: string }).token } } }), 200);
  for (const code of PEER_COMMUNES) {
    await ok(a.call('POST', '/v1/agencies', { token: a.adminToken, body: { code, name: `Xã ${code}`, level: 'commune', parentCode: DISTRICT, endpoint: { type: 'remote', partnerId: 'node-b' } } }));
    await ok(a.call('POST', `/v1/agencies/${code}/certificates`, { token: a.adminToken, body: { certificatePem: await certificateOf(b, code) } }));
  }
  await ok(b.call('POST', '/v1/agencies', { token: b.adminToken, body: { code: DISTRICT, name: 'UBND huyện Hòn Đất', level: 'district', endpoint: { type: 'remote', partnerId: 'node-a' } } }));
  await ok(b.call('POST', `/v1/agencies/${DISTRICT}/certificates`, { token: b.adminToken, body: { certificatePem: await certificateOf(a, DISTRICT) } }));

  // The pull partner: no baseUrl, no mode.
  await ok(a.call('POST', '/v1/trust-anchors', { token: a.adminToken, body: { certificatePem: pullerCa.certificatePem } }));
  const puller = await ok(a.call('POST', '/v1/partners', { token: a.adminToken, body: { id: 'puller', name: 'Hệ thống kéo về', kind: 'lienthong', agencies: PULLED } }));
  pullerMode = (puller.json as Loose).mode as string;
  pullerToken = (puller.json as { token: string }).token;
  for (const [i, code] of PULLED.entries()) {
    await ok(a.call('POST', '/v1/agencies', { token: a.adminToken, body: { code, name: `UBND xã kéo về ${i + 1}`, level: 'commune', endpoint: { type: 'remote', partnerId: 'puller' } } }));
    await ok(a.call('POST', `/v1/agencies/${code}/certificates`, { token: a.adminToken, body: { certificatePem: pulledCerts.get(code)!.certificatePem } }));
  }
}, 120_000);

afterAll(async () => {
  await httpA?.stop();
  await new Promise<void>((resolve) => {
    if (!serverB) return resolve();
    serverB.close(() => resolve());
    (serverB as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
  await a?.close();
  await b?.close();
});

// ---------------------------------------------------------------------------------------------
// Readers and actors

interface PullItem {
  receiptId: string;
  kind: string;
  from: string;
  to: string[];
  documentId: string;
}

/** The pull partner on node A's exchange API. */
async function exchange(method: string, path: string, body?: string): Promise<Response> {
  return a.runtime.app.request(path, {
    method,
    headers: { authorization: `Bearer ${pullerToken}`, ...(body !== undefined ? { 'content-type': 'application/xml' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

async function pullPage(to: string, limit: number, cursor?: string | null): Promise<{ items: PullItem[]; nextCursor: string | null }> {
  const res = await exchange('GET', `/exchange/v1/packages?to=${encodeURIComponent(to)}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { items: PullItem[]; nextCursor: string | null };
}

/** The whole pull list for `to`, following nextCursor. */
async function pullList(to: string): Promise<PullItem[]> {
  const items: PullItem[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const res = await pullPage(to, 100, cursor);
    items.push(...res.items);
    if (!res.nextCursor) return items;
    cursor = res.nextCursor;
  }
  throw new Error('pull list did not end');
}

async function pulledText(receiptId: string): Promise<string> {
  const res = await exchange('GET', `/exchange/v1/packages/${receiptId}`);
  expect(res.status).toBe(200);
  return res.text();
}

const getDocument = (id: string): Promise<Loose> => documentOf(a, district.clerk, id);
const timeline = (id: string): Promise<TimelineEvent[]> => timelineOf(a, district.clerk, id);

async function send(to: string[]): Promise<{ id: string; documentId: string }> {
  const sent = await sendDocument(a, district.clerk, directive({ to }));
  expect(sent.status, sent.text).toBe(201);
  return { id: sent.json.id as string, documentId: sent.json.documentId as string };
}

async function recall(id: string, reason = 'Ban hành nhầm'): Promise<Loose> {
  const res = await a.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason } });
  expect(res.status, res.text).toBe(202);
  return res.json;
}

/** A document sent to a pull recipient, waited until its package waits in the list; returns its list entry. */
async function queuedForPull(to: string): Promise<{ id: string; documentId: string; entry: PullItem }> {
  const doc = await send([to]);
  await waitForDeliveries(a, district.clerk, doc.id, { [to]: { state: 'sending' } });
  const entry = await eventually(async () => (await pullList(to)).find((i) => i.documentId === doc.documentId && i.kind === 'edoc'), ASYNC_TIMEOUT_MS);
  return { ...doc, entry };
}

/** A status about document `doc` signed by pulled agency `from`, as the partner's software makes it. */
function signedStatus(from: string, doc: Loose, code: StatusCode, description = 'Trạng thái'): string {
  const cert = pulledCerts.get(from)!;
  const xml = buildStatus({
    from: { organId: from, organName: `UBND xã kéo về ${PULLED.indexOf(from) + 1}` },
    responseFor: {
      organId: DISTRICT,
      documentId: doc.documentId as string,
      code: `${doc.code.number as string | number}/${doc.code.notation as string}`,
      promulgationDate: String(doc.promulgation.date).replace(/-/g, '/'),
    },
    staffInfo: { department: 'Văn thư', staff: 'Lê Văn C' },
    statusCode: code,
    description,
    timestamp: dateToEdxmlTimestamp(new Date()),
  });
  return signPackage(xml, createPackageSigner(cert.certificatePem, cert.privateKeyPem!));
}

/** The partner pushes a status; answers `{ status, json }`. */
async function pushStatus(from: string, docId: string, code: StatusCode): Promise<{ status: number; json: Loose }> {
  const res = await exchange('POST', '/exchange/v1/packages', signedStatus(from, await getDocument(docId), code));
  return { status: res.status, json: await res.json() };
}

/** Statuses of node `n` about `documentId` (sender's deliveries or recipient's items) not carried yet. */
async function uncarried(n: TestNode, documentId: string): Promise<Array<{ code: string }>> {
  return n.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ code: string }>>(
      `select s.code from status_record s
         left join delivery d on d.id = s.delivery_id
         left join outgoing_document o on o.id = d.document_id
         left join inbox_item i on i.id = s.inbox_item_id
        where s.carried = false and (o.document_id = ? or i.document_id = ?)`,
      [documentId, documentId],
    );
}

/**
 * Jobs of node `n` about the document still waiting, running or waiting for a retry (a retry is a
 * `delayed` job): its deliveries' `deliver` jobs and its statuses' `status` jobs.
 */
async function pendingJobs(n: TestNode, documentId: string): Promise<string[]> {
  const ids = await n.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ id: string }>>(
      `select d.id from delivery d join outgoing_document o on o.id = d.document_id where o.document_id = ?
       union all
       select s.id from status_record s
         left join delivery d on d.id = s.delivery_id
         left join outgoing_document o on o.id = d.document_id
         left join inbox_item i on i.id = s.inbox_item_id
        where o.document_id = ? or i.document_id = ?`,
      [documentId, documentId, documentId],
    );
  const mine = new Set(ids.map((r) => r.id));
  const open: string[] = [];
  for (const name of ['deliver', 'status'] as JobName[]) {
    const jobs = await n.runtime.queues.queue(name).getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
    for (const job of jobs) {
      const data = (job?.data ?? {}) as { deliveryId?: string; statusId?: string; batch?: string[] };
      if ([data.deliveryId, data.statusId, ...(data.batch ?? [])].some((x) => x !== undefined && mine.has(x))) open.push(`${name}:${String(job?.id)}`);
    }
  }
  return open;
}

/** On every node: every status about the document carried, and no job about it left to run or retry. */
async function settled(documentId: string, nodes: TestNode[] = [a]): Promise<void> {
  let last: unknown;
  try {
    await eventually(async () => {
      for (const n of nodes) {
        const left = await uncarried(n, documentId);
        const jobs = await pendingJobs(n, documentId);
        last = { node: n === a ? 'A' : 'B', left, jobs };
        if (left.length || jobs.length) return false;
      }
      return true;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    const failed = nodes.map((n) => `${n === a ? 'A' : 'B'}: ${failuresSince(n, 0).slice(-3).join('')}`);
    throw new Error(`${documentId} did not settle: ${JSON.stringify(last)}; failed jobs ${failed.join(' | ')}`, { cause: error });
  }
}

/** Job attempts that threw on node `n` since log line `from` (each one is retried). */
function failuresSince(n: TestNode, from: number): string[] {
  return logs
    .get(n)!
    .slice(from)
    .filter((line) => (JSON.parse(line) as { msg?: string }).msg === 'job failed');
}

async function withQueuePaused<T>(n: TestNode, name: JobName, body: () => Promise<T>): Promise<T> {
  const queue = n.runtime.queues.queue(name);
  await queue.pause();
  try {
    return await body();
  } finally {
    await queue.resume();
  }
}

async function peerItem(c: Agency, documentId: string): Promise<Loose> {
  return eventually(async () => {
    const res = await b.call('GET', '/v1/inbox?limit=500', { token: c.clerk });
    return (res.json.items as Loose[]).find((i) => i.documentId === documentId);
  }, ASYNC_TIMEOUT_MS);
}

async function waitPeerItemState(c: Agency, itemId: string, state: string): Promise<Loose> {
  let last: Loose;
  try {
    return await eventually(async () => {
      last = (await b.call('GET', `/v1/inbox/${itemId}`, { token: c.clerk })).json;
      return last?.state === state ? last : undefined;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`B's item ${itemId} of ${c.code} never became ${state}; last ${JSON.stringify(last?.state)}`, { cause: error });
  }
}

async function peerReport(c: Agency, itemId: string, code: string): Promise<Loose> {
  const res = await postStatus(b, c.clerk, itemId, { code });
  expect(res.status, `${code} on ${c.code}: ${res.text}`).toBe(200);
  return res.json;
}

// ---------------------------------------------------------------------------------------------

describe('a recall reaches a pull partner', () => {
  it('never fetched: withdrawn from the list (404 afterwards), recalled at once; a late status from the partner is recorded as refused (202 applied: false)', async () => {
    expect(pullerMode, 'a partner created without baseUrl is a pull partner').toBe('pull');
    const to = PULLED[0]!;
    const { id, documentId, entry } = await queuedForPull(to);
    const answer = await recall(id);
    expect(answer.recipients).toBe(0);

    const doc = await getDocument(id);
    expect(deliveryOf(doc, to)).toMatchObject({ state: 'recalled' });
    const events = await timeline(id);
    expect(events.filter((e) => e.recipient === to).map((e) => e.type)).toContain('recall.withdrawn-from-pull-list');
    expect(events.filter((e) => e.recipient === to && e.type === 'recall.requested')).toEqual([]);
    // Withdrawn: not listed, not fetchable, and nothing about it (no recall package, no 13) waits.
    expect((await pullList(to)).filter((i) => i.documentId === documentId)).toEqual([]);
    expect((await exchange('GET', `/exchange/v1/packages/${entry.receiptId}`)).status).toBe(404);
    await settled(documentId);
    expect((await pullList(to)).filter((i) => i.documentId === documentId)).toEqual([]);

    // A 01 that should never come (it could only come from a copy it does not have): recorded, refused, ended.
    const late = await pushStatus(to, id, '01');
    expect(late.status, JSON.stringify(late.json)).toBe(202);
    expect(late.json).toMatchObject({ receiptId: expect.any(String), applied: false, reason: expect.any(String) });
    const refused = (await timeline(id)).filter((e) => e.recipient === to && e.statusCode === '01');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ type: 'status.refused', state: 'recalled' });
    expect(refused[0]!.details.reason).toEqual(expect.any(String));
    expect(deliveryOf(await getDocument(id), to)).toMatchObject({ state: 'recalled' });
    await settled(documentId);
  }, 60_000);

  it('fetched once (not acknowledged): asked back — the recall package, then the 13, are listed in that order', async () => {
    const to = PULLED[1]!;
    const { id, documentId, entry } = await queuedForPull(to);
    // The partner fetches the bytes once; it has not acknowledged them yet.
    expect(await pulledText(entry.receiptId)).toContain(documentId.split(',').pop()!);

    await recall(id);
    const doc = await getDocument(id);
    expect(deliveryOf(doc, to)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
    expect((await timeline(id)).filter((e) => e.recipient === to).map((e) => e.type)).not.toContain('recall.withdrawn-from-pull-list');

    const listed = await eventually(async () => {
      const items = (await pullList(to)).filter((i) => i.documentId === documentId);
      return items.some((i) => i.kind === 'status') ? items : undefined;
    }, ASYNC_TIMEOUT_MS);
    const recallPackages: PullItem[] = [];
    for (const i of listed.filter((x) => x.kind === 'edoc')) if ((await pulledText(i.receiptId)).includes('<edXML:BussinessDocType>1</edXML:BussinessDocType>')) recallPackages.push(i);
    const thirteens = listed.filter((i) => i.kind === 'status');
    expect(recallPackages).toHaveLength(1);
    expect(thirteens).toHaveLength(1);
    expect(await pulledText(thirteens[0]!.receiptId)).toContain('<edXML:StatusCode>13</edXML:StatusCode>');
    // In arrival order: the document (if still waiting), then its recall package, then the 13.
    const order = listed.map((i) => i.receiptId);
    expect(order.indexOf(recallPackages[0]!.receiptId)).toBeLessThan(order.indexOf(thirteens[0]!.receiptId));
    if (order.includes(entry.receiptId)) expect(order.indexOf(entry.receiptId)).toBe(0);

    // The partner's recipient accepts the recall.
    const accepted = await pushStatus(to, id, '15');
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    expect(accepted.json.applied).toBeUndefined();
    await waitForDeliveries(a, district.clerk, id, { [to]: { state: 'recalled', statusCode: '15' } });
    await settled(documentId);
  }, 60_000);

  it("the partner's statuses through the graph: one crossing the recall is kept, 16 then the work goes on, one the graph refuses is recorded refused", async () => {
    const to = PULLED[2]!;
    const { id, documentId, entry } = await queuedForPull(to);
    await pulledText(entry.receiptId);
    expect((await exchange('POST', `/exchange/v1/packages/${entry.receiptId}/ack`)).status).toBe(200);
    const arrived = await pushStatus(to, id, '01');
    expect(arrived.status, JSON.stringify(arrived.json)).toBe(202);
    expect(arrived.json.applied).toBeUndefined();
    await waitForDeliveries(a, district.clerk, id, { [to]: { state: 'arrived', statusCode: '01' } });

    await recall(id);
    expect(deliveryOf(await getDocument(id), to)).toMatchObject({ state: 'recall_requested', statusCode: '13' });

    // 03 signed before the recipient saw the recall: recorded and kept; the delivery waits for 15/16.
    const crossing = await pushStatus(to, id, '03');
    expect(crossing.status, JSON.stringify(crossing.json)).toBe(202);
    expect(crossing.json).toMatchObject({ receiptId: expect.any(String), applied: false, reason: expect.any(String) });
    expect(deliveryOf(await getDocument(id), to)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
    const kept = (await timeline(id)).filter((e) => e.recipient === to && e.statusCode === '03');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ type: 'status.kept', state: 'recall_requested' });
    expect(kept[0]!.details.reason).toEqual(expect.any(String));

    // 16: recall refused; the recipient goes on (recall_refused → processing).
    expect((await pushStatus(to, id, '16')).status).toBe(202);
    await waitForDeliveries(a, district.clerk, id, { [to]: { state: 'recall_refused', statusCode: '16' } });
    const processing = await pushStatus(to, id, '05');
    expect(processing.status).toBe(202);
    expect(processing.json.applied).toBeUndefined();
    await waitForDeliveries(a, district.clerk, id, { [to]: { state: 'processing', statusCode: '05' } });

    // 02 after 05: the graph refuses it; recorded as refused, answered 202 applied: false.
    const refused = await pushStatus(to, id, '02');
    expect(refused.status, JSON.stringify(refused.json)).toBe(202);
    expect(refused.json).toMatchObject({ applied: false, reason: expect.any(String) });
    const ev = (await timeline(id)).filter((e) => e.recipient === to && e.statusCode === '02');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'status.refused', state: 'processing' });
    expect(ev[0]!.details.reason).toEqual(expect.any(String));
    expect(deliveryOf(await getDocument(id), to)).toMatchObject({ state: 'processing', statusCode: '05' });

    expect((await pushStatus(to, id, '06')).status).toBe(202);
    await waitForDeliveries(a, district.clerk, id, { [to]: { state: 'completed', statusCode: '06' } });
    await settled(documentId);
  }, 60_000);

  it('the pull list is in arrival order with a stable cursor: a partner paging with limit=1 gets every package once, in order, also those queued after its cursor', async () => {
    const to = PULLED[3]!;
    const queued: string[] = [];
    for (let i = 0; i < 3; i++) queued.push((await queuedForPull(to)).entry.receiptId);
    const first = await pullPage(to, 1);
    expect(first.items.map((i) => i.receiptId)).toEqual([queued[0]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    // More arrive while the partner holds its cursor.
    for (let i = 0; i < 3; i++) queued.push((await queuedForPull(to)).entry.receiptId);
    const seen = [...first.items.map((i) => i.receiptId)];
    let cursor = first.nextCursor;
    for (let page = 0; cursor && page < 20; page++) {
      const next = await pullPage(to, 1, cursor);
      seen.push(...next.items.map((i) => i.receiptId));
      cursor = next.nextCursor;
    }
    expect(seen).toEqual(queued);
    expect((await pullList(to)).map((i) => i.receiptId)).toEqual(queued);
  }, 60_000);
});

describe('a recall reaches a push peer (second node)', () => {
  it("03 reported on B before the recall, carried after it: A keeps it (status.kept), B's status ends; 15 and 16 then end both sides", async () => {
    const [crossing, early] = [peerCommunes[0]!, peerCommunes[1]!];
    const logFromB = logs.get(b)!.length;
    const { id, documentId } = await send([crossing.code, early.code]);
    await waitForDeliveries(a, district.clerk, id, { [crossing.code]: { state: 'arrived', statusCode: '01' }, [early.code]: { state: 'arrived', statusCode: '01' } });
    const itemCrossing = (await peerItem(crossing, documentId)).id as string;
    const itemEarly = (await peerItem(early, documentId)).id as string;
    await peerReport(early, itemEarly, '03');
    await waitForDeliveries(a, district.clerk, id, { [early.code]: { state: 'accepted', statusCode: '03' } });

    await withQueuePaused(b, 'status', async () => {
      const accepted = await peerReport(crossing, itemCrossing, '03');
      expect(accepted.arrivalNumber).toEqual(expect.any(Number));
      await recall(id);
      const now = await getDocument(id);
      expect(deliveryOf(now, crossing.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
      expect(deliveryOf(now, early.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
      // The recall package and the 13s reach B while its 03 still waits there.
      await waitPeerItemState(crossing, itemCrossing, 'recall_requested');
      await waitPeerItemState(early, itemEarly, 'recall_requested');
    });

    // B's 03 reaches A after the recall: kept, not applied, and B's job ends.
    await settled(documentId, [a, b]);
    const kept = (await timeline(id)).filter((e) => e.recipient === crossing.code && e.statusCode === '03');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ type: 'status.kept', state: 'recall_requested' });
    expect(kept[0]!.details.reason).toEqual(expect.any(String));
    expect(deliveryOf(await getDocument(id), crossing.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
    expect(failuresSince(b, logFromB)).toEqual([]);

    expect(await peerReport(crossing, itemCrossing, '15')).toMatchObject({ state: 'recalled' });
    expect(await peerReport(early, itemEarly, '16')).toMatchObject({ state: 'recall_refused' });
    await waitForDeliveries(a, district.clerk, id, { [crossing.code]: { state: 'recalled', statusCode: '15' }, [early.code]: { state: 'recall_refused', statusCode: '16' } });
    // After 16 the recipient goes on, on both sides.
    expect(await peerReport(early, itemEarly, '06')).toMatchObject({ state: 'completed' });
    await waitForDeliveries(a, district.clerk, id, { [early.code]: { state: 'completed', statusCode: '06' } });
    await settled(documentId, [a, b]);
    expect(failuresSince(b, logFromB)).toEqual([]);
  }, 60_000);

  it('handed over, its 01 not back yet: the recall asks the peer back (recall package + 13) instead of cancelling; the late 01 is kept; 15 ends both sides', async () => {
    const c = peerCommunes[2]!;
    const logFromB = logs.get(b)!.length;
    const { id, documentId, itemId } = await withQueuePaused(b, 'status', async () => {
      const doc = await send([c.code]);
      await eventually(async () => (await timeline(doc.id)).some((e) => e.recipient === c.code && e.type === 'delivery.sent'), ASYNC_TIMEOUT_MS);
      const item = await peerItem(c, doc.documentId);
      expect(item.state).toBe('arrived');
      expect(deliveryOf(await getDocument(doc.id), c.code)).toMatchObject({ state: 'sending' });

      await recall(doc.id);
      const events = (await timeline(doc.id)).filter((e) => e.recipient === c.code).map((e) => e.type);
      expect(events).toContain('recall.requested');
      expect(events).not.toContain('recall.cancelled');
      expect(deliveryOf(await getDocument(doc.id), c.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
      await waitPeerItemState(c, item.id as string, 'recall_requested');
      return { ...doc, itemId: item.id as string };
    });
    expect((await timeline(id)).some((e) => e.type === 'recall.package-sent')).toBe(true);

    // B's 01 reaches A after the recall: kept; the delivery still waits for the answer.
    await settled(documentId, [a, b]);
    const late = (await timeline(id)).filter((e) => e.recipient === c.code && e.statusCode === '01');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ type: 'status.kept', state: 'recall_requested' });
    expect(deliveryOf(await getDocument(id), c.code)).toMatchObject({ state: 'recall_requested' });

    expect(await peerReport(c, itemId, '15')).toMatchObject({ state: 'recalled' });
    await waitForDeliveries(a, district.clerk, id, { [c.code]: { state: 'recalled', statusCode: '15' } });
    await settled(documentId, [a, b]);
    expect(failuresSince(b, logFromB)).toEqual([]);
  }, 60_000);

  it("B's 01 overtakes B's answer to the hand-over: the hand-over is still recorded, and a later recall reaches B (13), answered with 15", async () => {
    const c = peerCommunes[4]!;
    const logFromA = logs.get(a)!.length;
    let release!: () => void;
    holdPeerAnswers = new Promise<void>((resolve) => (release = resolve));
    let doc: { id: string; documentId: string };
    try {
      doc = await send([c.code]);
      // B took the package and its 01 reached A while A still waits for B's answer to the push.
      await waitForDeliveries(a, district.clerk, doc.id, { [c.code]: { state: 'arrived', statusCode: '01' } });
    } finally {
      holdPeerAnswers = undefined;
      release();
    }
    const item = await peerItem(c, doc.documentId);
    await settled(doc.documentId, [a, b]);

    await recall(doc.id);
    await waitPeerItemState(c, item.id as string, 'recall_requested');
    expect(await peerReport(c, item.id as string, '15')).toMatchObject({ state: 'recalled' });
    await waitForDeliveries(a, district.clerk, doc.id, { [c.code]: { state: 'recalled', statusCode: '15' } });
    await settled(doc.documentId, [a, b]);
    expect(failuresSince(a, logFromA)).toEqual([]);
    // The hand-over happened and is on the record: one attempt, its receipt on the timeline.
    expect(deliveryOf(await getDocument(doc.id), c.code).attempts).toBe(1);
    expect((await timeline(doc.id)).filter((e) => e.recipient === c.code).map((e) => e.type)).toContain('delivery.sent');
  }, 60_000);

  it("the peer refuses the 13 (403: it no longer serves the sender): final — status.refused-by-partner, carried, not retried", async () => {
    const c = peerCommunes[3]!;
    const logFromA = logs.get(a)!.length;
    const { id, documentId } = await send([c.code]);
    await waitForDeliveries(a, district.clerk, id, { [c.code]: { state: 'arrived', statusCode: '01' } });
    const item = await peerItem(c, documentId);
    await ok(b.call('PATCH', '/v1/partners/node-a', { token: b.adminToken, body: { agencies: ['000.99.62.H33'] } }), 200);
    try {
      await recall(id);
      await settled(documentId);
      const events = (await timeline(id)).filter((e) => e.statusCode === '13' || e.type.startsWith('recall.package'));
      const refused = events.filter((e) => e.type === 'status.refused-by-partner');
      expect(refused, JSON.stringify(events)).toHaveLength(1);
      expect(refused[0]).toMatchObject({ recipient: c.code, statusCode: '13' });
      expect(JSON.stringify(refused[0]!.details)).toMatch(/403/);
      expect(events.map((e) => e.type)).toContain('recall.package-refused');
      expect(events.map((e) => e.type)).not.toContain('status.sent');
      // Defined on both sides: the sender's delivery waits for an answer that will not come this way;
      // the peer's copy was not asked back.
      expect(deliveryOf(await getDocument(id), c.code)).toMatchObject({ state: 'recall_requested' });
      expect((await b.call('GET', `/v1/inbox/${item.id as string}`, { token: c.clerk })).json.state).toBe('arrived');
      expect(failuresSince(a, logFromA)).toEqual([]);
    } finally {
      await ok(b.call('PATCH', '/v1/partners/node-a', { token: b.adminToken, body: { agencies: [DISTRICT] } }), 200);
    }
  }, 60_000);
});
