import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { recipientCandidates } from '../src/directory/directory.repository.js';
import { receivingAgencyFor } from '../src/directory/succession.js';
import {
  ASYNC_TIMEOUT_MS,
  createAgency,
  createDistrict,
  deliveryOf,
  directive,
  documentOf,
  familyCodes,
  itemsOf,
  sendDocument,
  timelineOf,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Agencies that merge, split and close (issue 19, the succession slice): the directory's successors,
 * closing instant and legal act; documents to a closed agency refused naming the successor, or
 * redirected to it; `children:` and `group:` taking only open agencies; the lineage.
 */

let node: TestNode;
let admin: string;
let district: Agency;
/** Communes of the old structure, closed in the tests below, and the new commune that took them over. */
let binhAn: Agency;
let hoaDien: Agency;
let kienLuong: Agency;
let newCommune: Agency;

const FAMILY = 47;
const codes = familyCodes(FAMILY);
/** 1 July 2025, when the district level ended (Nghị quyết 1654/NQ-UBTVQH15 took effect). */
const JULY_2025 = '2025-07-01T00:00:00+07:00';
const DECISION = { number: '1654/NQ-UBTVQH15', date: '2025-06-16', link: 'https://vanban.chinhphu.vn/nq-1654' };

const patchAgency = (code: string, body: unknown, token = admin, headers?: Record<string, string>) =>
  node.call('PATCH', `/v1/agencies/${code}`, { token, body, ...(headers ? { headers } : {}) });

/** A commune of the family with no clerk or certificate: enough for the directory. */
async function bareCommune(n: number, name: string): Promise<string> {
  const code = codes.commune(n);
  const res = await node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level: 'commune', parentCode: codes.district } });
  expect(res.status, res.text).toBe(201);
  return code;
}

beforeAll(async () => {
  node = await startTestNode();
  admin = node.adminToken;
  const made = await createDistrict(node, FAMILY, 0);
  district = made.district;
  binhAn = await createAgency(node, { code: codes.commune(1), name: 'UBND xã Bình An', level: 'commune', parentCode: codes.district });
  hoaDien = await createAgency(node, { code: codes.commune(2), name: 'UBND xã Hòa Điền', level: 'commune', parentCode: codes.district });
  kienLuong = await createAgency(node, { code: codes.commune(3), name: 'UBND xã Kiên Lương cũ', level: 'commune', parentCode: codes.district });
  newCommune = await createAgency(node, { code: codes.commune(9), name: 'UBND xã Kiên Lương', level: 'commune', parentCode: codes.district });
  // Bình An merged into the new commune on 1 July 2025; Hòa Điền into Kiên Lương cũ that day, which
  // itself went to the new commune on 1 August (a chain).
  const closings: Array<[string, Record<string, unknown>]> = [
    [binhAn.code, { successorCode: newCommune.code, closedAt: JULY_2025, decision: DECISION }],
    [hoaDien.code, { successorCode: kienLuong.code, closedAt: JULY_2025 }],
    [kienLuong.code, { successorCode: newCommune.code, closedAt: '2025-08-01T00:00:00+07:00' }],
  ];
  for (const [code, body] of closings) {
    const closed = await patchAgency(code, body);
    expect(closed.status, closed.text).toBe(200);
  }
});
afterAll(async () => node?.close());

