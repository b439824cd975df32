import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecrets } from '../src/crypto/secret-box.js';
import { deriveMasterKey } from '../src/crypto/keys.js';
import { deliverLocal, LOCAL_DELIVERY_BATCH } from '../src/delivery/deliver-local.js';
import { signDocument } from '../src/delivery/sign.js';
import type { PipelineDeps } from '../src/delivery/verify-received.js';
import { VerifiedCache } from '../src/delivery/verified-cache.js';
import { MAX_STORED_RECIPIENTS } from '../src/delivery/arrive.js';
import {
  ASYNC_TIMEOUT_MS,
  createAgency,
  createDistrict,
  directive,
  familyCodes,
  getBytes,
  itemsOf,
  sendDocument,
  waitForDeliveries,
  type Agency,
  type Loose,
} from './acceptance/helpers.js';
import { afterSweeps, eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Batched local delivery (one `deliver` job = up to LOCAL_DELIVERY_BATCH local deliveries of one
 * document in one transaction, each recipient's 01 applied at once) and the inbox item's trimmed
 * recipient list. Two nodes on their own databases: `node` runs the worker, `idle` has none, so
 * deliverLocal can be called directly on deliveries nobody else touches.
 */

let node: TestNode;
let idle: TestNode;
/** A district of `node` with 60 communes (tests 1 and 4). */
let big: { district: Agency; communes: Agency[] };

beforeAll(async () => {
  // Sweeps every 0.5 s, so that "nothing else happened" can be waited for as two sweeps having run.
  [node, idle] = await Promise.all([startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '500' } }), startTestNode({ roles: { worker: false } })]);
  big = await createDistrict(node, 81, 60);
});
afterAll(async () => {
  await Promise.all([node?.close(), idle?.close()]);
});

/** One row per delivery of a document, with what exists for it on the recipient's side. */
interface DeliveryRow {
  id: string;
  recipient_code: string;
  state: string;
  status_code: string | null;
  attempts: number;
  last_error: string | null;
  /** Inbox items of the recipient holding this document (any package). */
  items: number;
  /** Inbox items pointing at this delivery. */
  items_of_delivery: number;
  receipts: number;
  carried: number;
}

async function deliveryRows(n: TestNode, documentUuid: string): Promise<DeliveryRow[]> {
  return n.runtime.orm.em
    .fork()
    .getConnection()
    .execute<DeliveryRow[]>(
      `select d.id, d.recipient_code, d.state::text as state, d.status_code, d.attempts, d.last_error,
              (select count(*)::int from inbox_item i where i.agency_code = d.recipient_code and i.document_id = o.document_id) as items,
              (select count(*)::int from inbox_item i where i.delivery_id = d.id) as items_of_delivery,
              (select count(*)::int from status_record s where s.delivery_id = d.id and s.code = '01') as receipts,
              (select count(*)::int from status_record s where s.delivery_id = d.id and s.code = '01' and s.carried) as carried
         from delivery d join outgoing_document o on o.id = d.document_id
        where d.document_id = ?
        order by d.id`,
      [documentUuid],
    );
}

