/**
 * Accepting a recall (15) destroys the recipient's copy (NĐ 30/2020 Điều 18.4.b; issue 12): the
 * package and its attachments answer 410 to the recipient, and the recipient's sealed record keeps
 * the document's digest, the statuses and the time of destruction — its archive file holds no content.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, getBytes, postStatus, samplePdf, sendDocument, waitForDeliveries, waitForInboxItem, type Agency } from '../acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import { entriesOf, jsonEntry, nodeCaPem, scratch, verifyBytes, waitForArchive } from './helpers.js';

let node: TestNode;
let district: Agency;
let commune: Agency;
let other: Agency;

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '300', LIENTHONG_CHECKPOINT_EVERY_MS: '1000' } });
  district = await createAgency(node, { code: '000.00.91.H33', name: 'UBND huyện Hủy', level: 'district' });
  commune = await createAgency(node, { code: '000.01.91.H33', name: 'UBND xã Hủy', level: 'commune', parentCode: '000.00.91.H33' });
  other = await createAgency(node, { code: '000.02.91.H33', name: 'UBND xã Giữ', level: 'commune', parentCode: '000.00.91.H33' });
});
afterAll(async () => node?.close());

describe('a recall accepted with 15', () => {
  it('withdraws the copy: 410 for its package and files, and the archive keeps digests and the time of destruction only', async () => {
    const pdf = samplePdf();
    const sent = await sendDocument(
      node,
      district.clerk,
      directive({ to: [commune.code, other.code], attachments: [{ name: 'ct.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] }),
    );
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [commune.code]: { state: 'arrived' }, [other.code]: { state: 'arrived' } });
    const itemId = await waitForInboxItem(node, commune.clerk, sent.json.documentId as string);
    const keptId = await waitForInboxItem(node, other.clerk, sent.json.documentId as string);
    expect((await getBytes(node, `/v1/inbox/${itemId}/edxml`, commune.clerk)).status).toBe(200);

    expect((await node.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } })).status).toBe(202);
    await waitForDeliveries(node, district.clerk, id, { [commune.code]: { state: 'recall_requested' }, [other.code]: { state: 'recall_requested' } });
    // The 13 reaches each item through the status job.
    for (const [agency, item] of [[commune, itemId], [other, keptId]] as const) {
      await eventually(async () => (await node.call('GET', `/v1/inbox/${item}`, { token: agency.clerk })).json.state === 'recall_requested');
    }
    const accepted = await postStatus(node, commune.clerk, itemId, { code: '15', description: 'Đồng ý thu hồi' });
    expect(accepted.status, accepted.text).toBe(200);
    expect((await postStatus(node, other.clerk, keptId, { code: '16', description: 'Đã triển khai' })).status).toBe(200);

    // The recipient that accepted no longer holds the document; the one that refused still does.
    expect((await getBytes(node, `/v1/inbox/${itemId}/edxml`, commune.clerk)).status).toBe(410);
    expect((await getBytes(node, `/v1/inbox/${itemId}/attachments/0`, commune.clerk)).status).toBe(410);
    expect((await getBytes(node, `/v1/inbox/${keptId}/edxml`, other.clerk)).status).toBe(200);

    // Its archive file: the document package is listed as destroyed, its bytes are not in the file.
    const bytes = await waitForArchive(node, `/v1/inbox/${itemId}/archive`, commune.clerk);
    const entries = entriesOf(bytes);
    const manifest = jsonEntry(bytes, 'manifest.json');
    const content = jsonEntry(bytes, 'record/content.json');
    const documentPackage = content.packages.find((p: { role: string }) => p.role === 'document');
    expect(manifest.purged).toEqual([expect.objectContaining({ sha256: documentPackage.sha256, purgedAt: content.document.withdrawnAt })]);
    expect([...entries.keys()].some((name) => name.startsWith('packages/document-'))).toBe(false);
    expect(content.statuses.map((s: { code: string }) => s.code)).toEqual(expect.arrayContaining(['01', '13', '15']));
    // It still verifies offline, and says what happened.
    const dir = scratch();
    const trust = join(dir, 'ca.pem');
    writeFileSync(trust, await nodeCaPem(node));
    const verified = await verifyBytes(dir, bytes, trust);
    expect(verified.code, verified.out + verified.err).toBe(0);
    expect(verified.out).toMatch(/copy destroyed when the recall was accepted \(15\) on /);
  }, 60_000);
});
