import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directive, getBytes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from '../acceptance/helpers.js';
import { eventually, type TestNode } from '../support/runtime.js';
import { jsonEntry, sealingNode, verifyBytes, verifyChainBytes } from './helpers.js';

/**
 * LIENTHONG_ARCHIVE_AFTER_DAYS=0: a document is sealed as soon as it is sent, finished or not (reason
 * `timeout`), and every later change is sealed again as the next version of the same subject — the
 * completion, then a recall after completion. Nothing sealed is rewritten; the chain keeps them all.
 */

const SLOW = 180_000;
let node: TestNode;
let dir: string;
let caFile: string;
let district: Agency;
let commune: Agency;

beforeAll(async () => {
  ({ node, dir, caFile, district, commune } = await sealingNode(65));
}, SLOW);
afterAll(async () => node?.close());

/** The latest sealed version of a document, once `ready` accepts its entry and content. */
async function latestArchive(id: string, ready: (entry: Loose, content: Loose) => boolean): Promise<{ bytes: Buffer; entry: Loose; content: Loose }> {
  return eventually(async () => {
    const res = await getBytes(node, `/v1/documents/${id}/archive`, district.clerk);
    if (res.status !== 200) return undefined;
    const entry = jsonEntry(res.bytes, 'record/entry.json');
    const content = jsonEntry(res.bytes, 'record/content.json');
    return ready(entry, content) ? { bytes: res.bytes, entry, content } : undefined;
  }, 30_000);
}

describe('sealing unfinished documents, and sealing again after a change', () => {
  it(
    'seals a snapshot after the configured time, then the completion and the recall as new versions',
    async () => {
      const body = directive({ to: [commune.code] });
      const sent = await sendDocument(node, district.clerk, body);
      expect(sent.status, sent.text).toBe(201);
      const id = sent.json.id as string;

      // Not finished, but past LIENTHONG_ARCHIVE_AFTER_DAYS: a snapshot, reason `timeout`.
      const snapshot = await latestArchive(id, (e) => e.reason === 'timeout');
      expect(snapshot.entry.version).toBeGreaterThanOrEqual(1);
      expect((await verifyBytes(dir, snapshot.bytes, caFile)).code).toBe(0);

      await waitForDeliveries(node, district.clerk, id, { [commune.code]: { state: 'arrived' } });
      const item = await waitForInboxItem(node, commune.clerk, sent.json.documentId, body.subject as string);
      for (const code of ['03', '04', '05', '06']) expect((await postStatus(node, commune.clerk, item, { code })).status).toBe(200);
      const completed = await latestArchive(id, (e, c) => e.reason === 'final' && c.deliveries[0]?.state === 'completed');
      expect(completed.entry.version).toBeGreaterThan(snapshot.entry.version);
      const completedCheck = await verifyBytes(dir, completed.bytes, caFile);
      expect(completedCheck.code, completedCheck.err).toBe(0);
      expect(completedCheck.out).toContain(`version ${completed.entry.version}`);

      // A recall after completion changes the document again: 13 sent, 15 answered.
      const recall = await node.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } });
      expect(recall.status, recall.text).toBe(202);
      await eventually(async () => (await node.call('GET', `/v1/inbox/${item}`, { token: commune.clerk })).json?.state === 'recall_requested');
      expect((await postStatus(node, commune.clerk, item, { code: '15' })).status).toBe(200);
      const recalled = await latestArchive(id, (e, c) => c.deliveries[0]?.state === 'recalled');
      expect(recalled.entry.version).toBeGreaterThan(completed.entry.version);
      expect(recalled.content.document.state).toBe('recalled');
      expect(recalled.content.statuses.map((s: Loose) => s.code)).toEqual(expect.arrayContaining(['01', '03', '06', '13', '15']));
      expect(recalled.content.packages.map((p: Loose) => p.role)).toContain('recall');
      const recalledCheck = await verifyBytes(dir, recalled.bytes, caFile);
      expect(recalledCheck.code, recalledCheck.err).toBe(0);

      // Every version stays in the chain, each record linking to the one before.
      const chain = await getBytes(node, `/v1/archive/${district.code}/chain`, district.clerk);
      const ex = JSON.parse(chain.bytes.toString('utf8'));
      const versions = ex.records.filter((r: Loose) => r.entry.subject === id).map((r: Loose) => [r.entry.version, r.entry.reason]);
      expect(versions.map((v: Loose) => v[0])).toEqual(versions.map((_: Loose, i: number) => i + 1));
      expect(versions[0][1]).toBe('timeout');
      const r = await verifyChainBytes(dir, chain.bytes, caFile);
      expect(r.code, r.err).toBe(0);

      // The recipient's own chain has its versions too.
      const recipient = await getBytes(node, `/v1/inbox/${item}/archive`, commune.clerk);
      expect(recipient.status).toBe(200);
      expect((await verifyBytes(dir, recipient.bytes, caFile)).code).toBe(0);
    },
    SLOW,
  );
});
