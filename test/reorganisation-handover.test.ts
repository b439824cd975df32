import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../src/archive/canonical-json.js';
import {
  ASYNC_TIMEOUT_MS,
  createAgency,
  directive,
  getBytes,
  itemsOf,
  postStatus,
  sendDocument,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from './acceptance/helpers.js';
import { nodeCaPem, scratch, verifyChainBytes } from './archive/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * A merger carried out end to end through the API (issue 19): the directory sync closes the old
 * district into the new commune, the administrator hands the district's open work over — inbox items
 * keep their ids and history, outgoing documents are followed up by the successor, users are
 * deactivated, a node-signed record goes into both archive chains — documents to the old code are
 * redirected, and both chains verify offline.
 */
const P = '000.00.00.H74';
const X = '000.00.74.H74';
const Y = '000.01.74.H74';
const DECISION = { number: '1654/NQ-UBTVQH15', date: '2025-06-16' };

let node: TestNode;
let admin: string;
let province: Agency;
let district: Agency;
let commune: Agency;
let dir: string;
let caFile: string;

/** Documents and items made before the merger. */
const before = {} as { item1: string; item2: string; item3: string; doc1: string; docA: string; docB: string };
let handover: Loose;

async function send(from: Agency, to: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; documentId: string }> {
  const res = await sendDocument(node, from.clerk, directive({ to, ...extra }));
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; documentId: string };
}

async function itemFor(agency: Agency, documentId: string): Promise<string> {
  return waitForInboxItem(node, agency.clerk, documentId);
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  admin = node.adminToken;
  province = await createAgency(node, { code: P, name: 'UBND tỉnh Bảy Tư', level: 'province' });
  district = await createAgency(node, { code: X, name: 'UBND huyện Kiên Lương', level: 'district', parentCode: P });
  commune = await createAgency(node, { code: Y, name: 'UBND xã Kiên Lương', level: 'commune', parentCode: X });
  dir = scratch();
  caFile = join(dir, 'node-ca.pem');
  writeFileSync(caFile, await nodeCaPem(node));

  // 1. An accepted directive in the district's inbox (open: it goes over).
  const d1 = await send(province, [X]);
  before.item1 = await itemFor(district, d1.documentId);
  expect((await postStatus(node, district.clerk, before.item1, { code: '03' })).json.arrivalNumber).toBe(1);
  before.doc1 = d1.id;
  // 2. A refused one (finished: it stays).
  const d2 = await send(province, [X]);
  before.item2 = await itemFor(district, d2.documentId);
  expect((await postStatus(node, district.clerk, before.item2, { code: '02', description: 'Gửi nhầm' })).status).toBe(200);
  // 3. One the commune received as well, in the same package (the commune holds it already).
  const d3 = await send(province, [X, Y]);
  before.item3 = await itemFor(district, d3.documentId);
  await itemFor(commune, d3.documentId);
  // 4. The district's own directive, still waiting for the province's answer (followed up by the successor).
  const a = await send(district, [P]);
  before.docA = a.id;
  await waitForDeliveries(node, district.clerk, a.id, { [P]: { state: 'arrived' } });
  // 5. One the province completed (finished: nothing to follow up).
  const b = await send(district, [P]);
  before.docB = b.id;
  const itemB = await itemFor(province, b.documentId);
  await postStatus(node, province.clerk, itemB, { code: '03' });
  await postStatus(node, province.clerk, itemB, { code: '06' });
  await waitForDeliveries(node, district.clerk, b.id, { [P]: { state: 'completed' } });
  // The finished ones sealed into the district's chain before the merger (no sweep here: no checkpoint
  // is signed until an export asks for one), so that the handover record comes after them.
  await node.runtime.queues.enqueue('archive', { subject: 'document', id: b.id });
  await node.runtime.queues.enqueue('archive', { subject: 'inbox-item', id: before.item2 });
  await eventually(async () => (await node.call('GET', `/v1/archive/${X}/head`, { token: admin })).json.index === 2);
}, 120_000);
afterAll(async () => node?.close());

