import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Partners are checked for their kind when they are registered (issue 15), and what goes wrong with
 * one is on the partner (`lastError`, `lastErrorAt`), said once in the log rather than as a stack
 * trace at every sweep. The axis is nock (a system we do not run).
 */
const AXIS = 'http://axis-partners.test';
const SERVED = '000.00.02.G50';

let node: TestNode;
const lines: string[] = [];
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  node = await startTestNode({
    env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' },
    logger: createLogger('info', {}, { write: (line: string) => void lines.push(line) }),
  });
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  await node?.close();
});

const createPartner = (body: Record<string, unknown>) => node.call('POST', '/v1/partners', { token: node.adminToken, body: { name: 'Đối tác', agencies: [SERVED], ...body } });

/** Runs one poll of `partnerId` and waits until it is over (one job id per partner). */
async function poll(partnerId: string): Promise<void> {
  const queue = node.runtime.queues.queue('poll');
  await eventually(async () => !(await queue.getJob(`poll-${partnerId}`)), 20_000, 50);
  await node.runtime.queues.enqueue('poll', { partnerId });
  await eventually(async () => !(await queue.getJob(`poll-${partnerId}`)), 20_000, 50);
}

describe('registering a partner', () => {
  it('an axis partner without credentials: 422 VALIDATION_FAILED naming credentials.systemId and credentials.secret', async () => {
    const res = await createPartner({ id: 'axis-bare', kind: 'axis', baseUrl: AXIS });
    expect(res.status, res.text).toBe(422);
    expect(res.json.code).toBe('VALIDATION_FAILED');
    expect(res.json.detail).toContain('An axis partner needs its credentials');
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['credentials.systemId', 'credentials.secret']);
    expect((await node.call('GET', '/v1/partners/axis-bare', { token: node.adminToken })).status).toBe(404);
  });

  it('an axis partner with half its credentials: 422 naming the missing one', async () => {
    const res = await createPartner({ id: 'axis-half', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lt-kg', secret: ' ' } });
    expect([res.status, res.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['credentials.secret']);
  });

  it('an axis partner with its credentials is registered; removing them later is 422', async () => {
    const res = await createPartner({ id: 'axis-ok', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lt-kg', secret: 'axis-secret' } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ kind: 'axis', mode: 'push', hasCredentials: true, lastError: null, lastErrorAt: null });
    const removed = await node.call('PATCH', '/v1/partners/axis-ok', { token: node.adminToken, body: { credentials: null } });
    expect([removed.status, removed.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    const renamed = await node.call('PATCH', '/v1/partners/axis-ok', { token: node.adminToken, body: { name: 'Trục tỉnh' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json.hasCredentials).toBe(true);
  });

  it('a push partner needs a baseUrl (422); a peer without one is a pull partner and needs nothing more', async () => {
    const push = await createPartner({ id: 'peer-push', kind: 'lienthong', mode: 'push' });
    expect([push.status, push.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(push.json.errors).toEqual([expect.objectContaining({ path: 'baseUrl' })]);
    const pull = await createPartner({ id: 'peer-pull', kind: 'lienthong' });
    expect(pull.status, pull.text).toBe(201);
    expect(pull.json.mode).toBe('pull');
    // A peer's token comes later (PATCH credentials.token), once it has registered us in turn.
    const peer = await createPartner({ id: 'peer-push-ok', kind: 'lienthong', baseUrl: 'http://peer.test' });
    expect([peer.status, peer.json.mode]).toEqual([201, 'push']);
  });
});

describe("a partner's last error", () => {
  it('an axis partner left without credentials (registered before the rule): the poll records why on the partner, logged once, no stack trace', async () => {
    const created = await createPartner({ id: 'axis-legacy', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lt-kg', secret: 'axis-secret' } });
    expect(created.status, created.text).toBe(201);
    // As a partner registered before the rule was: no credentials at all.
    await node.runtime.orm.em.fork().getConnection().execute(`update partner set credentials_encrypted = null where id = 'axis-legacy'`);
    const before = lines.length;

    await poll('axis-legacy');
    await poll('axis-legacy');
    await poll('axis-legacy');

    const partner = await node.call('GET', '/v1/partners/axis-legacy', { token: node.adminToken });
    expect(partner.status).toBe(200);
    expect(partner.json.lastError).toBe(
      'partner axis-legacy has no credentials.systemId and credentials.secret (the axis signs every request with them): change it with PATCH /v1/partners/axis-legacy',
    );
    expect(Date.parse(partner.json.lastErrorAt)).toBeGreaterThan(Date.now() - 60_000);
    // Not transport trouble: the circuit breaker is not involved.
    expect(partner.json.circuit).toMatchObject({ consecutiveFailures: 0, openUntil: null });

    const since = logged().slice(before);
    expect(since.filter((l) => l.msg === 'job failed')).toEqual([]);
    const warnings = since.filter((l) => String(l.msg).startsWith('axis poll failing'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, partner: 'axis-legacy' });
    expect(JSON.stringify(since)).not.toContain('    at ');

    // Given its credentials, the next poll works and the error is gone.
    const fixed = await node.call('PATCH', '/v1/partners/axis-legacy', { token: node.adminToken, body: { credentials: { systemId: 'lt-kg', secret: 'axis-secret' } } });
    expect(fixed.status, fixed.text).toBe(200);
    nock(AXIS).post('/getReceivedEdocList').times(2).reply(200, { data: [] });
    await poll('axis-legacy');
    const healthy = await node.call('GET', '/v1/partners/axis-legacy', { token: node.adminToken });
    expect(healthy.json).toMatchObject({ lastError: null, lastErrorAt: null });
    expect(logged().slice(before).some((l) => l.msg === 'axis poll works again')).toBe(true);
  });

  it('an axis that does not answer: the transport error is on the partner (and its circuit), said once in the log', async () => {
    const created = await createPartner({ id: 'axis-down', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lt-kg', secret: 'axis-secret' } });
    expect(created.status, created.text).toBe(201);
    const before = lines.length;
    nock(AXIS).post('/getReceivedEdocList').times(2).reply(503, 'maintenance');
    await poll('axis-down');
    await poll('axis-down');
    const partner = await node.call('GET', '/v1/partners/axis-down', { token: node.adminToken });
    expect(partner.json.lastError).toMatch(/503/);
    expect(partner.json.circuit.lastError).toBe(partner.json.lastError);
    expect(partner.json.circuit.consecutiveFailures).toBe(2);
    expect(partner.json.lastErrorAt).not.toBeNull();
    const since = logged().slice(before);
    expect(since.filter((l) => l.msg === 'job failed')).toEqual([]);
    expect(since.filter((l) => String(l.msg).startsWith('axis poll failing'))).toHaveLength(1);
  });
});
