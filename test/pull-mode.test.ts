import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, directive, getBytes, sendDocument, waitForDeliveries, type Agency, type Loose } from './acceptance/helpers.js';
import { afterSweeps, eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Pull mode (API.md "Exchange"): a partner with `mode: 'pull'` is never called; what is meant for its
 * agencies waits in `GET /exchange/v1/packages?to=…`, is fetched as signed and acknowledged. The
 * recipient's signed 01 comes back by push; a recall puts both the recall package and the 13 in the
 * list, each once, under the recipient's code.
 */
const DISTRICT = '000.00.71.H33';
const REMOTE = '000.01.71.H33';
const REMOTE_NAME = 'UBND xã kéo về';
const ca = generateCa({ commonName: 'Puller CA (pull-mode tests)', validityDays: 365 });
const remoteCert = issueAgencyCertificate(ca, { agencyCode: REMOTE, agencyName: REMOTE_NAME, validityDays: 365 });

interface PullItem {
  receiptId: string;
  kind: string;
  from: string;
  to: string[];
  documentId: string;
  sha256: string;
  size: number;
  createdAt: string;
}

let node: TestNode;
let district: Agency;
let partnerToken: string;

async function exchange(method: string, path: string, body?: string): Promise<Response> {
  return node.runtime.app.request(path, {
    method,
    headers: { authorization: `Bearer ${partnerToken}`, ...(body !== undefined ? { 'content-type': 'application/xml' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

/** Every item of the pull list for `to`, following nextCursor. */
async function pullList(to: string): Promise<PullItem[]> {
  const items: PullItem[] = [];
  let cursor = '';
  for (let page = 0; page < 20; page++) {
    const res = await exchange('GET', `/exchange/v1/packages?to=${encodeURIComponent(to)}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { items: PullItem[]; nextCursor: string | null };
    items.push(...json.items);
    if (!json.nextCursor) return items;
    cursor = json.nextCursor;
  }
  throw new Error('pull list did not end');
}

async function pulledBytes(receiptId: string): Promise<Buffer> {
  const res = await exchange('GET', `/exchange/v1/packages/${receiptId}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
  return Buffer.from(await res.arrayBuffer());
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' } });
  const admin = node.adminToken;
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện kéo về', level: 'district' });
  const anchor = await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } });
  expect(anchor.status, anchor.text).toBeLessThan(300);
  const partner = await node.call('POST', '/v1/partners', {
    token: admin,
    body: { id: 'puller', name: 'Hệ thống kéo về', kind: 'lienthong', mode: 'pull', agencies: [REMOTE] },
  });
  expect(partner.status, partner.text).toBe(201);
  expect(partner.json.mode).toBe('pull');
  partnerToken = partner.json.token as string;
  const remote = await node.call('POST', '/v1/agencies', {
    token: admin,
    body: { code: REMOTE, name: REMOTE_NAME, level: 'commune', endpoint: { type: 'remote', partnerId: 'puller' } },
  });
  expect(remote.status, remote.text).toBe(201);
  const cert = await node.call('POST', `/v1/agencies/${REMOTE}/certificates`, { token: admin, body: { certificatePem: remoteCert.certificatePem } });
  expect(cert.status, cert.text).toBe(201);
});
afterAll(async () => node?.close());

describe('pull mode', () => {
  it('queues the edoc for pulling, takes the 01 by push, and lists the recall package and the 13 under the recipient, once each', async () => {
    // 1. The district sends; the delivery waits in the partner's pull list.
    const sent = await sendDocument(node, district.clerk, directive({ to: [REMOTE] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    const documentId = sent.json.documentId as string;
    await waitForDeliveries(node, district.clerk, id, { [REMOTE]: { state: 'sending' } });
    const [edoc] = await eventually(async () => {
      const items = await pullList(REMOTE);
      return items.length === 1 ? items : undefined;
    });
    expect(edoc).toMatchObject({ kind: 'edoc', from: DISTRICT, to: [REMOTE], documentId });

    // 2. The bytes are the signed package, exactly.
    const pulled = await pulledBytes(edoc!.receiptId);
    const signed = await getBytes(node, `/v1/documents/${id}/edxml`, district.clerk);
    expect(signed.status).toBe(200);
    expect(pulled.equals(signed.bytes)).toBe(true);
    expect(pulled.length).toBe(edoc!.size);

    // 3. Ack: it leaves the list; a second ack answers 200 acked again (the route does not look at
    //    acknowledge()'s result); an unknown receipt is 404.
    const ack = await exchange('POST', `/exchange/v1/packages/${edoc!.receiptId}/ack`);
    expect(ack.status).toBe(200);
    expect(await ack.json()).toEqual({ receiptId: edoc!.receiptId, state: 'acked' });
    expect(await pullList(REMOTE)).toEqual([]);
    const again = await exchange('POST', `/exchange/v1/packages/${edoc!.receiptId}/ack`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ receiptId: edoc!.receiptId, state: 'acked' });
    expect((await exchange('POST', '/exchange/v1/packages/00000000-0000-0000-0000-000000000000/ack')).status).toBe(404);

    // While it waits for R's 01, sweeps come and go (every 1 s): the package is not queued again,
    // the attempt is not counted again, the timeline does not repeat.
    await afterSweeps(node);
    const waiting = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(waiting.deliveries[0]).toMatchObject({ recipient: REMOTE, state: 'sending', attempts: 1 });
    const queuedEvents = ((await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk })).json.items as Array<{ type: string }>).filter(
      (e) => e.type === 'delivery.queued-for-pull',
    );
    expect(queuedEvents).toHaveLength(1);

    // 4. R confirms arrival with a 01 signed with its own key, pushed with the partner token.
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    const status01 = buildStatus({
      from: { organId: REMOTE, organName: REMOTE_NAME },
      responseFor: {
        organId: DISTRICT,
        documentId,
        code: `${doc.code.number as string | number}/${doc.code.notation as string}`,
        promulgationDate: String(doc.promulgation.date).replace(/-/g, '/'),
      },
      staffInfo: { department: 'Văn thư', staff: 'Lê Văn C' },
      statusCode: '01',
      description: 'Đã đến',
      timestamp: dateToEdxmlTimestamp(new Date()),
    });
    const pushed = await exchange('POST', '/exchange/v1/packages', signPackage(status01, createPackageSigner(remoteCert.certificatePem, remoteCert.privateKeyPem!)));
    const pushedJson = (await pushed.json()) as Loose;
    expect(pushed.status, JSON.stringify(pushedJson)).toBe(202);
    await waitForDeliveries(node, district.clerk, id, { [REMOTE]: { state: 'arrived', statusCode: '01' } });

    // 5. The district recalls it.
    const recall = await node.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } });
    expect(recall.status, recall.text).toBe(202);
    expect(recall.json.recipients).toBe(1);

    // 6. Both the recall package and the 13 wait under the recipient's code (not the sender's).
    let last: PullItem[] = [];
    try {
      await eventually(async () => {
        last = await pullList(REMOTE);
        return last.some((i) => i.kind === 'edoc') && last.some((i) => i.kind === 'status');
      }, 15_000);
    } catch (error) {
      const underSender = await pullList(DISTRICT);
      throw new Error(`${String(error)}; under ?to=${REMOTE}: ${JSON.stringify(last)}; under ?to=${DISTRICT}: ${JSON.stringify(underSender)}`, { cause: error });
    }
    const recallItem = last.find((i) => i.kind === 'edoc')!;
    const item13 = last.find((i) => i.kind === 'status')!;
    expect(recallItem).toMatchObject({ from: DISTRICT, to: [REMOTE], documentId });
    expect(item13).toMatchObject({ from: DISTRICT, to: [REMOTE], documentId });
    const recallBytes = (await pulledBytes(recallItem.receiptId)).toString('utf8');
    expect(recallBytes).toContain('<edXML:BussinessDocType>1</edXML:BussinessDocType>');
    expect(recallBytes).toContain(documentId.split(',').pop()!);
    const bytes13 = (await pulledBytes(item13.receiptId)).toString('utf8');
    expect(bytes13).toContain('<edXML:StatusCode>13</edXML:StatusCode>');
    expect(bytes13).toContain('Ban hành nhầm');
    expect(last.filter((i) => i.kind === 'edoc')).toHaveLength(1);
    expect(last.filter((i) => i.kind === 'status')).toHaveLength(1);

    // 7. More sweeps run (every 1 s, grace 0.5 s): nothing is listed twice, nothing acked comes back.
    await afterSweeps(node);
    const later = await pullList(REMOTE);
    expect(later.map((i) => i.receiptId).sort()).toEqual([recallItem.receiptId, item13.receiptId].sort());
    expect(new Set(later.map((i) => i.receiptId)).size).toBe(later.length);
  }, 30_000);
});
