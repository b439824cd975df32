import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc, buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, deliveryOf, directive, documentOf, getBytes, itemsOf, sendDocument, timelineOf, waitForDeliveries, type Agency, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { AxisSdkClient } from './support/axis-sdk-client.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Where a document system's package goes through the hub (issue 19), and what a package it could not
 * take does to the sender's delivery.
 *
 * - This node passes no package on (src/hub/routing.ts): a sendEdoc naming an agency served by a peer
 *   node, the axis or another document system is refused whole — nothing stored, not even for the
 *   recipients that are here — with a FAIL that names where each such agency is served. So is a
 *   status about a document of such an agency. The DMS's partner is registered with kind `axis` here
 *   on purpose: the rule of packages fetched from the axis (ours get it, the others are not ours) must
 *   not apply to a system that asks this node to deliver to every recipient it names.
 * - updateStatus fail on a document's package is a transport failure: the sender's delivery becomes
 *   `failed` with the reason, through the graph, and the sender's retry lists it again.
 */
const DISTRICT = '000.00.86.H33';
const COMMUNE = '000.01.86.H33';
const MERGED = '000.02.86.H33'; // closed, into an agency of the peer node
const DMS_AGENCY = '000.00.86.G01';
const DMS_NAME = 'Sở Tư pháp tỉnh';
const PEER_AGENCY = '000.00.86.G05'; // on another lienthong node
const AXIS_AGENCY = '000.00.01.G06'; // reached through the national axis
const OTHER_DMS_AGENCY = '000.00.86.G07'; // served by another document system on this hub
const UNKNOWN = '000.00.86.G09';

const dmsCa = generateCa({ commonName: 'Provincial CA of the DMS (hub routing tests)', validityDays: 365 });
const dmsCert = issueAgencyCertificate(dmsCa, { agencyCode: DMS_AGENCY, agencyName: DMS_NAME, validityDays: 365 });
const dmsSigner = createPackageSigner(dmsCert.certificatePem, dmsCert.privateKeyPem!);

let node: TestNode;
let http: HttpNode;
let admin: string;
let district: Agency;
let commune: Agency;
let dms: AxisSdkClient;

/** An edoc of the DMS's agency naming `to`, signed as the DMS signs it. */
function dmsEdoc(to: string[], number: number): { bytes: Buffer; documentId: string } {
  const model = edocModel({ from: { code: DMS_AGENCY, name: DMS_NAME }, to: { code: to[0]!, name: 'UBND' }, at: new Date(), number });
  model.messageHeader.to = to.map((code) => ({ organId: code, organName: `UBND ${code}` }));
  return { bytes: Buffer.from(signPackage(buildEdoc(model), dmsSigner)), documentId: model.messageHeader.documentId };
}

/** The DMS agency's status package about a document of `organId`. */
function dmsStatus(about: { organId: string; documentId: string; code: string; promulgationDate: string }, statusCode: '01' | '03'): Buffer {
  const xml = buildStatus({
    from: { organId: DMS_AGENCY, organName: DMS_NAME },
    responseFor: about,
    staffInfo: { department: 'Văn thư', staff: 'Lê Thị E' },
    statusCode,
    description: statusCode === '01' ? 'Đã đến' : 'Đã vào sổ',
    timestamp: dateToEdxmlTimestamp(new Date()),
  });
  return Buffer.from(signPackage(xml, dmsSigner));
}

const aboutDocument = (doc: Loose) => ({
  organId: DISTRICT,
  documentId: doc.documentId as string,
  code: `${doc.code.number as string | number}/${doc.code.notation as string}`,
  promulgationDate: String(doc.promulgation.date).replace(/-/g, '/'),
});

async function receivedCount(): Promise<number> {
  const rows = await node.runtime.orm.em.fork().getConnection().execute<Array<{ n: string }>>(`select count(*) as n from exchange_message where direction = 'in'`);
  return Number(rows[0]!.n);
}

async function waiting(type: 'edoc' | 'status', count: number): Promise<Loose[]> {
  return eventually(async () => {
    const answer = await dms.receivedList(type);
    return answer.status === 200 && answer.json.data.length >= count ? (answer.json.data as Loose[]) : undefined;
  }, 20_000, 100);
}

async function partner(body: Record<string, unknown>): Promise<void> {
  const res = await node.call('POST', '/v1/partners', { token: admin, body });
  expect(res.status, res.text).toBe(201);
}

