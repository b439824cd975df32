import ExcelJS from 'exceljs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Loose } from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Directory sync (issue 19): the national code list from a CSV or XLSX file, or from the axis's
 * getAgenciesList (nock: the axis is a system we do not run), compared with the directory in a dry run
 * that is stored, then applied by an administrator with every change in the audit trail; the nightly
 * job that runs the axis dry run, leaves a notice and a metric, and applies only when told to.
 */
const PROVINCE = '000.00.00.H73';
const DISTRICT = '000.00.73.H73';
const C1 = '000.01.73.H73';
const C2 = '000.02.73.H73';
const C3 = '000.03.73.H73';
const NEW = '000.09.73.H73';
const AXIS = 'http://axis-sync.test';
const A1 = '000.00.01.G73';
const A2 = '000.00.02.G73';
const A3 = '000.00.03.G73';
const DECISION = { number: '1654/NQ-UBTVQH15', date: '2025-06-16' };

let node: TestNode;
let admin: string;
let clerk: string;

const agency = (code: string) => node.call('GET', `/v1/agencies/${code}`, { token: admin });

async function create(body: Record<string, unknown>): Promise<void> {
  const res = await node.call('POST', '/v1/agencies', { token: admin, body });
  expect(res.status, res.text).toBe(201);
}

