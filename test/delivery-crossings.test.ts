import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobName } from '../queues/jobs.js';
import { createLogger } from '../src/logger.js';
import {
  type Agency,
  ASYNC_TIMEOUT_MS,
  createDistrict,
  deliveryOf,
  directive,
  documentOf,
  getBytes,
  itemsOf,
  type Loose,
  postStatus,
  samplePdf,
  sendDocument,
  type TimelineEvent,
  timelineOf,
  waitForDeliveries,
  waitForInboxItem,
} from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 12 on one node: the delivery graph as a clerk and a sender see it, and the interleavings
 * of a recipient's status, the sender's recall and local delivery. Everything is read through the
 * API (deliveries, inbox items, timeline, answers); two things only the database and the queues can
 * tell are read there: "no status left uncarried" and "no job still retrying" — nothing retried for
 * ever. An interleaving is forced by pausing a BullMQ queue of this node (the work waits in Redis
 * exactly as it would behind a slow worker), never by sleeping.
 */

const FAMILY = 52;
const COMMUNES = 30;
const fast = { LIENTHONG_SWEEP_EVERY_MS: '1000', LIENTHONG_SWEEP_GRACE_MS: '500' };

let node: TestNode;
let district: Agency;
let communes: Agency[];
/** What the node logged at warn and above (a swallowed deadlock, a failing job, shows here). */
const logLines: string[] = [];

beforeAll(async () => {
  node = await startTestNode({ env: fast, logger: createLogger('warn', {}, { write: (line: string) => void logLines.push(line) }) });
  ({ district, communes } = await createDistrict(node, FAMILY, COMMUNES));
}, 120_000);
afterAll(async () => node?.close());

// ---------------------------------------------------------------------------------------------
// Readers

const getDocument = (id: string): Promise<Loose> => documentOf(node, district.clerk, id);
const timeline = (id: string): Promise<TimelineEvent[]> => timelineOf(node, district.clerk, id);

async function inboxItem(c: Agency, itemId: string): Promise<Loose> {
  const res = await node.call('GET', `/v1/inbox/${itemId}`, { token: c.clerk });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** The item carrying `documentId` in `c`'s inbox, if any. */
async function findItem(c: Agency, documentId: string): Promise<Loose | undefined> {
  const res = await node.call('GET', '/v1/inbox?limit=500', { token: c.clerk });
  expect(res.status, res.text).toBe(200);
  return itemsOf(res.json).find((i) => i.documentId === documentId);
}

async function waitItemState(c: Agency, itemId: string, state: string): Promise<Loose> {
  let last: Loose;
  try {
    return await eventually(async () => {
      last = await inboxItem(c, itemId);
      return last.state === state ? last : undefined;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`item ${itemId} of ${c.code} never became ${state}; last: ${JSON.stringify(last?.state)}`, { cause: error });
  }
}

/** Statuses of this document's deliveries still waiting to be applied on the other side. */
async function uncarried(documentUuid: string): Promise<Array<{ id: string; code: string }>> {
  return node.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ id: string; code: string }>>(
      `select s.id, s.code from status_record s join delivery d on d.id = s.delivery_id where d.document_id = ? and s.carried = false`,
      [documentUuid],
    );
}

/**
 * Jobs about the document still waiting, running or waiting for a retry (a retry is a `delayed`
 * job): its deliveries' `deliver` jobs and its statuses' `status` jobs.
 */
async function pendingJobs(documentUuid: string): Promise<string[]> {
  const ids = await node.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ id: string }>>(
      `select id from delivery where document_id = ? union all select s.id from status_record s join delivery d on d.id = s.delivery_id where d.document_id = ?`,
      [documentUuid, documentUuid],
    );
  const mine = new Set(ids.map((r) => r.id));
  const open: string[] = [];
  for (const name of ['deliver', 'status'] as JobName[]) {
    const jobs = await node.runtime.queues.queue(name).getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
    for (const job of jobs) {
      const data = (job?.data ?? {}) as { deliveryId?: string; statusId?: string; batch?: string[] };
      if ([data.deliveryId, data.statusId, ...(data.batch ?? [])].some((x) => x !== undefined && mine.has(x))) open.push(`${name}:${String(job?.id)}`);
    }
  }
  return open;
}

