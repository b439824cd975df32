import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc, buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { verifyPackage } from '../src/edxml/verify-package.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { AxisClient } from '../src/transport/axis-client.js';
import { createAgency, directive, getBytes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { AxisSdkClient } from './support/axis-sdk-client.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * The axis-compatible hub (issue 19): a document-management system (DMS) built on the national axis
 * SDK points its base URL at lienthong (`/axis`) and works unchanged. The DMS here is a client written
 * from shared/AXIS.md alone — its header names, the multipart part `file_doc`, the JSON answers, the
 * HMAC headers — over a real HTTP listener, not lienthong's own outbound adapter.
 */
const DISTRICT = '000.00.84.H33';
const COMMUNE = '000.01.84.H33';
const MERGED = '000.02.84.H33'; // closed on 1 July 2025, into COMMUNE
const DMS_AGENCY = '000.00.84.G01'; // Sở Nội vụ, whose DMS talks to the hub
const DMS_NAME = 'Sở Nội vụ tỉnh';
const OTHER_AGENCY = '000.00.84.G02'; // an agency the DMS does not serve

const dmsCa = generateCa({ commonName: 'Provincial CA of the DMS (hub tests)', validityDays: 365 });
const dmsCert = issueAgencyCertificate(dmsCa, { agencyCode: DMS_AGENCY, agencyName: DMS_NAME, validityDays: 365 });
const dmsSigner = createPackageSigner(dmsCert.certificatePem, dmsCert.privateKeyPem!);

let node: TestNode;
let http: HttpNode;
let admin: string;
let district: Agency;
let commune: Agency;
let dms: AxisSdkClient;
let systemSecret: string;

const hubUrl = () => `${http.url}/axis`;

/** An edoc of the DMS's agency to `to`, signed with the agency's certificate (as the DMS signs it). */
function dmsEdoc(to: string, number: number): { bytes: Buffer; documentId: string } {
  const model = edocModel({ from: { code: DMS_AGENCY, name: DMS_NAME }, to: { code: to, name: 'UBND xã' }, at: new Date(), number });
  return { bytes: Buffer.from(signPackage(buildEdoc(model), dmsSigner)), documentId: model.messageHeader.documentId };
}

/** The DMS's own status package about a document it received. */
function dmsStatus(doc: Loose, statusCode: '01' | '03', description: string): Buffer {
  const xml = buildStatus({
    from: { organId: DMS_AGENCY, organName: DMS_NAME },
    responseFor: {
      organId: DISTRICT,
      documentId: doc.documentId as string,
      code: `${doc.code.number as string | number}/${doc.code.notation as string}`,
      promulgationDate: String(doc.promulgation.date).replace(/-/g, '/'),
    },
    staffInfo: { department: 'Văn thư', staff: 'Trần Thị D' },
    statusCode,
    description,
    timestamp: dateToEdxmlTimestamp(new Date()),
  });
  return Buffer.from(signPackage(xml, dmsSigner));
}

async function waitingList(client: AxisSdkClient, type: 'edoc' | 'status', count: number): Promise<Loose[]> {
  let last: unknown;
  try {
    return await eventually(async () => {
      const answer = await client.receivedList(type);
      last = answer.json;
      return answer.status === 200 && answer.json.data.length >= count ? (answer.json.data as Loose[]) : undefined;
    }, 20_000, 100);
  } catch (error) {
    throw new Error(`${String(error)}; last list: ${JSON.stringify(last)}`, { cause: error });
  }
}

async function createSystem(body: Record<string, unknown>, headers?: Record<string, string>) {
  return node.call('POST', '/v1/hub-systems', { token: admin, body, ...(headers ? { headers } : {}) });
}

beforeAll(async () => {
  node = await startTestNode();
  admin = node.adminToken;
  http = new HttpNode(node, await freePort());
  await http.start();
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện trung tâm', level: 'district' });
  commune = await createAgency(node, { code: COMMUNE, name: 'UBND xã Trung Tâm', level: 'commune', parentCode: DISTRICT });
  const merged = await node.call('POST', '/v1/agencies', { token: admin, body: { code: MERGED, name: 'UBND xã cũ', level: 'commune', parentCode: DISTRICT } });
  expect(merged.status, merged.text).toBe(201);
  const closing = await node.call('PATCH', `/v1/agencies/${MERGED}`, { token: admin, body: { successorCode: COMMUNE, closedAt: '2025-07-01T00:00:00+07:00' } });
  expect(closing.status, closing.text).toBe(200);
  // The DMS's agency, as any remote agency: its CA trusted, its certificate registered, reached
  // through a pull partner (what is meant for it waits until the DMS polls).
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: dmsCa.certificatePem } })).status).toBeLessThan(300);
  const partner = await node.call('POST', '/v1/partners', {
    token: admin,
    body: { id: 'dms-noi-vu', name: 'Hệ thống QLVB Sở Nội vụ', kind: 'lienthong', mode: 'pull', agencies: [DMS_AGENCY] },
  });
  expect(partner.status, partner.text).toBe(201);
  const remote = await node.call('POST', '/v1/agencies', {
    token: admin,
    body: { code: DMS_AGENCY, name: DMS_NAME, level: 'department', endpoint: { type: 'remote', partnerId: 'dms-noi-vu' } },
  });
  expect(remote.status, remote.text).toBe(201);
  expect((await node.call('POST', `/v1/agencies/${DMS_AGENCY}/certificates`, { token: admin, body: { certificatePem: dmsCert.certificatePem } })).status).toBe(201);
  const system = await createSystem({ id: 'qlvb-noi-vu', name: 'QLVB Sở Nội vụ', partnerId: 'dms-noi-vu', signing: 'hmac-sha256-v2' });
  expect(system.status, system.text).toBe(201);
  systemSecret = system.json.secret as string;
  dms = new AxisSdkClient(hubUrl(), 'qlvb-noi-vu', systemSecret, 'hmac-sha256-v2');
});
afterAll(async () => {
  await http?.stop();
  await node?.close();
});

