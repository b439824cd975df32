import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import nock from 'nock';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/runtime.js';
import { addAdmin, logIn, sendDirectiveByApi, sideways, startConsoleWorld, type ConsoleWorld, type Person } from './helpers.js';

/**
 * Reorganisation in the console (issue 19): an administrator closes an agency — a split with its
 * successors, or a merger — with the legal act, sees its lineage, hands its open work over to its
 * successor after a preview of what will move, and runs the directory sync from a provincial file or
 * the axis (nock: the axis is a system we do not run), reviews the diff and applies it; the nightly
 * sync's report is a notice on Quản trị. Every assertion reads what the administrator sees, then what
 * the API says afterwards.
 *
 * Pictures of each page at a phone's and a desktop's width go to LIENTHONG_REORG_SCREENSHOTS when it
 * names a folder.
 */
const AXIS = 'http://axis-reorg-87.test';
const AXIS_PARTNER = 'truc-87';
const A1 = '000.00.01.G87';
const A2 = '000.00.02.G87';
const FIVE = '000.05.87.H33';
const NEW = '000.09.87.H33';
const DECISION = { number: '1654/NQ-UBTVQH15', date: '2025-06-16', link: 'https://vanban.chinhphu.vn/?pageid=27160&docid=214152' };

/** A picture of the page when LIENTHONG_REORG_SCREENSHOTS names a folder (not otherwise: a test run leaves nothing behind). */
async function shoot(page: Page, name: string): Promise<void> {
  const folder = process.env.LIENTHONG_REORG_SCREENSHOTS;
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(folder, `reorg-${name}-${width}.png`), fullPage: true });
}

/** Today in Vietnam, YYYY-MM-DD. */
const vietnamToday = (): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
const dmy = (day: string): string => day.split('-').reverse().join('/');