/** Every delivery of the document arrived exactly once: one inbox item, one carried 01. */
function expectExactlyOnce(rows: DeliveryRow[], recipients: number): void {
  expect(rows).toHaveLength(recipients);
  for (const r of rows) {
    expect(r, r.recipient_code).toMatchObject({ state: 'arrived', status_code: '01', items: 1, items_of_delivery: 1, receipts: 1, carried: 1, last_error: null });
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The pipeline dependencies as the runtime builds them (createRuntime does not expose its own). */
function pipelineDeps(n: TestNode): PipelineDeps {
  return {
    pki: n.runtime.pki,
    limits: { maxBytes: n.config.maxBodyBytes },
    secrets: createSecrets(deriveMasterKey(n.config.masterKey!)),
    verified: new VerifiedCache(),
  };
}

describe('a document to more local recipients than one batch', () => {
  it(
    'delivers 30 communes exactly once each: 30 items, 30 carried 01s, and a delivered → 01 timeline whose sha256 is the stored package’s',
    async () => {
      expect(30).toBeGreaterThan(LOCAL_DELIVERY_BATCH);
      const { district } = big;
      const communes = big.communes.slice(0, 30);
      const sent = await sendDocument(node, district.clerk, directive({ to: communes.map((c) => c.code) }));
      expect(sent.status, sent.text).toBe(201);
      const id = sent.json.id as string;

      const view = await waitForDeliveries(node, district.clerk, id, Object.fromEntries(communes.map((c) => [c.code, { state: 'arrived', statusCode: '01' }])));
      expect(view.deliveries).toHaveLength(30);
      for (const d of view.deliveries) {
        expect(d.lastError, d.recipient).toBeNull();
        expect(d.statuses.map((s: Loose) => s.code), d.recipient).toEqual(['01']);
      }

      // Give a stray second delivery (a duplicate job, the sweep) the time to show up, then count.
      await afterSweeps(node);
      const rows = await deliveryRows(node, id);
      expectExactlyOnce(rows, 30);
      // One attempt each: no batch was split, no delivery made twice.
      for (const r of rows) expect(r.attempts, r.recipient_code).toBe(1);

      const conn = node.runtime.orm.em.fork().getConnection();
      const receipts = await conn.execute<Array<{ id: string; delivery_id: string; inbox_item_id: string; sha256: string; bytes: Buffer }>>(
        `select s.id, s.delivery_id, s.inbox_item_id, p.sha256, p.bytes
           from status_record s join delivery d on d.id = s.delivery_id join edxml_package p on p.id = s.package_id
          where d.document_id = ? and s.code = '01'`,
        [id],
      );
      expect(receipts).toHaveLength(30);
      const receiptOf = new Map(receipts.map((s) => [s.delivery_id, s]));

      const events = await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk });
      expect(events.status, events.text).toBe(200);
      const timeline: Loose[] = itemsOf(events.json);
      expect(timeline.filter((e) => e.type === 'delivery.retry' || e.type === 'delivery.failed')).toEqual([]);
      for (const row of rows) {
        const mine = timeline.filter((e) => e.recipient === row.recipient_code);
        const delivered = mine.filter((e) => e.type === 'delivery.delivered');
        const statuses = mine.filter((e) => e.type === 'status');
        expect(delivered, row.recipient_code).toHaveLength(1);
        expect(statuses, row.recipient_code).toHaveLength(1);
        const [d, s] = [delivered[0], statuses[0]];
        expect(timeline.indexOf(d)).toBeLessThan(timeline.indexOf(s));
        const receipt = receiptOf.get(row.id)!;
        expect(receipt, row.recipient_code).toBeDefined();
        expect(d).toMatchObject({ deliveryId: row.id, details: { inboxItemId: receipt.inbox_item_id } });
        expect(s).toMatchObject({ deliveryId: row.id, statusCode: '01', statusId: receipt.id, state: 'arrived', details: { from: row.recipient_code } });
        // The evidence: the SHA-256 of the very bytes the recipient signed, as stored and as served.
        expect(receipt.sha256).toBe(sha256(receipt.bytes));
        expect(s.details.sha256, row.recipient_code).toBe(receipt.sha256);
        const served = await getBytes(node, `/v1/documents/${id}/statuses/${receipt.id}/edxml`, district.clerk);
        expect(served.status).toBe(200);
        expect(sha256(served.bytes)).toBe(s.details.sha256);
        expect(served.bytes.toString('utf8')).toContain(row.recipient_code);
      }
    },
    60_000,
  );
});

