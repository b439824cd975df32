/**
 * Updates carrying files (POST /v1/documents/{id}/update, edXML BussinessDocType 2; issue 12): the
 * files come as POST /v1/documents takes them — JSON base64 or multipart parts, names and types through
 * the attachment policy, streamed with the document routes' limits — and replace the document's file
 * list; their PDFs get the legal-signature check a new document's get. Each recipient's new version
 * shows them, and the earlier version's files stay readable as that version's — on this node and on a
 * second node across the exchange.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASYNC_TIMEOUT_MS,
  createAgency,
  createDistrict,
  directive,
  getBytes,
  postStatus,
  samplePdf,
  sendDocument,
  timelineOf,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from './acceptance/helpers.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const KiB = 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const unsignedPdf = readFileSync(join(import.meta.dirname, 'fixtures/pdf', 'unsigned.pdf'));
const docx = Buffer.from('PK\u0003\u0004 a Word file (phụ lục)', 'utf8');
const base64File = (name: string, bytes: Buffer, contentType?: string) => ({ name, contentBase64: bytes.toString('base64'), ...(contentType ? { contentType } : {}) });

/** POST /v1/documents/{id}/update as multipart/form-data: the update as `metadata`, one part per file. */
async function updateWithParts(node: TestNode, token: string, id: string, metadata: unknown, files: Array<{ name: string; type?: string; bytes: Buffer }>): Promise<{ status: number; json: Loose }> {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], f.type === undefined ? {} : { type: f.type }), f.name);
  const res = await node.runtime.app.request(new Request(`http://localhost/v1/documents/${id}/update`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form }));
  return { status: res.status, json: await res.json() };
}

/** The item once the update numbered `version` has reached it. */
const itemWithVersion = (node: TestNode, token: string, itemId: string, version: number): Promise<Loose> =>
  eventually(async () => {
    const view = (await node.call('GET', `/v1/inbox/${itemId}`, { token })).json as Loose;
    return view?.versions?.some((v: Loose) => v.version === version) ? view : undefined;
  }, ASYNC_TIMEOUT_MS);

