import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsThread } from '../src/cli/jobs-thread.js';
import { createLogger } from '../src/logger.js';
import { createDistrict, directive, sendDocument, waitForDeliveries, type Agency } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * `lienthong start` runs its job workers on a thread of their own (src/cli/jobs-thread.ts, issue 11):
 * the main thread answers HTTP, the jobs thread delivers. Here the main runtime has the api role
 * only, so every delivery below can only have been made by the thread's workers.
 */

let node: TestNode;
let family: { district: Agency; communes: Agency[] };
const logger = createLogger('silent');

beforeAll(async () => {
  node = await startTestNode({ roles: { api: true, worker: false } });
  family = await createDistrict(node, 41, 3);
});
afterAll(async () => {
  await node?.close();
});

describe('the jobs thread', () => {
  it('runs the workers: a document sent to the api-only main runtime is delivered, and close() lets the thread finish', async () => {
    expect(node.runtime.workers).toBeUndefined();
    const { thread, queues } = await JobsThread.start(node.config, logger);
    try {
      expect(queues).toBeGreaterThan(5);
      const to = family.communes.map((c) => c.code);
      const sent = await sendDocument(node, family.district.clerk, directive({ to }));
      expect(sent.status, sent.text).toBe(201);
      await waitForDeliveries(node, family.district.clerk, sent.json.id, Object.fromEntries(to.map((code) => [code, { state: 'arrived', statusCode: '01' }])));
    } finally {
      await thread.close();
    }
    // Closed: nothing delivers any more (the main runtime has no workers).
    const after = await sendDocument(node, family.district.clerk, directive({ to: [family.communes[0]!.code], notation: 'CT-SAU' }));
    expect(after.status, after.text).toBe(201);
    await new Promise((r) => setTimeout(r, 1_500));
    const doc = await node.call('GET', `/v1/documents/${after.json.id}`, { token: family.district.clerk });
    expect(doc.json.state).not.toBe('sent');
    expect(await thread.close()).toBeUndefined(); // idempotent
  });

  it('says why when its workers cannot start (an unreachable database), instead of running without them', async () => {
    const broken = { ...node.config, databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' };
    await expect(JobsThread.start(broken, logger)).rejects.toThrow(/ECONNREFUSED|connect/i);
  });
});
