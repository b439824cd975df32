import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/archive/canonical-json.js';
import { entryHash, sha256Hex } from '../../src/archive/format.js';
import { createDistrict, directive, getBytes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from '../acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import { jsonEntry, nodeCaPem, scratch, verifyBytes, verifyChainBytes, waitForArchive } from './helpers.js';

/**
 * The agency's hash chain through HTTP: a range export verifies end to end, and removing, changing
 * or rewriting records in it is named by `verify-chain`; files exported before the node's and the
 * agencies' keys are rotated still verify after it, years later.
 */

const SLOW = 180_000;
const YEARS_LATER = new Date(Date.now() + 3 * 365 * 86_400_000);
let node: TestNode;
let dir: string;
let caFile: string;
let district: Agency;
let commune: Agency;
const documents: string[] = [];

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '300', LIENTHONG_CHECKPOINT_EVERY_MS: '1000' } });
  dir = scratch();
  caFile = join(dir, 'node-ca.pem');
  writeFileSync(caFile, await nodeCaPem(node));
  const family = await createDistrict(node, 63, 1);
  district = family.district;
  commune = family.communes[0]!;
  // Three documents, each refused at once: three sealed records in the district's chain, in this
  // order — each sealed before the next is sent (two seal jobs run at once, so documents refused
  // back to back may take their places in either order).
  for (let i = 0; i < 3; i++) {
    documents.push(await sendAndRefuse());
    await waitForHead(i + 1);
  }
}, SLOW);
afterAll(async () => node?.close());

async function sendAndRefuse(): Promise<string> {
  const body = directive({ to: [commune.code] });
  const sent = await sendDocument(node, district.clerk, body);
  expect(sent.status, sent.text).toBe(201);
  await waitForDeliveries(node, district.clerk, sent.json.id, { [commune.code]: { state: 'arrived' } });
  const item = await waitForInboxItem(node, commune.clerk, sent.json.documentId, body.subject as string);
  const refused = await postStatus(node, commune.clerk, item, { code: '02', description: 'Không đúng thẩm quyền' });
  expect(refused.status, refused.text).toBe(200);
  return sent.json.id as string;
}

async function waitForHead(index: number): Promise<Loose> {
  return eventually(async () => {
    const head = await node.call('GET', `/v1/archive/${district.code}/head`, { token: district.clerk });
    return head.status === 200 && head.json.index >= index ? head.json : undefined;
  }, 30_000);
}

async function chainExport(query = ''): Promise<Buffer> {
  const res = await getBytes(node, `/v1/archive/${district.code}/chain${query}`, district.clerk);
  expect(res.status, res.bytes.toString('utf8').slice(0, 300)).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return res.bytes;
}

/** Edits a parsed export and writes it back canonically (as a careful forger would). */
function edit(bytes: Buffer, change: (ex: Loose) => void): Buffer {
  const ex = JSON.parse(bytes.toString('utf8'));
  change(ex);
  return canonicalBytes(ex);
}

