import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAgency,
  deliveryOf,
  directive,
  documentOf,
  getBytes,
  itemsOf,
  postStatus,
  sendDocument,
  timelineOf,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * A closed agency's outgoing documents after a handover (issue 19): its successor's clerks follow
 * them up as the sender would — they list them, open them with their deliveries, timeline and
 * package, recall them — while the recipients' statuses go on moving their deliveries; and a chain
 * of reorganisations (A closed into B, B later into C) passes them on: C follows what A handed B,
 * finished or not. Nobody else sees them.
 */
const P = '000.00.00.H75';
const A = '000.00.75.H75';
const B = '000.01.75.H75';
const C = '000.02.75.H75';
const Q = '000.03.75.H75';

let node: TestNode;
let admin: string;
let province: Agency;
let district: Agency;
let commune: Agency;
let ward: Agency;
let stranger: Agency;

/** A's documents to the province, B's own. */
const docs = {} as Record<'accepted' | 'arrived' | 'completed' | 'ofB', { id: string; documentId: string }>;
const items = {} as Record<'accepted' | 'arrived', string>;

async function send(from: Agency, to: string[]): Promise<{ id: string; documentId: string }> {
  const res = await sendDocument(node, from.clerk, directive({ to }));
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; documentId: string };
}

async function listed(agency: Agency): Promise<string[]> {
  const res = await node.call('GET', '/v1/documents?limit=500', { token: agency.clerk });
  expect(res.status, res.text).toBe(200);
  return itemsOf(res.json).map((d: Loose) => d.id as string);
}

async function close(code: string, successorCode: string, closedAt: string): Promise<void> {
  const res = await node.call('PATCH', `/v1/agencies/${code}`, { token: admin, body: { successorCode, closedAt } });
  expect(res.status, res.text).toBe(200);
}

async function handOver(code: string): Promise<Loose> {
  const res = await node.call('POST', `/v1/agencies/${code}/handover`, { token: admin });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  admin = node.adminToken;
  province = await createAgency(node, { code: P, name: 'UBND tỉnh Bảy Lăm', level: 'province' });
  district = await createAgency(node, { code: A, name: 'UBND huyện cũ', level: 'district', parentCode: P });
  commune = await createAgency(node, { code: B, name: 'UBND xã sáp nhập', level: 'commune', parentCode: A });
  ward = await createAgency(node, { code: C, name: 'UBND phường mới', level: 'commune', parentCode: P });
  stranger = await createAgency(node, { code: Q, name: 'UBND xã bên cạnh', level: 'commune', parentCode: P });

  docs.accepted = await send(district, [P]);
  docs.arrived = await send(district, [P]);
  docs.completed = await send(district, [P]);
  items.accepted = await waitForInboxItem(node, province.clerk, docs.accepted.documentId);
  items.arrived = await waitForInboxItem(node, province.clerk, docs.arrived.documentId);
  const completed = await waitForInboxItem(node, province.clerk, docs.completed.documentId);
  expect((await postStatus(node, province.clerk, items.accepted, { code: '03' })).status).toBe(200);
  expect((await postStatus(node, province.clerk, completed, { code: '03' })).status).toBe(200);
  expect((await postStatus(node, province.clerk, completed, { code: '06' })).status).toBe(200);
  await waitForDeliveries(node, district.clerk, docs.accepted.id, { [P]: { state: 'accepted' } });
  await waitForDeliveries(node, district.clerk, docs.arrived.id, { [P]: { state: 'arrived' } });
  await waitForDeliveries(node, district.clerk, docs.completed.id, { [P]: { state: 'completed' } });
  docs.ofB = await send(commune, [P]);
  await waitForDeliveries(node, commune.clerk, docs.ofB.id, { [P]: { state: 'arrived' } });
}, 120_000);
afterAll(async () => node?.close());

