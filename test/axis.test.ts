import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, directive, sendDocument, type Agency } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { buildEdoc, buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';
import { createLogger } from '../src/logger.js';

/**
 * The provincial axis adapter against nock (the axis is a system we do not run): send, poll the edoc
 * and status lists, fetch, acknowledge, and the failures.
 */
const AXIS = 'http://axis.test';
const COMMUNE = '000.01.50.H33';
const PROVINCE_DEPT = '000.00.01.G50'; // an agency served by the axis (another system)
const foreignCa = generateCa({ commonName: 'National CA (test)', validityDays: 365 });
const foreign = issueAgencyCertificate(foreignCa, { agencyCode: PROVINCE_DEPT, agencyName: 'Sở Nội vụ', validityDays: 365 });
const foreignSigner = createPackageSigner(foreign.certificatePem, foreign.privateKeyPem!);

let node: TestNode;
let commune: Agency;

function signedFromAxis(n: number): Buffer {
  const model = edocModel({ from: { code: PROVINCE_DEPT, name: 'Sở Nội vụ' }, to: { code: COMMUNE, name: 'UBND xã 1' }, at: new Date(), number: n });
  return Buffer.from(signPackage(buildEdoc(model), foreignSigner));
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '3600000' }, logger: createLogger(process.env.TEST_LOG ?? 'silent') });
  commune = await createAgency(node, { code: COMMUNE, name: 'UBND xã 1', level: 'commune' });
  const admin = node.adminToken;
  await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: foreignCa.certificatePem } });
  const partner = await node.call('POST', '/v1/partners', {
    token: admin,
    body: { id: 'axis-kg', name: 'Trục LGSP tỉnh', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lienthong-kg', secret: 'axis-secret' }, agencies: [PROVINCE_DEPT], maxAttempts: 3 },
  });
  expect(partner.status, partner.text).toBe(201);
  const remote = await node.call('POST', '/v1/agencies', {
    token: admin,
    body: { code: PROVINCE_DEPT, name: 'Sở Nội vụ', level: 'department', endpoint: { type: 'remote', partnerId: 'axis-kg' } },
  });
  expect(remote.status, remote.text).toBe(201);
  expect((await node.call('POST', `/v1/agencies/${PROVINCE_DEPT}/certificates`, { token: admin, body: { certificatePem: foreign.certificatePem } })).status).toBe(201);
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  await node?.close();
});

/**
 * Runs one poll and waits until it is over: poll jobs have one id per partner, so a poll enqueued
 * while another still runs would be the same job.
 */
async function poll(): Promise<void> {
  const queue = node.runtime.queues.queue('poll');
  await eventually(async () => !(await queue.getJob('poll-axis-kg')), 20_000, 50);
  await node.runtime.queues.enqueue('poll', { partnerId: 'axis-kg' });
  await eventually(async () => !(await queue.getJob('poll-axis-kg')), 20_000, 50);
}