describe('a recipient without a signing key in a batch', () => {
  it(
    'holds back nobody: the others arrive with a carried 01, the keyless ones keep a certificate error and get no inbox item',
    async () => {
      const { district, communes } = await createDistrict(node, 82, 4);
      const codes = familyCodes(82);
      // One commune never got a certificate; another had its certificate deactivated.
      const noCert = codes.commune(5);
      const created = await node.call('POST', '/v1/agencies', {
        token: node.adminToken,
        body: { code: noCert, name: 'UBND xã không chứng thư', level: 'commune', parentCode: district.code },
      });
      expect(created.status, created.text).toBe(201);
      const deactivated = await createAgency(node, { code: codes.commune(6), name: 'UBND xã chứng thư thu hồi', level: 'commune', parentCode: district.code });
      const conn = node.runtime.orm.em.fork().getConnection();
      await conn.execute(`update agency_certificate set active = false where agency_code = ?`, [deactivated.code]);
      const keyless = [noCert, deactivated.code];

      const sent = await sendDocument(node, district.clerk, directive({ to: [`children:${district.code}`] }));
      expect(sent.status, sent.text).toBe(201);
      expect(sent.json.recipients).toHaveLength(6);
      const id = sent.json.id as string;

      let last: unknown;
      const view = await eventually(async () => {
        const res = await node.call('GET', `/v1/documents/${id}`, { token: district.clerk });
        last = res.json;
        const deliveries: Loose[] = res.json?.deliveries ?? [];
        const ok = communes.every((c) => deliveries.some((d) => d.recipient === c.code && d.state === 'arrived' && d.statusCode === '01'));
        const failing = keyless.every((code) => deliveries.some((d) => d.recipient === code && typeof d.lastError === 'string'));
        return ok && failing ? res.json : undefined;
      }, ASYNC_TIMEOUT_MS).catch((error: unknown) => {
        throw new Error(`${String(error)}; last answer: ${JSON.stringify(last)}`, { cause: error });
      });

      for (const code of keyless) {
        const d = view.deliveries.find((x: Loose) => x.recipient === code);
        expect(d.lastError).toMatch(/certificate/i);
        expect(d.lastError).toContain(code);
        expect(['pending', 'sending', 'failed']).toContain(d.state);
        expect(d.statusCode).toBeNull();
      }

      const rows = await deliveryRows(node, id);
      for (const r of rows) {
        if (keyless.includes(r.recipient_code)) {
          expect(r, r.recipient_code).toMatchObject({ items: 0, items_of_delivery: 0, receipts: 0 });
          expect(r.state).not.toBe('arrived');
        } else {
          expect(r, r.recipient_code).toMatchObject({ state: 'arrived', status_code: '01', items: 1, items_of_delivery: 1, receipts: 1, carried: 1 });
        }
      }
      // The keyless ones never got an inbox item through another path either.
      const [held] = await conn.execute<Array<{ n: number }>>(`select count(*)::int as n from inbox_item where agency_code = ? or agency_code = ?`, keyless);
      expect(held?.n).toBe(0);
    },
    60_000,
  );
});

describe('deliverLocal called directly (no worker)', () => {
  let district: Agency;
  let deps: PipelineDeps;

  beforeAll(async () => {
    ({ district } = await createDistrict(idle, 83, 10));
    deps = pipelineDeps(idle);
  });

  /** A signed document to the 10 communes, its deliveries pending: nobody runs the queue of `idle`. */
  async function signedDocument(): Promise<{ id: string; deliveryIds: string[] }> {
    const sent = await sendDocument(idle, district.clerk, directive({ to: [`children:${district.code}`] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    expect(await signDocument(idle.runtime.orm.em.fork(), deps, id)).toBe(true);
    const rows = await deliveryRows(idle, id);
    expect(rows.map((r) => r.state)).toEqual(Array(10).fill('pending'));
    return { id, deliveryIds: rows.map((r) => r.id) };
  }

  it('twice in a row for the same ids: the second call makes nothing', async () => {
    const { id, deliveryIds } = await signedDocument();
    expect(await deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds)).toEqual([]);
    expectExactlyOnce(await deliveryRows(idle, id), 10);
    expect(await deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds)).toEqual([]);
    expect(await deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds, { skipLocked: true })).toEqual([]);
    const rows = await deliveryRows(idle, id);
    expectExactlyOnce(rows, 10);
    for (const r of rows) expect(r.attempts).toBe(1);
  });

  it('twice at once with skipLocked on the same 10 ids: one item and one 01 per recipient', async () => {
    const { id, deliveryIds } = await signedDocument();
    const results = await Promise.all([
      deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds, { skipLocked: true }),
      deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds, { skipLocked: true }),
    ]);
    expect(results).toEqual([[], []]);
    const rows = await deliveryRows(idle, id);
    expectExactlyOnce(rows, 10);
    for (const r of rows) expect(r.attempts).toBe(1);
  });

  it('twice at once without skipLocked, ids in opposite orders: no deadlock, one item and one 01 per recipient', async () => {
    const { id, deliveryIds } = await signedDocument();
    const results = await Promise.all([
      deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds),
      deliverLocal(idle.runtime.orm.em.fork(), deps, [...deliveryIds].reverse()),
      // The single-delivery retry of the batch's head, racing the batch.
      deliverLocal(idle.runtime.orm.em.fork(), deps, [deliveryIds[0]!]),
    ]);
    expect(results).toEqual([[], [], []]);
    expectExactlyOnce(await deliveryRows(idle, id), 10);
  });

  it('a delivery whose item exists but whose 01 was left uncarried: no second item, the 01 is handed back to carry', async () => {
    const { id, deliveryIds } = await signedDocument();
    await deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds);
    const target = deliveryIds[3]!;
    // As after an earlier attempt that stored the item and the 01 but left the 01 to the status job.
    const conn = idle.runtime.orm.em.fork().getConnection();
    await conn.execute(`update delivery set state = 'sending', status_code = null, status_at = null where id = ?`, [target]);
    await conn.execute(`update status_record set carried = false, carried_at = null where delivery_id = ? and code = '01'`, [target]);
    const [receipt] = await conn.execute<Array<{ id: string }>>(`select id from status_record where delivery_id = ? and code = '01'`, [target]);

    expect(await deliverLocal(idle.runtime.orm.em.fork(), deps, deliveryIds)).toEqual([receipt!.id]);
    const rows = await deliveryRows(idle, id);
    for (const r of rows) {
      expect(r, r.recipient_code).toMatchObject({ items: 1, items_of_delivery: 1, receipts: 1 });
      if (r.id !== target) expect(r, r.recipient_code).toMatchObject({ state: 'arrived', carried: 1 });
    }
  });
});

