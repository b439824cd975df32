import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/archive/canonical-json.js';
import { readZip, writeZip } from '../../src/archive/zip.js';
import {
  createDistrict,
  directive,
  getBytes,
  postStatus,
  samplePdf,
  sendDocument,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from '../acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import { entriesOf, flip, jsonEntry, nodeCaPem, scratch, verifyBytes, waitForArchive } from './helpers.js';

/**
 * Issue 6 through HTTP, with a real PostgreSQL and Redis and the worker in-process: documents are
 * sealed after their last status, exported as one file, verified offline by the CLI, and every kind
 * of tampering is named by the verifier or refused by the database.
 */

const SLOW = 180_000;
let node: TestNode;
let dir: string;
let caFile: string;
let db: pg.Client;

beforeAll(async () => {
  // A fast sweep: it is what finds finished documents and signs checkpoints.
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '300', LIENTHONG_CHECKPOINT_EVERY_MS: '1000' } });
  dir = scratch();
  caFile = join(dir, 'node-ca.pem');
  writeFileSync(caFile, await nodeCaPem(node));
  db = new pg.Client({ connectionString: node.config.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await node?.close();
});

const pdf = (name: string) => ({ name, contentType: 'application/pdf', contentBase64: samplePdf().toString('base64') });

/** Sends a directive from `from` to `to`, waits until every recipient has it, returns ids and inbox items. */
async function send(from: Agency, to: Agency[], withAttachment = true) {
  const body = directive({ to: to.map((a) => a.code), ...(withAttachment ? { attachments: [pdf('chi-thi.pdf')] } : {}) });
  const sent = await sendDocument(node, from.clerk, body);
  expect(sent.status, sent.text).toBe(201);
  const id = sent.json.id as string;
  const documentId = sent.json.documentId as string;
  await waitForDeliveries(node, from.clerk, id, Object.fromEntries(to.map((a) => [a.code, { state: 'arrived', statusCode: '01' }])));
  const items = new Map<string, string>();
  for (const a of to) items.set(a.code, await waitForInboxItem(node, a.clerk, documentId, body.subject as string));
  return { id, documentId, items };
}

async function status(agency: Agency, itemId: string, code: string, description?: string) {
  const res = await postStatus(node, agency.clerk, itemId, { code, ...(description ? { description } : {}) });
  expect(res.status, `${code}: ${res.text}`).toBe(200);
}

