import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc, buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import type { EdocPackage } from '../src/edxml/model.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, directive, itemsOf, sendDocument, timelineOf, waitForDeliveries, type Agency, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Packages that arrive from a partner for an agency that closed (issue 19): received for its open
 * successor and recorded as such — never refused while a successor here can take them — and the
 * statuses that cross: the successor's 01 goes back, the sender's recall (13) naming the closed agency
 * reaches the successor's copy, and on the sender's side a status signed by the successor of a closed
 * recipient answers the delivery to that recipient.
 */
const SENDER = '000.00.72.G01';
const R1 = '000.03.72.G01';
const R2 = '000.04.72.G01';
const OLD = '000.01.72.H33';
const NEW = '000.09.72.H33';
const GONE = '000.02.72.H33';
const DECISION = { number: '1654/NQ-UBTVQH15', date: '2025-06-16' };
const ca = generateCa({ commonName: 'Peer CA (reorganisation tests)', validityDays: 365 });
const certs = Object.fromEntries(
  [
    [SENDER, 'Sở Nội vụ tỉnh'],
    [R1, 'Xã cũ bên kia'],
    [R2, 'Xã mới bên kia'],
  ].map(([code, name]) => [code!, issueAgencyCertificate(ca, { agencyCode: code!, agencyName: name!, validityDays: 365 })]),
);
const signerOf = (code: string) => createPackageSigner(certs[code]!.certificatePem, certs[code]!.privateKeyPem!);

let node: TestNode;
let partnerToken: string;
let oldCommune: Agency;
let newCommune: Agency;
let district: Agency;

async function push(xml: string): Promise<{ status: number; json: Loose }> {
  const res = await node.runtime.app.request('/exchange/v1/packages', {
    method: 'POST',
    headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml' },
    body: xml,
  });
  return { status: res.status, json: await res.json() };
}

/** A signed edoc from SENDER naming `to` (codes), number `n`. */
function edocTo(to: string[], n: number): { xml: string; documentId: string; model: EdocPackage } {
  const model = edocModel({ from: { code: SENDER, name: 'Sở Nội vụ tỉnh' }, to: { code: to[0]!, name: 'UBND xã' }, at: new Date(), number: n });
  model.messageHeader.to = to.map((code) => ({ organId: code, organName: `UBND ${code}` }));
  return { xml: signPackage(buildEdoc(model), signerOf(SENDER)), documentId: model.messageHeader.documentId, model };
}

async function inboxOf(agency: Agency): Promise<Loose[]> {
  const res = await node.call('GET', '/v1/inbox?limit=500', { token: agency.clerk });
  expect(res.status, res.text).toBe(200);
  return itemsOf(res.json);
}

async function auditOf(subjectType: string, subjectId: string): Promise<Loose[]> {
  const res = await node.call('GET', `/v1/audit-events?subjectType=${subjectType}&subjectId=${subjectId}`, { token: node.adminToken });
  expect(res.status, res.text).toBe(200);
  return res.json.items as Loose[];
}