// A browser, axe and a busy machine: each step is a page or two, but the steps are many.
describe('console: giải thể / sáp nhập, bàn giao, đồng bộ danh bạ', { timeout: 120_000 }, () => {
  let world: ConsoleWorld;
  let admin: Person;
  let c1: Person;
  let c2: Person;
  let c3: Person;
  let csvSync: string;
  const dialogs: string[] = [];

  const api = (method: string, path: string, body?: unknown) => world.node.call(method, path, { token: world.node.adminToken, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    world = await startConsoleWorld(87, 3);
    [c1, c2, c3] = world.communes as [Person, Person, Person];
    admin = await addAdmin(world);
    expect((await api('POST', '/v1/agencies', { code: FIVE, name: 'UBND xã Năm 87', level: 'commune', parentCode: world.district.agencyCode })).status).toBe(201);
    const partner = await api('POST', '/v1/partners', {
      id: AXIS_PARTNER,
      name: 'Trục LGSP tỉnh',
      kind: 'axis',
      baseUrl: AXIS,
      credentials: { systemId: 'lienthong-87', secret: 'bi-mat-truc' },
      agencies: [],
    });
    expect(partner.status, partner.text).toBe(201);
    const sở = await api('POST', '/v1/agencies', { code: A1, name: 'Sở Một', level: 'department', endpoint: { type: 'remote', partnerId: AXIS_PARTNER } });
    expect(sở.status, sở.text).toBe(201);
  }, 120_000);
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    await world?.close();
  });

  async function adminPage(width = 1280): Promise<Page> {
    const context = await world.context({ width });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await logIn(page, admin);
    return page;
  }

  /** The rows of the table under a heading, each as its visible text. */
  const rowsUnder = (page: Page, heading: string) => page.locator('section', { has: page.getByRole('heading', { name: heading }) }).locator('tbody tr').allInnerTexts();

  it('closes an agency into a split (successors chosen by name, the legal act), shows the lineage, and opens it again; refusals next to the fields, nothing typed lost', async () => {
    const page = await adminPage();
    await page.goto('/admin/agencies');
    await page.getByRole('link', { name: c3.agencyName, exact: true }).click();
    await page.getByRole('link', { name: 'Giải thể / sáp nhập, bàn giao' }).click();
    await page.getByRole('heading', { level: 1, name: `Giải thể / sáp nhập — ${c3.agencyName}` }).waitFor();
    await expect(page.getByRole('main').getByText('Đang hoạt động', { exact: true }).isVisible()).resolves.toBe(true);

    // A link that is no address: the schema's refusal, next to its field; everything typed stays.
    await page.getByLabel('Ngừng hoạt động từ ngày').fill('2030-01-01');
    await page.getByLabel('Cơ quan kế thừa').fill(c3.agencyCode);
    await page.getByLabel('Quyết định số').fill(DECISION.number);
    await page.getByLabel('Ngày ban hành').fill(DECISION.date);
    await page.getByLabel('Đường dẫn đến văn bản').fill('vanban.chinhphu.vn');
    await page.getByRole('button', { name: 'Ghi nhận giải thể / sáp nhập' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByLabel('Đường dẫn đến văn bản').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#f-decisionLink-error').textContent()).resolves.toMatch(/^Đường dẫn đến quyết định /);
    await shoot(page, 'succession-refused');
    await expect(page.getByLabel('Ngừng hoạt động từ ngày').inputValue()).resolves.toBe('2030-01-01');
    await expect(page.getByLabel('Cơ quan kế thừa').inputValue()).resolves.toBe(c3.agencyCode);
    await expect(page.getByLabel('Quyết định số').inputValue()).resolves.toBe(DECISION.number);
    await expect(page.getByLabel('Ngày ban hành').inputValue()).resolves.toBe(DECISION.date);
    expect(dialogs.at(-1)).toContain(`Ghi nhận ${c3.agencyName} ngừng hoạt động?`);

    // Its own code as successor: the service's rule, said on the successors.
    await page.getByLabel('Đường dẫn đến văn bản').fill(DECISION.link);
    await page.getByRole('button', { name: 'Ghi nhận giải thể / sáp nhập' }).click();
    await expect(page.locator('#f-successors-error').textContent()).resolves.toContain(`Cơ quan không thể kế thừa chính mình (${c3.agencyCode})`);
    await expect(page.getByLabel('Đường dẫn đến văn bản').inputValue()).resolves.toBe(DECISION.link);
    // Nothing was saved.
    expect((await api('GET', `/v1/agencies/${c3.agencyCode}`)).json).toMatchObject({ closedAt: null, successorCodes: [] });

    // A split: two successors chosen by their names from the suggestions, the first receives the documents.
    const box = page.getByLabel('Cơ quan kế thừa');
    await box.fill('');
    await box.pressSequentially('Thử 87-01');
    await page.getByRole('option', { name: c1.agencyName }).click();
    await box.pressSequentially('thu 87-02');
    await page.getByRole('option', { name: c2.agencyName }).click();
    await expect(box.inputValue()).resolves.toBe(`${c1.agencyCode}, ${c2.agencyCode}, `);
    await page.getByRole('button', { name: 'Ghi nhận giải thể / sáp nhập' }).click();
    await page.getByText('Đã ghi nhận giải thể / sáp nhập.').waitFor();
    await expect(page.getByRole('main').getByText('Sẽ ngừng hoạt động từ 00:00 01/01/2030').first().isVisible()).resolves.toBe(true);
    const state = await page.locator('#succession-state').locator('..').innerText();
    expect(state).toContain(`${c1.agencyName} (${c1.agencyCode}) — nhận văn bản gửi đến cơ quan này và nhận bàn giao`);
    expect(state).toContain(`${c2.agencyName} (${c2.agencyCode})`);
    expect(state).toContain(`${DECISION.number} ngày 16/06/2025`);
    await expect(page.getByRole('link', { name: 'xem văn bản' }).getAttribute('href')).resolves.toBe(DECISION.link);
    await shoot(page, 'succession-split');
    // Not closed yet: no handover today.
    await expect(page.getByText('Bàn giao thực hiện được từ 00:00 01/01/2030').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Bàn giao cho cơ quan kế thừa' }).count()).resolves.toBe(0);
    const lineage = await rowsUnder(page, 'Quan hệ kế thừa');
    expect(lineage).toHaveLength(2);
    expect(lineage.every((r) => r.includes('Cơ quan kế thừa'))).toBe(true);
    const closed = await api('GET', `/v1/agencies/${c3.agencyCode}`);
    expect(closed.json).toMatchObject({ closedAt: '2029-12-31T17:00:00.000Z', successorCode: c1.agencyCode, successorCodes: [c1.agencyCode, c2.agencyCode], decision: DECISION });

    // The successor's page names its predecessor.
    await page.getByRole('link', { name: c1.agencyName }).first().click();
    await page.getByRole('heading', { level: 1, name: `Giải thể / sáp nhập — ${c1.agencyName}` }).waitFor();
    const back = await rowsUnder(page, 'Quan hệ kế thừa');
    expect(back).toEqual([expect.stringContaining(c3.agencyName)]);
    expect(back[0]).toContain('Cơ quan tiền thân');
    expect(back[0]).toContain('Sẽ ngừng hoạt động từ 00:00 01/01/2030');

    // Opened again, after a confirmation.
    await page.goto(`/admin/agencies/${c3.agencyCode}/succession`);
    await page.getByRole('button', { name: 'Mở lại cơ quan' }).click();
    await page.getByText('Đã mở lại cơ quan').waitFor();
    expect(dialogs.at(-1)).toContain(`Mở lại ${c3.agencyName}?`);
    expect((await api('GET', `/v1/agencies/${c3.agencyCode}`)).json).toMatchObject({ closedAt: null, successorCodes: [], decision: null });
    await page.context().close();
  });

  it('a merger: closes a commune into another today, previews the handover, refuses a confirmation of what changed since, then hands over and shows what moved', async () => {
    const incoming = 'Về việc rà soát hồ sơ trước sáp nhập';
    const outgoing = 'Báo cáo tình hình chuẩn bị sáp nhập';
    await sendDirectiveByApi(world, { subject: incoming, to: [c1.agencyCode] });
    const sent = await sendDirectiveByApi(world, { subject: outgoing, to: [world.district.agencyCode], from: c1 });
    const today = vietnamToday();

    const page = await adminPage();
    await page.goto(`/admin/agencies/${c1.agencyCode}/succession`);
    await page.getByLabel('Ngừng hoạt động từ ngày').fill(today);
    await page.getByLabel('Cơ quan kế thừa').fill(c2.agencyCode.toLowerCase());
    await page.getByLabel('Quyết định số').fill(DECISION.number);
    await page.getByLabel('Ngày ban hành').fill(DECISION.date);
    await page.getByRole('button', { name: 'Ghi nhận giải thể / sáp nhập' }).click();
    await page.getByText('Đã ghi nhận giải thể / sáp nhập.').waitFor();
    const state = await page.locator('#succession-state').locator('..').innerText();
    expect(state).toContain(`Ngừng hoạt động từ 00:00 ${dmy(today)}`);
    expect(state).toContain(`do ${c2.agencyName} (${c2.agencyCode}) nhận thay`);
    // The agency page says it too.
    await page.goto(`/admin/agencies/${c1.agencyCode}`);
    await expect(page.locator('#agency-summary').locator('..').innerText()).resolves.toContain('Đã giải thể / sáp nhập');

    await page.goto(`/admin/agencies/${c1.agencyCode}/succession`);
    await page.getByRole('link', { name: 'Bàn giao cho cơ quan kế thừa' }).click();
    await page.getByRole('heading', { level: 1, name: `Bàn giao — ${c1.agencyName}` }).waitFor();
    await expect(page.getByRole('heading', { name: 'Văn bản đến đang xử lý (1)' }).isVisible()).resolves.toBe(true);
    const items = await rowsUnder(page, 'Văn bản đến đang xử lý (1)');
    expect(items).toEqual([expect.stringContaining(incoming)]);
    expect(items[0]).toContain(world.district.agencyName);
    expect(items[0]).toContain('Đã đến');
    const docs = await rowsUnder(page, 'Văn bản đi cần theo dõi (1)');
    expect(docs).toEqual([expect.stringContaining(outgoing)]);
    expect(docs[0]).toContain(`${world.district.agencyName}: Đã đến`);
    await expect(page.locator('section', { has: page.getByRole('heading', { name: 'Người dùng sẽ bị khoá (1)' }) }).innerText()).resolves.toContain(`Văn thư ${c1.agencyName}`);
    await shoot(page, 'handover-preview');
    // A preview moves nothing.
    const before = await world.node.call('GET', '/v1/inbox', { token: c1.token });
    expect(before.status).toBe(200);
    expect(before.json.items.map((i: { subject: string }) => i.subject)).toContain(incoming);

    // Someone adds a user meanwhile: the confirmation of the old list is refused, the new list shown.
    const late = await api('POST', '/v1/users', { agencyCode: c1.agencyCode, name: 'Người Dùng Muộn', roles: ['clerk'] });
    expect(late.status).toBe(201);
    await page.getByRole('button', { name: 'Xác nhận bàn giao' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('Nội dung bàn giao đã thay đổi kể từ lúc bạn xem');
    await expect(page.getByRole('heading', { name: 'Người dùng sẽ bị khoá (2)' }).isVisible()).resolves.toBe(true);
    expect((await world.node.call('GET', '/v1/inbox', { token: c1.token })).status).toBe(200);
    expect((await api('GET', `/v1/agencies/${c1.agencyCode}/handovers`)).json.items).toEqual([]);

    await page.getByRole('button', { name: 'Xác nhận bàn giao' }).click();
    await page.getByRole('heading', { level: 1, name: `Đã bàn giao — ${c1.agencyName}` }).waitFor();
    const notice = await page.getByRole('status').first().innerText();
    expect(notice).toContain(`Bàn giao từ ${c1.agencyCode} (${c1.agencyName}) cho ${c2.agencyCode} (${c2.agencyName}) theo ${DECISION.number} ngày 16/06/2025`);
    expect(notice).toContain('1 văn bản đến, 1 văn bản đi cần theo dõi; 2 người dùng bị khóa');
    expect(await rowsUnder(page, 'Văn bản đến đã chuyển (1)')).toEqual([expect.stringContaining(incoming)]);
    expect(await rowsUnder(page, `Văn bản đi do ${c2.agencyName} theo dõi tiếp (1)`)).toEqual([expect.stringContaining(outgoing)]);
    const records = await page.locator('section', { has: page.getByRole('heading', { name: 'Biên bản bàn giao' }) }).innerText();
    expect(records).toContain(`Chuỗi lưu trữ của ${c1.agencyCode}: bản ghi số`);
    expect(records).toContain(`Chuỗi lưu trữ của ${c2.agencyCode}: bản ghi số`);
    await shoot(page, 'handover-done');

    // What the API says afterwards: the item is the successor's, the users are gone, one handover recorded.
    const theirs = await world.node.call('GET', '/v1/inbox', { token: c2.token });
    const moved = theirs.json.items.find((i: { subject: string }) => i.subject === incoming);
    expect(moved).toMatchObject({ addressedTo: c1.agencyCode });
    expect((await world.node.call('GET', '/v1/inbox', { token: c1.token })).status).toBe(401);
    const handovers = (await api('GET', `/v1/agencies/${c1.agencyCode}/handovers`)).json.items;
    expect(handovers).toHaveLength(1);
    expect(handovers[0]).toMatchObject({ from: c1.agencyCode, to: c2.agencyCode, moved: { inboxItems: 1, documents: 1 }, usersDeactivated: 2, decision: { number: DECISION.number } });
    expect(handovers[0].documents.map((d: { id: string }) => d.id)).toEqual([sent.id]);

    // The successor's page: its predecessor and the handover.
    await page.getByRole('link', { name: `Xem ${c2.agencyName}` }).click();
    await page.getByRole('heading', { level: 1, name: `Giải thể / sáp nhập — ${c2.agencyName}` }).waitFor();
    expect(await rowsUnder(page, 'Quan hệ kế thừa')).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`${c1.agencyName}[\\s\\S]*Cơ quan tiền thân`))]));
    const history = await page.locator('#handover').locator('..').locator('tbody tr').allInnerTexts();
    expect(history).toEqual([expect.stringContaining('1 văn bản đến, 1 văn bản đi cần theo dõi; 2 người dùng bị khoá')]);
    // A second look at the handover: nothing left.
    await page.goto(`/admin/agencies/${c1.agencyCode}/handover`);
    await page.getByText('Không còn gì để bàn giao.').waitFor();
    await expect(page.getByRole('button', { name: 'Xác nhận bàn giao' }).count()).resolves.toBe(0);
    await page.context().close();
  });

  it('Đồng bộ danh bạ from a provincial CSV: the dry run’s diff in tables, nothing changed until applied; applied with the decision; a stale dry run is refused', async () => {
    const page = await adminPage();
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Đồng bộ danh bạ' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Đồng bộ danh bạ' }).waitFor();
    const fileForm = page.getByRole('form', { name: 'Từ tệp danh mục (CSV, XLSX)' });

    // A file without a name column: said next to the file, the partner chosen kept.
    await fileForm.getByLabel('Cơ quan mới nhận văn bản ở đâu').selectOption(AXIS_PARTNER);
    await fileForm.getByLabel('Tệp danh mục').setInputFiles({ name: 'sai.csv', mimeType: 'text/csv', buffer: Buffer.from(`Mã,Tên gọi\n${c2.agencyCode},X\n`) });
    await fileForm.getByRole('button', { name: 'Chạy thử (không thay đổi gì)' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.locator('#f-file-error').textContent()).resolves.toContain('Dòng tiêu đề thiếu cột');
    await expect(fileForm.getByLabel('Cơ quan mới nhận văn bản ở đâu').inputValue()).resolves.toBe(AXIS_PARTNER);

    const D = world.district.agencyCode;
    const csv = [
      'Mã định danh,Tên cơ quan,Mã cơ quan cấp trên,Cấp,Ngày hiệu lực,Ngày hết hiệu lực,Mã cơ quan kế thừa',
      `${D},${world.district.agencyName},,Huyện,,,`,
      `${c2.agencyCode},UBND xã Thử 87-02 (sau sáp nhập),${D},Xã,,,`,
      `${NEW},UBND phường Mới 87,${D},Phường,2025-07-01,,`,
      `${FIVE},UBND xã Năm 87,${NEW},Xã,,,`,
      `${c3.agencyCode},${c3.agencyName},${D},Xã,,01/07/2025,${NEW}`,
      'abc,Không phải mã,,,,,',
    ].join('\r\n');
    await fileForm.getByLabel('Cơ quan mới nhận văn bản ở đâu').selectOption('');
    await fileForm.getByLabel('Tệp danh mục').setInputFiles({ name: 'nq-1654-87.csv', mimeType: 'text/csv', buffer: Buffer.from(`\ufeff${csv}`) });
    await fileForm.getByRole('button', { name: 'Chạy thử (không thay đổi gì)' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kết quả chạy thử đồng bộ danh bạ' }).waitFor();
    csvSync = new URL(page.url()).pathname.split('/').pop()!;
    const summary = await page.locator('#sync-summary').locator('..').innerText();
    expect(summary).toContain('Tệp CSV “nq-1654-87.csv”');
    expect(summary).toContain('1 cơ quan mới, 1 cơ quan đổi tên, 1 cơ quan đổi cấp trên hoặc cấp, 1 cơ quan ngừng hoạt động, 1 dòng không dùng được; 1 cơ quan không thay đổi');
    expect(summary).toContain('Chạy thử, chưa áp dụng');
    expect(summary).toContain('Quản trị viên chạy: Nguyễn Hữu Hệ');
    const news = await rowsUnder(page, 'Cơ quan mới (1)');
    expect(news).toEqual([expect.stringContaining('UBND phường Mới 87')]);
    expect(news[0]).toContain('Cấp xã');
    expect(news[0]).toContain(`${world.district.agencyName} (${D})`);
    expect(news[0]).toContain('01/07/2025');
    expect(await rowsUnder(page, 'Đổi tên (1)')).toEqual([expect.stringMatching(new RegExp(`${c2.agencyName}[\\s\\S]*UBND xã Thử 87-02 \\(sau sáp nhập\\)`))]);
    expect(await rowsUnder(page, 'Đổi cấp trên hoặc cấp (1)')).toEqual([expect.stringContaining(`${world.district.agencyName} (${D}) → UBND phường Mới 87 (${NEW})`)]);
    const closing = await rowsUnder(page, 'Ngừng hoạt động: giải thể, sáp nhập, chia tách (1)');
    expect(closing).toEqual([expect.stringContaining(c3.agencyName)]);
    expect(closing[0]).toContain('00:00 01/07/2025');
    expect(closing[0]).toContain(`UBND phường Mới 87 (${NEW})`);
    expect(closing[0]).toContain('Đang hoạt động');
    const errors = await rowsUnder(page, 'Dòng không dùng được (1)');
    expect(errors).toEqual([expect.stringContaining('"abc" không phải mã định danh')]);
    expect(errors[0]).toMatch(/^7\b/);
    // A dry run changes nothing.
    expect((await api('GET', `/v1/agencies/${NEW}`)).status).toBe(404);
    expect((await api('GET', `/v1/agencies/${c2.agencyCode}`)).json.name).toBe(c2.agencyName);
    await shoot(page, 'sync-dry-run');

    // Applied with the decision; a number without its date is refused first, next to the date.
    await page.getByLabel('Quyết định số').fill(DECISION.number);
    await page.getByRole('button', { name: 'Áp dụng các thay đổi' }).click();
    await expect(page.getByLabel('Ngày ban hành').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#f-decisionDate-error').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Quyết định số').inputValue()).resolves.toBe(DECISION.number);
    expect((await api('GET', `/v1/agencies/${NEW}`)).status).toBe(404);
    expect(dialogs.at(-1)).toBe('Áp dụng 4 thay đổi vào danh bạ?');
    await page.getByLabel('Ngày ban hành').fill(DECISION.date);
    await page.getByRole('button', { name: 'Áp dụng các thay đổi' }).click();
    await page.getByText('Đã áp dụng các thay đổi vào danh bạ').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Kết quả đồng bộ danh bạ (đã áp dụng)' }).waitFor();
    await expect(page.getByRole('button', { name: 'Áp dụng các thay đổi' }).count()).resolves.toBe(0);
    // Closed now: its handover is one click away.
    await expect(page.getByRole('link', { name: `Bàn giao ${c3.agencyName} cho cơ quan kế thừa` }).getAttribute('href')).resolves.toBe(`/admin/agencies/${c3.agencyCode}/handover`);

    expect((await api('GET', `/v1/agencies/${NEW}`)).json).toMatchObject({ name: 'UBND phường Mới 87', level: 'commune', parentCode: D, validFrom: '2025-07-01', endpoint: { type: 'local' } });
    expect((await api('GET', `/v1/agencies/${c2.agencyCode}`)).json.name).toBe('UBND xã Thử 87-02 (sau sáp nhập)');
    expect((await api('GET', `/v1/agencies/${FIVE}`)).json.parentCode).toBe(NEW);
    expect((await api('GET', `/v1/agencies/${c3.agencyCode}`)).json).toMatchObject({
      closedAt: '2025-06-30T17:00:00.000Z',
      successorCode: NEW,
      decision: { number: DECISION.number, date: DECISION.date },
    });
    const trail = await api('GET', `/v1/audit-events?agency=${NEW}`);
    expect(trail.json.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'agency.created', details: expect.objectContaining({ sync: csvSync }) })]));
    await page.goto('/admin/directory-sync');
    await expect(page.locator('tbody tr').first().innerText()).resolves.toContain('Đã áp dụng');

    // A dry run the directory has moved past since: refused, nothing applied.
    const fileForm2 = page.getByRole('form', { name: 'Từ tệp danh mục (CSV, XLSX)' });
    await fileForm2.getByLabel('Tệp danh mục').setInputFiles({ name: 'doi-ten.csv', mimeType: 'text/csv', buffer: Buffer.from(`code,name\n${FIVE},UBND xã Năm (tên mới)\n`) });
    await fileForm2.getByRole('button', { name: 'Chạy thử (không thay đổi gì)' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kết quả chạy thử đồng bộ danh bạ' }).waitFor();
    expect((await api('PATCH', `/v1/agencies/${FIVE}`, { name: 'UBND xã Năm (sửa tay)' })).status).toBe(200);
    await page.getByRole('button', { name: 'Áp dụng các thay đổi' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('Danh bạ đã thay đổi kể từ lần chạy thử này');
    expect((await api('GET', `/v1/agencies/${FIVE}`)).json.name).toBe('UBND xã Năm (sửa tay)');
    await page.context().close();
  });

  it('from the axis: its answer compared, its failure said next to the form; the nightly report is a notice on Quản trị until applied', async () => {
    const page = await adminPage();
    await page.goto('/admin/directory-sync');
    const axisForm = page.getByRole('form', { name: 'Từ trục liên thông (getAgenciesList)' });
    nock(AXIS).post('/getAgenciesList').reply(500, 'down');
    await axisForm.getByLabel('Trục liên thông').selectOption(AXIS_PARTNER);
    await axisForm.getByRole('button', { name: 'Chạy thử (không thay đổi gì)' }).click();
    await expect(page.locator('#f-axisPartnerId-error').textContent()).resolves.toContain(`Trục liên thông của đối tác ${AXIS_PARTNER} không trả lời getAgenciesList`);

    const list = [
      { id: '1', code: A1, name: 'Sở Một (tên mới)', pid: null },
      { id: '2', code: A2, name: 'Phòng Hai', pid: '1' },
    ];
    nock(AXIS).post('/getAgenciesList').reply(200, { data: list });
    await axisForm.getByRole('button', { name: 'Chạy thử (không thay đổi gì)' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kết quả chạy thử đồng bộ danh bạ' }).waitFor();
    await expect(page.locator('#sync-summary').locator('..').innerText()).resolves.toContain(`Trục liên thông (đối tác ${AXIS_PARTNER})`);
    expect(await rowsUnder(page, 'Đổi tên (1)')).toEqual([expect.stringMatching(/Sở Một[\s\S]*Sở Một \(tên mới\)/)]);
    const news = await rowsUnder(page, 'Cơ quan mới (1)');
    expect(news).toEqual([expect.stringContaining('Phòng Hai')]);
    expect(news[0]).toContain(`Sở Một (${A1})`);
    expect(news[0]).toContain('Khác');

    // The nightly job finds the same differences and leaves them to the administrator.
    nock(AXIS).post('/getAgenciesList').reply(200, { data: list });
    await world.node.runtime.queues.enqueue('directory-sync', { trigger: 'manual', partnerId: AXIS_PARTNER });
    await eventually(async () => (await api('GET', '/v1/directory/sync/notices')).json.items.length === 1, 20_000);
    await page.goto('/admin');
    const notice = page.getByRole('status').filter({ hasText: 'Đồng bộ danh bạ tự động lúc' });
    await expect(notice.innerText()).resolves.toContain(`danh mục của trục liên thông (đối tác ${AXIS_PARTNER}) khác danh bạ — 1 cơ quan mới, 1 cơ quan đổi tên`);
    await shoot(page, 'overview-notice');
    await notice.getByRole('link', { name: 'Xem kết quả so sánh và áp dụng' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kết quả chạy thử đồng bộ danh bạ' }).waitFor();
    await expect(page.locator('#sync-summary').locator('..').innerText()).resolves.toContain('Tự động hằng đêm');
    await page.getByRole('button', { name: 'Áp dụng các thay đổi' }).click();
    await page.getByText('Đã áp dụng các thay đổi vào danh bạ').waitFor();
    expect((await api('GET', `/v1/agencies/${A2}`)).json).toMatchObject({ name: 'Phòng Hai', parentCode: A1, endpoint: { type: 'remote', partnerId: AXIS_PARTNER } });
    expect((await api('GET', `/v1/agencies/${A1}`)).json.name).toBe('Sở Một (tên mới)');
    await page.goto('/admin');
    await expect(page.getByText('Đồng bộ danh bạ tự động lúc').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('is for administrators only, and every form refuses a request without the session’s CSRF token', async () => {
    const clerkContext = await world.context();
    const clerk = await clerkContext.newPage();
    await logIn(clerk, c2);
    for (const path of ['/admin/directory-sync', `/admin/agencies/${c3.agencyCode}/succession`, `/admin/agencies/${c3.agencyCode}/handover`, `/admin/directory-sync/${csvSync}`]) {
      const res = await clerk.goto(path);
      expect(res?.status(), path).toBe(403);
    }
    const refused = await clerk.request.post(`/admin/agencies/${FIVE}/succession`, { form: { _csrf: 'x', closedDate: '2031-01-01' } });
    expect(refused.status()).toBe(403);
    await clerkContext.close();

    const page = await adminPage();
    const before = (await api('GET', `/v1/agencies/${FIVE}`)).json;
    const posts: Array<[string, Record<string, string>]> = [
      [`/admin/agencies/${FIVE}/succession`, { closedDate: '2031-01-01', successors: NEW }],
      [`/admin/agencies/${c3.agencyCode}/succession/reopen`, {}],
      [`/admin/agencies/${c3.agencyCode}/handover`, { seen: 'x' }],
      ['/admin/directory-sync/axis', { axisPartnerId: AXIS_PARTNER }],
    ];
    for (const [path, form] of posts) {
      const res = await page.request.post(path, { form });
      expect(res.status(), path).toBe(403);
    }
    const upload = await page.request.post('/admin/directory-sync/file', {
      multipart: { file: { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from(`code,name\n${FIVE},Tên khác\n`) } },
    });
    expect(upload.status()).toBe(403);
    expect((await api('GET', `/v1/agencies/${FIVE}`)).json).toEqual(before);
    expect((await api('GET', `/v1/agencies/${c3.agencyCode}`)).json.closedAt).not.toBeNull();
    expect((await api('GET', `/v1/agencies/${c3.agencyCode}/handovers`)).json.items).toEqual([]);
    expect((await api('GET', '/v1/directory/sync?limit=100')).json.items.filter((s: { source: string; trigger: string }) => s.source === 'axis' && s.trigger === 'api')).toHaveLength(1);
    await page.context().close();
  });

  for (const width of [360, 1440]) {
    it(`at ${width} px: no serious or critical axe violation and nothing scrolls sideways on the reorganisation pages`, async () => {
      const page = await adminPage(width);
      const pages: Array<[string, string]> = [
        ['succession', `/admin/agencies/${c2.agencyCode}/succession`],
        ['succession-closed', `/admin/agencies/${c1.agencyCode}/succession`],
        ['handover', `/admin/agencies/${c3.agencyCode}/handover`],
        ['sync', '/admin/directory-sync'],
        ['sync-diff', `/admin/directory-sync/${csvSync}`],
        ['overview', '/admin'],
      ];
      const found: Record<string, string[]> = {};
      for (const [name, path] of pages) {
        const res = await page.goto(path);
        expect(res?.status(), path).toBe(200);
        const result = await new AxeBuilder({ page } as never).analyze();
        found[name] = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect(await sideways(page), `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
        await shoot(page, name);
      }
      expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length))).toEqual({});
      await page.context().close();
    });
  }
});