async function remoteAgency(code: string, name: string, partnerId: string): Promise<void> {
  const res = await node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level: 'department', endpoint: { type: 'remote', partnerId } } });
  expect(res.status, res.text).toBe(201);
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  admin = node.adminToken;
  http = new HttpNode(node, await freePort());
  await http.start();
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện Tám Sáu', level: 'district' });
  commune = await createAgency(node, { code: COMMUNE, name: 'UBND xã Tám Sáu', level: 'commune', parentCode: DISTRICT });
  await createAgency(node, { code: MERGED, name: 'UBND xã cũ', level: 'commune', parentCode: DISTRICT });

  // Where the other agencies are served: a peer lienthong node, the national axis, another DMS.
  await partner({ id: 'nut-ben-canh', name: 'Nút liên thông tỉnh bên', kind: 'lienthong', baseUrl: 'http://127.0.0.1:9', agencies: [PEER_AGENCY] });
  await partner({ id: 'truc-quoc-gia', name: 'Trục liên thông quốc gia', kind: 'axis', baseUrl: 'http://127.0.0.1:9', credentials: { systemId: 'lt', secret: 's' }, agencies: [AXIS_AGENCY] });
  await partner({ id: 'qlvb-khac', name: 'QLVB Sở khác', kind: 'lienthong', mode: 'pull', agencies: [OTHER_DMS_AGENCY] });
  await remoteAgency(PEER_AGENCY, 'Sở của tỉnh bên', 'nut-ben-canh');
  await remoteAgency(AXIS_AGENCY, 'Bộ Nội vụ', 'truc-quoc-gia');
  await remoteAgency(OTHER_DMS_AGENCY, 'Sở khác', 'qlvb-khac');
  const closing = await node.call('PATCH', `/v1/agencies/${MERGED}`, { token: admin, body: { successorCode: PEER_AGENCY, closedAt: '2025-07-01T00:00:00+07:00' } });
  expect(closing.status, closing.text).toBe(200);

  // The DMS: its agency's CA trusted, its certificate registered, a pull partner — of kind axis.
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: dmsCa.certificatePem } })).status).toBeLessThan(300);
  await partner({ id: 'qlvb-tu-phap', name: 'QLVB Sở Tư pháp', kind: 'axis', mode: 'pull', credentials: { systemId: 'qlvb', secret: 's' }, agencies: [DMS_AGENCY] });
  await remoteAgency(DMS_AGENCY, DMS_NAME, 'qlvb-tu-phap');
  expect((await node.call('POST', `/v1/agencies/${DMS_AGENCY}/certificates`, { token: admin, body: { certificatePem: dmsCert.certificatePem } })).status).toBe(201);
  const system = await node.call('POST', '/v1/hub-systems', { token: admin, body: { id: 'qlvb-tu-phap', name: 'QLVB Sở Tư pháp', partnerId: 'qlvb-tu-phap', signing: 'hmac-sha256-v2' } });
  expect(system.status, system.text).toBe(201);
  dms = new AxisSdkClient(`${http.url}/axis`, 'qlvb-tu-phap', system.json.secret as string, 'hmac-sha256-v2');
}, 60_000);
afterAll(async () => {
  await http?.stop();
  await node?.close();
});

describe('a package for an agency this node does not host', () => {
  it('is refused whole, for the recipients here too, naming the peer node that serves the other one', async () => {
    const before = await receivedCount();
    const edoc = dmsEdoc([COMMUNE, PEER_AGENCY], 61);
    const sent = await dms.sendEdoc(DMS_AGENCY, 'edoc', edoc.bytes);
    expect(sent.status, JSON.stringify(sent.json)).toBe(422);
    expect(sent.json).toMatchObject({ status: 'FAIL', ErrorCode: 3, code: 'UNKNOWN_RECIPIENT' });
    const desc = sent.json.ErrorDesc as string;
    expect(desc).toContain('does not pass packages on');
    expect(desc).toContain(`${PEER_AGENCY} is served by the lienthong node Nút liên thông tỉnh bên (partner nut-ben-canh)`);
    expect(desc).not.toContain(`${COMMUNE} is`);
    expect(desc).toContain('Nothing was stored');

    expect(await receivedCount()).toBe(before);
    const inbox = await node.call('GET', '/v1/inbox?limit=500', { token: commune.clerk });
    expect(itemsOf(inbox.json).filter((i: Loose) => JSON.stringify(i).includes(edoc.documentId))).toEqual([]);

    // For the agencies here alone, the same system's package goes through as before.
    const here = dmsEdoc([COMMUNE], 64);
    const ok = await dms.sendEdoc(DMS_AGENCY, 'edoc', here.bytes);
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json).toMatchObject({ status: 'OK', ErrorDesc: '' });
    await eventually(async () => itemsOf((await node.call('GET', '/v1/inbox?limit=500', { token: commune.clerk })).json).some((i: Loose) => JSON.stringify(i).includes(here.documentId)));
  });

  it('says where each is served: the axis, another document system, a closed agency’s successor, nobody', async () => {
    const sent = await dms.sendEdoc(DMS_AGENCY, 'edoc', dmsEdoc([AXIS_AGENCY, OTHER_DMS_AGENCY, MERGED, UNKNOWN], 62).bytes);
    expect(sent.status, JSON.stringify(sent.json)).toBe(422);
    expect(sent.json).toMatchObject({ status: 'FAIL', ErrorCode: 3, code: 'UNKNOWN_RECIPIENT' });
    const desc = sent.json.ErrorDesc as string;
    expect(desc).toContain(`${AXIS_AGENCY} is served by the axis Trục liên thông quốc gia (partner truc-quoc-gia)`);
    expect(desc).toContain(`${OTHER_DMS_AGENCY} is served by the document system QLVB Sở khác (partner qlvb-khac)`);
    expect(desc).toContain(`${MERGED} closed on 2025-07-01`);
    expect(desc).toContain(`its successor ${PEER_AGENCY} is served by the lienthong node`);
    expect(desc).toContain(`${UNKNOWN} is not in this node's directory`);

    // In Vietnamese when the system asks for it.
    const request = dms.prepare('sendEdoc', { from: DMS_AGENCY, servicetype: 'eDoc', messagetype: 'edoc' }, dmsEdoc([PEER_AGENCY], 63).bytes);
    request.init.headers['accept-language'] = 'vi';
    const vi = await dms.send(request);
    expect(vi.json.ErrorDesc).toContain('không chuyển tiếp gói tin');
    expect(vi.json.ErrorDesc).toContain(`${PEER_AGENCY} do nút liên thông Nút liên thông tỉnh bên (đối tác nut-ben-canh) phục vụ`);
  });

  it('a status about a document of an agency served elsewhere is refused the same way', async () => {
    const status = dmsStatus({ organId: PEER_AGENCY, documentId: `${PEER_AGENCY},2026/11/26,7/QĐ-UBND`, code: '7/QĐ-UBND', promulgationDate: '2026/11/26' }, '01');
    const sent = await dms.sendEdoc(DMS_AGENCY, 'status', status);
    expect(sent.status, JSON.stringify(sent.json)).toBe(422);
    expect(sent.json).toMatchObject({ status: 'FAIL', ErrorCode: 3, code: 'UNKNOWN_RECIPIENT' });
    expect(sent.json.ErrorDesc).toContain(`${PEER_AGENCY} is served by the lienthong node`);
  });

});

