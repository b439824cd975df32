import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/archive/canonical-json.js';
import { sha256Hex } from '../../src/archive/format.js';
import { ASYNC_TIMEOUT_MS, directive, getBytes, postStatus, samplePdf, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from '../acceptance/helpers.js';
import { eventually, type TestNode } from '../support/runtime.js';
import { entriesOf, jsonEntry, sealingNode, verifyBytes, verifyChainBytes } from './helpers.js';

/**
 * Sealing a document that was updated (issue 12): the sender's record and the recipient's hold every
 * version — the package of each, verified, and each version's files by digest (content format /2,
 * `documentVersions`) — whichever version the recipient's item shows, and `lienthong verify` and
 * `verify-chain` check that the versions account for every document package.
 */

const SLOW = 180_000;
let node: TestNode;
let dir: string;
let caFile: string;
let district: Agency;
let commune: Agency;

beforeAll(async () => {
  ({ node, dir, caFile, district, commune } = await sealingNode(66));
}, SLOW);
afterAll(async () => node?.close());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const file = (name: string, bytes: Buffer) => ({ name, contentType: 'application/pdf', contentBase64: bytes.toString('base64') });

/** The latest sealed archive file at `path`, once `ready` accepts its content. */
async function sealed(path: string, token: string, ready: (content: Loose) => boolean): Promise<{ bytes: Buffer; entry: Loose; content: Loose }> {
  return eventually(async () => {
    const res = await getBytes(node, path, token);
    if (res.status !== 200) return undefined;
    const content = jsonEntry(res.bytes, 'record/content.json');
    return ready(content) ? { bytes: res.bytes, entry: jsonEntry(res.bytes, 'record/entry.json'), content } : undefined;
  }, 60_000, 200);
}

const documentPackages = (bytes: Buffer) => [...entriesOf(bytes).keys()].filter((name) => name.startsWith('packages/document-'));

describe('sealing the versions of an updated document', () => {
  it(
    'seals every version on both sides — packages, digests, answers — and the records verify offline and in the chain',
    async () => {
      const first = samplePdf();
      const second = samplePdf();
      const sent = await sendDocument(node, district.clerk, directive({ to: [commune.code], attachments: [file('ke-hoach.pdf', first)] }));
      expect(sent.status, sent.text).toBe(201);
      const id = sent.json.id as string;
      await waitForDeliveries(node, district.clerk, id, { [commune.code]: { state: 'arrived' } });
      const item = await waitForInboxItem(node, commune.clerk, sent.json.documentId as string);
      expect((await postStatus(node, commune.clerk, item, { code: '03' })).status).toBe(200);

      // Version 2 replaces the file and is taken (15); version 3 changes the trích yếu and is refused (16).
      const withFile = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Thay kế hoạch', attachments: [file('ke-hoach-sua.pdf', second)] } });
      expect(withFile.status, withFile.text).toBe(202);
      await eventually(async () => (await node.call('GET', `/v1/inbox/${item}`, { token: commune.clerk })).json.versions?.length === 1, ASYNC_TIMEOUT_MS);
      expect((await postStatus(node, commune.clerk, item, { code: '15' })).status).toBe(200);
      const subjectOnly = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa trích yếu', subject: 'Kế hoạch (bản sửa lần hai)' } });
      expect(subjectOnly.status, subjectOnly.text).toBe(202);
      await eventually(async () => (await node.call('GET', `/v1/inbox/${item}`, { token: commune.clerk })).json.versions?.length === 2, ASYNC_TIMEOUT_MS);
      expect((await postStatus(node, commune.clerk, item, { code: '16' })).status).toBe(200);

      // The sender's record: the three versions, each with its package and files, and the recipient's answers.
      const sender = await sealed(`/v1/documents/${id}/archive`, district.clerk, (c) => c.documentVersions?.length === 3 && c.documentVersions[2].answers?.[0]?.state === 'refused');
      expect(sender.content.format).toBe('lienthong-archive-content/2');
      const sentVersions = sender.content.documentVersions as Loose[];
      expect(sentVersions.map((v) => [v.number, v.kind, v.attachments.map((f: Loose) => f.sha256)])).toEqual([
        [1, 'original', [sha256(first)]],
        [2, 'update', [sha256(second)]],
        [3, 'update', [sha256(second)]],
      ]);
      expect(sentVersions.map((v) => v.subject)).toEqual([sent.json.subject, sent.json.subject, 'Kế hoạch (bản sửa lần hai)']);
      expect(sentVersions[1]).toMatchObject({ reason: 'Thay kế hoạch', changed: ['attachments'], answers: [{ recipient: commune.code, state: 'accepted' }] });
      expect(sentVersions[2]).toMatchObject({ changed: ['subject'], answers: [{ recipient: commune.code, state: 'refused' }] });
      expect(documentPackages(sender.bytes)).toHaveLength(3);
      const senderCheck = await verifyBytes(dir, sender.bytes, caFile);
      expect(senderCheck.code, senderCheck.out + senderCheck.err).toBe(0);
      expect(senderCheck.out).toContain('3 version(s) of the document');

      // The recipient's record: the version it first received stays sealed after the 15 moved the item on.
      const recipient = await sealed(`/v1/inbox/${item}/archive`, commune.clerk, (c) => c.documentVersions?.length === 3 && c.documentVersions[2].state === 'refused');
      const received = recipient.content.documentVersions as Loose[];
      expect(received.map((v) => [v.number, v.kind, v.state, v.current])).toEqual([
        [1, 'original', 'received', false],
        [2, 'update', 'accepted', true],
        [3, 'update', 'refused', false],
      ]);
      expect(received.map((v) => v.attachments.map((f: Loose) => [f.name, f.sha256]))).toEqual([[['ke-hoach.pdf', sha256(first)]], [['ke-hoach-sua.pdf', sha256(second)]], [['ke-hoach-sua.pdf', sha256(second)]]]);
      // Each version's package is in the file, byte for byte the one the recipient received.
      const files = entriesOf(recipient.bytes);
      for (const v of received) {
        const bytes = files.get(`packages/document-${(v.packages[0] as string).slice(0, 16)}.edxml`);
        expect(bytes, `the package of version ${v.number}`).toBeDefined();
        const served = await getBytes(node, `/v1/inbox/${item}/versions/${v.number}/edxml`, commune.clerk);
        expect(served.bytes.equals(bytes!)).toBe(true);
      }
      const recipientCheck = await verifyBytes(dir, recipient.bytes, caFile);
      expect(recipientCheck.code, recipientCheck.out + recipientCheck.err).toBe(0);
      expect(recipientCheck.out).toContain('3 version(s) of the document (1 original; 2 update, shown; 3 update)');

      // Both chains verify with every version in them.
      for (const [agency, token] of [
        [district.code, district.clerk],
        [commune.code, commune.clerk],
      ] as const) {
        const chain = await getBytes(node, `/v1/archive/${agency}/chain`, token);
        expect(chain.status).toBe(200);
        const r = await verifyChainBytes(dir, chain.bytes, caFile);
        expect(r.code, r.out + r.err).toBe(0);
      }
    },
    SLOW,
  );

  it(
    'verify-chain names a versioned record whose versions do not account for a document package',
    async () => {
      const chain = await getBytes(node, `/v1/archive/${commune.code}/chain`, commune.clerk);
      const ex = JSON.parse(chain.bytes.toString('utf8')) as Loose;
      const record = (ex.records as Loose[]).findLast((r) => r.content.documentVersions);
      expect(record, 'a versioned record in the chain').toBeDefined();
      // The first version left out of the list, and the content's digest made again so that only the
      // versions (and the links after this record, which the changed entry breaks) are wrong.
      record.content.documentVersions = record.content.documentVersions.slice(1);
      record.entry.contentSha256 = sha256Hex(canonicalBytes(record.content));
      const r = await verifyChainBytes(dir, canonicalBytes(ex), caFile);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain(`record #${record.entry.index}`);
      expect(r.out).toContain('carries no version the record lists');
    },
    SLOW,
  );
});
