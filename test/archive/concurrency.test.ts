import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealDocument, sealInboxItem, type SealOutcome } from '../../src/archive/seal.js';
import { createDistrict, directive, getBytes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency } from '../acceptance/helpers.js';
import { startTestNode, type TestNode } from '../support/runtime.js';
import { nodeCaPem, scratch, verifyChainBytes } from './helpers.js';

/**
 * Appends race for the same chain: many seals of one agency at once must still give indexes 1, 2, 3 …
 * each linking to the one before, and two seals of the same document must give one record. The sweep
 * is slowed down here so that the test, not the worker, decides when the seals run.
 */

const SLOW = 180_000;
let node: TestNode;
let district: Agency;
let commune: Agency;

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  const family = await createDistrict(node, 66, 1);
  district = family.district;
  commune = family.communes[0]!;
}, SLOW);
afterAll(async () => node?.close());

const deps = () => ({ pki: node.runtime.pki, archiveAfterDays: 90, limits: {} });

describe('concurrent seals', () => {
  it(
    'append to one chain without gaps or forks, and seal a document once',
    async () => {
      const docs: Array<{ id: string; item: string }> = [];
      for (let i = 0; i < 8; i++) {
        const body = directive({ to: [commune.code] });
        const sent = await sendDocument(node, district.clerk, body);
        expect(sent.status, sent.text).toBe(201);
        await waitForDeliveries(node, district.clerk, sent.json.id, { [commune.code]: { state: 'arrived' } });
        const item = await waitForInboxItem(node, commune.clerk, sent.json.documentId, body.subject as string);
        expect((await postStatus(node, commune.clerk, item, { code: '02', description: 'Trả lại' })).status).toBe(200);
        docs.push({ id: sent.json.id, item });
      }
      for (const d of docs) await waitForDeliveries(node, district.clerk, d.id, { [commune.code]: { state: 'refused' } });

      // Every document twice, and every inbox item, all at once, each in its own ORM context.
      const seals: Array<Promise<SealOutcome>> = [
        ...docs.flatMap((d) => [sealDocument(node.runtime.orm.em.fork(), deps(), d.id), sealDocument(node.runtime.orm.em.fork(), deps(), d.id)]),
        ...docs.map((d) => sealInboxItem(node.runtime.orm.em.fork(), deps(), d.item)),
      ];
      const outcomes = await Promise.all(seals);
      const sealed = outcomes.filter((o): o is Extract<SealOutcome, { sealed: true }> => o.sealed);
      expect(sealed).toHaveLength(16);
      expect(outcomes.filter((o) => !o.sealed)).toEqual(Array.from({ length: 8 }, () => ({ sealed: false, reason: 'unchanged' })));
      const districtIndexes = sealed.filter((o) => o.agency === district.code).map((o) => o.index).sort((a, b) => a - b);
      expect(districtIndexes).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(sealed.every((o) => o.version === 1)).toBe(true);

      const dir = scratch();
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, await nodeCaPem(node));
      for (const agency of [district, commune]) {
        const chain = await getBytes(node, `/v1/archive/${agency.code}/chain`, node.adminToken);
        expect(chain.status).toBe(200);
        const r = await verifyChainBytes(dir, chain.bytes, ca);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toContain('records #1–#8 are contiguous');
      }
    },
    SLOW,
  );
});