describe('closing an agency (PATCH /v1/agencies/{code})', () => {
  it('records its successor, the instant it closed and the legal act, and GET shows them', async () => {
    const got = await node.call('GET', `/v1/agencies/${binhAn.code}`, { token: binhAn.clerk });
    expect(got.status, got.text).toBe(200);
    expect(got.json).toMatchObject({
      code: binhAn.code,
      successorCode: newCommune.code,
      successorCodes: [newCommune.code],
      closedAt: '2025-06-30T17:00:00.000Z',
      decision: DECISION,
    });
    const open = await node.call('GET', `/v1/agencies/${newCommune.code}`, { token: admin });
    expect(open.json).toMatchObject({ successorCode: null, successorCodes: [], closedAt: null, decision: null });
  });

  it('is for administrators: a clerk gets 403 and nothing changes', async () => {
    const res = await patchAgency(newCommune.code, { successorCode: district.code, closedAt: JULY_2025 }, newCommune.clerk);
    expect(res.status, res.text).toBe(403);
    expect(res.json.code).toBe('FORBIDDEN');
    const got = await node.call('GET', `/v1/agencies/${newCommune.code}`, { token: admin });
    expect(got.json).toMatchObject({ successorCode: null, closedAt: null });
  });

  it('refuses an unknown successor, the agency itself, a closing without its instant and a time without offset (422, naming the field)', async () => {
    const target = await bareCommune(50, 'UBND xã Mỹ Lâm');
    const unknown = await patchAgency(target, { successorCode: '999.99.99.Z99', closedAt: JULY_2025 });
    expect(unknown.status, unknown.text).toBe(422);
    expect(unknown.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'successorCode' }] });
    expect(unknown.json.errors[0].message).toContain('999.99.99.Z99');

    const itself = await patchAgency(target, { successorCode: target, closedAt: JULY_2025 });
    expect(itself.status).toBe(422);
    expect(itself.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'successorCode' }] });

    const noInstant = await patchAgency(target, { successorCode: newCommune.code });
    expect(noInstant.status).toBe(422);
    expect(noInstant.json.errors.map((e: Loose) => e.path)).toEqual(['closedAt']);

    const noOffset = await patchAgency(target, { successorCode: newCommune.code, closedAt: '2025-07-01T00:00:00' });
    expect(noOffset.status).toBe(422);
    expect(noOffset.json.errors.map((e: Loose) => e.path)).toEqual(['closedAt']);

    const got = await node.call('GET', `/v1/agencies/${target}`, { token: admin });
    expect(got.json).toMatchObject({ successorCode: null, closedAt: null });
  });

  it('refuses a cycle of successors, and a successor already closed when this agency closes (422)', async () => {
    const y = await bareCommune(60, 'UBND xã Y');
    const z = await bareCommune(61, 'UBND xã Z');
    expect((await patchAgency(y, { successorCode: z, closedAt: '2025-07-01T00:00:00+07:00' })).status).toBe(200);
    const cycle = await patchAgency(z, { successorCode: y, closedAt: '2025-08-01T00:00:00+07:00' });
    expect(cycle.status, cycle.text).toBe(422);
    expect(cycle.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'successorCode' }] });
    expect(cycle.json.errors[0].message).toContain(`${z} → ${y} → ${z}`);
    expect((await node.call('GET', `/v1/agencies/${z}`, { token: admin })).json.closedAt).toBeNull();

    // Dissolved with no successor on 1 July; a unit closing on 1 August cannot hand over to it.
    const dissolved = await bareCommune(62, 'UBND xã giải thể');
    expect((await patchAgency(dissolved, { closedAt: JULY_2025 })).status).toBe(200);
    const late = await bareCommune(63, 'UBND xã W');
    const res = await patchAgency(late, { successorCode: dissolved, closedAt: '2025-08-01T00:00:00+07:00' }, admin, { 'accept-language': 'vi' });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([expect.objectContaining({ path: 'successorCode' })]);
    expect(res.json.errors[0].message).toContain('đã ngừng hoạt động');
  });
});

