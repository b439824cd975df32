/**
 * Updates and replacements received from a partner (edXML BussinessDocType 2 and 3; issue 12): an
 * update of a document an agency holds is a version of its item — never a second item, never a
 * second incoming number — answered with 15 (take it) or 16 (keep the current one); a replacement is
 * a document of its own that names, and is named by, the one it replaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc } from '../src/edxml/build.js';
import type { Bussiness, EdocPackage } from '../src/edxml/model.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, getBytes, postStatus, type Agency, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { startTestNode, type TestNode } from './support/runtime.js';

const LOCAL = '000.01.75.H33';
const SENDER = { code: '000.00.75.G01', name: 'Sở Cập nhật' };
const ca = generateCa({ commonName: 'Peer CA (update tests)', validityDays: 365 });
const cert = issueAgencyCertificate(ca, { agencyCode: SENDER.code, agencyName: SENDER.name, validityDays: 365 });
const signer = createPackageSigner(cert.certificatePem, cert.privateKeyPem!);

let node: TestNode;
let local: Agency;
let partnerToken: string;
let at = Date.now() - 60_000;

/** A package from SENDER to LOCAL: document `number`, with `subject`, as `bussiness` says. */
function pkg(number: number, subject: string, bussiness?: (documentId: string) => Bussiness): string {
  const model: EdocPackage = edocModel({ from: SENDER, to: { code: LOCAL, name: 'UBND xã' }, at: new Date((at += 1_000)), number });
  model.messageHeader.subject = subject;
  if (bussiness) model.traceHeaderList.bussiness = bussiness(model.messageHeader.documentId);
  return signPackage(buildEdoc(model), signer);
}

const documentIdOf = (number: number) => `${SENDER.code},2026/11/26,${number}/QĐ-UBND`;

async function push(xml: string): Promise<{ status: number; json: Loose }> {
  const res = await node.runtime.app.request('/exchange/v1/packages', { method: 'POST', headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml' }, body: xml });
  return { status: res.status, json: await res.json() };
}

const inbox = async (): Promise<Loose[]> => (await node.call('GET', '/v1/inbox', { token: local.clerk })).json.items as Loose[];
const item = async (id: string): Promise<Loose> => (await node.call('GET', `/v1/inbox/${id}`, { token: local.clerk })).json;

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false } });
  local = await createAgency(node, { code: LOCAL, name: 'UBND xã cập nhật', level: 'commune' });
  const admin = node.adminToken;
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } })).status).toBeLessThan(300);
  expect((await node.call('POST', '/v1/agencies', { token: admin, body: { code: SENDER.code, name: SENDER.name, level: 'department' } })).status).toBe(201);
  expect((await node.call('POST', `/v1/agencies/${SENDER.code}/certificates`, { token: admin, body: { certificatePem: cert.certificatePem } })).status).toBe(201);
  const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'updater', name: 'Sở', kind: 'lienthong', agencies: [SENDER.code] } });
  expect(partner.status, partner.text).toBe(201);
  partnerToken = partner.json.token as string;
});
afterAll(async () => node?.close());

const update = (reason: string) => (documentId: string): Bussiness => ({
  bussinessDocType: 2,
  documentId,
  bussinessDocReason: reason,
  paper: 0,
  bussinessDocumentInfo: { documentInfo: 1, documentReceiver: 0, receiverList: [] },
});

describe('an update from the sender', () => {
  it('is a version of the item the clerk holds: no second item, no second số đến; 15 takes it, 16 keeps the current one', async () => {
    expect((await push(pkg(21, 'Về việc triển khai (bản đầu)'))).status).toBe(202);
    const [original] = await inbox();
    expect(original.documentId).toBe(documentIdOf(21));
    const accepted = await postStatus(node, local.clerk, original.id, { code: '03' });
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(200);
    const number = accepted.json.arrivalNumber as number;

    // The update arrives: the inbox still holds one item for the document, showing what it showed.
    const first = await push(pkg(21, 'Về việc triển khai (bản sửa)', update('Sửa trích yếu')));
    expect(first.status, JSON.stringify(first.json)).toBe(202);
    expect((await inbox()).filter((i) => i.documentId === documentIdOf(21))).toHaveLength(1);
    let view = await item(original.id);
    expect(view.subject).toBe('Về việc triển khai (bản đầu)');
    expect(view.versions).toEqual([expect.objectContaining({ kind: 'update', subject: 'Về việc triển khai (bản sửa)', reason: 'Sửa trích yếu', state: 'pending' })]);

    // 15: the item shows the new version; same state, same số đến; the package served is the update.
    const taken = await postStatus(node, local.clerk, original.id, { code: '15', description: 'Đồng ý cập nhật' });
    expect(taken.status, JSON.stringify(taken.json)).toBe(200);
    expect(taken.json).toMatchObject({ state: 'accepted', arrivalNumber: number });
    view = await item(original.id);
    expect(view.subject).toBe('Về việc triển khai (bản sửa)');
    expect(view.versions[0].state).toBe('accepted');
    expect(view.arrivalNumber).toBe(number);
    expect((await getBytes(node, `/v1/inbox/${original.id}/edxml`, local.clerk)).bytes.toString('utf8')).toContain('<edXML:BussinessDocType>2</edXML:BussinessDocType>');
    // The answer goes back to the sender, signed, through the partner.
    const answers = await node.runtime.orm.em.fork().getConnection().execute<Array<{ code: string }>>(`select code from status_record where inbox_item_id = ? and direction = 'out' order by created_at`, [original.id]);
    expect(answers.map((a) => a.code)).toEqual(['01', '03', '15']);

    // A second update, refused with 16: the item keeps the version it has.
    expect((await push(pkg(21, 'Về việc triển khai (bản sửa lần hai)', update('Sửa lần hai')))).status).toBe(202);
    expect((await postStatus(node, local.clerk, original.id, { code: '16', description: 'Giữ bản đã nhận' })).status).toBe(200);
    view = await item(original.id);
    expect(view.subject).toBe('Về việc triển khai (bản sửa)');
    expect(view.versions.map((v: Loose) => v.state)).toEqual(['accepted', 'refused']);
    expect(view.state).toBe('accepted');
    // With nothing pending, 15 is what it always was: the answer to a recall, which nobody asked.
    expect((await postStatus(node, local.clerk, original.id, { code: '15' })).status).toBe(409);
  });
});

describe('a replacement', () => {
  it('is a document of its own that names the one it replaces, and is named by it', async () => {
    expect((await push(pkg(31, 'Quyết định cũ'))).status).toBe(202);
    const old = (await inbox()).find((i) => i.documentId === documentIdOf(31));
    const replacement = (documentId: string): Bussiness => ({
      bussinessDocType: 3,
      documentId,
      bussinessDocReason: 'Thay thế Quyết định số 31',
      paper: 0,
      replacementInfoList: [{ documentId: documentIdOf(31), organIdList: [LOCAL] }],
    });
    expect((await push(pkg(32, 'Quyết định thay thế', replacement))).status).toBe(202);
    const fresh = (await inbox()).find((i) => i.documentId === documentIdOf(32));
    expect(fresh).toBeDefined();
    expect((await item(fresh.id)).replaces).toEqual([{ documentId: documentIdOf(31), itemId: old.id }]);
    expect((await item(old.id)).replacedBy).toEqual([{ documentId: documentIdOf(32), itemId: fresh.id }]);
  });
});
