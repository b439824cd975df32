import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { createDistrict, directive, postStatus, sendDocument, todayInVietnam, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode, type TestResponse } from './support/runtime.js';

/**
 * Issue 13, series and paper documents (NĐ 30/2020 Điều 15.1, 22.2): an agency keeps a default series
 * per kind and may define others (VBQPPL…), chosen by the document or by a rule on its type; numbers
 * run from 01 per series and year, gap-free under concurrent sends from two API processes; paper
 * documents take their numbers from the same series as electronic ones.
 */

let node: TestNode;
/** A second API process on the same database and queues. */
let second: Runtime;
let district: Agency;
let communes: Agency[];

const year = () => Number(todayInVietnam().slice(0, 4));
const fieldPaths = (json: Loose): string[] => ((json?.errors ?? []) as Array<{ path: string }>).map((e) => e.path);

function expectStatus(res: TestResponse, status: number): Loose {
  expect(res.status, res.text).toBe(status);
  return res.json;
}

async function callSecond(method: string, path: string, token: string, body?: unknown): Promise<TestResponse> {
  const res = await second.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

const defineSeries = (agency: Agency, body: Record<string, unknown>, token = agency.clerk) => node.call('POST', `/v1/agencies/${agency.code}/registers`, { token, body });

const paperOut = (agency: Agency, overrides: Record<string, unknown> = {}) =>
  node.call('POST', '/v1/registers/out', {
    token: agency.clerk,
    body: {
      medium: 'paper',
      type: 'QĐ',
      notation: 'QĐ-UBND',
      subject: 'Quyết định về việc khen thưởng tập thể, cá nhân',
      signer: 'Chủ tịch Nguyễn Văn A',
      recipients: ['Như Điều 3', 'Lưu: VT'],
      keeper: 'Văn phòng',
      copies: 5,
      ...overrides,
    },
  });

beforeAll(async () => {
  node = await startTestNode();
  second = await createRuntime(node.config, { roles: { api: true, worker: false }, logger: createLogger('silent') });
  ({ district, communes } = await createDistrict(node, 41, 4));
}, 60_000);
afterAll(async () => {
  await second?.close();
  await node?.close();
});

describe('series of an agency (GET/POST /v1/agencies/{code}/registers)', () => {
  it('every agency has a default series of each kind; it defines others, by code, with a rule on types', async () => {
    const agency = communes[0]!;
    const listed = expectStatus(await node.call('GET', `/v1/agencies/${agency.code}/registers`, { token: agency.clerk }), 200);
    expect(listed.items.map((s: Loose) => [s.kind, s.code, s.isDefault])).toEqual([
      ['out', 'default', true],
      ['in', 'default', true],
    ]);

    const vbqppl = expectStatus(await defineSeries(agency, { kind: 'out', code: 'vbqppl', name: 'Sổ đăng ký văn bản quy phạm pháp luật' }), 201);
    expect(vbqppl).toMatchObject({ kind: 'out', code: 'VBQPPL', types: [], isDefault: false });
    expectStatus(await defineSeries(agency, { kind: 'out', code: 'GM', name: 'Sổ giấy mời', types: ['gm'] }), 201);

    // The same code again, or a type another series of the kind takes → 409.
    expect(expectStatus(await defineSeries(agency, { kind: 'out', code: 'VBQPPL', name: 'Lại' }), 409).code).toBe('CONFLICT');
    expect(expectStatus(await defineSeries(agency, { kind: 'out', code: 'MOI', name: 'Sổ mời', types: ['GM'] }), 409).code).toBe('CONFLICT');
    // …but an incoming series may take it.
    expectStatus(await defineSeries(agency, { kind: 'in', code: 'GM', name: 'Sổ giấy mời đến', types: ['GM'] }), 201);
    // Bad input: an unknown type, the reserved name, a code with spaces.
    expect(fieldPaths(expectStatus(await defineSeries(agency, { kind: 'out', code: 'X', name: 'X', types: ['QD1'] }), 422))).toEqual(['types.0']);
    expect(fieldPaths(expectStatus(await defineSeries(agency, { kind: 'out', code: 'default', name: 'X' }), 422))).toEqual(['code']);
    expect(fieldPaths(expectStatus(await defineSeries(agency, { kind: 'out', code: 'A B', name: 'X' }), 422))).toEqual(['code']);
    // Another agency's clerk may neither define nor read them; an administrator may.
    expect((await defineSeries(agency, { kind: 'out', code: 'KHAC', name: 'X' }, communes[1]!.clerk)).status).toBe(403);
    expect((await node.call('GET', `/v1/agencies/${agency.code}/registers`, { token: communes[1]!.clerk })).status).toBe(403);
    const all = expectStatus(await node.call('GET', `/v1/agencies/${agency.code}/registers`, { token: node.adminToken }), 200);
    expect(all.items.map((s: Loose) => `${s.kind}:${s.code}`)).toEqual(['out:default', 'in:default', 'out:GM', 'out:VBQPPL', 'in:GM']);
  });

  it('a document names its series or its type chooses it; each series numbers from 01; an unknown one → 422 on register', async () => {
    const agency = communes[0]!;
    const to = [communes[2]!.code];
    const qd = { type: 'QĐ', notation: 'QĐ-UBND', steeringType: 1, to, promulgation: {} };
    const first = expectStatus(await sendDocument(node, agency.clerk, directive({ ...qd, register: 'VBQPPL', notation: 'QĐ-HĐND' })), 201);
    expect(first.register).toEqual({ series: 'VBQPPL', year: year() });
    expect(first.code.text).toBe('01/QĐ-HĐND');
    const plain = expectStatus(await sendDocument(node, agency.clerk, directive(qd)), 201);
    expect([plain.register.series, plain.code.number]).toEqual(['default', 1]);
    // The rule: a giấy mời goes to GM without being asked.
    const invitation = expectStatus(await sendDocument(node, agency.clerk, directive({ type: 'GM', notation: 'GM-UBND', steeringType: 1, to, promulgation: {} })), 201);
    expect([invitation.register.series, invitation.code.number]).toEqual(['GM', 1]);
    // …unless the document names the default series.
    const named = expectStatus(await sendDocument(node, agency.clerk, directive({ type: 'GM', notation: 'GM-UBND', steeringType: 1, to, promulgation: {}, register: 'default' })), 201);
    expect([named.register.series, named.code.number]).toEqual(['default', 2]);

    const unknown = expectStatus(await sendDocument(node, agency.clerk, directive({ ...qd, register: 'KHONGCO' })), 422);
    expect(fieldPaths(unknown)).toEqual(['register']);
    expect(unknown.detail).toContain('VBQPPL');

    // Two series at the same number on the same day with the same ký hiệu would share a DocumentId:
    // refused (409), not a 500, and the number goes back to the series.
    expect(expectStatus(await sendDocument(node, agency.clerk, directive({ ...qd, register: 'VBQPPL' })), 201).code.text).toBe('02/QĐ-UBND');
    expect(expectStatus(await sendDocument(node, agency.clerk, directive(qd)), 201).code.text).toBe('03/QĐ-UBND');
    expect(expectStatus(await sendDocument(node, agency.clerk, directive({ ...qd, register: 'VBQPPL' })), 409).code).toBe('CONFLICT');
    expect(expectStatus(await sendDocument(node, agency.clerk, directive({ ...qd, register: 'VBQPPL', notation: 'QĐ-HĐND' })), 201).code.text).toBe('03/QĐ-HĐND');
  });

  it('50 concurrent sends across two series and two API processes: gap-free numbers in each series', async () => {
    const agency = communes[1]!;
    expectStatus(await defineSeries(agency, { kind: 'out', code: 'VBQPPL', name: 'Sổ văn bản quy phạm pháp luật' }), 201);
    const to = [communes[2]!.code];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const body = directive({ to, promulgation: {}, ...(i % 2 ? { type: 'QĐ', notation: 'QĐ-HĐND', steeringType: 1, register: 'VBQPPL' } : {}) });
        return i % 4 < 2 ? sendDocument(node, agency.clerk, body) : callSecond('POST', '/v1/documents', agency.clerk, body);
      }),
    );
    for (const res of answers) expect(res.status, res.text).toBe(201);
    const bySeries = (series: string) =>
      answers
        .map((r) => r.json)
        .filter((d) => d.register.series === series)
        .map((d) => d.code.number as number)
        .sort((a, b) => a - b);
    expect(bySeries('default')).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(bySeries('VBQPPL')).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const listed = expectStatus(await node.call('GET', `/v1/agencies/${agency.code}/registers`, { token: agency.clerk }), 200);
    expect(listed.items.filter((s: Loose) => s.kind === 'out').map((s: Loose) => [s.code, s.years])).toEqual([
      ['default', [{ year: year(), last: 25 }]],
      ['VBQPPL', [{ year: year(), last: 25 }]],
    ]);
  });
});

