import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagesToPurge } from '../../src/archive/archive.repository.js';
import { readZip, writeZip } from '../../src/archive/zip.js';
import { createDistrict, directive, getBytes, postStatus, samplePdf, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from '../acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import { entriesOf, jsonEntry, nodeCaPem, scratch, verifyBytes, verifyChainBytes, waitForArchive } from './helpers.js';

/**
 * Retention through HTTP: an admin sets each agency's period; once every holder of a document
 * package has sealed and outlived its period the job purges the package and the uploaded files,
 * writes the purge into the audit trail, and the record — hashes, statuses, chain — still verifies.
 */

const SLOW = 180_000;
let node: TestNode;
let dir: string;
let caFile: string;
let db: pg.Client;
let district: Agency;
let commune: Agency;
let doc: { id: string; documentId: string; itemId: string };

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '300', LIENTHONG_CHECKPOINT_EVERY_MS: '1000' } });
  dir = scratch();
  caFile = join(dir, 'node-ca.pem');
  writeFileSync(caFile, await nodeCaPem(node));
  db = new pg.Client({ connectionString: node.config.databaseUrl });
  await db.connect();
  const family = await createDistrict(node, 64, 1);
  district = family.district;
  commune = family.communes[0]!;
  const body = directive({ to: [commune.code], attachments: [{ name: 'ke-hoach.pdf', contentType: 'application/pdf', contentBase64: samplePdf().toString('base64') }] });
  const sent = await sendDocument(node, district.clerk, body);
  expect(sent.status, sent.text).toBe(201);
  await waitForDeliveries(node, district.clerk, sent.json.id, { [commune.code]: { state: 'arrived' } });
  const itemId = await waitForInboxItem(node, commune.clerk, sent.json.documentId, body.subject as string);
  const refused = await postStatus(node, commune.clerk, itemId, { code: '02', description: 'Không thuộc thẩm quyền' });
  expect(refused.status, refused.text).toBe(200);
  doc = { id: sent.json.id, documentId: sent.json.documentId, itemId };
  await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
  await waitForArchive(node, `/v1/inbox/${doc.itemId}/archive`, commune.clerk);
}, SLOW);
afterAll(async () => {
  await db?.end();
  await node?.close();
});

const setRetention = (agency: Agency, days: number | null, token = node.adminToken) =>
  node.call('PUT', `/v1/archive/${agency.code}/retention`, { token, body: { attachmentsDays: days } });

async function sweepsSoFar(): Promise<number> {
  const { rows } = await db.query('select coalesce(sum(sweeps), 0)::int as n from worker_heartbeat');
  return rows[0].n as number;
}