/** The pull list of the partner under `to`. */
async function pullList(to: string): Promise<Loose[]> {
  const res = await node.runtime.app.request(`/exchange/v1/packages?to=${encodeURIComponent(to)}&limit=100`, { headers: { authorization: `Bearer ${partnerToken}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Loose[] }).items;
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' } });
  const admin = node.adminToken;
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } })).status).toBeLessThan(300);
  const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'peer', name: 'Nút bên kia', kind: 'lienthong', mode: 'pull', agencies: [SENDER, R1, R2] } });
  expect(partner.status, partner.text).toBe(201);
  partnerToken = partner.json.token as string;
  for (const [code, name] of [
    [SENDER, 'Sở Nội vụ tỉnh'],
    [R1, 'Xã cũ bên kia'],
    [R2, 'Xã mới bên kia'],
  ] as const) {
    const made = await node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level: 'commune', endpoint: { type: 'remote', partnerId: 'peer' } } });
    expect(made.status, made.text).toBe(201);
    expect((await node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: { certificatePem: certs[code]!.certificatePem } })).status).toBe(201);
  }
  district = await createAgency(node, { code: '000.00.72.H33', name: 'UBND huyện 72', level: 'district' });
  oldCommune = await createAgency(node, { code: OLD, name: 'UBND xã Bình An', level: 'commune' });
  newCommune = await createAgency(node, { code: NEW, name: 'UBND xã Kiên Lương', level: 'commune' });
  await createAgency(node, { code: GONE, name: 'UBND xã giải thể', level: 'commune' });
  const closed = await node.call('PATCH', `/v1/agencies/${OLD}`, { token: admin, body: { successorCode: NEW, closedAt: '2025-07-01T00:00:00+07:00', decision: DECISION } });
  expect(closed.status, closed.text).toBe(200);
  const dissolved = await node.call('PATCH', `/v1/agencies/${GONE}`, { token: admin, body: { closedAt: '2025-07-01T00:00:00+07:00' } });
  expect(dissolved.status, dissolved.text).toBe(200);
});
afterAll(async () => node?.close());

describe('a package for a closed agency, from a partner', () => {
  let documentId: string;
  let itemId: string;

  it('is received for its successor: the successor holds it, recorded as addressed to the closed agency, and its 01 goes back', async () => {
    const sent = edocTo([OLD], 1);
    documentId = sent.documentId;
    const res = await push(sent.xml);
    expect(res.status, JSON.stringify(res.json)).toBe(202);

    const item = (await inboxOf(newCommune)).find((i) => i.documentId === documentId);
    expect(item, 'the successor holds the document').toBeDefined();
    itemId = item.id as string;
    expect((await inboxOf(oldCommune)).some((i) => i.documentId === documentId)).toBe(false);
    const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: newCommune.clerk });
    expect(detail.status, detail.text).toBe(200);
    expect(detail.json).toMatchObject({ state: 'arrived', statusCode: '01', verification: { signatureValid: true }, addressedTo: OLD });
    expect(detail.json.metadata.to.map((t: Loose) => t.organId)).toEqual([OLD]);

    // Recorded as such: on the item, and in its audit trail (its timeline on this side, sealed with it).
    const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ addressed_to: string | null; agency_code: string }>>('select addressed_to, agency_code from inbox_item where id = ?', [itemId]);
    expect(row).toEqual({ addressed_to: OLD, agency_code: NEW });
    const events = await auditOf('inbox-item', itemId);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'inbox.received-for-successor',
        agencyCode: NEW,
        details: expect.objectContaining({ addressedTo: OLD, receivedBy: NEW, via: [OLD], decision: DECISION, partnerId: 'peer', closedAt: '2025-06-30T17:00:00.000Z' }),
      }),
    ]);

    // The 01 is the successor's own, signed with its key, waiting for the partner to pull it.
    const statuses = await eventually(async () => {
      const items = (await pullList(SENDER)).filter((i) => i.kind === 'status' && i.documentId === documentId);
      return items.length ? items : undefined;
    });
    expect(statuses).toEqual([expect.objectContaining({ from: NEW, to: [SENDER] })]);
    const bytes = await node.runtime.app.request(`/exchange/v1/packages/${statuses[0].receiptId}`, { headers: { authorization: `Bearer ${partnerToken}` } });
    const text = await bytes.text();
    expect(text).toContain('<edXML:StatusCode>01</edXML:StatusCode>');
    expect(text).toMatch(new RegExp(`<edXML:From>\\s*<edXML:OrganId>${NEW.replace(/\./g, '\\.')}</edXML:OrganId>`));
  });

  it('sent again, answers the first receipt and makes no second item', async () => {
    const before = (await inboxOf(newCommune)).filter((i) => i.documentId === documentId).length;
    // Signed again (other bytes): the same document to the same recipients is the same document.
    const again = await push(edocTo([OLD], 1).xml);
    expect(again.status).toBe(200);
    expect((await inboxOf(newCommune)).filter((i) => i.documentId === documentId)).toHaveLength(before);
  });

  it('naming both the closed agency and its successor, gives the successor one copy, in its own right', async () => {
    const sent = edocTo([OLD, NEW], 2);
    expect((await push(sent.xml)).status).toBe(202);
    const items = (await inboxOf(newCommune)).filter((i) => i.documentId === sent.documentId);
    expect(items).toHaveLength(1);
    const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ addressed_to: string | null }>>('select addressed_to from inbox_item where id = ?', [items[0].id]);
    expect(row!.addressed_to).toBeNull();
    expect(await auditOf('inbox-item', items[0].id as string)).toEqual([]);
  });

  it('for a closed agency with no successor is refused as before (422 UNKNOWN_RECIPIENT) and nothing is stored', async () => {
    const sent = edocTo([GONE], 3);
    const res = await push(sent.xml);
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('UNKNOWN_RECIPIENT');
    expect(res.json.detail).toContain(GONE);
    const [count] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ n: string }>>('select count(*) as n from edxml_package where document_id = ?', [sent.documentId]);
    expect(Number(count!.n)).toBe(0);
  });

  it("the sender's recall (13) naming the closed agency reaches the successor's copy", async () => {
    const model = edocTo([OLD], 1).model;
    const status13 = buildStatus({
      from: { organId: SENDER, organName: 'Sở Nội vụ tỉnh' },
      responseFor: { organId: OLD, documentId, code: `${model.messageHeader.code.codeNumber}/${model.messageHeader.code.codeNotation}`, promulgationDate: model.messageHeader.promulgationInfo.promulgationDate },
      staffInfo: { department: 'Văn thư', staff: 'Lê Văn C' },
      statusCode: '13',
      description: 'Ban hành nhầm',
      timestamp: dateToEdxmlTimestamp(new Date()),
    });
    const res = await push(signPackage(status13, signerOf(SENDER)));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: newCommune.clerk });
    expect(detail.json.state).toBe('recall_requested');
  });
});

describe("on the sender's side, a status signed by the successor of a closed recipient", () => {
  it('answers the delivery to the closed agency, and the timeline says for whom', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [R1] }));
    expect(sent.status, sent.text).toBe(201);
    const { id, documentId } = sent.json as { id: string; documentId: string };
    await waitForDeliveries(node, district.clerk, id, { [R1]: { state: 'sending' } });
    // R1 merges into R2 (both on the partner's node) after the document left.
    const closed = await node.call('PATCH', `/v1/agencies/${R1}`, { token: node.adminToken, body: { successorCode: R2, closedAt: new Date(Date.now() - 60_000).toISOString() } });
    expect(closed.status, closed.text).toBe(200);

    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    const status01 = buildStatus({
      from: { organId: R2, organName: 'Xã mới bên kia' },
      responseFor: { organId: district.code, documentId, code: `${doc.code.number}/${doc.code.notation}`, promulgationDate: String(doc.promulgation.date).replace(/-/g, '/') },
      staffInfo: { department: 'Văn thư', staff: 'Lê Văn C' },
      statusCode: '01',
      description: 'Đã đến',
      timestamp: dateToEdxmlTimestamp(new Date()),
    });
    const res = await push(signPackage(status01, signerOf(R2)));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    await waitForDeliveries(node, district.clerk, id, { [R1]: { state: 'arrived', statusCode: '01' } });
    const carried = (await timelineOf(node, district.clerk, id)).filter((e) => e.type === 'status' && e.statusCode === '01');
    expect(carried).toEqual([expect.objectContaining({ recipient: R1, details: expect.objectContaining({ from: R2, successorOf: R1, via: 'peer' }) })]);
  });

  it('from an agency that succeeds no recipient is still 404', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [R2] }));
    const { documentId } = sent.json as { documentId: string };
    const status = buildStatus({
      from: { organId: SENDER, organName: 'Sở Nội vụ tỉnh' },
      responseFor: { organId: district.code, documentId, code: '01/CT-UBND', promulgationDate: '2026/01/01' },
      statusCode: '01',
      description: 'Đã đến',
      timestamp: dateToEdxmlTimestamp(new Date()),
    });
    const res = await push(signPackage(status, signerOf(SENDER)));
    expect(res.status).toBe(404);
  });
});