describe('a merger, end to end through the API', () => {
  it('the directory sync closes the district into the commune (dry run, then apply with the decision)', async () => {
    const form = new FormData();
    const csv = `Mã định danh,Tên cơ quan,Ngày hết hiệu lực,Mã cơ quan kế thừa\n${X},UBND huyện Kiên Lương,01/07/2025,${Y}\n${Y},UBND xã Kiên Lương,,\n`;
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'nq-1654.csv');
    const res = await node.runtime.app.request('/v1/directory/sync/dry-run', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    const dry = (await res.json()) as Loose;
    expect(res.status, JSON.stringify(dry)).toBe(201);
    expect(dry.diff.closed).toEqual([expect.objectContaining({ code: X, successorCode: Y, closedAt: '2025-06-30T17:00:00.000Z' })]);
    const applied = await node.call('POST', `/v1/directory/sync/${dry.id}/apply`, { token: admin, body: { decision: DECISION } });
    expect(applied.status, applied.text).toBe(200);
    expect((await node.call('GET', `/v1/agencies/${X}`, { token: admin })).json).toMatchObject({ successorCode: Y, decision: DECISION });
  });

  it('the handover is for administrators, and only of a closed agency that exists', async () => {
    expect((await node.call('POST', `/v1/agencies/${X}/handover`, { token: province.clerk })).status).toBe(403);
    const open = await node.call('POST', `/v1/agencies/${Y}/handover`, { token: admin });
    expect(open.status).toBe(409);
    expect(open.json.detail).toContain('is not closed');
    expect((await node.call('POST', '/v1/agencies/999.99.99.Z99/handover', { token: admin })).status).toBe(404);
  });

  it('hands the open work over: inbox items, documents to follow up, users, and a record in both chains', async () => {
    const res = await node.call('POST', `/v1/agencies/${X}/handover`, { token: admin });
    expect(res.status, res.text).toBe(201);
    handover = res.json;
    expect(handover).toMatchObject({
      nothingNew: false,
      from: { code: X, closedAt: '2025-06-30T17:00:00.000Z' },
      to: { code: Y },
      decision: DECISION,
      moved: { inboxItems: 1, documents: 1 },
      usersDeactivated: 1,
    });
    expect(handover.inboxItems).toEqual([expect.objectContaining({ id: before.item1, state: 'accepted' })]);
    expect(handover.documents).toEqual([expect.objectContaining({ id: before.docA })]);
    expect(handover.skipped).toEqual([expect.objectContaining({ kind: 'inbox-item', id: before.item3 })]);
    expect(handover.records.map((r: Loose) => [r.agency, r.role])).toEqual([
      [X, 'handover'],
      [Y, 'takeover'],
    ]);
    expect(handover.message).toContain('under 1654/NQ-UBTVQH15');
  });

  it("the successor holds the item with its id, number and history, and its statuses reach the sender's delivery to the district", async () => {
    const detail = await node.call('GET', `/v1/inbox/${before.item1}`, { token: commune.clerk });
    expect(detail.status, detail.text).toBe(200);
    expect(detail.json).toMatchObject({ id: before.item1, agencyCode: Y, state: 'accepted', arrivalNumber: 1 });
    const trail = await node.call('GET', `/v1/audit-events?subjectType=inbox-item&subjectId=${before.item1}`, { token: admin });
    expect(trail.json.items.map((e: Loose) => e.action)).toEqual(['inbox.handed-over', 'inbox.status.03']);
    expect(trail.json.items[0].details).toMatchObject({ from: X, to: Y, decision: DECISION, handover: handover.handoverId });
    expect(trail.json.items[0].details.description).toContain(`Handed over from ${X}`);
    // The refused one and the one the commune had already stay with the district.
    for (const id of [before.item2, before.item3]) {
      const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ agency_code: string }>>('select agency_code from inbox_item where id = ?', [id]);
      expect(row!.agency_code).toBe(X);
    }
    const assigned = await postStatus(node, commune.clerk, before.item1, { code: '04' });
    expect(assigned.status, assigned.text).toBe(200);
    await waitForDeliveries(node, province.clerk, before.doc1, { [X]: { state: 'assigned', statusCode: '04' } });
  });

  it("the district's documents to follow up are recorded for the successor, and its users can no longer sign in", async () => {
    const list = await node.call('GET', `/v1/agencies/${Y}/handovers`, { token: commune.clerk });
    expect(list.status, list.text).toBe(200);
    expect(list.json.items).toEqual([
      expect.objectContaining({
        id: handover.handoverId,
        from: X,
        to: Y,
        documents: [expect.objectContaining({ id: before.docA })],
        inboxItems: [expect.objectContaining({ id: before.item1 })],
        skipped: [expect.objectContaining({ id: before.item3 })],
      }),
    ]);
    expect((await node.call('GET', `/v1/agencies/${Y}/handovers`, { token: province.clerk })).status).toBe(403);
    const events = await node.runtime.orm.em
      .fork()
      .getConnection()
      .execute<Array<{ document_id: string; details: Loose }>>(`select document_id, details from document_event where type = 'handover'`);
    expect(events).toEqual([{ document_id: before.docA, details: expect.objectContaining({ from: X, to: Y, handover: handover.handoverId }) }]);
    expect((await node.call('GET', '/v1/inbox', { token: district.clerk })).status).toBe(401);
  });

  it('a second handover moves nothing new and says so', async () => {
    const again = await node.call('POST', `/v1/agencies/${X}/handover`, { token: admin });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ nothingNew: true, handoverId: null, moved: { inboxItems: 0, documents: 0 }, usersDeactivated: 0, records: [] });
    expect(again.json.earlier).toEqual([expect.objectContaining({ id: handover.handoverId, inboxItems: 1, documents: 1 })]);
    expect(again.json.message).toContain('Nothing new to hand over');
  });

  it('a document to the old code is refused naming the successor, or redirected to it', async () => {
    const refused = await sendDocument(node, province.clerk, directive({ to: [X] }));
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('AGENCY_CLOSED');
    const redirected = await send(province, [X], { redirectClosed: true });
    await waitForDeliveries(node, province.clerk, redirected.id, { [Y]: { state: 'arrived' } });
    const item = await itemFor(commune, redirected.documentId);
    expect(itemsOf((await node.call('GET', '/v1/inbox?limit=500', { token: commune.clerk })).json).some((i) => i.id === item)).toBe(true);
  }, ASYNC_TIMEOUT_MS * 2);

  it('both chains verify offline with lienthong verify-chain, the handover record and its signature included', async () => {
    const chainOf = async (code: string) => {
      const head = await node.call('GET', `/v1/archive/${code}/head`, { token: admin });
      expect(head.status, head.text).toBe(200);
      const file = await getBytes(node, `/v1/archive/${code}/chain?from=1&to=${head.json.index}`, admin);
      expect(file.status, file.bytes.toString()).toBe(200);
      return file.bytes;
    };
    const closedChain = await chainOf(X);
    // A range that ends before the handover: its record is in the tail the checkpoint is reached through.
    const [handed] = handover.records as Loose[];
    expect(handed.index).toBe(3);
    const earlier = await getBytes(node, `/v1/archive/${X}/chain?from=1&to=${handed.index - 1}`, admin);
    expect(JSON.parse(earlier.bytes.toString('utf8')).tail.map((e: Loose) => e.role)).toEqual(['handover']);
    const upTo = await verifyChainBytes(dir, earlier.bytes, caFile);
    expect(upTo.code, upTo.out + upTo.err).toBe(0);
    const fromX = await verifyChainBytes(dir, closedChain, caFile);
    expect(fromX.code, fromX.out + fromX.err).toBe(0);
    expect(fromX.out).toContain(`handed over: ${X} → ${Y} under 1654/NQ-UBTVQH15 of 2025-06-16`);
    expect(fromX.out).toContain('1 inbox item(s), 1 document(s) to follow up, 1 user(s) deactivated, 1 skipped');
    const toY = await verifyChainBytes(dir, await chainOf(Y), caFile);
    expect(toY.code, toY.out + toY.err).toBe(0);
    expect(toY.out).toContain(`took over: ${X} → ${Y}`);

    // The statement altered (one moved item dropped) and sealed again under a new digest: the node's
    // signature no longer covers it.
    const ex = JSON.parse(closedChain.toString('utf8')) as Loose;
    const record = (ex.records as Loose[]).find((r) => r.entry.role === 'handover');
    record.content.statement.inboxItems = [];
    record.entry.contentSha256 = createHash('sha256').update(canonicalBytes(record.content)).digest('hex');
    const forged = await verifyChainBytes(dir, canonicalBytes(ex), caFile);
    expect(forged.code).toBe(1);
    expect(forged.err).toContain('the signature does not verify: the statement of what was handed over was altered');
  });
});