describe('retention', () => {
  it('is set by an admin and read by the agency', async () => {
    const byClerk = await setRetention(district, 0, district.clerk);
    expect(byClerk.status).toBe(403);
    expect(byClerk.json.code).toBe('FORBIDDEN');
    const negative = await setRetention(district, -1);
    expect(negative.status).toBe(422);
    expect(negative.json.code).toBe('VALIDATION_FAILED');
    const unknown = await node.call('PUT', '/v1/archive/000.00.98.H33/retention', { token: node.adminToken, body: { attachmentsDays: 5 } });
    expect(unknown.status).toBe(404);

    const set = await setRetention(district, 0);
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({ agency: district.code, attachmentsDays: 0 });
    const read = await node.call('GET', `/v1/archive/${district.code}/retention`, { token: district.clerk });
    expect(read.json).toMatchObject({ attachmentsDays: 0, updatedBy: 'admin:bootstrap' });
    const other = await node.call('GET', `/v1/archive/${district.code}/retention`, { token: commune.clerk });
    expect(other.status).toBe(403);
  });

  it('keeps a package while one holder (the recipient) has no period', async () => {
    // Two full sweeps after the sender's period was set: the sweep has looked and found nothing.
    const seen = await sweepsSoFar();
    await eventually(async () => (await sweepsSoFar()) >= seen + 2, 20_000);
    expect(await packagesToPurge(node.runtime.orm.em.fork(), new Date())).toEqual([]);
    const { rows } = await db.query('select count(*)::int as n from archive_purge');
    expect(rows[0].n).toBe(0);
    const file = await getBytes(node, `/v1/inbox/${doc.itemId}/attachments/0`, commune.clerk);
    expect(file.status).toBe(200);
  });

  it(
    'purges once every holder may let it go: audited, and both records still verify',
    async () => {
      const before = jsonEntry(await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk), 'record/content.json');
      const documentPackage = before.packages.find((p: Loose) => p.role === 'document');

      expect((await setRetention(commune, 0)).status).toBe(200);
      await eventually(async () => (await db.query('select 1 from archive_purge where sha256 = $1', [documentPackage.sha256])).rowCount === 1, 20_000);

      // The bytes are gone; the digests stay.
      const pkg = await db.query('select length(bytes) as n, sha256 from edxml_package where sha256 = $1', [documentPackage.sha256]);
      expect(pkg.rows[0]).toMatchObject({ n: 0, sha256: documentPackage.sha256 });
      const files = await db.query('select length(content) as n, sha256 from document_attachment where document_id = $1', [doc.id]);
      expect(files.rows).toEqual([{ n: 0, sha256: before.document.attachments[0].sha256 }]);

      // Each agency sees the purge in its audit trail.
      for (const a of [district, commune]) {
        const audit = await node.call('GET', `/v1/audit-events?agency=${a.code}&subjectType=package`, { token: node.adminToken });
        expect(audit.json.items.map((e: Loose) => e.action), a.code).toContain('archive.attachments-purged');
        expect(JSON.stringify(audit.json.items)).toContain(documentPackage.sha256);
      }

      for (const [path, token] of [
        [`/v1/documents/${doc.id}/archive`, district.clerk],
        [`/v1/inbox/${doc.itemId}/archive`, commune.clerk],
      ] as const) {
        const archive = await waitForArchive(node, path, token);
        const manifest = jsonEntry(archive, 'manifest.json');
        expect(manifest.purged).toEqual([expect.objectContaining({ sha256: documentPackage.sha256, size: documentPackage.size, purgedAt: expect.any(String) })]);
        const names = [...entriesOf(archive).keys()];
        expect(names.some((n) => n.startsWith('packages/document-'))).toBe(false);
        expect(names.filter((n) => n.startsWith('packages/status-')).length).toBeGreaterThanOrEqual(2);
        const r = await verifyBytes(dir, archive, caFile);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/NOTE {2}packages\/document-[0-9a-f]{16}\.edxml: bytes purged under the agency's retention period on .*; SHA-256 [0-9a-f]{64} stays sealed/);
        expect(r.out).toContain('1 note(s)');
      }
      const chain = await getBytes(node, `/v1/archive/${district.code}/chain`, district.clerk);
      expect((await verifyChainBytes(dir, chain.bytes, caFile)).code).toBe(0);
    },
    SLOW,
  );

  it('cannot be claimed for evidence that is never purged', async () => {
    // Drop a status package from the archive and claim it was purged: statuses are never purged.
    const archive = await waitForArchive(node, `/v1/documents/${doc.id}/archive`, district.clerk);
    const zip = readZip(archive);
    const status = zip.entries.find((e) => e.name.includes('/status-02-'))!;
    const manifest = JSON.parse(zip.entries[0]!.data.toString('utf8'));
    manifest.purged.push({ name: status.name, sha256: manifest.files.find((f: Loose) => f.name === status.name).sha256, size: status.data.length, purgedAt: new Date().toISOString() });
    const { canonicalBytes } = await import('../../src/archive/canonical-json.js');
    const forged = writeZip(
      zip.entries.filter((e) => e !== status).map((e) => ({ name: e.name, data: e.name === 'manifest.json' ? canonicalBytes(manifest) : e.data })),
      zip.stamp,
    );
    const r = await verifyBytes(dir, forged, caFile);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`INVALID ${status.name}: is missing (the sealed record lists this status package`);
  });
});