describe("a closed agency's outgoing documents, handed over", () => {
  it('before the handover, the successor does not see them', async () => {
    expect(await listed(commune)).toEqual([docs.ofB.id]);
    expect((await node.call('GET', `/v1/documents/${docs.accepted.id}`, { token: commune.clerk })).status).toBe(404);
  });

  it('after it, the successor lists and opens those still followed up — deliveries, timeline, package — and nobody else does', async () => {
    await close(A, B, '2025-07-01T00:00:00+07:00');
    const handover = await handOver(A);
    expect(handover.documents.map((d: Loose) => d.id).sort()).toEqual([docs.accepted.id, docs.arrived.id].sort());

    expect((await listed(commune)).sort()).toEqual([docs.accepted.id, docs.arrived.id, docs.ofB.id].sort());
    const doc = await documentOf(node, commune.clerk, docs.accepted.id);
    // Still the closed agency's document (its number is in the closed agency's register).
    expect(doc).toMatchObject({ id: docs.accepted.id, documentId: docs.accepted.documentId, agencyCode: A });
    expect(deliveryOf(doc, P)).toMatchObject({ state: 'accepted', statusCode: '03' });
    const timeline = await timelineOf(node, commune.clerk, docs.accepted.id);
    expect(timeline.map((e) => e.type)).toContain('handover');
    const signed = await getBytes(node, `/v1/documents/${docs.accepted.id}/edxml`, commune.clerk);
    expect(signed.status).toBe(200);
    expect(signed.bytes.toString('utf8')).toContain(A);
    // A document finished before the handover stays with the closed agency's archive.
    expect((await node.call('GET', `/v1/documents/${docs.completed.id}`, { token: commune.clerk })).status).toBe(404);

    // Another agency sees nothing of them; neither does the recipient (it has its inbox copy).
    for (const other of [stranger, province]) {
      expect(await listed(other)).not.toContain(docs.accepted.id);
      expect((await node.call('GET', `/v1/documents/${docs.accepted.id}`, { token: other.clerk })).status).toBe(404);
      expect((await node.call('GET', `/v1/documents/${docs.accepted.id}/events`, { token: other.clerk })).status).toBe(404);
    }
  });

  it("the recipients' statuses still move the deliveries the successor follows", async () => {
    expect((await postStatus(node, province.clerk, items.accepted, { code: '04' })).status).toBe(200);
    await waitForDeliveries(node, commune.clerk, docs.accepted.id, { [P]: { state: 'assigned', statusCode: '04' } });
    expect((await postStatus(node, province.clerk, items.accepted, { code: '06' })).status).toBe(200);
    await waitForDeliveries(node, commune.clerk, docs.accepted.id, { [P]: { state: 'completed', statusCode: '06' } });
  });

  it('down a chain of handovers: the next successor follows what the first was given, finished or not, and recalls as the sender', async () => {
    await close(B, C, '2025-08-01T00:00:00+07:00');
    const handover = await handOver(B);
    // B's own open document and the one it followed for A, still open; the completed one is not work any more.
    expect(handover.documents.map((d: Loose) => d.id).sort()).toEqual([docs.arrived.id, docs.ofB.id].sort());

    expect((await listed(ward)).sort()).toEqual([docs.accepted.id, docs.arrived.id, docs.ofB.id].sort());
    expect(deliveryOf(await documentOf(node, ward.clerk, docs.accepted.id), P)).toMatchObject({ state: 'completed' });
    const timeline = await timelineOf(node, ward.clerk, docs.arrived.id);
    expect(timeline.filter((e) => e.type === 'handover').map((e) => [e.details.from, e.details.to])).toEqual([
      [A, B],
      [B, C],
    ]);

    const recall = await node.call('POST', `/v1/documents/${docs.arrived.id}/recall`, { token: ward.clerk, body: { reason: 'Ban hành nhầm' } });
    expect(recall.status, recall.text).toBe(202);
    await waitForDeliveries(node, ward.clerk, docs.arrived.id, { [P]: { state: 'recall_requested', statusCode: '13' } });
    // The 13, signed in the closed agency's name (the document's sender), reaches the recipient's copy.
    await eventually(async () => (await node.call('GET', `/v1/inbox/${items.arrived}`, { token: province.clerk })).json?.state === 'recall_requested', 20_000);
    const answered = await postStatus(node, province.clerk, items.arrived, { code: '15' });
    expect(answered.status, answered.text).toBe(200);
    await waitForDeliveries(node, ward.clerk, docs.arrived.id, { [P]: { state: 'recalled', statusCode: '15' } });
    expect((await documentOf(node, ward.clerk, docs.arrived.id)).state).toBe('recalled');
    expect((await node.call('POST', `/v1/documents/${docs.ofB.id}/recall`, { token: stranger.clerk, body: { reason: 'x' } })).status).toBe(404);
  });
});
