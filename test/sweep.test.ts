/**
 * The sweep visits every unfinished item however many deliveries wait for their 01 (issue 12): a
 * remote delivery the partner has taken is not work to re-enqueue, and one waiting too long is
 * flagged (lastError, timeline, metric) — never sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStuckWork, flagLongWaits, flagUnansweredRecalls } from '../src/delivery/sweep.js';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createAgency, directive, sendDocument, waitForDeliveries, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

const DISTRICT = '000.00.81.H33';
const REMOTES = Array.from({ length: 8 }, (_, i) => `000.${String(i + 1).padStart(2, '0')}.81.H33`);
const LOCALS = ['000.21.81.H33', '000.22.81.H33', '000.23.81.H33'];

let node: TestNode;
let district: Agency;
let documentId: string;
let localDocumentId: string;

const sql = <T extends object[]>(query: string, params: unknown[] = []) => node.runtime.orm.em.fork().getConnection().execute<T>(query, params);

beforeAll(async () => {
  // No sweep of its own during the test: the test calls its steps.
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  const admin = node.adminToken;
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện quét', level: 'district' });
  const ca = generateCa({ commonName: 'Sweep CA', validityDays: 30 });
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } })).status).toBeLessThan(300);
  // A partner without a baseUrl: a pull partner; what we send it waits in its list.
  const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'sweep-puller', name: 'Kéo', kind: 'lienthong', mode: 'pull', agencies: REMOTES } });
  expect(partner.status, partner.text).toBe(201);
  for (const code of REMOTES) {
    expect((await node.call('POST', '/v1/agencies', { token: admin, body: { code, name: `Xã ${code}`, level: 'commune', endpoint: { type: 'remote', partnerId: 'sweep-puller' } } })).status).toBe(201);
    const cert = issueAgencyCertificate(ca, { agencyCode: code, agencyName: `Xã ${code}`, validityDays: 30 });
    expect((await node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: { certificatePem: cert.certificatePem } })).status).toBe(201);
  }
  for (const code of LOCALS) await createAgency(node, { code, name: `Xã ${code}`, level: 'commune' });

  const sent = await sendDocument(node, district.clerk, directive({ to: REMOTES }));
  expect(sent.status, sent.text).toBe(201);
  documentId = sent.json.id as string;
  await waitForDeliveries(node, district.clerk, documentId, Object.fromEntries(REMOTES.map((c) => [c, { state: 'sending' }])));
  const local = await sendDocument(node, district.clerk, directive({ to: LOCALS }));
  expect(local.status, local.text).toBe(201);
  localDocumentId = local.json.id as string;
  await waitForDeliveries(node, district.clerk, localDocumentId, Object.fromEntries(LOCALS.map((c) => [c, { state: 'arrived' }])));
  // The handed-over deliveries waited two hours; three local ones are made unfinished again, newer.
  await sql(`update delivery set updated_at = now() - interval '2 hours' where document_id = ?`, [documentId]);
  await sql(`update delivery set state = 'pending', updated_at = now() - interval '1 minute' where document_id = ?`, [localDocumentId]);
});
afterAll(async () => node?.close());

describe('the sweep', () => {
  it('re-enqueues what a job will move, not the deliveries waiting for their 01, however many wait', async () => {
    const stuck = await findStuckWork(node.runtime.orm.em.fork(), 0, 5);
    const locals = (await sql<Array<{ id: string }>>(`select id from delivery where document_id = ? order by id`, [localDocumentId])).map((r) => r.id);
    // With "the oldest 5" the eight waiting deliveries would fill every batch, for ever.
    expect([...stuck.deliver].sort()).toEqual(locals);
  });

  it('flags each delivery waiting too long once: lastError, a timeline event, the metric; nothing is sent again', async () => {
    const em = () => node.runtime.orm.em.fork();
    const first = await flagLongWaits(em(), 3_600_000, 5);
    const second = await flagLongWaits(em(), 3_600_000, 5);
    const third = await flagLongWaits(em(), 3_600_000, 5);
    expect(first).toHaveLength(5);
    expect(second).toHaveLength(3);
    expect(third).toHaveLength(0);
    const view = await node.call('GET', `/v1/documents/${documentId}`, { token: district.clerk });
    for (const d of view.json.deliveries as Loose[]) {
      expect(d.state).toBe('sending');
      expect(d.lastError).toMatch(/No arrival \(01\) from the recipient 1 h after the hand-over/);
    }
    const events = await node.call('GET', `/v1/documents/${documentId}/events`, { token: district.clerk });
    expect((events.json.items as Loose[]).filter((e) => e.type === 'delivery.waiting-too-long')).toHaveLength(8);
    // Still one place each in the pull list: flagged, not queued again.
    const queued = await sql<Array<{ n: number }>>(`select count(*)::int as n from exchange_message where direction = 'out' and kind = 'edoc'`);
    expect(queued[0]?.n).toBe(8);
    // The first scrape of the process takes a fresh snapshot.
    const metrics = await node.call('GET', '/metrics', { token: node.adminToken });
    expect(metrics.text).toMatch(/^lienthong_deliveries_waiting_too_long 8$/m);
  });

  it('flags each recall nobody answered in time once: lastError, a timeline event, the metric; the recall stands', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [LOCALS[0]!] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [LOCALS[0]!]: { state: 'arrived' } });
    // The recipient refused while the 13 travelled, say: the recall waits for an answer that cannot come.
    await sql(`update delivery set state = 'recall_requested', updated_at = now() - interval '2 hours' where document_id = ?`, [id]);
    const em = () => node.runtime.orm.em.fork();
    const first = await flagUnansweredRecalls(em(), 3_600_000);
    expect(first).toHaveLength(1);
    expect(await flagUnansweredRecalls(em(), 3_600_000)).toHaveLength(0);
    const view = await node.call('GET', `/v1/documents/${id}`, { token: district.clerk });
    expect(view.json.deliveries[0].state).toBe('recall_requested');
    expect(view.json.deliveries[0].lastError).toMatch(/No answer \(15 or 16\) to the recall 1 h after it was asked/);
    const events = await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk });
    expect((events.json.items as Loose[]).filter((e) => e.type === 'delivery.recall-unanswered')).toHaveLength(1);
    // The gauges are a snapshot (refreshed at most every 30 s): read afresh here.
    await node.runtime.metrics.refresh();
    const metrics = await node.call('GET', '/metrics', { token: node.adminToken });
    expect(metrics.text).toMatch(/^lienthong_recalls_unanswered 1$/m);
  });
});
