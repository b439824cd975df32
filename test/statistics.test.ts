import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, familyCodes, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { CHROMIUM } from './console/helpers.js';
import { HttpNode } from './support/http-node.js';
import { freePort } from './support/redis-server.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 18, statistics per agency and month: a seeded November 2026 whose figures this test works out
 * on its own — with a working-time calculator of its own, below, not the application's calendar —
 * and compares with GET /v1/statistics, its XLSX, the console's Thống kê page (charts with tables)
 * and the Prometheus gauges. The chart is photographed into docs/statistics-chart.png (LIENTHONG_RENDER_DOCS=1).
 *
 * November and December 2026 have no public holiday (Bộ luật Lao động 2019 Điều 112: 1/1, Tết, Giỗ
 * Tổ 10/3 âm lịch, 30/4, 1/5, 2/9 and a day beside it), so a working day is Monday to Friday, 07:30–
 * 11:30 and 13:30–17:00 (Vietnam time): that is the whole calendar this test needs.
 */

const HOUR = 3_600_000;
const DAY = 7.5 * HOUR;
const vn = (local: string) => new Date(`${local}+07:00`);
const dayOf = (t: number) => new Date(t + 7 * HOUR).toISOString().slice(0, 10);
const isWorkingDay = (day: string) => ![0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
const PERIODS: Array<[number, number]> = [
  [7.5, 11.5],
  [13.5, 17],
];

/** Working time between two instants, walking the days (the test's own calculator). */
function workingTime(from: Date, to: Date): number {
  let sum = 0;
  for (let day = dayOf(from.getTime()); day <= dayOf(to.getTime()); day = dayOf(vn(`${day}T12:00`).getTime() + 24 * HOUR)) {
    if (!isWorkingDay(day)) continue;
    for (const [a, b] of PERIODS) {
      const start = vn(`${day}T00:00`).getTime() + a * HOUR;
      const end = vn(`${day}T00:00`).getTime() + b * HOUR;
      sum += Math.max(0, Math.min(end, to.getTime()) - Math.max(start, from.getTime()));
    }
  }
  return sum;
}
const nextWorkingDay = (day: string): string => {
  let d = dayOf(vn(`${day}T12:00`).getTime() + 24 * HOUR);
  while (!isWorkingDay(d)) d = dayOf(vn(`${d}T12:00`).getTime() + 24 * HOUR);
  return d;
};
/** The registration deadline: the end of the day it arrived (the next working day after hours or on a day off); urgent, two working hours. */
function registrationDue(arrived: Date, priority: number): Date {
  if (priority >= 2) {
    let t = arrived.getTime();
    while (workingTime(arrived, new Date(t)) < 2 * HOUR) t += 60_000;
    return new Date(t);
  }
  const day = dayOf(arrived.getTime());
  if (isWorkingDay(day) && arrived < vn(`${day}T17:00`)) return vn(`${day}T17:00`);
  return vn(`${nextWorkingDay(day)}T17:00`);
}
const processingDue = (due: string): Date => vn(`${isWorkingDay(due) ? due : nextWorkingDay(due)}T17:00`);
/** Working days after the day of `due` up to the day of `until`. */
function workingDaysAfter(due: Date, until: Date): number {
  let n = 0;
  for (let d = nextWorkingDay(dayOf(due.getTime())); d <= dayOf(until.getTime()); d = nextWorkingDay(d)) n += 1;
  return n;
}

const NOW = vn('2026-12-14T10:00');

interface Seed {
  to: 'binhAn' | 'hoaDien';
  arrived: string;
  priority?: number;
  due?: string;
  registered?: string;
  refused?: string;
  completed?: string;
  withdrawn?: string;
}

/** The month: what each commune received, and when it answered (Vietnam time). */
const SEEDS: Seed[] = [
  { to: 'binhAn', arrived: '2026-11-02T09:00', due: '2026-11-06', registered: '2026-11-02T14:30', completed: '2026-11-05T10:00' },
  { to: 'binhAn', arrived: '2026-11-06T18:00', registered: '2026-11-09T08:00' }, // after hours on a Friday
  { to: 'binhAn', arrived: '2026-11-10T10:00', priority: 2, registered: '2026-11-10T14:00' }, // urgent, at the very deadline
  { to: 'binhAn', arrived: '2026-11-11T09:00', due: '2026-11-13', registered: '2026-11-12T09:00' }, // registered late, never completed
  { to: 'binhAn', arrived: '2026-11-16T10:00', due: '2026-11-20', refused: '2026-11-16T11:00' },
  { to: 'binhAn', arrived: '2026-11-30T16:00' }, // never registered
  { to: 'binhAn', arrived: '2026-12-01T09:00', registered: '2026-12-01T10:00' }, // December: not in the month
  { to: 'hoaDien', arrived: '2026-11-18T08:00', due: '2026-11-20', registered: '2026-11-18T09:00', completed: '2026-11-23T09:00' }, // completed late
  { to: 'hoaDien', arrived: '2026-11-19T09:00', withdrawn: '2026-11-19T10:00' }, // recalled before anything
  { to: 'hoaDien', arrived: '2026-11-27T09:00', due: '2026-12-31', registered: '2026-11-27T10:00' }, // due later: not settled
  { to: 'hoaDien', arrived: '2026-11-28T10:00', registered: '2026-11-30T16:59' }, // a Saturday
  { to: 'hoaDien', arrived: '2026-10-30T09:00', registered: '2026-10-30T09:30' }, // October: not in the month
];

/** The figures of one agency, worked out here from SEEDS. */
function expectedFigures(to: Seed['to']) {
  const seeds = SEEDS.filter((s) => s.to === to && s.arrived.startsWith('2026-11'));
  const reg = { counted: 0, inTime: 0, days: [] as number[] };
  const proc = { counted: 0, inTime: 0, days: [] as number[] };
  const overdue: Array<{ kind: string; due: string; overdueWorkingDays: number; open: boolean }> = [];
  for (const s of seeds) {
    const arrived = vn(s.arrived);
    const at = (t?: string) => (t ? vn(t) : null);
    const [registered, refused, completed, withdrawn] = [at(s.registered), at(s.refused), at(s.completed), at(s.withdrawn)];
    const rDue = registrationDue(arrived, s.priority ?? 0);
    const rDone = registered ?? refused;
    if (!(withdrawn && (!rDone || withdrawn < rDone))) {
      if (rDone || NOW > rDue) {
        reg.counted += 1;
        if (rDone && rDone <= rDue) reg.inTime += 1;
      }
      if (registered) reg.days.push(workingTime(arrived, registered) / DAY);
    }
    const rUntil = rDone ?? withdrawn ?? NOW;
    if (rUntil > rDue) overdue.push({ kind: 'registration', due: rDue.toISOString(), overdueWorkingDays: workingDaysAfter(rDue, rUntil), open: !rDone && !withdrawn });
    if (s.due && !refused) {
      const pDue = processingDue(s.due);
      if (!(withdrawn && (!completed || withdrawn < completed))) {
        if (completed || NOW > pDue) {
          proc.counted += 1;
          if (completed && completed <= pDue) proc.inTime += 1;
        }
        if (completed) proc.days.push(workingTime(arrived, completed) / DAY);
      }
      const pUntil = completed ?? withdrawn ?? NOW;
      if (pUntil > pDue) overdue.push({ kind: 'processing', due: pDue.toISOString(), overdueWorkingDays: workingDaysAfter(pDue, pUntil), open: !completed && !withdrawn });
    }
  }
  const share = (t: { counted: number; inTime: number }) => (t.counted ? Math.round((t.inTime / t.counted) * 10_000) / 10_000 : null);
  const mean = (days: number[]) => (days.length ? Math.round((days.reduce((a, b) => a + b, 0) / days.length) * 100) / 100 : null);
  return {
    received: seeds.length,
    registration: { counted: reg.counted, inTime: reg.inTime, share: share(reg), meanWorkingDays: mean(reg.days) },
    processing: { counted: proc.counted, inTime: proc.inTime, share: share(proc), meanWorkingDays: mean(proc.days) },
    overdue,
  };
}

let node: TestNode;
let district: Agency;
let binhAn: Agency;
let hoaDien: Agency;
let otherDistrict: Agency;
const sql = <T = Loose>(text: string, params: unknown[] = []) => node.runtime.orm.em.fork().getConnection().execute<T[]>(text, params);
const stats = (token: string, query: string) => node.call('GET', `/v1/statistics?${query}`, { token });

beforeAll(async () => {
  node = await startTestNode({ clock: () => NOW });
  const codes = familyCodes(87);
  district = await createAgency(node, { code: codes.district, name: 'UBND huyện Kiên Lương', level: 'district' });
  binhAn = await createAgency(node, { code: codes.commune(1), name: 'UBND xã Bình An', level: 'commune', parentCode: codes.district });
  hoaDien = await createAgency(node, { code: codes.commune(2), name: 'UBND xã Hòa Điền', level: 'commune', parentCode: codes.district });
  otherDistrict = await createAgency(node, { code: familyCodes(88).district, name: 'UBND huyện Giang Thành', level: 'district' });
  const agencies = { binhAn, hoaDien };
  // One directive per seed, sent for real; then each item is given the times of the seed, as the
  // statuses would have written them.
  for (const [n, seed] of SEEDS.entries()) {
    const res = await sendDocument(node, district.clerk, directive({ subject: `Chỉ thị thử số ${n + 1}`, to: [agencies[seed.to].code] }));
    expect(res.status, res.text).toBe(201);
    await waitForDeliveries(node, district.clerk, res.json.id, { [agencies[seed.to].code]: { state: 'arrived' } });
    const item = await waitForInboxItem(node, agencies[seed.to].clerk, res.json.documentId);
    const at = (t?: string) => (t ? vn(t) : null);
    await sql(
      `update inbox_item set received_at = ?,
              metadata = jsonb_set(metadata, '{messageHeader}', ((metadata -> 'messageHeader') - 'dueDate') || jsonb_build_object('otherInfo', jsonb_build_object('priority', ?::int))
                || case when ?::text is null then '{}'::jsonb else jsonb_build_object('dueDate', replace(?::text, '-', '/')) end)
        where id = ?`,
      [vn(seed.arrived), seed.priority ?? 0, seed.due ?? null, seed.due ?? null, item],
    );
    await sql(`update inbox_item_deadline set registered_at = ?, refused_at = ?, completed_at = ?, withdrawn_at = ? where item_id = ?`, [
      at(seed.registered),
      at(seed.refused),
      at(seed.completed),
      at(seed.withdrawn),
      item,
    ]);
    // The district registered its directives: 9 in November, the others in December.
    await sql(`update outgoing_document set created_at = ? where id = ?`, [n < 9 ? vn('2026-11-20T08:00') : vn('2026-12-02T08:00'), res.json.id]);
  }
  // Bình An sends one of its own in November.
  const own = await sendDocument(node, binhAn.clerk, directive({ subject: 'Báo cáo của xã', to: [district.code] }));
  expect(own.status, own.text).toBe(201);
  await sql(`update outgoing_document set created_at = ? where id = ?`, [vn('2026-11-25T15:00'), own.json.id]);
}, 180_000);
afterAll(async () => node?.close());

describe('GET /v1/statistics', () => {
  it('a district sees itself and its communes side by side, with the figures worked out independently', async () => {
    const res = await stats(district.clerk, 'month=2026-11');
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ month: '2026-11', from: '2026-11-01', to: '2026-11-30', at: NOW.toISOString() });
    expect(res.json.agencies.map((a: Loose) => a.code)).toEqual([district.code, binhAn.code, hoaDien.code]);
    const [d, a, b] = res.json.agencies;
    expect(d).toMatchObject({ sent: 9, received: 0, registration: { counted: 0, inTime: 0, share: null, meanWorkingDays: null } });
    for (const [got, who] of [
      [a, 'binhAn'],
      [b, 'hoaDien'],
    ] as const) {
      const want = expectedFigures(who);
      expect(got.received).toBe(want.received);
      expect(got.registration).toEqual(want.registration);
      expect(got.processing).toEqual(want.processing);
      const listed = (got.overdue.items as Loose[]).map((o) => ({ kind: o.kind, due: o.due, overdueWorkingDays: o.overdueWorkingDays, open: o.open }));
      const sortKey = (o: { kind: string; due: string }) => `${o.due}${o.kind}`;
      expect([...listed].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))).toEqual([...want.overdue].sort((x, y) => sortKey(x).localeCompare(sortKey(y))));
      expect(got.overdue.count).toBe(want.overdue.length);
      expect(got.overdue.open).toBe(want.overdue.filter((o) => o.open).length);
      // Open ones first, the most overdue first.
      expect(listed.map((o) => o.open)).toEqual([...listed.map((o) => o.open)].sort((x, y) => Number(y) - Number(x)));
    }
    expect(a.sent).toBe(1);
    // Spelled out once, so that a reader sees what the calculator found for Bình An.
    expect(a.registration).toEqual({ counted: 6, inTime: 4, share: 0.6667, meanWorkingDays: 0.45 });
    expect(a.processing).toEqual({ counted: 2, inTime: 1, share: 0.5, meanWorkingDays: 3.13 });
  });

  it('a commune sees itself; not its district, its neighbour nor another district', async () => {
    const own = await stats(binhAn.clerk, 'month=2026-11');
    expect(own.status, own.text).toBe(200);
    expect(own.json.agencies.map((a: Loose) => a.code)).toEqual([binhAn.code]);
    for (const code of [district.code, hoaDien.code, otherDistrict.code]) {
      const res = await stats(binhAn.clerk, `month=2026-11&agency=${code}`);
      expect(res.status, res.text).toBe(403);
      expect(res.json.code).toBe('FORBIDDEN');
    }
    expect((await stats(otherDistrict.clerk, `month=2026-11&agency=${district.code}`)).status).toBe(403);
    const child = await stats(district.clerk, `month=2026-11&agency=${hoaDien.code}`);
    expect(child.json.agencies.map((a: Loose) => a.code)).toEqual([hoaDien.code]);
  });

  it('an administrator sees every agency; bad months and unknown agencies are refused', async () => {
    const all = await stats(node.adminToken, 'month=2026-11');
    expect(all.status, all.text).toBe(200);
    expect(all.json.agencies.map((a: Loose) => a.code).sort()).toEqual([district.code, binhAn.code, hoaDien.code, otherDistrict.code].sort());
    for (const month of ['2026-13', '2026/11', '11-2026', '2019-05']) {
      const res = await stats(district.clerk, `month=${encodeURIComponent(month)}`);
      expect(res.status, `${month}: ${res.text}`).toBe(422);
      expect(JSON.stringify(res.json.errors)).toContain('month');
    }
    expect((await stats(district.clerk, '')).status).toBe(422);
    expect((await stats(district.clerk, 'month=2026-11&agency=000.99.99.H99')).status).toBe(404);
    expect((await node.call('GET', '/v1/statistics?month=2026-11')).status).toBe(401);
  });

  it('GET /v1/statistics.xlsx: the same figures in a workbook, and the overdue list', async () => {
    const res = await node.runtime.app.request('/v1/statistics.xlsx?month=2026-11', { headers: { authorization: `Bearer ${district.clerk}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('Tổng hợp')!;
    const row = (code: string) => {
      let found: ExcelJS.Row | undefined;
      sheet.eachRow((r) => {
        if (r.getCell(1).value === code) found = r;
      });
      return found!;
    };
    const want = expectedFigures('binhAn');
    const a = row(binhAn.code);
    expect([a.getCell(3).value, a.getCell(4).value, a.getCell(5).value, a.getCell(6).value, a.getCell(7).value, a.getCell(8).value]).toEqual([
      1,
      want.received,
      want.registration.counted,
      want.registration.inTime,
      want.registration.share,
      want.registration.meanWorkingDays,
    ]);
    expect(row(district.code).getCell(3).value).toBe(9);
    const overdue = book.getWorksheet('Quá hạn')!;
    expect(overdue.rowCount - 1).toBe(expectedFigures('binhAn').overdue.length + expectedFigures('hoaDien').overdue.length);
  });
});

describe('the gauges', () => {
  it('give the overdue counts per agency from the snapshot', async () => {
    await node.runtime.metrics.refresh();
    const text = await node.runtime.metrics.scrape();
    // At 14/12/2026 10:00 Bình An has its 30/11 directive unregistered (and one processing overdue); nothing is due soon.
    expect(text).toContain(`lienthong_deadlines_overdue{agency="${binhAn.code}",kind="registration"} 1`);
    expect(text).toContain(`lienthong_deadlines_overdue{agency="${binhAn.code}",kind="processing"} 1`);
    expect(text).toContain(`lienthong_deadlines_overdue{agency="${hoaDien.code}",kind="registration"} 0`);
    expect(text).toContain(`lienthong_deadlines_due_soon{agency="${binhAn.code}"} 0`);
    // This month (December 2026): Bình An received one, registered in time.
    expect(text).toContain(`lienthong_month_documents{agency="${binhAn.code}",direction="received"} 1`);
    expect(text).toContain(`lienthong_month_in_time_ratio{agency="${binhAn.code}",kind="registration"} 1`);
  });
});

describe('Thống kê in the console', () => {
  it('draws the communes side by side, each chart with a table of the same figures; the picture goes to docs/statistics-chart.png', async () => {
    const password = 'mat-khau-thong-ke-2026';
    const user = await node.call('POST', '/v1/users', { token: node.adminToken, body: { agencyCode: district.code, name: 'Văn thư huyện', roles: ['clerk'], username: 'vt.thongke', password } });
    expect(user.status, user.text).toBe(201);
    const http = new HttpNode(node, await freePort());
    await http.start();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ baseURL: http.url, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByLabel('Tên đăng nhập').fill('vt.thongke');
      await page.getByLabel('Mật khẩu').fill(password);
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.getByRole('heading', { name: 'Văn bản đến' }).waitFor();
      await page.getByRole('link', { name: 'Thống kê' }).click();
      await page.getByRole('heading', { name: 'Thống kê', exact: true }).waitFor();
      await page.getByLabel('Tháng').fill('2026-11');
      await page.getByRole('button', { name: 'Xem thống kê' }).click();
      await page.waitForURL(/thang=2026-11/);
      const section = page.getByRole('region', { name: 'Vào sổ đúng hạn' });
      // The chart is a picture with a name; the figures are in the table beside it.
      await expect(section.getByRole('img', { name: 'Tỷ lệ vào sổ đúng hạn' }).count()).resolves.toBe(1);
      const row = section.getByRole('row', { name: /Bình An/ });
      const cells = await row.getByRole('cell').allInnerTexts();
      const want = expectedFigures('binhAn').registration;
      expect(cells).toEqual([String(want.inTime), String(want.counted), `${(Math.round(want.share! * 1000) / 10).toLocaleString('vi-VN')} %`, want.meanWorkingDays!.toLocaleString('vi-VN')]);
      // Three agencies, three bars' labels in the picture.
      const labels = await section.locator('svg text').allTextContents();
      for (const name of ['UBND huyện Kiên Lương', 'UBND xã Bình An', 'UBND xã Hòa Điền']) expect(labels.join('|')).toContain(name);
      await expect(page.getByRole('region', { name: 'Danh sách quá hạn' }).getByRole('row').count()).resolves.toBe(
        1 + expectedFigures('binhAn').overdue.length + expectedFigures('hoaDien').overdue.length,
      );
      // Into docs/ only when asked (LIENTHONG_RENDER_DOCS=1): a test run leaves the checkout as it was.
      const docs = process.env.LIENTHONG_RENDER_DOCS === '1' ? join(import.meta.dirname, '..', 'docs') : mkdtempSync(join(tmpdir(), 'lienthong-statistics-'));
      mkdirSync(docs, { recursive: true });
      await page.locator('main').screenshot({ path: join(docs, 'statistics-page.png') });
      await section.screenshot({ path: join(docs, 'statistics-chart.png') });
      const download = await page.request.get('/thong-ke.xlsx?thang=2026-11');
      expect(download.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      await context.close();
    } finally {
      await browser.close();
      await http.stop();
    }
  }, 60_000);
});