describe('hub systems (admin)', () => {
  it('registers a system with its secret shown once and sealed at rest, lists it, refuses a push partner, and removes it', async () => {
    const pushPartner = await node.call('POST', '/v1/partners', {
      token: admin,
      body: { id: 'peer-push', name: 'Nút đẩy', kind: 'lienthong', baseUrl: 'http://127.0.0.1:9', agencies: [OTHER_AGENCY] },
    });
    expect(pushPartner.status, pushPartner.text).toBe(201);
    const refused = await createSystem({ name: 'x', partnerId: 'peer-push' });
    expect(refused.status).toBe(422);
    expect(refused.json.errors[0].path).toBe('partnerId');
    expect((await createSystem({ name: 'x', partnerId: 'nobody' })).status).toBe(422);
    expect((await createSystem({ name: 'x', partnerId: 'dms-noi-vu', signing: 'md5' })).status).toBe(422);
    expect((await node.call('POST', '/v1/hub-systems', { token: commune.clerk, body: { name: 'x', partnerId: 'dms-noi-vu' } })).status).toBe(403);

    const key = `hub-${randomBytes(4).toString('hex')}`;
    const first = await createSystem({ name: 'QLVB thứ hai', partnerId: 'dms-noi-vu' }, { 'idempotency-key': key });
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({ name: 'QLVB thứ hai', partnerId: 'dms-noi-vu', agencies: [DMS_AGENCY], signing: 'hmac-sha256-v1', lastUsedAt: null });
    expect(first.json.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = await createSystem({ name: 'QLVB thứ hai', partnerId: 'dms-noi-vu' }, { 'idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.json).toMatchObject({ id: first.json.id, secret: null, secretShownOnce: true });
    expect((await createSystem({ id: first.json.id, name: 'again', partnerId: 'dms-noi-vu' })).status).toBe(409);

    const rows = await node.runtime.orm.em.fork().getConnection().execute<Array<{ secret_encrypted: string }>>(`select secret_encrypted from hub_system where id = ?`, [first.json.id]);
    expect(rows[0]!.secret_encrypted).toMatch(/^s1:/);
    expect(rows[0]!.secret_encrypted).not.toContain(first.json.secret);

    const list = await node.call('GET', '/v1/hub-systems?limit=100', { token: admin });
    expect(list.status).toBe(200);
    const listed = (list.json.items as Loose[]).find((s) => s.id === first.json.id);
    expect(listed).toMatchObject({ partnerId: 'dms-noi-vu', agencies: [DMS_AGENCY] });
    expect(JSON.stringify(list.json)).not.toContain(first.json.secret);

    // The second system (signing v1) works, then is removed: from then on it is an unknown system.
    const second = new AxisSdkClient(hubUrl(), first.json.id as string, first.json.secret as string, 'hmac-sha256-v1');
    const agencies = await second.call('getAgenciesList');
    expect(agencies.status, JSON.stringify(agencies.json)).toBe(200);
    expect((await node.call('GET', `/v1/hub-systems/${first.json.id}`, { token: admin })).json.lastUsedAt).not.toBeNull();
    expect((await node.call('DELETE', `/v1/hub-systems/${first.json.id}`, { token: admin })).status).toBe(204);
    expect((await node.call('DELETE', `/v1/hub-systems/${first.json.id}`, { token: admin })).status).toBe(404);
    const gone = await second.call('getAgenciesList');
    expect(gone.status).toBe(401);
    expect(gone.json).toMatchObject({ status: 'FAIL', ErrorCode: 2, code: 'UNAUTHENTICATED' });
  });
});

describe('the axis calls of a DMS', () => {
  it('sends an edoc to a commune, which accepts it; the DMS polls the 01 and the 03, fetches them signed by the commune, and acknowledges', async () => {
    const edoc = dmsEdoc(COMMUNE, 41);
    const sent = await dms.sendEdoc(DMS_AGENCY, 'edoc', edoc.bytes);
    expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    expect(sent.json).toMatchObject({ status: 'OK', ErrorDesc: '' });
    const docId = sent.json.DocID as string;
    expect(docId).toMatch(/^[0-9a-f-]{36}$/);
    // Offered again (the SDK resends until it has an answer): the same DocID, nothing new.
    const again = await dms.sendEdoc(DMS_AGENCY, 'edoc', edoc.bytes);
    expect(again.json).toMatchObject({ status: 'OK', DocID: docId, duplicate: true });

    // The commune has it in its inbox, and accepts it (03) through the API.
    const itemId = await waitForInboxItem(node, commune.clerk, edoc.documentId);
    const accepted = await postStatus(node, commune.clerk, itemId, { code: '03' });
    expect(accepted.status, accepted.text).toBeLessThan(300);

    // The DMS polls its status list: the commune's 01 (arrived) and 03 (accepted), about its document.
    const statuses = await waitingList(dms, 'status', 2);
    expect(statuses).toHaveLength(2);
    for (const item of statuses) {
      expect(item).toMatchObject({ serviceType: 'eDoc', messageType: 'status', from: COMMUNE, to: DMS_AGENCY, status: 'initial' });
      expect(Date.parse(item.created_time as string)).not.toBeNaN();
    }
    const codes: string[] = [];
    const em = node.runtime.orm.em.fork();
    for (const item of statuses) {
      const bytes = await dms.getEdoc(item.docId as string);
      // Exactly the commune's signed package: it verifies, from the commune, about the DMS's document.
      const verified = await verifyPackage(bytes, { checkCertificate: await node.runtime.pki.certificateCheck(em) });
      expect(verified.senderCode).toBe(COMMUNE);
      if (verified.model.kind !== 'status') throw new Error('not a status package');
      expect(verified.model.status.responseFor.documentId).toBe(edoc.documentId);
      codes.push(verified.model.status.statusCode);
    }
    expect(codes.sort()).toEqual(['01', '03']);
    // Fetched but not acknowledged: still offered, now `processing`.
    const fetched = (await dms.receivedList('status')).json.data as Loose[];
    expect(fetched.map((i) => i.status)).toEqual(['processing', 'processing']);

    for (const item of statuses) {
      const ack = await dms.updateStatus(item.docId as string, 'done');
      expect(ack.status, JSON.stringify(ack.json)).toBe(200);
      expect(ack.json).toEqual({ status: 'OK', ErrorCode: 0, ErrorDesc: '' });
    }
    expect((await dms.receivedList('status')).json.data).toEqual([]);
    // Acknowledging again changes nothing and answers OK; an unknown docId is FAIL.
    expect((await dms.updateStatus(statuses[0]!.docId as string, 'done')).json.status).toBe('OK');
    const unknown = await dms.updateStatus('00000000-0000-4000-8000-000000000000', 'done');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ status: 'FAIL', ErrorCode: 7, code: 'NOT_FOUND' });

    // What the DMS sent, per recipient: held by the commune, accepted (03).
    const sentList = await dms.call('getSentEdocList', { servicetype: 'eDoc', messagetype: 'edoc', docId });
    expect(sentList.status, JSON.stringify(sentList.json)).toBe(200);
    expect(sentList.json.data).toEqual([
      expect.objectContaining({ docId, messageType: 'edoc', from: DMS_AGENCY, to: COMMUNE, status: 'done', state: 'accepted', statusCode: '03' }),
    ]);
  });

  it('gets a document a lienthong agency sends to its agency by polling, and answers with status packages', async () => {
    const posted = await sendDocument(node, district.clerk, directive({ to: [DMS_AGENCY] }));
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const documentId = posted.json.documentId as string;
    await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'sending' } });

    const [item] = await waitingList(dms, 'edoc', 1);
    expect(item).toMatchObject({ messageType: 'edoc', from: DISTRICT, to: DMS_AGENCY, status: 'initial' });
    const bytes = await dms.getEdoc(item!.docId as string);
    const signed = await getBytes(node, `/v1/documents/${id}/edxml`, district.clerk);
    expect(bytes.equals(signed.bytes)).toBe(true);
    expect((await dms.updateStatus(item!.docId as string, 'done')).json.status).toBe('OK');
    expect((await dms.receivedList('edoc')).json.data).toEqual([]);

    // Business statuses travel as status packages, with sendEdoc messagetype status.
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(doc.documentId).toBe(documentId);
    const arrived = await dms.sendEdoc(DMS_AGENCY, 'status', dmsStatus(doc, '01', 'Đã đến'));
    expect(arrived.status, JSON.stringify(arrived.json)).toBe(200);
    await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'arrived', statusCode: '01' } });
    const registered = await dms.sendEdoc(DMS_AGENCY, 'status', dmsStatus(doc, '03', 'Đã vào sổ văn bản đến'));
    expect(registered.json.status, JSON.stringify(registered.json)).toBe('OK');
    await waitForDeliveries(node, district.clerk, id, { [DMS_AGENCY]: { state: 'accepted', statusCode: '03' } });
  });

  it('takes a fail acknowledgement off the list and shows its reason on the sender’s timeline', async () => {
    const posted = await sendDocument(node, district.clerk, directive({ to: [DMS_AGENCY] }));
    expect(posted.status, posted.text).toBe(201);
    const id = posted.json.id as string;
    const [item] = await waitingList(dms, 'edoc', 1);
    await dms.getEdoc(item!.docId as string);
    const failed = await dms.updateStatus(item!.docId as string, 'fail', 'Không lưu được tệp đính kèm');
    expect(failed.json.status).toBe('OK');
    expect((await dms.receivedList('edoc')).json.data).toEqual([]);
    const events = (await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk })).json.items as Loose[];
    expect(events.find((e) => e.type === 'delivery.refused-by-partner')).toMatchObject({
      details: { docId: item!.docId, system: 'qlvb-noi-vu', reason: 'Không lưu được tệp đính kèm' },
    });
  });

  it('lists the directory: open agencies in the SDK shape, closed ones apart with their successor', async () => {
    const answer = await dms.call('getAgenciesList');
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.status).toBe('OK');
    const data = answer.json.data as Loose[];
    expect(data).toContainEqual({ id: COMMUNE, code: COMMUNE, name: 'UBND xã Trung Tâm', mail: null, pid: DISTRICT });
    expect(data.map((a) => a.code)).toEqual(expect.arrayContaining([DISTRICT, COMMUNE, DMS_AGENCY]));
    expect(data.map((a) => a.code)).not.toContain(MERGED);
    expect(answer.json.closed).toContainEqual(expect.objectContaining({ code: MERGED, successors: [COMMUNE] }));
  });
});