/** Every status of the document carried and no job about it left: nothing left to retry. */
async function settled(documentUuid: string): Promise<void> {
  let last: unknown;
  try {
    await eventually(async () => {
      const left = await uncarried(documentUuid);
      const jobs = await pendingJobs(documentUuid);
      last = { left, jobs };
      return left.length === 0 && jobs.length === 0;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`document ${documentUuid} did not settle: ${JSON.stringify(last)}; failed jobs: ${failuresSince(0).slice(-3).join('')}`, { cause: error });
  }
}

/**
 * Work that failed since log line `from`: a job attempt that threw (it is retried), a batch of
 * local deliveries that failed and fell back to one by one, or any deadlock PostgreSQL broke.
 */
function failuresSince(from: number): string[] {
  return logLines.slice(from).filter((line) => {
    const entry = JSON.parse(line) as { msg?: string };
    return entry.msg === 'job failed' || /^batched delivery failed/.test(entry.msg ?? '') || /deadlock|40P01/i.test(line);
  });
}

/** Deadlocks PostgreSQL detected in this node's database so far (its statistics). */
async function deadlocks(): Promise<number> {
  const rows = await node.runtime.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ n: number }>>(`select pg_stat_clear_snapshot(), (select deadlocks::int from pg_stat_database where datname = current_database()) as n`);
  return rows[0]?.n ?? 0;
}

/** Runs `body` with a queue of this node paused: its jobs wait in Redis until it is resumed. */
async function withQueuePaused<T>(name: JobName, body: () => Promise<T>): Promise<T> {
  const queue = node.runtime.queues.queue(name);
  await queue.pause();
  try {
    return await body();
  } finally {
    await queue.resume();
  }
}

async function send(to: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; documentId: string }> {
  const sent = await sendDocument(node, district.clerk, directive({ to, ...extra }));
  expect(sent.status, sent.text).toBe(201);
  return { id: sent.json.id as string, documentId: sent.json.documentId as string };
}

async function recall(id: string, reason = 'Ban hành nhầm'): Promise<Loose> {
  const res = await node.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason } });
  expect(res.status, res.text).toBe(202);
  return res.json;
}

async function expectIllegal(c: Agency, itemId: string, body: Record<string, unknown>): Promise<void> {
  const res = await postStatus(node, c.clerk, itemId, body);
  expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(409);
  expect(res.json.code).toBe('ILLEGAL_TRANSITION');
}

async function report(c: Agency, itemId: string, code: string, description?: string): Promise<Loose> {
  const res = await postStatus(node, c.clerk, itemId, { code, ...(description ? { description } : {}) });
  expect(res.status, `${code} on ${c.code}: ${res.text}`).toBe(200);
  return res.json;
}

/** A document to `to`, waited until every delivery arrived; returns the items by commune code. */
async function delivered(to: Agency[], extra: Record<string, unknown> = {}): Promise<{ id: string; documentId: string; items: Map<string, string> }> {
  const { id, documentId } = await send(
    to.map((c) => c.code),
    extra,
  );
  await waitForDeliveries(node, district.clerk, id, Object.fromEntries(to.map((c) => [c.code, { state: 'arrived', statusCode: '01' }])));
  const items = new Map<string, string>();
  for (const c of to) items.set(c.code, await waitForInboxItem(node, c.clerk, documentId));
  return { id, documentId, items };
}

// ---------------------------------------------------------------------------------------------