describe('paper documents (POST /v1/registers/out and /in)', () => {
  it('paper and electronic documents going out share the series: 01 composed, 02 paper, 03 composed; imports count too', async () => {
    const agency = communes[3]!;
    const to = [communes[2]!.code];
    expect(expectStatus(await sendDocument(node, agency.clerk, directive({ to, promulgation: {} })), 201).code.number).toBe(1);
    const paper = expectStatus(await paperOut(agency), 201);
    expect(paper).toMatchObject({
      kind: 'out',
      medium: 'paper',
      register: { series: 'default', year: year() },
      number: 2,
      code: '02/QĐ-UBND',
      registeredOn: todayInVietnam(),
      signer: 'Chủ tịch Nguyễn Văn A',
      recipients: ['Như Điều 3', 'Lưu: VT'],
      holder: 'Văn phòng',
      copies: 5,
    });
    expect(expectStatus(await sendDocument(node, agency.clerk, directive({ to, promulgation: {} })), 201).code.number).toBe(3);
    // A paper document in a series of its own, by name.
    expectStatus(await defineSeries(agency, { kind: 'out', code: 'VBQPPL', name: 'Sổ văn bản quy phạm pháp luật' }), 201);
    expect(expectStatus(await paperOut(agency, { register: 'VBQPPL' }), 201)).toMatchObject({ register: { series: 'VBQPPL' }, number: 1 });
    // The ký hiệu fits the type as for an electronic one; the type must be known; the medium is paper.
    expect(fieldPaths(expectStatus(await paperOut(agency, { type: 'CV', notation: 'QĐ-UBND' }), 422))).toEqual(['notation']);
    expect(fieldPaths(expectStatus(await paperOut(agency, { type: 'QD1' }), 422))).toEqual(['type']);
    expect(fieldPaths(expectStatus(await paperOut(agency, { medium: 'electronic' }), 422))).toEqual(['medium']);
    expect(fieldPaths(expectStatus(await paperOut(agency, { subject: 'Có ký tự \u0001 lạ' }), 422))).toEqual(['subject']);
    // Nothing refused took a number.
    expect(expectStatus(await paperOut(agency), 201).number).toBe(4);
    // A signer only reads: registering is the clerk's.
    const signer = expectStatus(await node.call('POST', '/v1/users', { token: node.adminToken, body: { agencyCode: agency.code, name: 'Lãnh đạo', roles: ['signer'] } }), 201);
    expect((await node.call('POST', '/v1/registers/out', { token: signer.token, body: {} })).status).toBe(403);
  });

  it('paper and electronic documents coming in share the số đến; a type rule chooses the series of both', async () => {
    const recipient = communes[2]!;
    expectStatus(await defineSeries(recipient, { kind: 'in', code: 'GM', name: 'Sổ giấy mời đến', types: ['GM'] }), 201);
    const paperIn = (overrides: Record<string, unknown> = {}) =>
      node.call('POST', '/v1/registers/in', {
        token: recipient.clerk,
        body: { medium: 'paper', author: 'UBND tỉnh Kiên Giang', code: '125/QĐ-UBND', date: todayInVietnam(), type: 'QĐ', subject: 'Quyết định phê duyệt kế hoạch', holder: 'Phòng Nội vụ', ...overrides },
      });

    const sent = expectStatus(await sendDocument(node, district.clerk, directive({ to: [recipient.code], promulgation: {} })), 201);
    const itemId = await waitForInboxItem(node, recipient.clerk, sent.documentId);
    const paper = expectStatus(await paperIn(), 201);
    expect(paper).toMatchObject({ kind: 'in', number: 1, code: '125/QĐ-UBND', author: 'UBND tỉnh Kiên Giang', documentDate: todayInVietnam(), registeredOn: todayInVietnam(), register: { series: 'default' } });
    const accepted = expectStatus(await postStatus(node, recipient.clerk, itemId, { code: '03' }), 200);
    expect(accepted.arrivalNumber).toBe(2);
    const item = expectStatus(await node.call('GET', `/v1/inbox/${itemId}`, { token: recipient.clerk }), 200);
    expect([item.arrivalSeries, item.arrivalYear, item.arrivalNumber]).toEqual(['default', year(), 2]);

    // An invitation goes to the GM series by its type, paper or electronic.
    expect(expectStatus(await paperIn({ type: 'GM', code: '12/GM-UBND' }), 201)).toMatchObject({ register: { series: 'GM' }, number: 1 });
    const invitation = expectStatus(await sendDocument(node, district.clerk, directive({ type: 'GM', notation: 'GM-UBND', steeringType: 1, to: [recipient.code], promulgation: {} })), 201);
    const invitationItem = await waitForInboxItem(node, recipient.clerk, invitation.documentId);
    expect(expectStatus(await postStatus(node, recipient.clerk, invitationItem, { code: '03' }), 200).arrivalNumber).toBe(2);
    expect((await node.call('GET', `/v1/inbox/${invitationItem}`, { token: recipient.clerk })).json.arrivalSeries).toBe('GM');

    // A document dated after today, or handed on before it came → 422.
    const tomorrow = new Date(Date.parse(`${todayInVietnam()}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(fieldPaths(expectStatus(await paperIn({ date: tomorrow }), 422))).toEqual(['date']);
    expect(fieldPaths(expectStatus(await paperIn({ handedOn: '2020-01-01' }), 422))).toEqual(['handedOn']);
    expect(expectStatus(await paperIn(), 201).number).toBe(3);
  });
});
