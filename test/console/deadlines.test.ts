import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpNode } from '../support/http-node.js';
import { freePort } from '../support/redis-server.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import { CHROMIUM, sideways } from './helpers.js';

/**
 * Deadlines in the console (issue 18), in a real Chromium on a node whose clock stands still at
 * Monday 14/12/2026, 10:00 (Vietnam): the marks of Văn bản đến in words ("Quá hạn 7 ngày làm việc",
 * "Sắp đến hạn", "Hạn xử lý: 31/12/2026 — Còn hạn"), the counter "Quá hạn (1)" leading to the list
 * of them, the item page, and each recipient's deadlines on the sender's page — with every name of
 * UI.md still unique. Pictures of what a văn thư sees go to docs/screenshots/deadlines-*.png with LIENTHONG_RENDER_DOCS=1.
 */

const vn = (local: string) => new Date(`${local}+07:00`);
const NOW = vn('2026-12-14T10:00');
// The pictures go into docs/ only when asked (LIENTHONG_RENDER_DOCS=1, as for the register books): a test run leaves the checkout as it was.
const SHOTS = process.env.LIENTHONG_RENDER_DOCS === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'lienthong-deadline-shots-'));

interface Person {
  code: string;
  name: string;
  username: string;
  password: string;
  token: string;
}

let node: TestNode;
let http: HttpNode;
let browser: Browser;
let district: Person;
let binhAn: Person;
let hoaDien: Person;
const docs: Record<'late' | 'today' | 'registered', { id: string; documentId: string }> = {} as never;

const sql = (text: string, params: unknown[] = []) => node.runtime.orm.em.fork().getConnection().execute(text, params);

async function person(code: string, name: string, level: string, parentCode?: string): Promise<Person> {
  const admin = node.adminToken;
  const created = await node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level, ...(parentCode ? { parentCode } : {}) } });
  expect(created.status, created.text).toBe(201);
  expect((await node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: {} })).status).toBe(201);
  const username = `vt.${code.replaceAll('.', '')}`;
  const password = `mk-${randomBytes(6).toString('hex')}`;
  const user = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode: code, name: `Văn thư ${name}`, roles: ['clerk', 'signer'], username, password } });
  expect(user.status, user.text).toBe(201);
  return { code, name, username, password, token: user.json.token };
}

/** A directive from the district, through the API, once every recipient's 01 is back. */
async function send(subject: string, to: Person[], extra: Record<string, unknown> = {}) {
  const res = await node.call('POST', '/v1/documents', {
    token: district.token,
    body: { type: 'CT', notation: 'CT-UBND', subject, signer: { fullName: 'Nguyễn Văn An', position: 'Chủ tịch', competence: 'TM.' }, to: to.map((p) => p.code), ...extra },
  });
  expect(res.status, res.text).toBe(201);
  await eventually(async () => {
    const view = await node.call('GET', `/v1/documents/${res.json.id}`, { token: district.token });
    return view.json.deliveries.every((d: { state: string }) => d.state === 'arrived');
  }, 20_000);
  return { id: res.json.id as string, documentId: res.json.documentId as string };
}

/** Writes the times a document's life would have written: its arrival (and due date), a recipient's 03. */
async function backdate(documentId: string, arrived: Date, due?: string) {
  await sql(`update inbox_item set received_at = ? where document_id = ?`, [arrived, documentId]);
  await sql(`update delivery_deadline set arrived_at = ?, computed_at = null where document_id = (select id from outgoing_document where document_id = ?)`, [arrived, documentId]);
  if (due) {
    await sql(`update inbox_item set metadata = jsonb_set(metadata, '{messageHeader,dueDate}', to_jsonb(?::text)) where document_id = ?`, [due.replaceAll('-', '/'), documentId]);
    await sql(`update outgoing_document set due_date = ? where document_id = ?`, [due, documentId]);
  }
}
async function registered(documentId: string, who: Person, at: Date) {
  await sql(`update inbox_item_deadline set registered_at = ? where item_id in (select id from inbox_item where document_id = ? and agency_code = ?)`, [at, documentId, who.code]);
  await sql(
    `update delivery_deadline set registered_at = ? where delivery_id in (select d.id from delivery d join outgoing_document o on o.id = d.document_id where d.recipient_code = ? and o.document_id = ?)`,
    [at, who.code, documentId],
  );
}

async function logIn(page: Page, who: Person) {
  await page.goto('/');
  await page.getByLabel('Tên đăng nhập').fill(who.username);
  await page.getByLabel('Mật khẩu').fill(who.password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('heading', { name: 'Văn bản đến' }).waitFor();
}

const newPage = async (width = 1280, height = 900) => {
  const context = await browser.newContext({ baseURL: http.url, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width, height } });
  return context.newPage();
};

async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page } as never).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const SUBJECTS = {
  late: 'Về việc kiểm tra công tác phòng cháy, chữa cháy cuối năm',
  today: 'Về việc báo cáo số liệu thống kê quý IV',
  registered: 'Về việc tổ chức hội nghị tổng kết năm 2026',
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  node = await startTestNode({ clock: () => NOW });
  district = await person('000.00.89.H33', 'UBND huyện Thử Hạn', 'district');
  binhAn = await person('000.01.89.H33', 'UBND xã Bình An', 'commune', district.code);
  hoaDien = await person('000.02.89.H33', 'UBND xã Hòa Điền', 'commune', district.code);
  // Arrived Thursday 3/12 at 09:00, due Wednesday 9/12: both deadlines passed. Hòa Điền registered it in time.
  docs.late = await send(SUBJECTS.late, [binhAn, hoaDien]);
  await backdate(docs.late.documentId, vn('2026-12-03T09:00'), '2026-12-09');
  await registered(docs.late.documentId, hoaDien, vn('2026-12-03T10:00'));
  // Arrived this morning: to be registered by 17:00 today.
  docs.today = await send(SUBJECTS.today, [binhAn]);
  await backdate(docs.today.documentId, vn('2026-12-14T08:00'));
  // Arrived this morning, registered at once; due 31/12.
  docs.registered = await send(SUBJECTS.registered, [binhAn]);
  await backdate(docs.registered.documentId, vn('2026-12-14T08:00'), '2026-12-31');
  await registered(docs.registered.documentId, binhAn, vn('2026-12-14T08:30'));
  http = new HttpNode(node, await freePort());
  await http.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await http?.stop();
  await node?.close();
});

