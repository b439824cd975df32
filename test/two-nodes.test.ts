import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, sendDocument, type Agency } from './acceptance/helpers.js';
import { entriesOf, waitForArchive } from './archive/helpers.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Two real nodes on loopback: a district on node A, two communes on node B. Each node trusts the
 * other's CA, registers the other as a partner and the other's agencies (with their certificates).
 */
const DISTRICT = '000.00.40.H33';
const COMMUNES = ['000.01.40.H33', '000.02.40.H33'];
const fast = { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' };

let a: TestNode;
let b: TestNode;
let httpA: HttpNode;
let httpB: HttpNode;
let district: Agency;
const communes: Agency[] = [];
/** The token node A presents on node B's exchange API. */
let tokenAonB: string;

async function nodeCa(node: TestNode): Promise<string> {
  const res = await node.call('GET', '/v1/trust-anchors', { token: node.adminToken });
  return (res.json.items as Array<{ source: string; certificatePem: string }>).find((x) => x.source === 'node-ca')!.certificatePem;
}

async function certificateOf(node: TestNode, code: string): Promise<string> {
  const res = await node.call('GET', `/v1/agencies/${code}/certificates`, { token: node.adminToken });
  return res.json.items[0].certificatePem as string;
}

async function ok(res: Promise<{ status: number; text: string; json: unknown }>, status = 201) {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r;
}

beforeAll(async () => {
  a = await startTestNode({ env: fast });
  b = await startTestNode({ env: fast });
  httpA = new HttpNode(a, await freePort());
  httpB = new HttpNode(b, await freePort());
  await httpA.start();
  await httpB.start();

  district = await createAgency(a, { code: DISTRICT, name: 'UBND huyện Giang Thành', level: 'district' });
  for (const [i, code] of COMMUNES.entries()) communes.push(await createAgency(b, { code, name: `UBND xã ${i + 1} Giang Thành`, level: 'commune' }));

  // Trust each other's CA.
  await ok(a.call('POST', '/v1/trust-anchors', { token: a.adminToken, body: { certificatePem: await nodeCa(b) } }));
  await ok(b.call('POST', '/v1/trust-anchors', { token: b.adminToken, body: { certificatePem: await nodeCa(a) } }));
  // Partners both ways; each side's token goes into the other's credentials.
  const aOnB = await ok(b.call('POST', '/v1/partners', { token: b.adminToken, body: { id: 'node-a', name: 'Node A', kind: 'lienthong', baseUrl: httpA.url, agencies: [DISTRICT] } }));
  const bOnA = await ok(
    a.call('POST', '/v1/partners', {
      token: a.adminToken,
      body: { id: 'node-b', name: 'Node B', kind: 'lienthong', baseUrl: httpB.url, credentials: { token: (aOnB.json as { token: string }).token }, agencies: COMMUNES },
    }),
  );
  tokenAonB = (aOnB.json as { token: string }).token;
  await ok(b.call('PATCH', '/v1/partners/node-a', { token: b.adminToken, body: { credentials: { token: (bOnA.json as { token: string }).token } } }), 200);
  // Each side knows the other's agencies as remote, with the certificate their packages carry.
  for (const code of COMMUNES) {
    await ok(a.call('POST', '/v1/agencies', { token: a.adminToken, body: { code, name: `Xã ${code}`, level: 'commune', parentCode: DISTRICT, endpoint: { type: 'remote', partnerId: 'node-b' } } }));
    await ok(a.call('POST', `/v1/agencies/${code}/certificates`, { token: a.adminToken, body: { certificatePem: await certificateOf(b, code) } }));
  }
  await ok(b.call('POST', '/v1/agencies', { token: b.adminToken, body: { code: DISTRICT, name: 'UBND huyện Giang Thành', level: 'district', endpoint: { type: 'remote', partnerId: 'node-a' } } }));
  await ok(b.call('POST', `/v1/agencies/${DISTRICT}/certificates`, { token: b.adminToken, body: { certificatePem: await certificateOf(a, DISTRICT) } }));
}, 120_000);

afterAll(async () => {
  await httpA?.stop();
  await httpB?.stop();
  await a?.close();
  await b?.close();
});

async function deliveries(docId: string): Promise<Record<string, { state: string; statusCode: string | null; attempts: number; lastError: string | null }>> {
  const res = await a.call('GET', `/v1/documents/${docId}`, { token: district.clerk });
  return Object.fromEntries((res.json.deliveries as Array<{ recipient: string; state: string; statusCode: string | null; attempts: number; lastError: string | null }>).map((d) => [d.recipient, d]));
}

async function inboxItem(node: TestNode, clerk: string, documentId: string): Promise<{ id: string; state: string }> {
  return eventually(async () => {
    const res = await node.call('GET', '/v1/inbox', { token: clerk });
    return (res.json.items as Array<{ id: string; documentId: string; state: string }>).find((i) => i.documentId === documentId);
  }, 30_000, 100);
}

describe('two nodes on loopback', () => {
  it('a district on A sends to communes on B; B confirms arrival with signed 01s; an acceptance crosses back', async () => {
    const sent = await sendDocument(a, district.clerk, directive({ to: [`children:${DISTRICT}`] }));
    expect(sent.status, sent.text).toBe(201);
    const { id, documentId } = sent.json as { id: string; documentId: string };
    await eventually(async () => Object.values(await deliveries(id)).every((d) => d.state === 'arrived' && d.statusCode === '01'), 30_000, 100);

    const item = await inboxItem(b, communes[0]!.clerk, documentId);
    const detail = await b.call('GET', `/v1/inbox/${item.id}`, { token: communes[0]!.clerk });
    expect(detail.json.verification.signatureValid).toBe(true);
    expect(detail.json.sender.code).toBe(DISTRICT);
    const accepted = await b.call('POST', `/v1/inbox/${item.id}/status`, { token: communes[0]!.clerk, body: { code: '03' } });
    expect(accepted.json).toMatchObject({ state: 'accepted', arrivalNumber: 1 });
    await eventually(async () => (await deliveries(id))[COMMUNES[0]!]?.state === 'accepted', 30_000, 100);
    // The số đến crossed the nodes inside the signed 03.
    const seen = await a.call('GET', `/v1/documents/${id}`, { token: district.clerk });
    expect(seen.json.deliveries.find((d: { recipient: string }) => d.recipient === COMMUNES[0])?.arrivalNumber).toBe(1);

    // Node A holds each signed status package exactly as node B's commune signed it.
    const events = await a.call('GET', `/v1/documents/${id}/events`, { token: district.clerk });
    const statusIds = (events.json.items as Array<{ statusId: string | null; statusCode: string | null }>).filter((e) => e.statusId).map((e) => e.statusId!);
    expect(statusIds.length).toBeGreaterThanOrEqual(3);
    const pkg = await a.call('GET', `/v1/documents/${id}/statuses/${statusIds[statusIds.length - 1]}/edxml`, { token: district.clerk });
    expect(pkg.status).toBe(200);
    expect(pkg.text).toContain('<edXML:StatusCode>03</edXML:StatusCode>');
    expect(pkg.text).toContain(COMMUNES[0]);

    // A recall crosses too: B's communes see 13, one answers 15, A sees recalled.
    const recall = await a.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } });
    expect(recall.status).toBe(202);
    await eventually(async () => (await b.call('GET', `/v1/inbox/${item.id}`, { token: communes[0]!.clerk })).json.state === 'recall_requested', 30_000, 100);
    // B received the recall package itself (BussinessDocType 1), signed by the district and naming
    // exactly B's holders — the package of B's destination, not one naming agencies B does not host.
    const recallPackages = await eventually(async () => {
      const rows = await b.runtime.orm.em
        .fork()
        .getConnection()
        .execute<Array<{ bytes: Buffer }>>(`select bytes from edxml_package where kind = 'edoc' and business_doc_type = 1 and document_id = ? and sender_code = ?`, [documentId, DISTRICT]);
      return rows.length ? rows : undefined;
    }, 30_000, 100);
    expect(recallPackages).toHaveLength(1);
    const recallXml = recallPackages[0]!.bytes.toString('utf8');
    expect(recallXml).toContain('<edXML:BussinessDocType>1</edXML:BussinessDocType>');
    // The sender's timeline says the destination's recall package went (two 13s carried at the same
    // moment may both send it; the peer keeps one, as checked above).
    await eventually(async () => {
      const timeline = (await a.call('GET', `/v1/documents/${id}/events`, { token: district.clerk })).json.items as Array<{ type: string }>;
      return timeline.some((e) => e.type === 'recall.package-sent');
    }, 30_000, 100);
    expect([...recallXml.matchAll(/<edXML:To>\s*<edXML:OrganId>([^<]+)<\/edXML:OrganId>/g)].map((m) => m[1]).sort()).toEqual([...COMMUNES].sort());
    const answer = await b.call('POST', `/v1/inbox/${item.id}/status`, { token: communes[0]!.clerk, body: { code: '15' } });
    expect(answer.status).toBe(200);
    await eventually(async () => (await deliveries(id))[COMMUNES[0]!]?.state === 'recalled', 30_000, 100);
  }, 120_000);

  it('a recall reaching two destinations: each gets its own recall package, and the sender seals both', async () => {
    const local = await createAgency(a, { code: '000.03.40.H33', name: 'UBND xã 3 Giang Thành', level: 'commune', parentCode: DISTRICT });
    const sent = await sendDocument(a, district.clerk, directive({ to: [local.code, COMMUNES[0]!] }));
    expect(sent.status, sent.text).toBe(201);
    const { id, documentId } = sent.json as { id: string; documentId: string };
    await eventually(async () => Object.values(await deliveries(id)).every((d) => d.state === 'arrived'), 30_000, 100);
    expect((await a.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } })).status).toBe(202);
    const onA = await inboxItem(a, local.clerk, documentId);
    const onB = await inboxItem(b, communes[0]!.clerk, documentId);
    await eventually(async () => (await a.call('GET', `/v1/inbox/${onA.id}`, { token: local.clerk })).json.state === 'recall_requested', 30_000, 100);
    await eventually(async () => (await b.call('GET', `/v1/inbox/${onB.id}`, { token: communes[0]!.clerk })).json.state === 'recall_requested', 30_000, 100);
    expect((await a.call('POST', `/v1/inbox/${onA.id}/status`, { token: local.clerk, body: { code: '15' } })).status).toBe(200);
    expect((await b.call('POST', `/v1/inbox/${onB.id}/status`, { token: communes[0]!.clerk, body: { code: '15' } })).status).toBe(200);
    await eventually(async () => Object.values(await deliveries(id)).every((d) => d.state === 'recalled'), 30_000, 100);

    const archive = await waitForArchive(a, `/v1/documents/${id}/archive`, district.clerk);
    const recalls = [...entriesOf(archive).entries()].filter(([name]) => name.startsWith('packages/recall-'));
    expect(recalls).toHaveLength(2);
    const named = recalls.map(([, bytes]) => [...bytes.toString('utf8').matchAll(/<edXML:To>\s*<edXML:OrganId>([^<]+)<\/edXML:OrganId>/g)].map((m) => m[1]));
    expect(named.sort()).toEqual([[COMMUNES[0]], [local.code]].sort());
  }, 120_000);

  it('the same package pushed twice gets the first receipt and makes no second inbox item', async () => {
    const sent = await sendDocument(a, district.clerk, directive({ to: [COMMUNES[1]!] }));
    const { id, documentId } = sent.json as { id: string; documentId: string };
    await eventually(async () => (await deliveries(id))[COMMUNES[1]!]?.state === 'arrived', 30_000, 100);
    const bytes = await a.call('GET', `/v1/documents/${id}/edxml`, { token: district.clerk });
    // Push the same bytes again, as node A would after a lost answer.
    const again = await fetch(`${httpB.url}/exchange/v1/packages`, { method: 'POST', headers: { authorization: `Bearer ${tokenAonB}`, 'content-type': 'application/xml' }, body: bytes.text });
    expect(again.status).toBe(200);
    const items = (await b.call('GET', '/v1/inbox', { token: communes[1]!.clerk })).json.items as Array<{ documentId: string }>;
    expect(items.filter((i) => i.documentId === documentId)).toHaveLength(1);
  }, 60_000);

  it('a peer that is down: retries with the last error visible, then the delivery arrives once it is back', async () => {
    await httpB.stop();
    try {
      const sent = await sendDocument(a, district.clerk, directive({ to: [COMMUNES[0]!] }));
      const { id } = sent.json as { id: string };
      await eventually(async () => {
        const d = (await deliveries(id))[COMMUNES[0]!];
        // The hand-over began (`sending`: from now on a recall asks the peer), and failed for now.
        return d && d.attempts >= 1 && d.lastError && d.state === 'sending' ? d : undefined;
      }, 30_000, 100);
      await httpB.start();
      await eventually(async () => (await deliveries(id))[COMMUNES[0]!]?.state === 'arrived', 60_000, 200);
    } finally {
      await httpB.start().catch(() => undefined);
    }
  }, 120_000);
});