describe('sealing and the archive file', () => {
  let district: Agency;
  let c1: Agency;
  let c2: Agency;
  let doc: { id: string; documentId: string; items: Map<string, string> };
  let archive: Buffer;

  beforeAll(async () => {
    const family = await createDistrict(node, 61, 2);
    district = family.district;
    [c1, c2] = family.communes as [Agency, Agency];
  });

  it(
    'seals the document after the last status: not before, then one file that verifies offline',
    async () => {
      doc = await send(district, [c1, c2]);
      const item1 = doc.items.get(c1.code)!;
      const item2 = doc.items.get(c2.code)!;
      for (const code of ['03', '04', '05']) await status(c1, item1, code);
      await status(c2, item2, '02', 'Gửi nhầm cơ quan');
      await waitForDeliveries(node, district.clerk, doc.id, { [c1.code]: { state: 'processing' }, [c2.code]: { state: 'refused' } });

      // c1 is still processing: nothing is sealed, the export says why.
      const early = await node.call('GET', `/v1/documents/${doc.id}/archive`, { token: district.clerk });
      expect(early.status, early.text).toBe(409);
      expect(early.headers.get('content-type')).toContain('application/problem+json');
      expect(early.json).toMatchObject({ code: 'CONFLICT' });
      expect(early.json.detail).toContain('Not sealed yet');

      await status(c1, item1, '06');
      archive = await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
      const res = await getBytes(node, `/v1/documents/${doc.id}/archive`, district.clerk);
      expect(res.headers.get('content-type')).toBe('application/zip');
      expect(res.headers.get('content-disposition')).toContain('.zip');

      const manifest = jsonEntry(archive, 'manifest.json');
      expect(manifest).toMatchObject({ format: 'lienthong-archive/1', agency: district.code, role: 'sender', subject: doc.id, documentId: doc.documentId });
      expect(manifest.link).toMatchObject({ index: 1, prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(manifest.checkpoint.index).toBeGreaterThanOrEqual(1);
      expect(manifest.purged).toEqual([]);
      const content = jsonEntry(archive, 'record/content.json');
      expect(content.deliveries.map((d: Loose) => [d.recipient, d.state]).sort()).toEqual([
        [c1.code, 'completed'],
        [c2.code, 'refused'],
      ]);
      // Every status the sender received: 01 from both, 03 04 05 06 from c1, 02 from c2.
      expect(content.statuses.map((s: Loose) => s.code).sort()).toEqual(['01', '01', '02', '03', '04', '05', '06']);
      expect(content.events.length).toBeGreaterThan(0);
      expect(content.audit.map((a: Loose) => a.action)).toContain('document.created');
      expect(content.packages.filter((p: Loose) => p.role === 'document')).toHaveLength(1);
      expect(content.packages[0].attachments).toHaveLength(1);
      const names = [...entriesOf(archive).keys()];
      expect(names.filter((n) => n.startsWith('packages/status-'))).toHaveLength(7);
      expect(names.some((n) => n.startsWith('certificates/'))).toBe(true);

      const verified = await verifyBytes(dir, archive, caFile);
      expect(verified.err).toBe('');
      expect(verified.code).toBe(0);
      expect(verified.out).toContain(`archive of ${district.code}, record #1 (sender`);
      expect(verified.out).toContain('signature valid');
      expect(verified.out).toMatch(/VALID: \d+ checks passed/);
    },
    SLOW,
  );

  it('gives each local recipient its own sealed record in its own chain', async () => {
    for (const c of [c1, c2]) {
      const itemId = doc.items.get(c.code)!;
      const bytes = await waitForArchive(node, `/v1/inbox/${itemId}/archive`, c.clerk);
      const manifest = jsonEntry(bytes, 'manifest.json');
      expect(manifest).toMatchObject({ agency: c.code, role: 'recipient', subject: itemId, documentId: doc.documentId });
      expect(manifest.link.index).toBe(1);
      const r = await verifyBytes(dir, bytes, caFile);
      expect(r.code, r.err).toBe(0);
    }
  });

  it('is the same file when exported twice (deterministic), and exports are audited', async () => {
    const again = await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
    expect(again.equals(archive)).toBe(true);
    const audit = await node.call('GET', `/v1/audit-events?agency=${district.code}&subjectType=archive-record`, { token: node.adminToken });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.json.items.map((e: Loose) => e.action)).toContain('archive.exported');
  });

  it('refuses other agencies, partners and anonymous callers', async () => {
    const other = await node.call('GET', `/v1/documents/${doc.id}/archive`, { token: c1.clerk });
    expect(other.status).toBe(404);
    expect(other.json.code).toBe('NOT_FOUND');
    const anonymous = await node.call('GET', `/v1/documents/${doc.id}/archive`);
    expect(anonymous.status).toBe(401);
    const foreignInbox = await node.call('GET', `/v1/inbox/${doc.items.get(c1.code)}/archive`, { token: c2.clerk });
    expect(foreignInbox.status).toBe(404);
    const chain = await node.call('GET', `/v1/archive/${district.code}/chain`, { token: c1.clerk });
    expect(chain.status).toBe(403);
    expect(chain.json.code).toBe('FORBIDDEN');
    const badAgency = await node.call('GET', '/v1/archive/not-a-code/chain', { token: node.adminToken });
    expect(badAgency.status).toBe(422);
    expect(badAgency.json.code).toBe('VALIDATION_FAILED');
  });

  it(
    'names the changed part when any byte of the file is altered',
    async () => {
      const zip = readZip(archive);
      const expectations: Array<[number, RegExp]> = [];
      // A byte in the middle of every file's data …
      for (const e of zip.entries) {
        const at = e.dataOffset + Math.floor(e.data.length / 2);
        const name = e.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expectations.push([at, new RegExp(`INVALID container: ${name}: its bytes do not match the CRC-32`)]);
      }
      // … the headers, the central directory and the end record …
      const first = zip.entries[0]!;
      expectations.push([first.localOffset + 4, /INVALID container: byte \d+ \(local header of manifest\.json\) differs from the canonical layout/]);
      expectations.push([first.localOffset + 10, /INVALID container: byte \d+ \(local header of manifest\.json\) differs/]);
      expectations.push([first.centralOffset + 36, /INVALID container: byte \d+ \(central directory header of manifest\.json\) differs/]);
      expectations.push([zip.endOffset + 4, /INVALID container: the end record describes a multi-disk archive/]);
      expectations.push([archive.length - 1, /INVALID container: the end record declares a comment/]);
      for (const [at, message] of expectations) {
        const r = await verifyBytes(dir, flip(archive, at), caFile);
        expect(r.code, `byte ${at}: ${r.out}`).toBe(1);
        expect(r.err, `byte ${at}`).toMatch(message);
      }
      // … and bytes spread over the whole file: every one of them is detected.
      const step = Math.max(1, Math.floor(archive.length / 40));
      for (let at = 3; at < archive.length; at += step) {
        const r = await verifyBytes(dir, flip(archive, at), caFile);
        expect(r.code, `byte ${at} went unnoticed: ${r.out}`).toBe(1);
      }
    },
    SLOW,
  );

  it('names the precise evidence that no longer matches when a file inside is replaced consistently', async () => {
    // Re-pack the archive with one file changed and its CRC and sizes right: only the evidence checks remain.
    const zip = readZip(archive);
    const repack = (name: string, change: (b: Buffer) => Buffer) => {
      const files = zip.entries.map((e) => ({ name: e.name, data: e.name === name ? change(e.data) : e.data }));
      return rewrite(files, zip.stamp);
    };
    const statusName = zip.entries.find((e) => e.name.includes('status-02-'))!.name;
    const cases: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
      [statusName, (b) => Buffer.from(b.toString('utf8').replace('Gửi nhầm cơ quan', 'Đã nhận đủ')), new RegExp(`INVALID ${statusName.replace(/\./g, '\\.')}: has SHA-256 [0-9a-f]{64}, but the sealed record says [0-9a-f]{64}: the package was altered`)],
      ['record/content.json', (b) => Buffer.from(b.toString('utf8').replace('"refused"', '"completed"')), /INVALID record: record\/content\.json has SHA-256 [0-9a-f]{64}, but the sealed entry says contentSha256 [0-9a-f]{64}: the content was altered/],
      ['record/entry.json', (b) => Buffer.from(b.toString('utf8').replace('"reason":"final"', '"reason":"timeout"')), /INVALID checkpoint: signs record #\d+ with hash [0-9a-f]{16}…, but the chain in this file reaches #\d+ with hash [0-9a-f]{16}…: a record was changed, removed or inserted/],
      // One millisecond later: the certificate is still valid then, only the signature can tell.
      ['chain/checkpoint.json', (b) => Buffer.from(b.toString('utf8').replace(/"signedAt":"([^"]+)"/, (_m, t: string) => `"signedAt":"${new Date(Date.parse(t) + 1).toISOString()}"`)), /INVALID checkpoint: the signature does not verify/],
      ['manifest.json', (b) => Buffer.from(b.toString('utf8').replace('"role":"sender"', '"role":"recipient"')), /INVALID manifest\.json: role is "recipient", the files make it "sender"/],
      ['README.txt', (b) => Buffer.concat([b, Buffer.from(' ')]), /INVALID README\.txt: differs from the fixed text/],
    ];
    for (const [name, change, message] of cases) {
      const r = await verifyBytes(dir, repack(name, change), caFile);
      expect(r.code, `${name}: ${r.out}`).toBe(1);
      expect(r.err, name).toMatch(message);
    }
    // A file added to the archive is not silently accepted.
    const extra = rewrite([...zip.entries.map((e) => ({ name: e.name, data: e.data })), { name: 'packages/extra.edxml', data: Buffer.from('<x/>') }], zip.stamp);
    const r = await verifyBytes(dir, extra, caFile);
    expect(r.code).toBe(1);
    expect(r.err).toContain('INVALID container: unexpected file packages/extra.edxml');
    // And a file removed.
    const statusEntry = zip.entries.find((e) => e.name.includes('status-06-'))!;
    const removed = rewrite(zip.entries.filter((e) => e !== statusEntry).map((e) => ({ name: e.name, data: e.data })), zip.stamp);
    const r2 = await verifyBytes(dir, removed, caFile);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(`INVALID ${statusEntry.name}: is missing (the sealed record lists this status package`);
  });

  it('trusts only the anchors given: the CA inside the file is not enough', async () => {
    const { generateCa } = await import('../../src/crypto/ca.js');
    const otherCa = join(dir, 'other-ca.pem');
    writeFileSync(otherCa, generateCa({ commonName: 'Some other CA', validityDays: 30 }).certificatePem);
    const r = await verifyBytes(dir, archive, otherCa);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/INVALID packages\/document-[0-9a-f]{16}\.edxml: CERTIFICATE_UNTRUSTED: no path to a trust anchor/);
    expect(r.err).toMatch(/INVALID checkpoint: signer certificate: CERTIFICATE_UNTRUSTED/);
  });
});

/** Re-writes a ZIP in this format (CRC and sizes recomputed) with the given files. */
const rewrite = (files: Array<{ name: string; data: Buffer }>, stamp: { time: number; date: number }): Buffer => writeZip(files, stamp);

describe('the database refuses to change sealed evidence', () => {
  let district: Agency;
  let commune: Agency;
  let doc: { id: string; documentId: string; items: Map<string, string> };

  beforeAll(async () => {
    const family = await createDistrict(node, 62, 1);
    district = family.district;
    commune = family.communes[0]!;
    doc = await send(district, [commune], false);
    await status(commune, doc.items.get(commune.code)!, '02', 'Không thuộc thẩm quyền');
    await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
  }, SLOW);

  it('refuses UPDATE, DELETE and TRUNCATE of sealed rows, and a record that does not link', async () => {
    const refused = async (query: string, message: RegExp) => {
      await expect(db.query(query)).rejects.toThrow(message);
    };
    await refused(`update archive_record set content = content || ' ' where agency_code = '${district.code}'`, /archive_record is append-only: UPDATE refused/);
    await refused(`delete from archive_record where agency_code = '${district.code}'`, /archive_record is append-only: DELETE refused/);
    await refused('truncate archive_record', /archive_record is append-only: TRUNCATE refused/);
    await eventually(async () => (await db.query(`select 1 from archive_checkpoint where agency_code = $1`, [district.code])).rowCount! > 0);
    await refused(`update archive_checkpoint set hash = repeat('0', 64) where agency_code = '${district.code}'`, /archive_checkpoint is append-only: UPDATE refused/);
    await refused(`delete from archive_certificate`, /archive_certificate is append-only: DELETE refused/);
    // A forged next record whose prevHash is not the hash of the last one.
    const { rows } = await db.query(`select * from archive_record where agency_code = $1 order by chain_index desc limit 1`, [district.code]);
    const last = rows[0];
    const entry = { ...JSON.parse(last.entry), index: last.chain_index + 1, prevHash: 'f'.repeat(64) };
    const entryText = canonicalBytes(entry).toString('utf8');
    const { createHash, randomUUID } = await import('node:crypto');
    await refused(
      `insert into archive_record (id, agency_code, chain_index, prev_hash, hash, role, subject_id, version, reason, document_id, sealed_at, entry, content, content_sha256)
       values ('${randomUUID()}', '${district.code}', ${last.chain_index + 1}, '${'f'.repeat(64)}', '${createHash('sha256').update(entryText).digest('hex')}', 'sender', '${randomUUID()}', 1, 'final', 'x', now(), '${entryText}', '${last.content.replace(/'/g, "''")}', '${last.content_sha256}')`,
      /archive_record: record \d+ of .* does not link to record \d+/,
    );
  });

  it('a change made behind the database triggers is named by the verifier', async () => {
    // Package bytes are not sealed rows: change a status package where it is stored …
    await db.query(`update edxml_package set bytes = convert_to(replace(convert_from(bytes, 'UTF8'), 'Không thuộc thẩm quyền', 'Đồng ý'), 'UTF8') where status_code = '02' and document_id = $1`, [doc.documentId]);
    const altered = await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
    const r = await verifyBytes(dir, altered, caFile);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/INVALID packages\/status-02-[0-9.A-Z]+-[0-9a-f]{16}\.edxml: has SHA-256 [0-9a-f]{64}, but the sealed record says [0-9a-f]{64}: the package was altered/);

    // … and a superuser who switches the trigger off to rewrite a sealed record is caught too.
    await db.query('alter table archive_record disable trigger archive_record_append_only');
    try {
      await db.query(`update archive_record set content = replace(content, '"refused"', '"completed"') where subject_id = $1`, [doc.id]);
    } finally {
      await db.query('alter table archive_record enable trigger archive_record_append_only');
    }
    const rewritten = await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
    const r2 = await verifyBytes(dir, rewritten, caFile);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('INVALID record: record/content.json has SHA-256');
    expect(r2.err).toContain('the content was altered');
  });
});