describe('the graph as a clerk and the sender see it', () => {
  it('steps may be skipped forward, never gone back; refused is final; the sender follows each step', async () => {
    const [a, b, c] = [communes[0]!, communes[1]!, communes[2]!];
    const doc = await delivered([a, b, c]);

    // a: 03 → 05 (04 skipped) → 06; going back is refused.
    expect(await report(a, doc.items.get(a.code)!, '03')).toMatchObject({ state: 'accepted', statusCode: '03' });
    expect(await report(a, doc.items.get(a.code)!, '05')).toMatchObject({ state: 'processing', statusCode: '05' });
    await expectIllegal(a, doc.items.get(a.code)!, { code: '04' });
    await expectIllegal(a, doc.items.get(a.code)!, { code: '03' });
    expect(await report(a, doc.items.get(a.code)!, '06')).toMatchObject({ state: 'completed', statusCode: '06' });
    await expectIllegal(a, doc.items.get(a.code)!, { code: '02', description: 'Sai địa chỉ' });

    // b: 03 → 06 straight (accepted → completed).
    await report(b, doc.items.get(b.code)!, '03');
    expect(await report(b, doc.items.get(b.code)!, '06')).toMatchObject({ state: 'completed' });

    // c: 02 makes the item final: 03, 04, 15 on it are refused, and no arrival number is taken.
    expect(await report(c, doc.items.get(c.code)!, '02', 'Không đúng thẩm quyền')).toMatchObject({ state: 'refused' });
    await expectIllegal(c, doc.items.get(c.code)!, { code: '03' });
    await expectIllegal(c, doc.items.get(c.code)!, { code: '04' });
    await expectIllegal(c, doc.items.get(c.code)!, { code: '15' });
    expect((await inboxItem(c, doc.items.get(c.code)!)).arrivalNumber).toBeNull();

    await waitForDeliveries(node, district.clerk, doc.id, {
      [a.code]: { state: 'completed', statusCode: '06' },
      [b.code]: { state: 'completed', statusCode: '06' },
      [c.code]: { state: 'refused', statusCode: '02' },
    });
    await settled(doc.id);
    // Each applied status moved the delivery: a `status` event each, none kept or refused.
    const events = await timeline(doc.id);
    const applied = events.filter((e) => e.type === 'status' && e.recipient === a.code).map((e) => e.statusCode);
    expect(applied).toEqual(['01', '03', '05', '06']);
    expect(events.filter((e) => e.type === 'status.kept' || e.type === 'status.refused')).toEqual([]);
  }, 60_000);

  it('a recall must be answered first (03 on recall_requested is 409); after 16 the recipient goes on on both sides', async () => {
    const [a, b] = [communes[3]!, communes[4]!];
    const doc = await delivered([a, b]);
    await recall(doc.id);
    const afterRecall = await getDocument(doc.id);
    expect(deliveryOf(afterRecall, a.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
    expect(deliveryOf(afterRecall, b.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
    const itemA = doc.items.get(a.code)!;
    const itemB = doc.items.get(b.code)!;
    await waitItemState(a, itemA, 'recall_requested');
    await waitItemState(b, itemB, 'recall_requested');

    // The clerk must answer the recall before anything else.
    await expectIllegal(a, itemA, { code: '03' });
    await expectIllegal(a, itemA, { code: '02', description: 'Sai địa chỉ' });
    await expectIllegal(a, itemA, { code: '06' });

    // 16 on both: recall_refused on both sides; then the recipients go on (recall_refused → accepted | processing).
    expect(await report(a, itemA, '16', 'Văn bản đã được triển khai')).toMatchObject({ state: 'recall_refused' });
    expect(await report(b, itemB, '16')).toMatchObject({ state: 'recall_refused' });
    await waitForDeliveries(node, district.clerk, doc.id, { [a.code]: { state: 'recall_refused', statusCode: '16' }, [b.code]: { state: 'recall_refused', statusCode: '16' } });
    await expectIllegal(a, itemA, { code: '15' });

    const accepted = await report(a, itemA, '03');
    expect(accepted).toMatchObject({ state: 'accepted', statusCode: '03' });
    expect(accepted.arrivalNumber).toEqual(expect.any(Number));
    expect(await report(b, itemB, '05')).toMatchObject({ state: 'processing' });
    await waitForDeliveries(node, district.clerk, doc.id, { [a.code]: { state: 'accepted', statusCode: '03' }, [b.code]: { state: 'processing', statusCode: '05' } });
    expect(await report(a, itemA, '06')).toMatchObject({ state: 'completed' });
    await waitForDeliveries(node, district.clerk, doc.id, { [a.code]: { state: 'completed', statusCode: '06' } });
    await settled(doc.id);
  }, 60_000);
});

describe('a recipient status crossing the recall', () => {
  it('03 reported before the recall but carried after it: recorded as status.kept, and 15 / 16 still end both sides', async () => {
    const logFrom = logLines.length;
    // crossing1, crossing2: the 03 crosses the recall; early: its 03 is applied before the recall.
    const [crossing1, crossing2, early] = [communes[5]!, communes[6]!, communes[7]!];
    const doc = await delivered([crossing1, crossing2, early]);
    const item = (c: Agency) => doc.items.get(c.code)!;

    await report(early, item(early), '03');
    await waitForDeliveries(node, district.clerk, doc.id, { [early.code]: { state: 'accepted', statusCode: '03' } });

    const numbers = await withQueuePaused('status', async () => {
      // The clerks accept (each item takes its số đến); their 03s wait for the status job...
      const n1 = await report(crossing1, item(crossing1), '03');
      const n2 = await report(crossing2, item(crossing2), '03');
      expect(n1).toMatchObject({ state: 'accepted' });
      expect(n2).toMatchObject({ state: 'accepted' });
      // ...while the sender recalls: every delivery is asked back at once.
      await recall(doc.id);
      const now = await getDocument(doc.id);
      for (const c of [crossing1, crossing2, early]) expect(deliveryOf(now, c.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
      return [n1.arrivalNumber as number, n2.arrivalNumber as number];
    });
    expect(numbers.every((n) => Number.isInteger(n))).toBe(true);

    // The 13s reach the items (accepted → recall_requested); the crossing 03s are recorded and kept.
    for (const c of [crossing1, crossing2, early]) {
      const it13 = await waitItemState(c, item(c), 'recall_requested');
      expect(it13.statusCode).toBe('13');
    }
    await settled(doc.id);
    const events = await timeline(doc.id);
    for (const c of [crossing1, crossing2]) {
      const kept = events.filter((e) => e.recipient === c.code && e.statusCode === '03');
      expect(kept, `03 of ${c.code}`).toHaveLength(1);
      expect(kept[0]).toMatchObject({ type: 'status.kept', state: 'recall_requested' });
      expect(kept[0]!.details.reason).toEqual(expect.any(String));
      expect(String(kept[0]!.details.reason).length).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.recipient === early.code && e.statusCode === '03').map((e) => e.type)).toEqual(['status']);
    const held = await getDocument(doc.id);
    for (const c of [crossing1, crossing2, early]) expect(deliveryOf(held, c.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });

    // The answers end both sides.
    expect(await report(crossing1, item(crossing1), '15')).toMatchObject({ state: 'recalled' });
    expect(await report(crossing2, item(crossing2), '16')).toMatchObject({ state: 'recall_refused' });
    expect(await report(early, item(early), '15')).toMatchObject({ state: 'recalled' });
    await waitForDeliveries(node, district.clerk, doc.id, {
      [crossing1.code]: { state: 'recalled', statusCode: '15' },
      [crossing2.code]: { state: 'recall_refused', statusCode: '16' },
      [early.code]: { state: 'recalled', statusCode: '15' },
    });
    expect((await inboxItem(crossing1, item(crossing1))).state).toBe('recalled');
    expect((await inboxItem(crossing2, item(crossing2))).state).toBe('recall_refused');
    await settled(doc.id);
    // The crossing 03s ended their jobs at the first attempt: no status job threw.
    expect(failuresSince(logFrom)).toEqual([]);
  }, 60_000);

  it('03 and the recall posted back to back on 10 documents: every one ends defined on both sides, nothing left to retry', async () => {
    const logFrom = logLines.length;
    const recipients = communes.slice(8, 18);
    const docs = await Promise.all(recipients.map(async (c) => ({ c, ...(await delivered([c])) })));
    const races = await Promise.all(
      docs.map(async (d) => {
        const [accepted, recalled] = await Promise.all([
          postStatus(node, d.c.clerk, d.items.get(d.c.code)!, { code: '03' }),
          node.call('POST', `/v1/documents/${d.id}/recall`, { token: district.clerk, body: { reason: 'Ban hành nhầm' } }),
        ]);
        expect(recalled.status, recalled.text).toBe(202);
        // The 03 wins (200) unless the 13 reached the item first (then the clerk must answer it: 409).
        expect([200, 409], accepted.text).toContain(accepted.status);
        if (accepted.status === 409) expect(accepted.json.code).toBe('ILLEGAL_TRANSITION');
        return { ...d, accepted: accepted.status === 200 };
      }),
    );
    for (const [i, r] of races.entries()) {
      const itemId = r.items.get(r.c.code)!;
      await waitItemState(r.c, itemId, 'recall_requested');
      await settled(r.id);
      const doc = await getDocument(r.id);
      expect(deliveryOf(doc, r.c.code)).toMatchObject({ state: 'recall_requested', statusCode: '13' });
      const events = await timeline(r.id);
      const of03 = events.filter((e) => e.recipient === r.c.code && e.statusCode === '03');
      if (r.accepted) {
        // Applied before the recall (status), or after it and kept (status.kept): both are defined.
        expect(of03, `document ${i}`).toHaveLength(1);
        expect(['status', 'status.kept']).toContain(of03[0]!.type);
      } else {
        expect(of03).toEqual([]);
      }
      await report(r.c, itemId, i % 2 === 0 ? '15' : '16');
    }
    for (const [i, r] of races.entries()) {
      const want = i % 2 === 0 ? { state: 'recalled', statusCode: '15' } : { state: 'recall_refused', statusCode: '16' };
      await waitForDeliveries(node, district.clerk, r.id, { [r.c.code]: want });
      expect((await inboxItem(r.c, r.items.get(r.c.code)!)).state).toBe(want.state);
      await settled(r.id);
    }
    expect(failuresSince(logFrom)).toEqual([]);
  }, 60_000);
});

describe("one recipient's statuses in a row", () => {
  it("16 then 03 from the same recipient, the 16's job lost and carried later by the sweep: the sender ends where the recipient is (accepted)", async () => {
    // The inbox route enqueues a status job and tolerates a failed enqueue (the sweep carries what
    // is left uncarried); the 16's job is taken out of the queue here to stand for that lost enqueue.
    const c = communes[19]!;
    const doc = await delivered([c]);
    const itemId = doc.items.get(c.code)!;
    await recall(doc.id);
    await waitItemState(c, itemId, 'recall_requested');
    await settled(doc.id);
    await withQueuePaused('status', async () => {
      expect(await report(c, itemId, '16')).toMatchObject({ state: 'recall_refused' });
      const statuses = (await inboxItem(c, itemId)).statuses as Array<{ id: string; code: string }>;
      const the16 = statuses.find((x) => x.code === '16')!;
      expect(the16).toBeDefined();
      expect(await node.runtime.queues.queue('status').remove(`status-${the16.id}`)).toBe(1);
      const accepted = await report(c, itemId, '03');
      expect(accepted).toMatchObject({ state: 'accepted' });
      expect(accepted.arrivalNumber).toEqual(expect.any(Number));
    });
    await settled(doc.id);
    const delivery = deliveryOf(await getDocument(doc.id), c.code);
    const applied = (await timeline(doc.id)).filter((e) => e.recipient === c.code && (e.statusCode === '16' || e.statusCode === '03')).map((e) => `${e.type}:${e.statusCode}`);
    // Both statuses are recorded, in the order the recipient reported them, and the sender's
    // delivery is where the recipient's item is.
    expect({ state: delivery.state, statusCode: delivery.statusCode, applied }).toEqual({ state: 'accepted', statusCode: '03', applied: ['status:16', 'status:03'] });
    expect((await inboxItem(c, itemId)).state).toBe('accepted');
  }, 60_000);
});

describe('recall concurrent with local delivery of a batch', () => {
  /**
   * A document to every commune (30: two batches of local delivery), recalled while it is being
   * delivered. Right after the recall's 202 every delivery is decided: `recalled` (never reached
   * the recipient: no inbox item, ever) or `recall_requested` (the item gets the 13 and is
   * answered). The moment is read where it is cheapest to poll, so that the recall lands inside the
   * delivery:
   * - 'delivering': a deliver job is running (verifying, signing the 01s, or writing);
   * - 'writing': a batch delivery transaction of this node holds its rows (PostgreSQL's view of the
   *   other sessions: a transaction that locked deliveries with SKIP LOCKED, or writes inbox items) —
   *   the recall then has to lock the same rows, in the same order, while they are held.
   * Should the moment pass unseen (the delivery was quicker than the polling), the recall comes once
   * everything arrived, which is still a valid round.
   */
  async function recallDuringDelivery(when: 'delivering' | 'writing'): Promise<Decided> {
    const { id, documentId } = await send([`children:${district.code}`]);
    const conn = node.runtime.orm.em.fork().getConnection();
    const arrived = async () =>
      (await conn.execute<Array<{ n: number }>>(`select count(*)::int as n from delivery where document_id = ? and state = 'arrived'`, [id]))[0]?.n ?? 0;
    await eventually(
      async () => {
        // This document's deliver jobs, not the ones a previous round left running: it is sent first.
        if (when === 'delivering') return (await getDocument(id)).state === 'sent' && ((await node.runtime.queues.queue('deliver').getJobCounts('active')).active ?? 0) > 0;
        const writing = await conn.execute<Array<{ n: number }>>(
          `select count(*)::int as n from pg_stat_activity
            where exists (select 1 from outgoing_document where id = ? and state = 'sent')
              and datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null
              and (query ~* 'from "?delivery"? .*for update skip locked' or query ilike 'insert into "inbox_item"%')`,
          [id],
        );
        return (writing[0]?.n ?? 0) > 0 || (await arrived()) === COMMUNES;
      },
      ASYNC_TIMEOUT_MS,
      1,
    );
    await recall(id);
    const result = await decided(id, documentId);
    // The round's own work (the 13s, the late deliver jobs) ends before the next round watches.
    await settled(id);
    return result;
  }

  interface Decided {
    id: string;
    documentId: string;
    /** Recipients asked back (13): they hold an item. */
    asked: Agency[];
    /** Recipients whose delivery was recalled at once: they never get an item. */
    cancelled: Agency[];
  }

  /** Right after the recall's 202, every delivery is decided: recalled at once, or asked back. */
  async function decided(id: string, documentId: string): Promise<Decided> {
    const doc = await getDocument(id);
    expect(doc.state).toBe('recalled');
    expect(doc.deliveries).toHaveLength(COMMUNES);
    const states = (doc.deliveries as Loose[]).map((d) => `${d.recipient}:${d.state}`).join(' ');
    const events = await timeline(id);
    const result: Decided = { id, documentId, asked: [], cancelled: [] };
    for (const d of doc.deliveries as Loose[]) {
      expect(['recalled', 'recall_requested'], states).toContain(d.state);
      const mine = events.filter((e) => e.recipient === d.recipient).map((e) => e.type);
      const commune = communes.find((c) => c.code === d.recipient)!;
      if (d.state === 'recalled') {
        expect(mine, d.recipient).toContain('recall.cancelled');
        expect(mine, d.recipient).not.toContain('delivery.delivered');
        result.cancelled.push(commune);
      } else {
        expect(mine, d.recipient).toContain('recall.requested');
        result.asked.push(commune);
      }
    }
    return result;
  }

  /**
   * Once the queues are empty: whoever was recalled at once holds nothing (the late deliver job did
   * not deliver it), whoever was asked back holds the item and has seen the 13.
   */
  async function holders(r: Decided): Promise<Map<string, string>> {
    const items = new Map<string, string>();
    await Promise.all(
      [...r.asked, ...r.cancelled].map(async (c) => {
        const item = await findItem(c, r.documentId);
        if (r.cancelled.includes(c)) {
          expect(item, `${c.code} got a delivery the recall cancelled`).toBeUndefined();
          return;
        }
        expect(item, `${c.code} was asked back but holds nothing`).toBeDefined();
        await waitItemState(c, item!.id as string, 'recall_requested');
        items.set(c.code, item!.id as string);
      }),
    );
    return items;
  }

  /** Every holder answers: the first 16 then (once the sender has it) 03, the others 15; both sides end there. */
  async function answerAll(r: Decided, items: Map<string, string>): Promise<void> {
    const [refuser, ...accepters] = r.asked;
    const work = accepters.map(async (c) => expect(await report(c, items.get(c.code)!, '15')).toMatchObject({ state: 'recalled' }));
    if (refuser) {
      work.push(
        (async () => {
          const itemId = items.get(refuser.code)!;
          expect(await report(refuser, itemId, '16')).toMatchObject({ state: 'recall_refused' });
          await waitForDeliveries(node, district.clerk, r.id, { [refuser.code]: { state: 'recall_refused', statusCode: '16' } });
          const accepted = await report(refuser, itemId, '03');
          expect(accepted).toMatchObject({ state: 'accepted' });
          expect(accepted.arrivalNumber).toEqual(expect.any(Number));
        })(),
      );
    }
    await Promise.all(work);
    const want = (c: Agency) => (c === refuser ? { state: 'accepted', statusCode: '03' } : { state: 'recalled', statusCode: '15' });
    await waitForDeliveries(node, district.clerk, r.id, Object.fromEntries(r.asked.map((c) => [c.code, want(c)])));
    await Promise.all(r.asked.map(async (c) => expect((await inboxItem(c, items.get(c.code)!)).state).toBe(want(c).state)));
  }

  it('a delivery never attempted is recalled at once; one racing the recall ends recalled or asked back and answered; no deadlock, nothing stuck', async () => {
    const logFrom = logLines.length;
    const deadlocksBefore = await deadlocks();
    // 1. Never attempted (the deliver jobs wait): every delivery is recalled at once, no 13 is issued.
    const never = await withQueuePaused('deliver', async () => {
      const { id, documentId } = await send([`children:${district.code}`]);
      await eventually(async () => (await getDocument(id)).state === 'sent', ASYNC_TIMEOUT_MS);
      const answer = await recall(id);
      expect(answer.recipients).toBe(0);
      return decided(id, documentId);
    });
    expect(never.asked).toEqual([]);

    // 2. Recalled while a deliver job runs, and three times while a delivery transaction holds its
    //    rows: the deliver jobs and the recall lock the same rows. Whatever the interleaving, each
    //    delivery is decided at once.
    const racing = [await recallDuringDelivery('delivering')];
    for (let round = 0; round < 3; round++) racing.push(await recallDuringDelivery('writing'));
    // A recall that waited for a delivery transaction finds its recipients holding the document.
    expect(racing.slice(1).some((r) => r.asked.length > 0)).toBe(true);

    // 3. The queues drain; nobody holds a cancelled delivery; every holder answers, both sides end.
    for (const r of [never, ...racing]) await settled(r.id);
    const held = await Promise.all([never, ...racing].map((r) => holders(r)));
    await Promise.all([never, ...racing].map((r, i) => answerAll(r, held[i]!)));
    for (const r of [never, ...racing]) await settled(r.id);

    // No transaction was broken by PostgreSQL's deadlock detector, and no delivery or status job
    // failed on the way (a batch that fails falls back to one by one and says so in the log).
    expect(failuresSince(logFrom)).toEqual([]);
    expect(await deadlocks()).toBe(deadlocksBefore);
  }, 90_000);
});

describe('accepting a recall destroys the copy', () => {
  it('after 15 the recipient gets 410 for the attachment and for the package', async () => {
    const c = communes[18]!;
    const pdf = samplePdf();
    const doc = await delivered([c], { attachments: [{ name: 'ct-01.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] });
    const itemId = doc.items.get(c.code)!;
    const before = await getBytes(node, `/v1/inbox/${itemId}/attachments/0`, c.clerk);
    expect(before.status).toBe(200);
    expect(before.bytes.equals(pdf)).toBe(true);
    expect((await getBytes(node, `/v1/inbox/${itemId}/edxml`, c.clerk)).status).toBe(200);

    await recall(doc.id);
    await waitItemState(c, itemId, 'recall_requested');
    expect(await report(c, itemId, '15')).toMatchObject({ state: 'recalled' });
    await waitForDeliveries(node, district.clerk, doc.id, { [c.code]: { state: 'recalled', statusCode: '15' } });

    const item = await inboxItem(c, itemId);
    expect(item).toMatchObject({ state: 'recalled', withdrawn: true });
    const attachment = await getBytes(node, `/v1/inbox/${itemId}/attachments/0`, c.clerk);
    expect(attachment.status).toBe(410);
    const pkg = await getBytes(node, `/v1/inbox/${itemId}/edxml`, c.clerk);
    expect(pkg.status).toBe(410);
    expect(pkg.bytes.toString('latin1')).not.toContain(pdf.toString('base64').slice(0, 40));
    await settled(doc.id);
  }, 60_000);
});