describe('lienthong\'s own axis adapter', () => {
  it('speaks to the hub too: another node can poll it as it polls a provincial axis (the paths carry the prefix, signed as called)', async () => {
    const paths = { sendEdoc: '/axis/sendEdoc', getReceivedEdocList: '/axis/getReceivedEdocList', getEdoc: '/axis/getEdoc', updateStatus: '/axis/updateStatus' };
    const adapter = new AxisClient(http.url, { systemId: 'qlvb-noi-vu', secret: systemSecret, signing: 'hmac-sha256-v2', paths });
    const seen = (await adapter.receivedList('status')).map((i) => i.docId);
    expect(seen).toEqual(((await dms.receivedList('status')).json.data as Loose[]).map((i) => i.docId));
    await expect(adapter.getEdoc('00000000-0000-4000-8000-000000000003')).rejects.toMatchObject({ retryable: false, status: 404 });
    const wrong = new AxisClient(http.url, { systemId: 'qlvb-noi-vu', secret: 'not-the-secret', signing: 'hmac-sha256-v2', paths });
    await expect(wrong.receivedList('edoc')).rejects.toMatchObject({ retryable: false, status: 401 });
  });
});

describe('the hub refuses', () => {
  it('a wrong HMAC, a replayed request, an unknown system and a stale timestamp, with the SDK’s FAIL answer', async () => {
    const wrong = await new AxisSdkClient(hubUrl(), 'qlvb-noi-vu', `${systemSecret}x`, 'hmac-sha256-v2').receivedList('edoc');
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ status: 'FAIL', ErrorCode: 2, code: 'UNAUTHENTICATED' });
    expect(wrong.json.ErrorDesc).toMatch(/signature/i);

    // Signed right but with the other scheme (v1 does not cover the headers): refused too.
    expect((await new AxisSdkClient(hubUrl(), 'qlvb-noi-vu', systemSecret, 'hmac-sha256-v1').receivedList('edoc')).status).toBe(401);

    const request = dms.prepare('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' });
    const first = await dms.send(request);
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    const replayed = await dms.send(request);
    expect(replayed.status).toBe(401);
    expect(replayed.json).toMatchObject({ status: 'FAIL', ErrorCode: 2 });
    expect(replayed.json.ErrorDesc).toMatch(/replay/i);

    const stranger = await new AxisSdkClient(hubUrl(), 'khong-dang-ky', systemSecret, 'hmac-sha256-v2').receivedList('edoc');
    expect(stranger.status).toBe(401);
    expect(stranger.json.ErrorDesc).toMatch(/unknown system/i);

    const stale = dms.prepare('getReceivedEdocList', { messagetype: 'edoc' }, undefined, { timestamp: new Date(Date.now() - 10 * 60_000).toISOString() });
    const staleAnswer = await dms.send(stale);
    expect(staleAnswer.status).toBe(401);
    expect(staleAnswer.json.ErrorDesc).toMatch(/600 s ago/);

    // v2 covers the headers: a request signed for one docId and sent with another is refused.
    const signedFor = dms.prepare('updateStatus', { docId: '00000000-0000-4000-8000-000000000001', status: 'done' });
    signedFor.init.headers.docId = '00000000-0000-4000-8000-000000000002';
    expect((await dms.send(signedFor)).status).toBe(401);

    // A body changed after signing (another package in file_doc) is refused before it is read as a package.
    const tampered = dms.prepare('sendEdoc', { from: DMS_AGENCY, servicetype: 'eDoc', messagetype: 'edoc' }, dmsEdoc(COMMUNE, 42).bytes);
    const other = dms.prepare('sendEdoc', { from: DMS_AGENCY, servicetype: 'eDoc', messagetype: 'edoc' }, dmsEdoc(COMMUNE, 43).bytes);
    tampered.init.body = other.init.body;
    tampered.init.headers['content-type'] = other.init.headers['content-type']!;
    expect((await dms.send(tampered)).status).toBe(401);
  });

  it('a sender the system does not serve, and a package that does not verify, storing nothing', async () => {
    const count = async () =>
      Number((await node.runtime.orm.em.fork().getConnection().execute<Array<{ n: string }>>(`select count(*) as n from exchange_message where direction = 'in'`))[0]!.n);
    const before = await count();

    const foreign = await dms.sendEdoc(OTHER_AGENCY, 'edoc', dmsEdoc(COMMUNE, 44).bytes);
    expect(foreign.status).toBe(403);
    expect(foreign.json).toMatchObject({ status: 'FAIL', ErrorCode: 4, code: 'FORBIDDEN' });

    const good = dmsEdoc(COMMUNE, 45);
    const forged = Buffer.from(good.bytes.toString('utf8').replace('Về việc triển khai', 'Về việc hủy bỏ'));
    const refused = await dms.sendEdoc(DMS_AGENCY, 'edoc', forged);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ status: 'FAIL', ErrorCode: 5, code: 'SIGNATURE_INVALID' });

    const elsewhere = await dms.sendEdoc(DMS_AGENCY, 'edoc', dmsEdoc(OTHER_AGENCY, 46).bytes);
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.json).toMatchObject({ status: 'FAIL', ErrorCode: 3, code: 'UNKNOWN_RECIPIENT' });

    const noFile = await dms.call('sendEdoc', { from: DMS_AGENCY, servicetype: 'eDoc', messagetype: 'edoc' });
    expect(noFile.status).toBe(415);
    expect(noFile.json).toMatchObject({ status: 'FAIL', ErrorCode: 1 });

    expect(await count()).toBe(before);
    expect((await node.call('GET', `/v1/inbox?limit=500`, { token: commune.clerk })).json.items.filter((i: Loose) => JSON.stringify(i).includes('hủy bỏ'))).toEqual([]);
  });
});