describe('the chain export', () => {
  it('verifies end to end, whole or as a range', async () => {
    const whole = await chainExport();
    const ex = JSON.parse(whole.toString('utf8'));
    expect(ex).toMatchObject({ format: 'lienthong-chain-export/1', agency: district.code, from: 1, to: 3 });
    expect(ex.records.map((r: Loose) => r.entry.index)).toEqual([1, 2, 3]);
    expect(ex.records.map((r: Loose) => r.entry.subject)).toEqual(documents);
    const r = await verifyChainBytes(dir, whole, caFile);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('records #1–#3 are contiguous');
    expect(r.out).toMatch(/checkpoint #3: head #3/);

    const range = await verifyChainBytes(dir, await chainExport('?from=2&to=3'), caFile);
    expect(range.code, range.err).toBe(0);
    expect(range.out).toContain('chain of 000.00.63.H33, records #2 to #3');
  });

  it('answers problems for impossible ranges', async () => {
    const beyond = await node.call('GET', `/v1/archive/${district.code}/chain?to=999`, { token: district.clerk });
    expect(beyond.status).toBe(422);
    expect(beyond.json).toMatchObject({ code: 'VALIDATION_FAILED' });
    const inverted = await node.call('GET', `/v1/archive/${district.code}/chain?from=3&to=2`, { token: district.clerk });
    expect(inverted.status).toBe(422);
    const admin = await node.call('GET', `/v1/archive/${district.code}/chain?from=1&to=1`, { token: node.adminToken });
    expect(admin.status).toBe(200);
    const empty = await node.call('GET', '/v1/archive/000.00.99.H33/chain', { token: node.adminToken });
    expect(empty.status).toBe(404);
    expect(empty.json.code).toBe('NOT_FOUND');
  });

  it('names a record removed from the middle or the end, a changed record and a rewritten chain', async () => {
    const whole = await chainExport();
    const cases: Array<[string, Buffer, RegExp]> = [
      ['middle removed', edit(whole, (ex) => ex.records.splice(1, 1)), /INVALID chain: record #2 is missing: #1 is followed by #3/],
      ['last removed', edit(whole, (ex) => ex.records.pop()), /INVALID chain: record #3 is missing: the export declares records up to #3 but ends at #2/],
      [
        'last removed and the range shortened',
        edit(whole, (ex) => {
          ex.records.pop();
          ex.to = 2;
        }),
        /INVALID checkpoint #3: signs record #3, which this export does not hold/,
      ],
      [
        'a record changed',
        edit(whole, (ex) => {
          ex.records[1].content.deliveries[0].state = 'completed';
        }),
        /INVALID record #2: content has SHA-256 [0-9a-f]{64}, the entry seals [0-9a-f]{64}: the content was altered/,
      ],
      [
        'a record changed and its entry resealed',
        edit(whole, (ex) => {
          ex.records[1].content.deliveries[0].state = 'completed';
          ex.records[1].entry.contentSha256 = sha256Hex(canonicalBytes(ex.records[1].content));
        }),
        /INVALID chain: record #3 links to prevHash [0-9a-f]{16}…, but record #2 hashes to [0-9a-f]{16}…: a record was changed or replaced/,
      ],
      [
        'the chain rewritten from a record on',
        edit(whole, (ex) => {
          ex.records[1].content.deliveries[0].state = 'completed';
          ex.records[1].entry.contentSha256 = sha256Hex(canonicalBytes(ex.records[1].content));
          ex.records[2].entry.prevHash = entryHash(ex.records[1].entry);
        }),
        /INVALID checkpoint #3: signs hash [0-9a-f]{16}… for record #3, but the chain in this file has [0-9a-f]{16}…: the chain was rewritten/,
      ],
      ['a space added', Buffer.concat([whole, Buffer.from(' ')]), /INVALID file: the chain export is not in canonical JSON form \(RFC 8785\): it departs from it at byte \d+/],
      [
        'the checkpoints dropped',
        edit(whole, (ex) => {
          ex.checkpoints = [];
        }),
        /INVALID checkpoint: no valid checkpoint covers record #3/,
      ],
    ];
    for (const [what, bytes, message] of cases) {
      const r = await verifyChainBytes(dir, bytes, caFile);
      expect(r.code, `${what}: ${r.out}`).toBe(1);
      expect(r.err, what).toMatch(message);
    }
  });
});

describe('rotating the node and agency keys', () => {
  it(
    'keeps files exported before the rotation valid, years later, and signs new checkpoints with the new key',
    async () => {
      const before = await waitForArchive(node, `/v1/documents/${documents[0]}/archive`, district.clerk);
      expect((await verifyBytes(dir, before, caFile)).code).toBe(0);
      const oldCheckpoint = jsonEntry(before, 'chain/checkpoint.json');
      const oldPackage = jsonEntry(before, 'record/content.json').packages[0];

      const rotated = await node.call('POST', '/v1/archive/signing-keys', { token: node.adminToken });
      expect(rotated.status, rotated.text).toBe(201);
      expect(rotated.json).toMatchObject({ current: true, subject: expect.stringContaining('serialNumber=LTN.00.00.ARC') });
      const forbidden = await node.call('POST', '/v1/archive/signing-keys', { token: district.clerk });
      expect(forbidden.status).toBe(403);
      const keys = await node.call('GET', '/v1/archive/signing-keys', { token: node.adminToken });
      expect(keys.json.items.length).toBeGreaterThanOrEqual(2);
      expect(keys.json.items.filter((k: Loose) => k.current)).toHaveLength(1);
      for (const a of [district, commune]) {
        const cert = await node.call('POST', `/v1/agencies/${a.code}/certificates`, { token: node.adminToken, body: {} });
        expect(cert.status, cert.text).toBe(201);
      }

      // Signed with the new keys, sealed, checkpointed by the new node key.
      const after = await sendAndRefuse();
      await waitForHead(4);
      const fresh = await waitForArchive(node, `/v1/documents/${after}/archive`, district.clerk);
      const freshCheckpoint = jsonEntry(fresh, 'chain/checkpoint.json');
      expect(freshCheckpoint.certificatePem).not.toBe(oldCheckpoint.certificatePem);
      expect(jsonEntry(fresh, 'record/content.json').packages[0].signer.fingerprintSha256).not.toBe(oldPackage.signer.fingerprintSha256);

      for (const [what, bytes] of [
        ['exported before the rotation', before],
        ['exported after the rotation', fresh],
        ['the old record exported again', await waitForArchive(node, `/v1/documents/${documents[0]}/archive`, district.clerk)],
      ] as const) {
        const today = await verifyBytes(dir, bytes, caFile);
        expect(today.code, `${what}: ${today.err}`).toBe(0);
        // Three years on, every certificate has expired; the signatures were made while they were valid.
        const later = await verifyBytes(dir, bytes, caFile, [], YEARS_LATER);
        expect(later.code, `${what}, three years later: ${later.err}`).toBe(0);
      }
      const chain = await verifyChainBytes(dir, await chainExport(), caFile);
      expect(chain.code, chain.err).toBe(0);
      expect(chain.out).toContain('records #1–#4 are contiguous');
    },
    SLOW,
  );
});