describe('the provincial axis adapter', () => {
  it('sends a document with sendEdoc (signed request headers), and the 01 from the axis moves the delivery', async () => {
    // nock's matchers see each header and the body: record them (and require them).
    const seen: { headers: Record<string, string>; body: string } = { headers: {}, body: '' };
    const header = (name: string) => (value: string) => {
      seen.headers[name] = value;
      return true;
    };
    nock(AXIS)
      .post('/sendEdoc', (body: unknown) => {
        seen.body = typeof body === 'string' ? body : JSON.stringify(body);
        return true;
      })
      .matchHeader('from', header('from'))
      .matchHeader('servicetype', header('servicetype'))
      .matchHeader('messagetype', header('messagetype'))
      .matchHeader('systemid', header('systemid'))
      .matchHeader('signature', header('signature'))
      .reply(200, { status: 'OK', ErrorDesc: '', DocID: 'axis-doc-1' });
    const sent = await sendDocument(node, commune.clerk, directive({ type: 'CV', notation: 'UBND-VP', to: [PROVINCE_DEPT] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await eventually(async () => {
      const d = (await node.call('GET', `/v1/documents/${id}`, { token: commune.clerk })).json.deliveries[0];
      return d.state === 'sending' && d.attempts === 1 ? d : undefined;
    }, 20_000, 100);
    expect(seen.headers.from).toBe(COMMUNE);
    expect(seen.headers.servicetype).toBe('eDoc');
    expect(seen.headers.messagetype).toBe('edoc');
    expect(seen.headers.systemid).toBe('lienthong-kg');
    expect(seen.headers.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(seen.body).toContain('name="file_doc"');
    expect(seen.body).toContain('<edXML:DocumentId>');

    // The recipient's system answers 01 through the axis; our poll of the status list applies it.
    const documentId = sent.json.documentId as string;
    const status = Buffer.from(
      signPackage(
        buildStatus({
          from: { organId: PROVINCE_DEPT, organName: 'Sở Nội vụ' },
          responseFor: { organId: COMMUNE, documentId, code: (sent.json.code as { text: string }).text, promulgationDate: documentId.split(',')[1]! },
          statusCode: '01',
          description: 'Đã đến',
          timestamp: dateToEdxmlTimestamp(new Date()),
        }),
        foreignSigner,
      ),
    );
    nock(AXIS)
      .post('/getReceivedEdocList').matchHeader('messagetype', 'edoc').reply(200, { data: [] })
      .post('/getReceivedEdocList').matchHeader('messagetype', 'status').reply(200, { data: [{ docId: 'st-1' }] })
      .post('/getEdoc').reply(200, { data: status.toString('base64') })
      .post('/updateStatus').reply(200, { status: 'OK' });
    await poll();
    await eventually(async () => {
      const d = (await node.call('GET', `/v1/documents/${id}`, { token: commune.clerk })).json.deliveries[0];
      return d.state === 'arrived' && d.statusCode === '01' ? d : undefined;
    }, 20_000, 100);
  });

  it('polls, fetches, stores, delivers to the inbox and acknowledges; a package offered twice is delivered once', async () => {
    const pkg = signedFromAxis(101);
    const updates = new Set<string>();
    let pendingDoc = '';
    const scope = nock(AXIS)
      .post('/getReceivedEdocList').matchHeader('messagetype', 'edoc').times(2).reply(200, { data: [{ docId: 'in-1' }, { docId: 'in-1-again' }] })
      .post('/getReceivedEdocList').matchHeader('messagetype', 'status').times(2).reply(200, { data: [] })
      .post('/getEdoc').matchHeader('docid', 'in-1').reply(200, { data: pkg.toString('base64') })
      .post('/getEdoc').matchHeader('docid', 'in-1-again').times(2).reply(200, { data: pkg.toString('base64') })
      .post('/updateStatus')
      .times(4)
      // nock evaluates header matchers more than once and for other requests too: keep only what an
      // updateStatus carries.
      .matchHeader('docid', (v: string) => ((pendingDoc = v), true))
      .matchHeader('status', (v: string) => (v === 'done' || v === 'fail' ? updates.add(`${pendingDoc}:${v}`) : undefined, true))
      .reply(200, { status: 'OK' })
      .post('/sendEdoc').reply(200, { status: 'OK', DocID: 'axis-01' }); // the commune's 01, back to the sender
    await poll();
    await eventually(async () => updates.has('in-1:done') && updates.has('in-1-again:done'), 20_000, 100);
    // The axis offers both again (not yet acknowledged on its side): in-1 is known by its docId and
    // acknowledged at once; in-1-again (same bytes, another docId) is fetched again and recognised by
    // its bytes. Neither is delivered a second time.
    await poll();
    await eventually(async () => scope.isDone(), 20_000, 100);
    expect([...updates].sort()).toEqual(['in-1-again:done', 'in-1:done']);
    const inbox = await node.call('GET', '/v1/inbox', { token: commune.clerk });
    const items = (inbox.json.items as Array<{ documentId: string; sender: { code: string } }>).filter((i) => i.sender.code === PROVINCE_DEPT);
    expect(items).toHaveLength(1);
  });

  it('a package that does not verify is acknowledged `fail` with the reason and never reaches an inbox', async () => {
    const tampered = Buffer.from(signedFromAxis(102).toString('utf8').replace('Về việc triển khai', 'Về việc hủy bỏ'));
    let failure: { status: string; reason: string } | undefined;
    let reason = '';
    nock(AXIS)
      .post('/getReceivedEdocList').matchHeader('messagetype', 'edoc').reply(200, { data: [{ docId: 'bad-1' }] })
      .post('/getReceivedEdocList').matchHeader('messagetype', 'status').reply(200, { data: [] })
      .post('/getEdoc').reply(200, { data: tampered.toString('base64') })
      .post('/updateStatus')
      .matchHeader('reason', (v: string) => ((reason = decodeURIComponent(v)), true))
      .matchHeader('status', (v: string) => ((failure = { status: v, reason }), true))
      .reply(200, { status: 'OK' });
    const before = (await node.call('GET', '/v1/inbox', { token: commune.clerk })).json.items.length as number;
    await poll();
    await eventually(async () => failure, 20_000, 100);
    expect(failure?.status).toBe('fail');
    expect(failure?.reason).toMatch(/^SIGNATURE_INVALID/);
    expect((await node.call('GET', '/v1/inbox', { token: commune.clerk })).json.items.length).toBe(before);
  });

  it('a FAIL answer fails the delivery with the reason; 500 and 503 answers are retried with the error visible', async () => {
    nock(AXIS).post('/sendEdoc').reply(200, { status: 'FAIL', ErrorDesc: 'Receiver locked' });
    const refused = await sendDocument(node, commune.clerk, directive({ type: 'CV', notation: 'UBND-VP', to: [PROVINCE_DEPT] }));
    await eventually(async () => {
      const d = (await node.call('GET', `/v1/documents/${refused.json.id}`, { token: commune.clerk })).json.deliveries[0];
      return d.state === 'failed' && /Receiver locked/.test(d.lastError) ? d : undefined;
    }, 20_000, 100);

    nock(AXIS).post('/sendEdoc').reply(500, 'upstream down').post('/sendEdoc').reply(503, 'try later').post('/sendEdoc').reply(200, { status: 'OK', DocID: 'axis-3' });
    const retried = await sendDocument(node, commune.clerk, directive({ type: 'CV', notation: 'UBND-VP', to: [PROVINCE_DEPT] }));
    // Handed over: the axis gave its receipt (`sending` alone says the hand-over began).
    const events = await eventually(async () => {
      const items = (await node.call('GET', `/v1/documents/${retried.json.id}/events`, { token: commune.clerk })).json.items as Array<{ type: string; details: { error?: string } | null }>;
      return items.some((e) => e.type === 'delivery.sent') ? items : undefined;
    }, 30_000, 200);
    const retries = events.filter((e) => e.type === 'delivery.retry');
    expect(retries.length).toBe(2);
    expect(retries[0]?.details?.error).toMatch(/HTTP 500/);
    expect(retries[1]?.details?.error).toMatch(/HTTP 503/);
  }, 60_000);

  it('the retry endpoint tries a failed delivery again', async () => {
    nock(AXIS).post('/sendEdoc').reply(200, { status: 'FAIL', ErrorDesc: 'Receiver locked' }).post('/sendEdoc').reply(200, { status: 'OK', DocID: 'axis-4' });
    const sent = await sendDocument(node, commune.clerk, directive({ type: 'CV', notation: 'UBND-VP', to: [PROVINCE_DEPT] }));
    const id = sent.json.id as string;
    await eventually(async () => (await node.call('GET', `/v1/documents/${id}`, { token: commune.clerk })).json.deliveries[0].state === 'failed', 20_000, 100);
    const retry = await node.call('POST', `/v1/documents/${id}/deliveries/${PROVINCE_DEPT}/retry`, { token: commune.clerk });
    expect(retry.status).toBe(202);
    await eventually(async () => {
      const items = (await node.call('GET', `/v1/documents/${id}/events`, { token: commune.clerk })).json.items as Array<{ type: string }>;
      return items.some((e) => e.type === 'delivery.sent');
    }, 20_000, 100);
  });
});