describe('updateStatus fail: the document system could not take the package', () => {
  it("fails the sender's delivery with the reason, and the sender's retry lists the package again", async () => {
    const posted = await sendDocument(node, district.clerk, directive({ to: [DMS_AGENCY] }));
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const [first] = await waiting('edoc', 1);
    const bytes = await dms.getEdoc(first!.docId as string);
    const failed = await dms.updateStatus(first!.docId as string, 'fail', 'Không lưu được tệp đính kèm');
    expect(failed.json).toEqual({ status: 'OK', ErrorCode: 0, ErrorDesc: '' });

    const doc = await documentOf(node, district.clerk, id);
    expect(deliveryOf(doc, DMS_AGENCY)).toMatchObject({ state: 'failed', lastError: 'Không lưu được tệp đính kèm' });
    const events = await timelineOf(node, district.clerk, id);
    expect(events.find((e) => e.type === 'delivery.refused-by-partner')).toMatchObject({
      state: 'failed',
      details: { docId: first!.docId, system: 'qlvb-tu-phap', reason: 'Không lưu được tệp đính kèm' },
    });
    expect((await dms.receivedList('edoc')).json.data).toEqual([]);

    const retry = await node.call('POST', `/v1/documents/${id}/deliveries/${DMS_AGENCY}/retry`, { token: district.clerk });
    expect(retry.status, retry.text).toBe(202);
    const [again] = await waiting('edoc', 1);
    expect(again!.docId).not.toBe(first!.docId);
    expect((await dms.getEdoc(again!.docId as string)).equals(bytes)).toBe(true);
    expect((await dms.updateStatus(again!.docId as string, 'done')).json.status).toBe('OK');
    await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'sending' } });
    const arrived = await dms.sendEdoc(DMS_AGENCY, 'status', dmsStatus(aboutDocument(doc), '01'));
    expect(arrived.status, JSON.stringify(arrived.json)).toBe(200);
    const done = await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'arrived', statusCode: '01' } });
    expect(deliveryOf(done, DMS_AGENCY).lastError).toBeNull();
    const signed = await getBytes(node, `/v1/documents/${id}/edxml`, district.clerk);
    expect(signed.bytes.equals(bytes)).toBe(true);
  });

  it('after the recipient said it arrived (01), a fail is on the timeline but the delivery keeps its state', async () => {
    const posted = await sendDocument(node, district.clerk, directive({ to: [DMS_AGENCY] }));
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const [item] = await waiting('edoc', 1);
    await dms.getEdoc(item!.docId as string);
    const doc = await documentOf(node, district.clerk, id);
    expect((await dms.sendEdoc(DMS_AGENCY, 'status', dmsStatus(aboutDocument(doc), '01'))).status).toBe(200);
    await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'arrived' } });

    expect((await dms.updateStatus(item!.docId as string, 'fail', 'Lỗi lưu trữ')).json.status).toBe('OK');
    const after = await documentOf(node, district.clerk, id);
    expect(deliveryOf(after, DMS_AGENCY)).toMatchObject({ state: 'arrived', lastError: null });
    const events = await timelineOf(node, district.clerk, id);
    expect(events.find((e) => e.type === 'delivery.refused-by-partner')).toMatchObject({
      state: 'arrived',
      details: { reason: 'Lỗi lưu trữ', kept: expect.stringContaining('the delivery is arrived') },
    });
  });
});