describe('on one node', () => {
  let node: TestNode;
  let district: Agency;
  let a: Agency;
  let b: Agency;

  beforeAll(async () => {
    // Small limits, so that the test shows an update's files are held to the document limit, not the
    // JSON one: 64 KiB for other bodies, 1 MiB for a document's files.
    node = await startTestNode({ env: { LIENTHONG_JSON_BODY_BYTES: String(64 * KiB), LIENTHONG_MAX_BODY_BYTES: String(1024 * KiB) } });
    const made = await createDistrict(node, 81, 2);
    district = made.district;
    [a, b] = made.communes as [Agency, Agency];
  });
  afterAll(async () => node?.close());

  /** A document with one file, sent to `to` and arrived there. */
  async function sentWithFile(to: Agency[], file: Buffer): Promise<{ id: string; documentId: string; items: string[] }> {
    const sent = await sendDocument(node, district.clerk, directive({ to: to.map((x) => x.code), attachments: [base64File('ke-hoach.pdf', file, 'application/pdf')] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, Object.fromEntries(to.map((x) => [x.code, { state: 'arrived' }])));
    const items = await Promise.all(to.map((x) => waitForInboxItem(node, x.clerk, sent.json.documentId as string)));
    return { id, documentId: sent.json.documentId as string, items };
  }

  it('takes new files as multipart parts: they replace the document’s, reach each holder as its new version, and the first version’s stay its own', async () => {
    const first = samplePdf();
    const { id, items } = await sentWithFile([a, b], first);
    const [itemA, itemB] = items as [string, string];

    const updated = await updateWithParts(node, district.clerk, id, { reason: 'Thay kế hoạch bằng bản đã sửa, thêm phụ lục' }, [
      { name: 'ke-hoach (sua).pdf', type: 'application/pdf', bytes: unsignedPdf },
      // No type of its own: the attachment policy reads it from the extension, as for a new document.
      { name: 'Phụ lục.docx', type: 'application/octet-stream', bytes: docx },
    ]);
    expect(updated.status, JSON.stringify(updated.json)).toBe(202);
    expect(updated.json.recipients).toBe(2);

    // The sender's document has the new files, their PDF checked for legal signatures as a new document's.
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(doc.attachments).toEqual([
      expect.objectContaining({ index: 0, name: 'ke-hoach (sua).pdf', contentType: 'application/pdf', size: unsignedPdf.length, sha256: sha256(unsignedPdf), officiallySigned: false, pdfProblems: ['no-signature'] }),
      expect.objectContaining({ index: 1, name: 'Phụ lục.docx', contentType: DOCX, sha256: sha256(docx) }),
    ]);
    const timeline = await timelineOf(node, district.clerk, id);
    const change = timeline.find((e) => e.type === 'document.updated');
    expect(change?.details?.changes?.attachments).toEqual({
      from: [{ name: 'ke-hoach.pdf', contentType: 'application/pdf', size: first.length, sha256: sha256(first) }],
      to: [
        { name: 'ke-hoach (sua).pdf', contentType: 'application/pdf', size: unsignedPdf.length, sha256: sha256(unsignedPdf) },
        { name: 'Phụ lục.docx', contentType: DOCX, size: docx.length, sha256: sha256(docx) },
      ],
    });
    const checked = timeline.filter((e) => e.type === 'document.pdf-signatures-checked').at(-1);
    expect(checked?.details).toMatchObject({ updateId: updated.json.updateId, attachments: [{ index: 0, name: 'ke-hoach (sua).pdf', officiallySigned: false, problems: ['no-signature'] }] });

    // Each holder sees version 2 with its files, and can read them before answering; the item still shows version 1.
    const viewA = await itemWithVersion(node, a.clerk, itemA, 2);
    expect(viewA.versions).toEqual([
      expect.objectContaining({
        kind: 'update',
        version: 2,
        state: 'pending',
        current: false,
        attachments: [
          expect.objectContaining({ index: 0, name: 'ke-hoach (sua).pdf', contentType: 'application/pdf', size: unsignedPdf.length, officiallySigned: false, pdfProblems: ['no-signature'] }),
          expect.objectContaining({ index: 1, name: 'Phụ lục.docx', contentType: DOCX, size: docx.length }),
        ],
      }),
    ]);
    expect(viewA.attachments.map((f: Loose) => f.name)).toEqual(['ke-hoach.pdf']);
    const pending = await getBytes(node, `/v1/inbox/${itemA}/versions/2/attachments/1`, a.clerk);
    expect(pending.status).toBe(200);
    expect(pending.headers.get('content-type')).toBe(DOCX);
    expect(pending.bytes.equals(docx)).toBe(true);
    expect((await getBytes(node, `/v1/inbox/${itemA}/attachments/0`, a.clerk)).bytes.equals(first)).toBe(true);

    // 15: the item shows version 2 and serves its files; version 1's stay readable as version 1's.
    expect((await postStatus(node, a.clerk, itemA, { code: '15', description: 'Nhận bản sửa' })).status).toBe(200);
    const takenA = (await node.call('GET', `/v1/inbox/${itemA}`, { token: a.clerk })).json as Loose;
    expect(takenA.attachments.map((f: Loose) => f.name)).toEqual(['ke-hoach (sua).pdf', 'Phụ lục.docx']);
    expect(takenA.versions[0]).toMatchObject({ version: 2, state: 'accepted', current: true });
    expect((await getBytes(node, `/v1/inbox/${itemA}/attachments/0`, a.clerk)).bytes.equals(unsignedPdf)).toBe(true);
    const v1 = await node.call('GET', `/v1/inbox/${itemA}/versions/1`, { token: a.clerk });
    expect(v1.status, v1.text).toBe(200);
    expect(v1.json).toMatchObject({ version: 1, kind: 'original', state: 'received', current: false, attachments: [expect.objectContaining({ name: 'ke-hoach.pdf', size: first.length })] });
    expect((await getBytes(node, `/v1/inbox/${itemA}/versions/1/attachments/0`, a.clerk)).bytes.equals(first)).toBe(true);
    const v1Package = (await getBytes(node, `/v1/inbox/${itemA}/versions/1/edxml`, a.clerk)).bytes.toString('utf8');
    expect(v1Package).toContain('<edXML:BussinessDocType>0</edXML:BussinessDocType>');
    expect(sha256(Buffer.from(v1Package, 'utf8'))).toBe(v1.json.sha256);
    expect((await getBytes(node, `/v1/inbox/${itemA}/versions/2/edxml`, a.clerk)).bytes.toString('utf8')).toContain('<edXML:BussinessDocType>2</edXML:BussinessDocType>');
    expect((await node.call('GET', `/v1/inbox/${itemA}/versions/3`, { token: a.clerk })).status).toBe(404);
    expect((await getBytes(node, `/v1/inbox/${itemA}/versions/1/attachments/1`, a.clerk)).status).toBe(404);

    // 16: the other holder keeps version 1, and still reads version 2's files as version 2's.
    await itemWithVersion(node, b.clerk, itemB, 2);
    expect((await postStatus(node, b.clerk, itemB, { code: '16', description: 'Giữ bản cũ' })).status).toBe(200);
    expect((await getBytes(node, `/v1/inbox/${itemB}/attachments/0`, b.clerk)).bytes.equals(first)).toBe(true);
    expect((await getBytes(node, `/v1/inbox/${itemB}/versions/2/attachments/0`, b.clerk)).bytes.equals(unsignedPdf)).toBe(true);
    // Another agency's clerk reads none of it.
    expect((await getBytes(node, `/v1/inbox/${itemB}/versions/1/attachments/0`, a.clerk)).status).toBe(404);
  }, ASYNC_TIMEOUT_MS * 3);

  it('takes files as JSON base64 under the attachment policy; the same files change nothing; an update without files carries the current ones', async () => {
    const { id, items } = await sentWithFile([a], samplePdf());
    const [item] = items as [string];
    const update = (body: Record<string, unknown>) => node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa tệp', ...body } });

    // Refused as POST /v1/documents refuses them, on the same paths.
    const badName = await update({ attachments: [base64File('../ke-hoach.pdf', unsignedPdf, 'application/pdf')] });
    expect(badName.status).toBe(422);
    expect(badName.json.errors.map((e: Loose) => e.path)).toEqual(['attachments.0.name']);
    const badType = await update({ attachments: [base64File('trang.html', Buffer.from('<script>alert(1)</script>'), 'text/html')] });
    expect(badType.status).toBe(422);
    expect(badType.json.errors.map((e: Loose) => e.path)).toEqual(['attachments.0.contentType']);

    // A type left out is read from the name's extension.
    const sent = await update({ attachments: [base64File('Báo cáo.DOCX', docx)] });
    expect(sent.status, sent.text).toBe(202);
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(doc.attachments).toEqual([expect.objectContaining({ name: 'Báo cáo.DOCX', contentType: DOCX, sha256: sha256(docx) })]);

    // The same files again, and nothing else: the update changes nothing.
    const same = await update({ attachments: [base64File('Báo cáo.DOCX', docx, DOCX)] });
    expect(same.status).toBe(422);
    expect(same.json.code).toBe('VALIDATION_FAILED');

    // No files: the document keeps its files, and the update package carries them to the recipient.
    // Once the first update has reached the item: a newer update supersedes one not yet sent (on a
    // busy machine the two would arrive as one version 2, and rightly so).
    await itemWithVersion(node, a.clerk, item, 2);
    expect((await update({ subject: 'Trích yếu đã sửa (lần hai)' })).status).toBe(202);
    const view = await itemWithVersion(node, a.clerk, item, 3);
    expect(view.versions.map((v: Loose) => [v.version, v.attachments.map((f: Loose) => f.name)])).toEqual([
      [2, ['Báo cáo.DOCX']],
      [3, ['Báo cáo.DOCX']],
    ]);
    expect((await getBytes(node, `/v1/inbox/${item}/versions/3/attachments/0`, a.clerk)).bytes.equals(docx)).toBe(true);
  }, ASYNC_TIMEOUT_MS * 3);

  it('streams its files under the document limit, not the JSON one, and refuses more than the document limit', async () => {
    const { id } = await sentWithFile([a], samplePdf());
    // 300 KiB: over the 64 KiB JSON limit, under the 1 MiB document limit.
    const big = Buffer.concat([unsignedPdf, Buffer.alloc(300 * KiB - unsignedPdf.length, 0x20)]);
    const parts = await updateWithParts(node, district.clerk, id, { reason: 'Bản quét đầy đủ' }, [{ name: 'ban-quet.pdf', type: 'application/pdf', bytes: big }]);
    expect(parts.status, JSON.stringify(parts.json)).toBe(202);
    const json = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Bản quét lại', attachments: [base64File('ban-quet-2.pdf', Buffer.concat([big, Buffer.from('\n')]), 'application/pdf')] } });
    expect(json.status, json.text).toBe(202);
    const tooBig = await updateWithParts(node, district.clerk, id, { reason: 'Quá lớn' }, [{ name: 'qua-lon.pdf', type: 'application/pdf', bytes: Buffer.alloc(2048 * KiB, 0x20) }]);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.code).toBe('PAYLOAD_TOO_LARGE');
    // A non-clerk is refused before its body is read; an unknown document is 404.
    expect((await updateWithParts(node, district.clerk, '00000000-0000-4000-8000-000000000000', { reason: 'x' }, [])).status).toBe(404);
  }, ASYNC_TIMEOUT_MS * 3);
});

describe('across two nodes', () => {
  const DISTRICT = '000.00.82.H33';
  const COMMUNE = '000.01.82.H33';
  const fast = { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' };
  let nodeA: TestNode;
  let nodeB: TestNode;
  let httpA: HttpNode;
  let httpB: HttpNode;
  let district: Agency;
  let commune: Agency;

  const nodeCa = async (node: TestNode): Promise<string> =>
    ((await node.call('GET', '/v1/trust-anchors', { token: node.adminToken })).json.items as Loose[]).find((x) => x.source === 'node-ca').certificatePem as string;
  const certificateOf = async (node: TestNode, code: string): Promise<string> => (await node.call('GET', `/v1/agencies/${code}/certificates`, { token: node.adminToken })).json.items[0].certificatePem as string;
  async function ok(res: Promise<{ status: number; text: string; json: Loose }>, status = 201) {
    const r = await res;
    expect(r.status, r.text).toBe(status);
    return r;
  }

  beforeAll(async () => {
    nodeA = await startTestNode({ env: fast });
    nodeB = await startTestNode({ env: fast });
    httpA = new HttpNode(nodeA, await freePort());
    httpB = new HttpNode(nodeB, await freePort());
    await httpA.start();
    await httpB.start();
    district = await createAgency(nodeA, { code: DISTRICT, name: 'UBND huyện Hai Nút', level: 'district' });
    commune = await createAgency(nodeB, { code: COMMUNE, name: 'UBND xã Hai Nút', level: 'commune' });
    await ok(nodeA.call('POST', '/v1/trust-anchors', { token: nodeA.adminToken, body: { certificatePem: await nodeCa(nodeB) } }));
    await ok(nodeB.call('POST', '/v1/trust-anchors', { token: nodeB.adminToken, body: { certificatePem: await nodeCa(nodeA) } }));
    const aOnB = await ok(nodeB.call('POST', '/v1/partners', { token: nodeB.adminToken, body: { id: 'node-a', name: 'Node A', kind: 'lienthong', baseUrl: httpA.url, agencies: [DISTRICT] } }));
    const bOnA = await ok(
      nodeA.call('POST', '/v1/partners', { token: nodeA.adminToken, body: { id: 'node-b', name: 'Node B', kind: 'lienthong', baseUrl: httpB.url, credentials: { token: aOnB.json.token }, agencies: [COMMUNE] } }),
    );
    await ok(nodeB.call('PATCH', '/v1/partners/node-a', { token: nodeB.adminToken, body: { credentials: { token: bOnA.json.token } } }), 200);
    await ok(nodeA.call('POST', '/v1/agencies', { token: nodeA.adminToken, body: { code: COMMUNE, name: 'UBND xã Hai Nút', level: 'commune', parentCode: DISTRICT, endpoint: { type: 'remote', partnerId: 'node-b' } } }));
    await ok(nodeA.call('POST', `/v1/agencies/${COMMUNE}/certificates`, { token: nodeA.adminToken, body: { certificatePem: await certificateOf(nodeB, COMMUNE) } }));
    await ok(nodeB.call('POST', '/v1/agencies', { token: nodeB.adminToken, body: { code: DISTRICT, name: 'UBND huyện Hai Nút', level: 'district', endpoint: { type: 'remote', partnerId: 'node-a' } } }));
    await ok(nodeB.call('POST', `/v1/agencies/${DISTRICT}/certificates`, { token: nodeB.adminToken, body: { certificatePem: await certificateOf(nodeA, DISTRICT) } }));
  }, 120_000);

  afterAll(async () => {
    await httpA?.stop();
    await httpB?.stop();
    await nodeA?.close();
    await nodeB?.close();
  });

  it('an update with new files reaches the remote recipient as its version 2; its 15 crosses back; version 1’s files stay readable there', async () => {
    const first = samplePdf();
    const sent = await sendDocument(nodeA, district.clerk, directive({ to: [COMMUNE], attachments: [base64File('ke-hoach.pdf', first, 'application/pdf')] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await eventually(async () => (await nodeA.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json.deliveries[0]?.state === 'arrived', 30_000, 100);
    const item = await eventually(async () => ((await nodeB.call('GET', '/v1/inbox', { token: commune.clerk })).json.items as Loose[]).find((i) => i.documentId === sent.json.documentId), 30_000, 100);

    const updated = await updateWithParts(nodeA, district.clerk, id, { reason: 'Kế hoạch đã sửa' }, [
      { name: 'ke-hoach (sua).pdf', type: 'application/pdf', bytes: unsignedPdf },
      { name: 'phu-luc.docx', bytes: docx },
    ]);
    expect(updated.status, JSON.stringify(updated.json)).toBe(202);

    // Node B: one item for the DocumentId, its version 2 with the new files, verified on arrival.
    const view = await eventually(async () => {
      const v = (await nodeB.call('GET', `/v1/inbox/${item.id}`, { token: commune.clerk })).json as Loose;
      return v.versions?.length === 1 ? v : undefined;
    }, 30_000, 100);
    expect(((await nodeB.call('GET', '/v1/inbox', { token: commune.clerk })).json.items as Loose[]).filter((i) => i.documentId === sent.json.documentId)).toHaveLength(1);
    expect(view.versions[0]).toMatchObject({
      version: 2,
      state: 'pending',
      attachments: [expect.objectContaining({ name: 'ke-hoach (sua).pdf', officiallySigned: false, pdfProblems: ['no-signature'] }), expect.objectContaining({ name: 'phu-luc.docx', contentType: DOCX })],
    });
    expect((await getBytes(nodeB, `/v1/inbox/${item.id}/versions/2/attachments/0`, commune.clerk)).bytes.equals(unsignedPdf)).toBe(true);

    expect((await postStatus(nodeB, commune.clerk, item.id, { code: '15', description: 'Nhận bản sửa' })).status).toBe(200);
    expect((await getBytes(nodeB, `/v1/inbox/${item.id}/attachments/1`, commune.clerk)).bytes.equals(docx)).toBe(true);
    expect((await getBytes(nodeB, `/v1/inbox/${item.id}/versions/1/attachments/0`, commune.clerk)).bytes.equals(first)).toBe(true);
    // The sender sees the answer, signed by the commune on node B.
    const accepted = await eventually(async () => (await timelineOf(nodeA, district.clerk, id)).find((e) => e.type === 'update.accepted'), 30_000, 100);
    expect(accepted).toMatchObject({ recipient: COMMUNE, statusCode: '15' });
  }, 120_000);
});
