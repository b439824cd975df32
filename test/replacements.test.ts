/**
 * Sending a replacement (POST /v1/documents/{id}/replace, edXML BussinessDocType 3; issue 12): a
 * document of its own — its own number and DocumentId — whose package names the document it
 * replaces; the recipient's items name each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, getBytes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

let node: TestNode;
let district: Agency;
let commune: Agency;

beforeAll(async () => {
  node = await startTestNode();
  district = await createAgency(node, { code: '000.00.76.H33', name: 'UBND huyện Thay', level: 'district' });
  commune = await createAgency(node, { code: '000.01.76.H33', name: 'UBND xã Thay', level: 'commune', parentCode: '000.00.76.H33' });
});
afterAll(async () => node?.close());

describe('a replacement', () => {
  it('is numbered and sent as a document of its own that names the one it replaces', async () => {
    const first = await sendDocument(node, district.clerk, directive({ to: [commune.code], subject: 'Kế hoạch (bản cũ)' }));
    expect(first.status, first.text).toBe(201);
    await waitForDeliveries(node, district.clerk, first.json.id, { [commune.code]: { state: 'arrived' } });
    const oldItem = await waitForInboxItem(node, commune.clerk, first.json.documentId as string);
    expect((await postStatus(node, commune.clerk, oldItem, { code: '03' })).status).toBe(200);

    const replaced = await node.call('POST', `/v1/documents/${first.json.id}/replace`, {
      token: district.clerk,
      body: directive({ to: [commune.code], subject: 'Kế hoạch (bản thay thế)', reason: 'Thay thế văn bản ban hành nhầm' }),
    });
    expect(replaced.status, replaced.text).toBe(201);
    expect(replaced.json.documentId).not.toBe(first.json.documentId);
    expect(Number(replaced.json.code.number)).toBe(Number(first.json.code.number) + 1);
    await waitForDeliveries(node, district.clerk, replaced.json.id, { [commune.code]: { state: 'arrived' } });

    const edxml = (await getBytes(node, `/v1/documents/${replaced.json.id}/edxml`, district.clerk)).bytes.toString('utf8');
    expect(edxml).toContain('<edXML:BussinessDocType>3</edXML:BussinessDocType>');
    expect(edxml).toContain(`<edXML:DocumentId>${first.json.documentId}</edXML:DocumentId>`);
    const newItem = await waitForInboxItem(node, commune.clerk, replaced.json.documentId as string);
    const view = (await node.call('GET', `/v1/inbox/${newItem}`, { token: commune.clerk })).json as Loose;
    expect(view.replaces).toEqual([{ documentId: first.json.documentId, itemId: oldItem }]);
    expect((await node.call('GET', `/v1/inbox/${oldItem}`, { token: commune.clerk })).json.replacedBy).toEqual([{ documentId: replaced.json.documentId, itemId: newItem }]);
    const events = (await node.call('GET', `/v1/documents/${first.json.id}/events`, { token: district.clerk })).json.items as Loose[];
    expect(events.find((e) => e.type === 'document.replaced')?.details).toMatchObject({ by: replaced.json.id, reason: 'Thay thế văn bản ban hành nhầm' });
  });

  it('refuses to replace what was not sent, or another agency’s document', async () => {
    const other = await createAgency(node, { code: '000.02.76.H33', name: 'UBND xã Khác', level: 'commune', parentCode: '000.00.76.H33' });
    const sent = await sendDocument(node, district.clerk, directive({ to: [commune.code] }));
    await waitForDeliveries(node, district.clerk, sent.json.id, { [commune.code]: { state: 'arrived' } });
    const foreign = await node.call('POST', `/v1/documents/${sent.json.id}/replace`, { token: other.clerk, body: directive({ to: [commune.code], reason: 'x' }) });
    expect(foreign.status).toBe(404);
    const noReason = await node.call('POST', `/v1/documents/${sent.json.id}/replace`, { token: district.clerk, body: directive({ to: [commune.code] }) });
    expect(noReason.status).toBe(422);
    expect((await node.call('POST', `/v1/documents/${sent.json.id}/recall`, { token: district.clerk, body: { reason: 'Thu hồi' } })).status).toBe(202);
    const recalled = await node.call('POST', `/v1/documents/${sent.json.id}/replace`, { token: district.clerk, body: directive({ to: [commune.code], reason: 'x' }) });
    expect(recalled.status).toBe(409);
    expect(recalled.json.code).toBe('ILLEGAL_TRANSITION');
  });
});