describe('console: deadlines', () => {
  it('Văn bản đến marks each row in words, counts what is overdue and due soon, and the counter leads to them', async () => {
    const page = await newPage();
    await logIn(page, binhAn);
    const row = (subject: string) => page.getByRole('row', { name: new RegExp(subject.slice(0, 30)) });
    await expect(row(SUBJECTS.late).getByText('Quá hạn 7 ngày làm việc').count()).resolves.toBe(1);
    await expect(row(SUBJECTS.late).innerText()).resolves.toContain('Hạn vào sổ: 17:00 03/12/2026');
    await expect(row(SUBJECTS.today).getByText('Sắp đến hạn').count()).resolves.toBe(1);
    await expect(row(SUBJECTS.registered).innerText()).resolves.toContain('Hạn xử lý: 31/12/2026 — Còn hạn');
    // The state texts of UI.md are still there, once per row.
    await expect(row(SUBJECTS.late).getByText('Đã đến', { exact: true }).count()).resolves.toBe(1);
    // The counter: links named by what they count, none named like the navigation.
    await expect(page.getByRole('link', { name: 'Quá hạn (1)' }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Sắp đến hạn (1)' }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Văn bản đến' }).count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { name: 'Văn bản đến' }).count()).resolves.toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'deadlines-inbox-desktop.png') });

    await page.getByRole('link', { name: 'Quá hạn (1)' }).click();
    await page.waitForURL(/han=qua-han/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody tr').innerText()).resolves.toContain(SUBJECTS.late);
    await expect(page.getByRole('link', { name: 'Quá hạn (1)' }).getAttribute('aria-current')).resolves.toBe('page');
    await page.getByRole('link', { name: 'Sắp đến hạn (1)' }).click();
    await page.waitForURL(/han=sap-den-han/);
    await expect(page.locator('tbody tr').innerText()).resolves.toContain(SUBJECTS.today);
    await page.getByRole('link', { name: 'Xem tất cả' }).click();
    await expect(page.locator('tbody tr').count()).resolves.toBe(3);
    await page.context().close();
  });

  it('the item page says when registration and processing were due and how late, in words', async () => {
    const page = await newPage();
    await logIn(page, binhAn);
    await page.getByRole('link', { name: SUBJECTS.late }).click();
    const main = page.locator('main');
    await expect(main.innerText()).resolves.toMatch(/Hạn vào sổ\s+17:00 03\/12\/2026 — Quá hạn 7 ngày làm việc/);
    await expect(main.innerText()).resolves.toMatch(/Hạn xử lý\s+09\/12\/2026 — Quá hạn 3 ngày làm việc/);
    // UI.md's texts stay unique on the page: the state, the signature check, the buttons.
    await expect(page.getByText('Đã đến').count()).resolves.toBe(1);
    await expect(page.getByText('hợp lệ').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Tiếp nhận' }).count()).resolves.toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'deadlines-item-desktop.png'), fullPage: true });
    // Registered now: the registration is met, late; the counter no longer counts it for that.
    await page.getByRole('button', { name: 'Tiếp nhận' }).click();
    await page.getByText('Số đến: 1').first().waitFor();
    await expect(main.innerText()).resolves.toMatch(/Hạn vào sổ\s+17:00 03\/12\/2026 — Đã xong, trễ \d+ ngày làm việc/);
    await page.context().close();
  });

  it('the sender sees each recipient’s deadlines on the document page, and a summary in Văn bản đi', async () => {
    const page = await newPage();
    await logIn(page, district);
    await page.getByRole('link', { name: 'Văn bản đi' }).click();
    const listed = page.getByRole('row', { name: new RegExp(SUBJECTS.late.slice(0, 30)) });
    await expect(listed.innerText()).resolves.toContain('Theo dõi hạn: 2 quá hạn');
    await page.getByRole('link', { name: SUBJECTS.late }).click();
    const row = (who: Person) => page.getByRole('row', { name: new RegExp(who.name) });
    await expect(row(hoaDien).innerText()).resolves.toContain('Hạn vào sổ: 17:00 03/12/2026 — Đúng hạn');
    await expect(row(hoaDien).innerText()).resolves.toContain('Hạn xử lý: 09/12/2026 — Quá hạn 3 ngày làm việc');
    await expect(row(binhAn).innerText()).resolves.toMatch(/Hạn xử lý: 09\/12\/2026 — Quá hạn 3 ngày làm việc/);
    await expect(row(hoaDien).getByText('Đã đến', { exact: true }).count()).resolves.toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'deadlines-document-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('on a 360 px phone nothing scrolls sideways, and the marks read the same', async () => {
    const page = await newPage(360, 780);
    await logIn(page, binhAn);
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await expect(page.getByRole('link', { name: /^Quá hạn \(\d+\)$/ }).count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, 'deadlines-inbox-phone.png'), fullPage: true });
    await page.goto('/thong-ke?thang=2026-12');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });
});