describe('a fan-out\'s later batches (verifyStoredOnce)', () => {
  it('reuse the package\'s recent verification by its stored SHA-256 without reading its bytes again, and check the certificate again every time', async () => {
    const { district } = await createDistrict(idle, 84, 10);
    const deps = pipelineDeps(idle);
    const sent = await sendDocument(idle, district.clerk, directive({ to: [`children:${district.code}`] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    expect(await signDocument(idle.runtime.orm.em.fork(), deps, id)).toBe(true);
    const ids = (await deliveryRows(idle, id)).map((r) => r.id);
    const fork = () => idle.runtime.orm.em.fork();
    const conn = fork().getConnection();

    await deliverLocal(fork(), deps, ids.slice(0, 4));
    // The stored bytes replaced behind the node's back (not emptied: that is a purge, answered 410).
    // Reading and verifying them would refuse the package; a later batch does not read them.
    const [{ package_id: packageId }] = (await conn.execute(`select package_id from delivery where id = ?`, [ids[0]])) as [{ package_id: string }];
    await conn.execute(`update edxml_package set bytes = ? where id = ?`, [Buffer.from('<not-a-package/>'), packageId]);
    expect(await deliverLocal(fork(), deps, ids.slice(4, 7))).toEqual([]);
    const rows = await deliveryRows(idle, id);
    expect(rows.filter((r) => r.state === 'arrived').map((r) => r.id).sort()).toEqual(ids.slice(0, 7).sort());
    // Without the recent verification (another process), the bytes are read, and refused.
    await expect(deliverLocal(fork(), { ...deps, verified: new VerifiedCache() }, [ids[7]!])).rejects.toThrow();

    // The certificate is checked again with every reuse: withdrawn, the recent verification is not enough.
    await conn.execute(`update agency_certificate set active = false where agency_code = ?`, [district.code]);
    await expect(deliverLocal(fork(), deps, [ids[8]!])).rejects.toThrow(/certificate/i);
    expect((await deliveryRows(idle, id)).filter((r) => r.state === 'arrived')).toHaveLength(7);
  });
});

describe('the recipients an inbox item keeps', () => {
  it(
    'past MAX_STORED_RECIPIENTS an item keeps its own To entry and toCount; a package to 3 keeps all 3',
    async () => {
      expect(60).toBeGreaterThan(MAX_STORED_RECIPIENTS);
      const { district, communes } = big;
      expect(communes).toHaveLength(60);
      const wide = await sendDocument(node, district.clerk, directive({ to: [`children:${district.code}`] }));
      const narrow = await sendDocument(node, district.clerk, directive({ to: communes.slice(0, 3).map((c) => c.code) }));
      expect(wide.status, wide.text).toBe(201);
      expect(narrow.status, narrow.text).toBe(201);
      await waitForDeliveries(node, district.clerk, wide.json.id as string, Object.fromEntries(communes.map((c) => [c.code, { state: 'arrived', statusCode: '01' }])));
      await waitForDeliveries(node, district.clerk, narrow.json.id as string, Object.fromEntries(communes.slice(0, 3).map((c) => [c.code, { state: 'arrived', statusCode: '01' }])));
      expectExactlyOnce(await deliveryRows(node, wide.json.id as string), 60);

      /** The id of the commune's inbox item for a document (DocumentId as the API gave it). */
      const itemOf = async (commune: Agency, documentId: string): Promise<string> => {
        const res = await node.call('GET', '/v1/inbox?limit=500', { token: commune.clerk });
        expect(res.status, res.text).toBe(200);
        const found = itemsOf(res.json).filter((i: Loose) => i.documentId === documentId);
        expect(found, commune.code).toHaveLength(1);
        return found[0].id as string;
      };

      // Every one of the 60 items, through the API: its own entry, and the count.
      for (const commune of communes) {
        const itemId = await itemOf(commune, wide.json.documentId as string);
        const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
        expect(detail.status, detail.text).toBe(200);
        const header = detail.json.metadata;
        expect(header.to, commune.code).toHaveLength(1);
        expect(header.to[0].organId).toBe(commune.code);
        expect(header.to[0].organName).toBe(commune.name);
        expect(header.toCount).toBe(60);
        expect(header.from?.organId).toBe(district.code);
      }
      // The signed package still names all 60.
      const first = communes[0]!;
      const edxml = await getBytes(node, `/v1/inbox/${await itemOf(first, wide.json.documentId as string)}/edxml`, first.clerk);
      expect(edxml.status).toBe(200);
      const xml = edxml.bytes.toString('utf8');
      for (const c of communes) expect(xml).toContain(c.code);

      // A package to 3: each item keeps all 3 entries and no count.
      for (const commune of communes.slice(0, 3)) {
        const itemId = await itemOf(commune, narrow.json.documentId as string);
        const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
        expect(detail.status, detail.text).toBe(200);
        const header = detail.json.metadata;
        expect(header.to.map((t: Loose) => t.organId).sort()).toEqual(communes.slice(0, 3).map((c) => c.code).sort());
        expect(header).not.toHaveProperty('toCount');
      }
    },
    60_000,
  );

  it(
    'the limit itself: a package to exactly MAX_STORED_RECIPIENTS keeps every entry, one more keeps only the own entry',
    async () => {
      const { district, communes } = big;
      const docs: Array<{ id: string; size: number }> = [];
      for (const size of [MAX_STORED_RECIPIENTS, MAX_STORED_RECIPIENTS + 1]) {
        const sent = await sendDocument(node, district.clerk, directive({ to: communes.slice(0, size).map((c) => c.code) }));
        expect(sent.status, sent.text).toBe(201);
        docs.push({ id: sent.json.id as string, size });
      }
      for (const { id, size } of docs) {
        await waitForDeliveries(node, district.clerk, id, Object.fromEntries(communes.slice(0, size).map((c) => [c.code, { state: 'arrived', statusCode: '01' }])));
        const items = await node.runtime.orm.em
          .fork()
          .getConnection()
          .execute<Array<{ agency_code: string; metadata: { messageHeader: { to: Array<{ organId: string }>; toCount?: number } } }>>(
            `select i.agency_code, i.metadata from inbox_item i join delivery d on d.id = i.delivery_id where d.document_id = ?`,
            [id],
          );
        expect(items).toHaveLength(size);
        for (const item of items) {
          const header = item.metadata.messageHeader;
          if (size > MAX_STORED_RECIPIENTS) {
            expect(header.to.map((t) => t.organId), item.agency_code).toEqual([item.agency_code]);
            expect(header.toCount).toBe(size);
          } else {
            expect(header.to, item.agency_code).toHaveLength(size);
            expect(header).not.toHaveProperty('toCount');
          }
        }
      }
    },
    60_000,
  );
});