describe('sending to a closed agency', () => {
  it('is 422 AGENCY_CLOSED naming the successor (code and name), in English and in Vietnamese, and creates nothing', async () => {
    const before = itemsOf((await node.call('GET', '/v1/documents?limit=500', { token: district.clerk })).json).length;
    const en = await sendDocument(node, district.clerk, directive({ to: [binhAn.code] }));
    expect(en.status, en.text).toBe(422);
    expect(en.headers.get('content-type')).toContain('application/problem+json');
    expect(en.json.code).toBe('AGENCY_CLOSED');
    expect(en.json.detail).toContain(`${newCommune.code} (${newCommune.name})`);
    expect(en.json.detail).toContain(`${binhAn.code} (${binhAn.name}) closed on 2025-07-01T00:00+07:00 (1654/NQ-UBTVQH15 of 2025-06-16)`);
    expect(en.json.detail).toContain('redirectClosed');
    expect(en.json.successors).toEqual([{ code: newCommune.code, name: newCommune.name }]);
    expect(en.json.closed).toEqual([
      expect.objectContaining({ recipient: binhAn.code, code: binhAn.code, decision: DECISION, receivingAgency: { code: newCommune.code, name: newCommune.name } }),
    ]);
    expect(en.json.errors).toEqual([expect.objectContaining({ path: 'to.0' })]);

    const vi = await sendDocument(node, district.clerk, directive({ to: [binhAn.code] }), { 'accept-language': 'vi' });
    expect(vi.status).toBe(422);
    expect(vi.json.code).toBe('AGENCY_CLOSED');
    expect(vi.json.title).toBe('Cơ quan nhận đã ngừng hoạt động');
    expect(vi.json.detail).toContain('đã ngừng hoạt động từ 01/07/2025 00:00');
    expect(vi.json.detail).toContain(`${newCommune.code} (${newCommune.name})`);
    expect(vi.json.successors).toEqual([{ code: newCommune.code, name: newCommune.name }]);

    const after = itemsOf((await node.call('GET', '/v1/documents?limit=500', { token: district.clerk })).json).length;
    expect(after).toBe(before);
  });

  it('with "redirectClosed": true goes to the successor: its inbox has it, the delivery and the timeline say so', async () => {
    const body = directive({ to: [binhAn.code], redirectClosed: true });
    const res = await sendDocument(node, district.clerk, body);
    expect(res.status, res.text).toBe(201);
    expect(res.json.recipients).toEqual([{ code: newCommune.code, state: 'pending' }]);
    expect(res.json.deliveries[0]).toMatchObject({ recipient: newCommune.code, redirectedFrom: binhAn.code });

    await waitForDeliveries(node, district.clerk, res.json.id, { [newCommune.code]: { state: 'arrived', statusCode: '01' } });
    const itemId = await waitForInboxItem(node, newCommune.clerk, res.json.documentId, body.subject as string);
    expect(itemId).toEqual(expect.any(String));
    // The closed agency's own inbox got nothing.
    const closedInbox = await node.call('GET', '/v1/inbox?limit=500', { token: binhAn.clerk });
    expect(JSON.stringify(closedInbox.json)).not.toContain(res.json.documentId);

    const doc = await documentOf(node, district.clerk, res.json.id);
    expect(deliveryOf(doc, newCommune.code).redirectedFrom).toBe(binhAn.code);
    const redirected = (await timelineOf(node, district.clerk, res.json.id)).filter((e) => e.type === 'recipient.redirected');
    expect(redirected).toEqual([
      expect.objectContaining({ recipient: newCommune.code, details: expect.objectContaining({ from: binhAn.code, to: newCommune.code, decision: DECISION }) }),
    ]);
  }, ASYNC_TIMEOUT_MS * 2);

  it('follows the chain when the successor closed too', async () => {
    // Hòa Điền → Kiên Lương cũ (1 July), which itself went to the new commune (1 August).
    const refused = await sendDocument(node, district.clerk, directive({ to: [hoaDien.code] }));
    expect(refused.status).toBe(422);
    expect(refused.json.successors).toEqual([{ code: newCommune.code, name: newCommune.name }]);
    const res = await sendDocument(node, district.clerk, directive({ to: [hoaDien.code], redirectClosed: true }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.deliveries.map((d: Loose) => [d.recipient, d.redirectedFrom])).toEqual([[newCommune.code, hoaDien.code]]);
    const events = await timelineOf(node, district.clerk, res.json.id);
    expect(events.find((e) => e.type === 'recipient.redirected')?.details.via).toEqual([hoaDien.code, kienLuong.code]);
  });

  it('is not refused before the instant it closes', async () => {
    const later = await createAgency(node, { code: codes.commune(20), name: 'UBND xã sắp sáp nhập', level: 'commune', parentCode: codes.district });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect((await patchAgency(later.code, { successorCode: newCommune.code, closedAt: tomorrow })).status).toBe(200);
    const res = await sendDocument(node, district.clerk, directive({ to: [later.code] }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.deliveries).toEqual([expect.objectContaining({ recipient: later.code, redirectedFrom: null })]);
  });

  it('children: takes only agencies open at the moment of sending', async () => {
    const res = await sendDocument(node, district.clerk, directive({ to: [`children:${district.code}`] }));
    expect(res.status, res.text).toBe(201);
    const to = res.json.recipients.map((r: Loose) => r.code);
    expect(to).toContain(newCommune.code);
    for (const closed of [binhAn, hoaDien, kienLuong]) expect(to).not.toContain(closed.code);
  });

  it('group: takes only open members and the answer and the timeline name the closed ones', async () => {
    const group = await node.call('POST', '/v1/groups', { token: admin, body: { code: 'KL-XA-47', name: 'Các xã', members: [binhAn.code, newCommune.code] } });
    expect(group.status, group.text).toBe(201);
    const res = await sendDocument(node, district.clerk, directive({ to: ['group:KL-XA-47'] }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.recipients).toEqual([{ code: newCommune.code, state: 'pending' }]);
    expect(res.json.warnings).toEqual([
      {
        code: 'GROUP_MEMBERS_CLOSED',
        recipient: 'group:KL-XA-47',
        agencies: [
          {
            code: binhAn.code,
            name: binhAn.name,
            closedAt: '2025-06-30T17:00:00.000Z',
            successors: [{ code: newCommune.code, name: newCommune.name }],
            receivingAgency: { code: newCommune.code, name: newCommune.name },
          },
        ],
      },
    ]);
    const skipped = (await timelineOf(node, district.clerk, res.json.id)).filter((e) => e.type === 'recipients.closed-skipped');
    expect(skipped).toEqual([expect.objectContaining({ details: expect.objectContaining({ recipient: 'group:KL-XA-47', agencies: [expect.objectContaining({ code: binhAn.code })] }) })]);
  });
});

describe("the console's recipient suggestions", () => {
  it('leave closed agencies out', async () => {
    const { agencies } = await recipientCandidates(node.runtime.orm.em.fork(), 'Kiên Lương', 8);
    expect(agencies.map((a) => a.code)).toEqual([newCommune.code]);
  });
});

describe('lineage (GET /v1/agencies/{code}/lineage)', () => {
  it('of a merger: two communes into one', async () => {
    const a = await bareCommune(30, 'UBND xã Dương Hòa');
    const b = await bareCommune(31, 'UBND xã Bình Trị');
    const merged = await bareCommune(32, 'UBND xã Hòa Điền mới');
    for (const code of [a, b]) expect((await patchAgency(code, { successorCode: merged, closedAt: JULY_2025, decision: DECISION })).status).toBe(200);

    const of = await node.call('GET', `/v1/agencies/${merged}/lineage`, { token: district.clerk });
    expect(of.status, of.text).toBe(200);
    expect(of.json.agency).toMatchObject({ code: merged, closedAt: null, depth: 0 });
    expect(of.json.receivingAgency).toEqual({ code: merged, name: 'UBND xã Hòa Điền mới' });
    expect(of.json.successors).toEqual([]);
    expect(of.json.predecessors).toEqual([
      { code: a, name: 'UBND xã Dương Hòa', level: 'commune', closedAt: '2025-06-30T17:00:00.000Z', decision: DECISION, successorCodes: [merged], depth: 1 },
      { code: b, name: 'UBND xã Bình Trị', level: 'commune', closedAt: '2025-06-30T17:00:00.000Z', decision: DECISION, successorCodes: [merged], depth: 1 },
    ]);

    const old = await node.call('GET', `/v1/agencies/${a}/lineage`, { token: admin });
    expect(old.json.successors).toEqual([expect.objectContaining({ code: merged, depth: 1 })]);
    expect(old.json.receivingAgency).toEqual({ code: merged, name: 'UBND xã Hòa Điền mới' });
  });

  it('of a split: one agency into several, the one named by successorCode receiving its documents', async () => {
    const whole = await bareCommune(40, 'UBND xã chia tách');
    const east = await bareCommune(41, 'UBND xã Đông');
    const west = await bareCommune(42, 'UBND xã Tây');
    const split = await patchAgency(whole, { successorCodes: [east, west], successorCode: west, closedAt: JULY_2025 });
    expect(split.status, split.text).toBe(200);
    expect(split.json).toMatchObject({ successorCode: west, successorCodes: [west, east] });

    const of = await node.call('GET', `/v1/agencies/${whole}/lineage`, { token: admin });
    expect(of.json.receivingAgency).toEqual({ code: west, name: 'UBND xã Tây' });
    expect(of.json.successors.map((s: Loose) => [s.code, s.depth])).toEqual([
      [east, 1],
      [west, 1],
    ]);
    for (const part of [east, west]) {
      const back = await node.call('GET', `/v1/agencies/${part}/lineage`, { token: admin });
      expect(back.json.predecessors).toEqual([expect.objectContaining({ code: whole, successorCodes: [west, east], depth: 1 })]);
    }
  });

  it('is transitive, and 404 for an unknown agency', async () => {
    const of = await node.call('GET', `/v1/agencies/${newCommune.code}/lineage`, { token: admin });
    expect(of.status).toBe(200);
    const depths = Object.fromEntries(of.json.predecessors.map((p: Loose) => [p.code, p.depth]));
    expect(depths).toMatchObject({ [binhAn.code]: 1, [kienLuong.code]: 1, [hoaDien.code]: 2 });
    const none = await node.call('GET', '/v1/agencies/999.99.99.Z99/lineage', { token: admin });
    expect(none.status).toBe(404);
  });

  it('is in the OpenAPI document with an example', async () => {
    const doc = await node.call('GET', '/openapi.json');
    expect(doc.json.paths['/v1/agencies/{code}/lineage']?.get).toBeDefined();
    expect(doc.json.components.schemas.Lineage.example.receivingAgency).toBeDefined();
  });
});

describe('receivingAgencyFor (for packages that arrive from partners)', () => {
  it('answers the agency while open, its open successor once closed (along the chain), and null when nobody receives', async () => {
    const em = node.runtime.orm.em.fork();
    const now = new Date();
    const open = await receivingAgencyFor(em, newCommune.code, now);
    expect(open && { code: open.agency.code, redirectedFrom: open.redirectedFrom, via: open.via }).toEqual({ code: newCommune.code, redirectedFrom: null, via: [] });
    const merged = await receivingAgencyFor(em, binhAn.code, now);
    expect(merged && { code: merged.agency.code, redirectedFrom: merged.redirectedFrom }).toEqual({ code: newCommune.code, redirectedFrom: binhAn.code });
    const chain = await receivingAgencyFor(em, hoaDien.code, now);
    expect(chain?.via).toEqual([hoaDien.code, kienLuong.code]);
    // Before it closed, Bình An received its own packages.
    const before = await receivingAgencyFor(em, binhAn.code, new Date('2025-06-30T12:00:00+07:00'));
    expect(before?.agency.code).toBe(binhAn.code);
    expect(before?.redirectedFrom).toBeNull();
    const dissolved = await bareCommune(70, 'UBND xã giải thể 2');
    expect((await patchAgency(dissolved, { closedAt: JULY_2025 })).status).toBe(200);
    expect(await receivingAgencyFor(em, dissolved, now)).toBeNull();
    expect(await receivingAgencyFor(em, '999.99.99.Z99', now)).toBeNull();
  });
});

describe('LIENTHONG_REDIRECT_CLOSED', () => {
  it('is off unless set to true', () => {
    expect(loadConfig({}).redirectClosed).toBe(false);
    expect(loadConfig({ LIENTHONG_REDIRECT_CLOSED: 'true' }).redirectClosed).toBe(true);
    expect(() => loadConfig({ LIENTHONG_REDIRECT_CLOSED: 'yes' })).toThrow(/LIENTHONG_REDIRECT_CLOSED/);
  });
});

describe('a node with LIENTHONG_REDIRECT_CLOSED=true', () => {
  let redirecting: TestNode;
  afterAll(async () => redirecting?.close());

  it('sends a document to a closed agency on to its successor unless the request says "redirectClosed": false', async () => {
    redirecting = await startTestNode({ env: { LIENTHONG_REDIRECT_CLOSED: 'true' } });
    const made = await createDistrict(redirecting, 48, 0);
    const family = familyCodes(48);
    const old = await createAgency(redirecting, { code: family.commune(1), name: 'UBND xã Cũ', level: 'commune', parentCode: family.district });
    const merged = await createAgency(redirecting, { code: family.commune(9), name: 'UBND xã Mới', level: 'commune', parentCode: family.district });
    const closed = await redirecting.call('PATCH', `/v1/agencies/${old.code}`, {
      token: redirecting.adminToken,
      body: { successorCode: merged.code, closedAt: JULY_2025 },
    });
    expect(closed.status, closed.text).toBe(200);

    const sent = await sendDocument(redirecting, made.district.clerk, directive({ to: [old.code] }));
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json.deliveries[0]).toMatchObject({ recipient: merged.code, redirectedFrom: old.code });

    const refused = await sendDocument(redirecting, made.district.clerk, directive({ to: [old.code], redirectClosed: false }));
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json.code).toBe('AGENCY_CLOSED');
  }, ASYNC_TIMEOUT_MS);
});
