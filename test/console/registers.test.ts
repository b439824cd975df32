import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, sendDirectiveByApi, sideways, startConsoleWorld, type ConsoleWorld } from './helpers.js';

/**
 * Sổ đăng ký in a real browser (issue 13, UI.md navigation): the agency's books by kind, year and
 * series with the columns of Phụ lục IV, paper and electronic documents in one book, and the XLSX and
 * PDF downloads; on a phone the rows stack and nothing scrolls sideways.
 */
describe('console: Sổ đăng ký', () => {
  let world: ConsoleWorld;
  const year = Number(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric' }).format(new Date()));

  beforeAll(async () => {
    world = await startConsoleWorld(76, 1);
    const commune = world.communes[0]!;
    await sendDirectiveByApi(world, { subject: 'Về việc triển khai dịch vụ công trực tuyến toàn trình', to: [commune.agencyCode] });
    const paper = await world.node.call('POST', '/v1/registers/out', {
      token: world.district.token,
      body: { medium: 'paper', type: 'QĐ', notation: 'QĐ-UBND', subject: 'Về việc khen thưởng tập thể, cá nhân có thành tích xuất sắc', signer: 'Chủ tịch Nguyễn Văn An', recipients: ['Như Điều 3', 'Lưu: VT'], copies: 4 },
    });
    expect(paper.status, paper.text).toBe(201);
    const series = await world.node.call('POST', `/v1/agencies/${world.district.agencyCode}/registers`, {
      token: world.district.token,
      body: { kind: 'out', code: 'VBQPPL', name: 'Sổ văn bản quy phạm pháp luật' },
    });
    expect(series.status, series.text).toBe(201);
    // The commune accepts the directive: it is number 1 of its incoming book.
    const inbox = await world.node.call('GET', '/v1/inbox', { token: commune.token });
    const accepted = await world.node.call('POST', `/v1/inbox/${inbox.json.items[0].id as string}/status`, { token: commune.token, body: { code: '03' } });
    expect(accepted.status, accepted.text).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it('the outgoing book of this year, paper and electronic by number, with Phụ lục IV’s columns; XLSX and PDF download', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.getByRole('link', { name: 'Sổ đăng ký' }).click();
    await page.getByRole('heading', { name: 'Sổ đăng ký', level: 1 }).waitFor();
    await expect(page.getByRole('heading', { name: `Sổ văn bản đi — Năm ${year}` }).isVisible()).resolves.toBe(true);
    const headers = await page.locator('table.book thead th').allTextContents();
    expect(headers).toEqual(['Số, ký hiệu văn bản', 'Ngày tháng văn bản', 'Tên loại và trích yếu nội dung văn bản', 'Người ký', 'Nơi nhận văn bản', 'Đơn vị, người nhận bản lưu', 'Số lượng bản', 'Ghi chú']);
    const rows = page.locator('table.book tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.nth(0).locator('td').first().textContent()).resolves.toBe('01/CT-UBND');
    await expect(rows.nth(0).textContent()).resolves.toContain('Về việc triển khai dịch vụ công trực tuyến toàn trình');
    await expect(rows.nth(0).textContent()).resolves.toContain(world.communes[0]!.agencyName);
    await expect(rows.nth(1).locator('td').first().textContent()).resolves.toBe('02/QĐ-UBND');
    await expect(rows.nth(1).textContent()).resolves.toContain('Bản giấy');
    await expect(page.getByText('đã cấp đến số 2').isVisible()).resolves.toBe(true);

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải về XLSX' }).click()]);
    expect(xlsx.suggestedFilename()).toBe(`so-di-${year}.xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync((await xlsx.path())!) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Sổ văn bản đi')!;
    expect(sheet.getRow(3).getCell(1).value).toBe('01/CT-UBND');
    expect(sheet.getRow(4).getCell(1).value).toBe('02/QĐ-UBND');

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải về PDF' }).click()]);
    expect(pdf.suggestedFilename()).toBe(`so-di-${year}.pdf`);
    expect(readFileSync((await pdf.path())!).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // Another series of the agency, chosen in the form: empty this year.
    await page.getByLabel('Sổ', { exact: true }).selectOption('VBQPPL');
    await page.getByRole('button', { name: 'Xem sổ' }).click();
    await page.getByText(`Sổ này chưa có văn bản nào trong năm ${year}.`).waitFor();
    await expect(page.locator('.book-head').textContent()).resolves.toContain('Sổ văn bản quy phạm pháp luật (VBQPPL)');
    await context.close();
  }, 60_000);

  it('the incoming book on a phone: the rows stack with their column names, nothing scrolls sideways; another agency’s book is not reachable', async () => {
    const commune = world.communes[0]!;
    const context = await world.context({ width: 360, height: 800 });
    const page = await context.newPage();
    await logIn(page, commune);
    await page.goto('/registers');
    await page.getByLabel('Loại sổ').selectOption('in');
    await page.getByRole('button', { name: 'Xem sổ' }).click();
    await page.getByRole('heading', { name: `Sổ văn bản đến — Năm ${year}` }).waitFor();
    const cells = page.locator('table.book tbody tr').first().locator('td');
    await expect(cells.nth(1).getAttribute('data-label')).resolves.toBe('Số đến');
    await expect(cells.nth(1).textContent()).resolves.toBe('1');
    await expect(cells.nth(2).textContent()).resolves.toBe(world.district.agencyName);
    await expect(cells.nth(1).isVisible()).resolves.toBe(true);
    // Stacked: every cell a block of its own, labelled by its column (CSS `table.stack`).
    const style = (pseudo: string, property: string) =>
      page.evaluate<string>(`getComputedStyle(document.querySelector('table.book tbody tr td:nth-child(2)'), ${JSON.stringify(pseudo || null)}).${property}`);
    await expect(style('', 'display')).resolves.toBe('block');
    await expect(style('::before', 'content')).resolves.toBe('"Số đến: "');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    // The downloads are the viewer's agency's books: there is no way to name another.
    const file = await page.request.get(`/registers/in/${year}.pdf`);
    expect(file.headers()['content-type']).toBe('application/pdf');
    expect((await page.request.get(`/registers/out/${year}.xlsx?agency=${world.district.agencyCode}`)).status()).toBe(200);
    const theirs = await page.request.get(`/registers/out/${year}.xlsx?agency=${world.district.agencyCode}`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await theirs.body()) as unknown as ArrayBuffer);
    expect(workbook.getWorksheet('Bìa sổ')!.getColumn(1).values).toContain(commune.agencyName.toLocaleUpperCase('vi'));
    await context.close();
  }, 60_000);
});