/** POST /v1/directory/sync/dry-run with a body as it is (a file's bytes, a form, JSON). */
async function dryRun(body: string | FormData | Uint8Array, contentType: string | null, query = '', token = admin): Promise<{ status: number; json: Loose }> {
  const res = await node.runtime.app.request(`/v1/directory/sync/dry-run${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
  return { status: res.status, json: await res.json() };
}

function csvForm(csv: string | Buffer, name = 'danh-muc.csv', fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append('file', new Blob([typeof csv === 'string' ? csv : new Uint8Array(csv)], { type: 'text/csv' }), name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  node = await startTestNode({ env: { LIENTHONG_DIRECTORY_SYNC_PARTNERS: 'axis-sync', LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
  admin = node.adminToken;
  await create({ code: PROVINCE, name: 'UBND tỉnh Bảy Ba', level: 'province' });
  await create({ code: DISTRICT, name: 'UBND huyện Bảy Ba', level: 'district', parentCode: PROVINCE });
  for (const [code, name] of [
    [C1, 'UBND xã A'],
    [C2, 'UBND xã B'],
    [C3, 'UBND xã C'],
  ]) {
    await create({ code, name, level: 'commune', parentCode: DISTRICT });
  }
  const user = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode: PROVINCE, name: 'Văn thư tỉnh', roles: ['clerk'] } });
  clerk = user.json.token as string;
  const partner = await node.call('POST', '/v1/partners', {
    token: admin,
    body: { id: 'axis-sync', name: 'Trục LGSP', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'lienthong-73', secret: 'axis-secret' }, agencies: [] },
  });
  expect(partner.status, partner.text).toBe(201);
  expect((await node.call('POST', '/v1/partners', { token: admin, body: { id: 'peer-73', name: 'Nút khác', kind: 'lienthong', agencies: [] } })).status).toBe(201);
  for (const code of [A1, A2]) await create({ code, name: `Sở ${code}`, level: 'department', endpoint: { type: 'remote', partnerId: 'axis-sync' } });
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  await node?.close();
});

const VIETNAMESE_CSV = [
  'Mã định danh,Tên cơ quan,Mã cơ quan cấp trên,Cấp,Ngày hiệu lực,Ngày hết hiệu lực,Mã cơ quan kế thừa,Ghi chú',
  `${PROVINCE},UBND tỉnh Bảy Ba,,Tỉnh,,,,`,
  `${DISTRICT},UBND huyện Bảy Ba,${PROVINCE},Huyện,,,,`,
  `${C1},UBND xã A,${DISTRICT},Xã,,01/07/2025,${NEW},sáp nhập`,
  `${C2},"UBND xã B, mới",${DISTRICT},xã,,,,đổi tên`,
  `${C3},UBND xã C,${PROVINCE},Xã,,,,`,
  `${NEW},UBND xã Chín,${PROVINCE},Xã,2025-07-01,,,`,
  '000.10.73.H73,UBND xã Mười,999.99.99.Z99,Xã,,,,',
  'abc,Không phải mã,,,,,,',
  '000.11.73.H73,UBND xã Cũ,,Xã,,2024-01-01,,',
].join('\r\n');

describe('a dry run of a CSV list (Vietnamese headers)', () => {
  let id: string;

  it('is for administrators', async () => {
    const res = await dryRun(csvForm(VIETNAMESE_CSV), null, '', clerk);
    expect(res.status).toBe(403);
  });

  it('answers the diff — new, renamed, moved, closed with successor, unchanged — with the rows it could not take, and changes nothing', async () => {
    const res = await dryRun(csvForm(`\ufeff${VIETNAMESE_CSV}`), null);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    id = res.json.id;
    expect(res.json).toMatchObject({ source: 'csv', state: 'dry_run', trigger: 'api', fileName: 'danh-muc.csv', endpoint: { type: 'local' } });
    const diff = res.json.diff;
    expect(diff.new).toEqual([{ code: NEW, name: 'UBND xã Chín', parentCode: PROVINCE, level: 'commune', validFrom: '2025-07-01', endpoint: { type: 'local' } }]);
    expect(diff.renamed).toEqual([{ code: C2, from: 'UBND xã B', to: 'UBND xã B, mới' }]);
    expect(diff.moved).toEqual([{ code: C3, name: 'UBND xã C', fromParent: DISTRICT, toParent: PROVINCE, fromLevel: 'commune', toLevel: 'commune' }]);
    expect(diff.closed).toEqual([
      { code: C1, name: 'UBND xã A', successorCode: NEW, successorCodes: [NEW], closedAt: '2025-06-30T17:00:00.000Z', previously: { closedAt: null, successorCodes: [] } },
    ]);
    expect(diff.unchanged).toBe(2);
    expect(diff.errors.map((e: Loose) => [e.row, e.field])).toEqual([
      [8, 'parentCode'],
      [9, 'code'],
    ]);
    expect(diff.errors[0].message).toContain('999.99.99.Z99');
    expect(diff.skipped).toEqual([expect.objectContaining({ row: 10, code: '000.11.73.H73' })]);
    expect(res.json.counts).toEqual({ new: 1, renamed: 1, moved: 1, closed: 1, unchanged: 2, errors: 2, skipped: 1, absent: 0 });
    // A dry run changes nothing.
    expect((await agency(NEW)).status).toBe(404);
    expect((await agency(C1)).json.closedAt).toBeNull();
    const stored = await node.call('GET', `/v1/directory/sync/${id}`, { token: admin });
    expect(stored.json.diff).toEqual(diff);
  });

  it('applied, changes the directory as the diff said, each change in the audit trail with the sync', async () => {
    const res = await node.call('POST', `/v1/directory/sync/${id}/apply`, { token: admin, body: { decision: DECISION } });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ state: 'applied', applied: { new: 1, renamed: 1, moved: 1, closed: 1 }, appliedBy: 'admin:bootstrap' });
    expect((await agency(NEW)).json).toMatchObject({ name: 'UBND xã Chín', level: 'commune', parentCode: PROVINCE, validFrom: '2025-07-01', endpoint: { type: 'local' } });
    expect((await agency(C2)).json.name).toBe('UBND xã B, mới');
    expect((await agency(C3)).json.parentCode).toBe(PROVINCE);
    expect((await agency(C1)).json).toMatchObject({ closedAt: '2025-06-30T17:00:00.000Z', successorCode: NEW, decision: DECISION });

    const trail = async (code: string) => ((await node.call('GET', `/v1/audit-events?agency=${code}`, { token: admin })).json.items as Loose[]).filter((e) => e.details?.sync === id);
    expect((await trail(NEW)).map((e) => e.action)).toEqual(['agency.created']);
    expect((await trail(C2)).map((e) => [e.action, e.details.from, e.details.to])).toEqual([['agency.renamed', 'UBND xã B', 'UBND xã B, mới']]);
    expect((await trail(C3)).map((e) => e.action)).toEqual(['agency.moved']);
    expect((await trail(C1))).toEqual([expect.objectContaining({ action: 'agency.closed', details: expect.objectContaining({ successorCodes: [NEW], decision: DECISION }) })]);
    const applied = await node.call('GET', `/v1/audit-events?subjectType=directory-sync&subjectId=${id}`, { token: admin });
    expect(applied.json.items.map((e: Loose) => e.action)).toEqual(['directory.sync.applied', 'directory.sync.dry-run']);
  });

  it('is applied once (409), and the same list again finds nothing left to change', async () => {
    const again = await node.call('POST', `/v1/directory/sync/${id}/apply`, { token: admin, body: {} });
    expect(again.status).toBe(409);
    const res = await dryRun(csvForm(VIETNAMESE_CSV), null);
    expect(res.json.counts).toMatchObject({ new: 0, renamed: 0, moved: 0, closed: 0, unchanged: 6 });
  });

  it('is refused (409) when the directory changed since the dry run, and nothing is applied', async () => {
    const csv = `code,name\n${C3},UBND xã C (đổi tên)\n`;
    const res = await dryRun(csv, 'text/csv');
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.diff.renamed).toEqual([{ code: C3, from: 'UBND xã C', to: 'UBND xã C (đổi tên)' }]);
    expect((await node.call('PATCH', `/v1/agencies/${C3}`, { token: admin, body: { name: 'UBND xã C (đã sửa tay)' } })).status).toBe(200);
    const apply = await node.call('POST', `/v1/directory/sync/${res.json.id}/apply`, { token: admin });
    expect(apply.status, apply.text).toBe(409);
    expect(apply.json.detail).toContain('changed since this dry run');
    expect((await agency(C3)).json.name).toBe('UBND xã C (đã sửa tay)');
  });

  it('says which header names it accepts when the code or name column is missing, and refuses a file that is not UTF-8', async () => {
    const res = await dryRun('Mã,Tên gọi\n000.01.73.H73,X\n', 'text/csv');
    expect(res.status).toBe(422);
    expect(res.json.detail).toContain('Tên cơ quan');
    const latin = Buffer.concat([Buffer.from('code,name\n000.01.73.H73,UBND x'), Buffer.from([0xe3]), Buffer.from('\n')]);
    const bad = await dryRun(new Uint8Array(latin), 'text/csv');
    expect(bad.status).toBe(422);
    expect(bad.json.detail).toContain('UTF-8');
    const unsupported = await dryRun('x', 'text/plain');
    expect(unsupported.status).toBe(415);
  });
});

describe('a dry run of an XLSX list', () => {
  it('reads the first sheet (English headers, date cells), and new agencies go through the partner named', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Danh mục');
    sheet.addRow(['code', 'name', 'parentCode', 'level', 'validFrom', 'validTo', 'successorCode']);
    sheet.addRow(['000.20.73.H73', 'Phòng Hai Mươi', PROVINCE, 'department', new Date(Date.UTC(2025, 6, 1)), null, null]);
    sheet.addRow([C3, 'UBND xã C (đã sửa tay)', PROVINCE, 'commune', null, null, null]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const res = await dryRun(new Uint8Array(bytes), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '?partnerId=peer-73&fileName=danh-muc.xlsx');
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json).toMatchObject({ source: 'xlsx', fileName: 'danh-muc.xlsx', endpoint: { type: 'remote', partnerId: 'peer-73' } });
    expect(res.json.diff.new).toEqual([{ code: '000.20.73.H73', name: 'Phòng Hai Mươi', parentCode: PROVINCE, level: 'department', validFrom: '2025-07-01', endpoint: { type: 'remote', partnerId: 'peer-73' } }]);
    expect(res.json.counts).toMatchObject({ unchanged: 1, errors: 0 });
    const apply = await node.call('POST', `/v1/directory/sync/${res.json.id}/apply`, { token: admin });
    expect(apply.status, apply.text).toBe(200);
    expect((await agency('000.20.73.H73')).json.endpoint).toEqual({ type: 'remote', partnerId: 'peer-73' });
    expect((await node.call('GET', '/v1/partners/peer-73', { token: admin })).json.agencies).toEqual(['000.20.73.H73']);
  });
});

describe('a dry run from the axis (getAgenciesList)', () => {
  it('signs its request like every axis call, and answers renamed, new (through the axis partner) and absent agencies', async () => {
    const seen: Record<string, string> = {};
    nock(AXIS)
      .post('/getAgenciesList')
      .matchHeader('systemid', (v) => ((seen.systemid = v), true))
      .matchHeader('signature', (v) => ((seen.signature = v), true))
      .matchHeader('timestamp', (v) => ((seen.timestamp = v), true))
      .reply(200, {
        data: [
          { id: '1', code: A1, name: 'Sở Một (tên mới)', mail: 'so1@example.gov.vn', pid: null },
          { id: '3', code: A3, name: 'Phòng Ba', mail: null, pid: '1' },
        ],
      });
    const res = await dryRun(JSON.stringify({ source: 'axis', partnerId: 'axis-sync' }), 'application/json');
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(seen.systemid).toBe('lienthong-73');
    expect(seen.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Date.parse(seen.timestamp!)).not.toBeNaN();
    expect(res.json).toMatchObject({ source: 'axis', partnerId: 'axis-sync', endpoint: { type: 'remote', partnerId: 'axis-sync' } });
    expect(res.json.diff.renamed).toEqual([{ code: A1, from: `Sở ${A1}`, to: 'Sở Một (tên mới)' }]);
    expect(res.json.diff.new).toEqual([{ code: A3, name: 'Phòng Ba', parentCode: A1, level: 'other', validFrom: null, endpoint: { type: 'remote', partnerId: 'axis-sync' } }]);
    expect(res.json.diff.absent).toEqual([{ code: A2, name: `Sở ${A2}` }]);
    expect(res.json.diff.closed).toEqual([]);
  });

  it('answers 503 when the axis does not answer, and 422 for a partner that is not an axis', async () => {
    nock(AXIS).post('/getAgenciesList').reply(500, 'down');
    const down = await dryRun(JSON.stringify({ source: 'axis', partnerId: 'axis-sync' }), 'application/json');
    expect(down.status).toBe(503);
    expect(down.json.code).toBe('UNAVAILABLE');
    const notAxis = await dryRun(JSON.stringify({ source: 'axis', partnerId: 'peer-73' }), 'application/json');
    expect(notAxis.status).toBe(422);
    expect(notAxis.json.errors).toEqual([expect.objectContaining({ path: 'partnerId' })]);
  });
});

describe('the nightly sync', () => {
  it('is scheduled in Vietnam time for the partners configured', async () => {
    const scheduler = await node.runtime.queues.queue('directory-sync').getJobScheduler('directory-sync-schedule');
    expect(scheduler).toMatchObject({ pattern: '0 2 * * *', tz: 'Asia/Ho_Chi_Minh' });
  });

  it('runs the axis dry run, leaves a notice and the metric, and applies nothing', async () => {
    nock(AXIS)
      .post('/getAgenciesList')
      .reply(200, [
        { id: '1', code: A1, name: `Sở ${A1}` },
        { id: '2', code: A2, name: `Sở ${A2}` },
        { id: '4', code: '000.00.04.G73', name: 'Sở Bốn', pid: null },
      ]);
    await node.runtime.queues.enqueue('directory-sync', { trigger: 'manual', partnerId: 'axis-sync' });
    const notices = await eventually(async () => {
      const res = await node.call('GET', '/v1/directory/sync/notices', { token: admin });
      return res.json.items.length ? (res.json.items as Loose[]) : undefined;
    }, 15_000);
    expect(notices).toEqual([expect.objectContaining({ partnerId: 'axis-sync', counts: expect.objectContaining({ new: 1, renamed: 0 }) })]);
    expect(notices[0].message).toContain('1 new');
    expect(notices[0].messageVi).toContain('1 cơ quan mới');
    expect((await agency('000.00.04.G73')).status).toBe(404);
    const sync = await node.call('GET', `/v1/directory/sync/${notices[0].syncId}`, { token: admin });
    expect(sync.json).toMatchObject({ trigger: 'nightly', state: 'dry_run', createdBy: 'system:directory-sync' });
    const metrics = await node.call('GET', '/metrics', { token: admin });
    expect(metrics.text).toContain('lienthong_directory_sync_differences{partner="axis-sync",kind="new"} 1');

    // Applied by an administrator, the notice is resolved.
    expect((await node.call('POST', `/v1/directory/sync/${notices[0].syncId}/apply`, { token: admin })).status).toBe(200);
    expect((await node.call('GET', '/v1/directory/sync/notices', { token: admin })).json.items).toEqual([]);
  });
});

describe('a node with LIENTHONG_DIRECTORY_SYNC_APPLY=true', () => {
  let applying: TestNode;
  afterAll(async () => applying?.close());

  it('applies what the nightly sync finds, by the system, and leaves no notice', async () => {
    applying = await startTestNode({ env: { LIENTHONG_DIRECTORY_SYNC_PARTNERS: 'axis-auto', LIENTHONG_DIRECTORY_SYNC_APPLY: 'true', LIENTHONG_SWEEP_EVERY_MS: '3600000' } });
    const partner = await applying.call('POST', '/v1/partners', {
      token: applying.adminToken,
      body: { id: 'axis-auto', name: 'Trục', kind: 'axis', baseUrl: AXIS, credentials: { systemId: 'auto', secret: 's' }, agencies: [] },
    });
    expect(partner.status, partner.text).toBe(201);
    nock(AXIS).post('/getAgenciesList').reply(200, [{ id: '1', code: A1, name: 'Sở Một' }]);
    await applying.runtime.queues.enqueue('directory-sync', { trigger: 'manual' });
    const created = await eventually(async () => {
      const res = await applying.call('GET', `/v1/agencies/${A1}`, { token: applying.adminToken });
      return res.status === 200 ? res.json : undefined;
    }, 15_000);
    expect(created).toMatchObject({ name: 'Sở Một', endpoint: { type: 'remote', partnerId: 'axis-auto' } });
    const audit = await applying.call('GET', `/v1/audit-events?agency=${A1}`, { token: applying.adminToken });
    expect(audit.json.items).toEqual([expect.objectContaining({ action: 'agency.created', actorType: 'system', actorId: 'directory-sync' })]);
    expect((await applying.call('GET', '/v1/directory/sync/notices', { token: applying.adminToken })).json.items).toEqual([]);
  });
});
