import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/runtime.js';
import { logIn, samplePdf, sideways, startConsoleWorld, type ConsoleWorld, type Person } from './helpers.js';

/**
 * Soạn văn bản and Văn bản đi in a real browser (issue 14, UI.md "Compose" and "Outgoing document
 * page"): a district clerk composes a directive to its communes; the document's page follows each
 * commune's answer without a reload; the API's refusals come back next to the fields with nothing
 * typed lost; one form sends one document however often it is posted; recall and 15; suggestions.
 */
describe('console: compose and the outgoing documents', () => {
  let world: ConsoleWorld;
  /** The directive of the first test, followed by the later ones. */
  let firstPath = '';

  beforeAll(async () => {
    world = await startConsoleWorld(75);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const pdf = (name = 'chi-thi.pdf') => ({ name, mimeType: 'application/pdf', buffer: samplePdf() });

  /** Fills every field of a directive to the district's communes, except those given as null. */
  async function fillDirective(page: Page, values: { subject?: string | null; to?: string; notation?: string } = {}) {
    await page.getByLabel('Loại văn bản').selectOption({ label: 'Chỉ thị' });
    await page.getByLabel('Ký hiệu').fill(values.notation ?? 'CT-UBND');
    if (values.subject !== null) await page.getByLabel('Trích yếu').fill(values.subject ?? 'Về việc tăng cường phòng chống dịch bệnh');
    await page.getByLabel('Thẩm quyền ký').selectOption('TM.');
    await page.getByLabel('Người ký').fill('Nguyễn Văn An');
    await page.getByLabel('Chức vụ').fill('Chủ tịch');
    await page.getByLabel('Nơi nhận').fill(values.to ?? `children:${world.district.agencyCode}`);
    await page.getByLabel('Ghi ở cuối văn bản').fill('Như trên;\nLưu: VT.');
    await page.getByLabel('Độ khẩn').selectOption({ label: 'Khẩn' });
  }

  /** The row of a recipient in the document page's table. */
  const row = (page: Page, who: Person) => page.locator('tr', { hasText: who.agencyName });

  const documentCount = async (): Promise<number> => (await world.node.call('GET', '/v1/documents?limit=500', { token: world.district.token })).json.items.length;

  async function openItem(who: Person, subject: string): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, who);
    await page.getByRole('link', { name: subject }).click();
    return { page, close: () => context.close() };
  }

  it('a district clerk composes a directive with a PDF to children:, sees 01/CT-UBND and a row per commune; an acceptance shows up without a reload', async () => {
    const [first, second] = world.communes as [Person, Person];
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.getByRole('link', { name: 'Soạn văn bản' }).click();
    await page.getByRole('heading', { name: 'Soạn văn bản' }).waitFor();
    // The type's options are the NĐ 30 names.
    const types = await page.getByLabel('Loại văn bản').locator('option').allTextContents();
    expect(types).toEqual(expect.arrayContaining(['Chỉ thị', 'Công văn', 'Quyết định']));
    await fillDirective(page);
    await page.getByLabel('Hạn xử lý').fill('2099-12-31');
    await page.getByLabel('Tệp đính kèm').setInputFiles([pdf()]);
    // A second file by drag and drop onto the zone: both are sent.
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(${JSON.stringify([...samplePdf('Phu luc')])})], 'phu-luc.pdf', { type: 'application/pdf' }));
      document.querySelector('[data-dropzone]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await expect(page.getByLabel('Tệp đính kèm').evaluate((el) => (el as unknown as { files: { length: number } }).files.length)).resolves.toBe(2);
    await page.getByRole('button', { name: 'Gửi' }).click();
    await page.waitForURL(/\/outgoing\/[0-9a-f-]{36}/);
    firstPath = new URL(page.url()).pathname;
    await expect(page.locator('main').textContent()).resolves.toContain('01/CT-UBND');
    await expect(page.getByRole('link', { name: 'chi-thi.pdf' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'phu-luc.pdf' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('main').textContent()).resolves.toContain('TM. Chủ tịch Nguyễn Văn An');
    // Gửi đến says children: of the clerk's own agency in words, with its name.
    await expect(page.locator('main').textContent()).resolves.toContain(`các cơ quan trực thuộc ${world.district.agencyName} (${world.district.agencyCode})`);
    for (const commune of [first, second]) {
      await expect(row(page, commune).textContent()).resolves.toMatch(/Đang gửi|Đã đến/);
    }
    // The rows follow the server by themselves: the page is never reloaded from here on.
    await page.evaluate('window.notReloaded = true');
    await row(page, first).getByText('Đã đến').waitFor({ timeout: 20_000 });

    const commune = await openItem(first, 'Về việc tăng cường phòng chống dịch bệnh');
    await commune.page.getByRole('button', { name: 'Tiếp nhận' }).click();
    await commune.page.getByText('Số đến: 1').first().waitFor();
    await commune.close();

    await row(page, first).getByText('Đã tiếp nhận').waitFor({ timeout: 15_000 });
    await expect(row(page, first).textContent()).resolves.toContain('Số đến: 1');
    await expect(row(page, second).textContent()).resolves.not.toContain('Số đến');
    await expect(page.evaluate('window.notReloaded')).resolves.toBe(true);

    // The signed package, as sent.
    const xml = await page.request.get(`${firstPath}/edxml`);
    expect(xml.status()).toBe(200);
    expect(xml.headers()['content-type']).toBe('application/xml');
    await expect(xml.text()).resolves.toContain('CT-UBND');
    await context.close();
  }, 60_000);

  it('Văn bản đi lists it newest first with its recipients summed up; Tìm kiếm filters', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.getByRole('link', { name: 'Văn bản đi' }).click();
    const first = page.locator('tbody tr').first();
    await expect(first.textContent()).resolves.toContain('01/CT-UBND');
    await expect(first.textContent()).resolves.toContain('1/2 đã tiếp nhận');
    await page.getByLabel('Tìm kiếm').fill('không có văn bản này');
    await page.getByLabel('Tìm kiếm').press('Enter');
    await page.waitForURL(/q=/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(0);
    await page.getByLabel('Tìm kiếm').fill('phòng chống dịch');
    await page.getByLabel('Tìm kiếm').press('Enter');
    await page.getByRole('link', { name: 'Về việc tăng cường phòng chống dịch bệnh' }).click();
    await page.waitForURL(new RegExp(firstPath));
    await context.close();
  });

  it('refusals come back next to the fields in Vietnamese, with everything typed kept (and a word about the files)', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    const before = await documentCount();
    await page.goto('/compose');
    // No Trích yếu.
    await fillDirective(page, { subject: null });
    await page.getByLabel('Tệp đính kèm').setInputFiles([pdf('bao-cao.pdf')]);
    await page.getByRole('button', { name: 'Gửi' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('Trích yếu');
    const subject = page.getByLabel('Trích yếu');
    await expect(subject.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await subject.getAttribute('aria-describedby'))!.split(' ');
    const note = await page.locator(`[id="${describedBy[describedBy.length - 1]}"]`).textContent();
    expect(note).toContain('Trích yếu không được để trống');
    await expect(page.getByLabel('Ký hiệu').inputValue()).resolves.toBe('CT-UBND');
    await expect(page.getByLabel('Người ký').inputValue()).resolves.toBe('Nguyễn Văn An');
    await expect(page.getByLabel('Chức vụ').inputValue()).resolves.toBe('Chủ tịch');
    await expect(page.getByLabel('Nơi nhận').inputValue()).resolves.toBe(`children:${world.district.agencyCode}`);
    await expect(page.getByLabel('Ghi ở cuối văn bản').inputValue()).resolves.toBe('Như trên;\nLưu: VT.');
    await expect(page.getByLabel('Loại văn bản').inputValue()).resolves.toBe('CT');
    await expect(page.getByLabel('Độ khẩn').inputValue()).resolves.toBe('1');
    await expect(page.getByLabel('Thẩm quyền ký').inputValue()).resolves.toBe('TM.');
    await expect(page.locator('main').textContent()).resolves.toContain('hãy đính kèm lại tệp bao-cao.pdf');

    // An unknown recipient, among known ones: said next to Nơi nhận, naming it, in the same round
    // as the missing Trích yếu; nothing is created.
    await page.getByLabel('Nơi nhận').fill(`${world.communes[0]!.agencyCode}\n000.99.75.H33`);
    await page.getByRole('button', { name: 'Gửi' }).click();
    await page.getByRole('alert').waitFor();
    const to = page.getByLabel('Nơi nhận');
    await expect(to.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#f-to-error').textContent()).resolves.toMatch(/000\.99\.75\.H33.*không ứng với cơ quan nào/);
    await expect(page.getByLabel('Trích yếu').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(to.inputValue()).resolves.toBe(`${world.communes[0]!.agencyCode}\n000.99.75.H33`);
    await page.getByLabel('Trích yếu').fill('Về việc kiểm tra nơi nhận');
    await page.getByRole('button', { name: 'Gửi' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.locator('#f-to-error').textContent()).resolves.toContain('000.99.75.H33');
    await expect(page.getByLabel('Trích yếu').inputValue()).resolves.toBe('Về việc kiểm tra nơi nhận');
    await expect(page.getByLabel('Trích yếu').getAttribute('aria-invalid')).resolves.toBeNull();

    // A secret document: refused, said next to Độ mật.
    await page.getByLabel('Nơi nhận').fill(world.communes[0]!.agencyCode);
    await page.getByLabel('Độ mật').selectOption({ label: 'Mật' });
    await page.getByRole('button', { name: 'Gửi' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByLabel('Độ mật').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#f-confidentiality-error').textContent()).resolves.toContain('không bao giờ được gửi qua hệ thống này');
    // A phone can read and fix all this: nothing scrolls sideways, and axe finds nothing serious.
    await page.setViewportSize({ width: 360, height: 800 });
    await expect(sideways(page)).resolves.toBeLessThanOrEqual(0);
    const axe = await new AxeBuilder({ page } as never).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(await documentCount()).toBe(before);
    await context.close();
  });

  it('one form sends one document: a double click, and the same form posted again, make a single document; from another site it is refused', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    const before = await documentCount();
    await page.goto('/compose');
    await fillDirective(page, { subject: 'Về việc gửi một lần', to: world.communes[1]!.agencyCode });
    // The form as the browser would send it, to be posted again by hand after the click.
    const fields = await page.evaluate<Record<string, string>>(
      "Object.fromEntries([...new FormData(document.querySelector('form.compose')).entries()].filter(([, v]) => typeof v === 'string'))",
    );
    // The same form from another site is refused before it is read, cookie or not.
    const cross = await page.request.post('/compose', { multipart: fields, headers: { origin: 'http://evil.example' }, maxRedirects: 0 });
    expect(cross.status()).toBe(403);
    expect(await documentCount()).toBe(before);
    await page.getByRole('button', { name: 'Gửi' }).dblclick();
    await page.waitForURL(/\/outgoing\/[0-9a-f-]{36}/);
    const path = new URL(page.url()).pathname;
    const again = await page.request.post('/compose', { multipart: fields, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect(new URL(again.headers().location!, world.url).pathname).toBe(path);
    expect(await documentCount()).toBe(before + 1);
    await context.close();
  });

  it('Thu hồi asks for a reason, recalls, and the commune’s Đồng ý thu hồi shows as Đã thu hồi without a reload; once all answered, the archive file downloads', async () => {
    const second = world.communes[1]!;
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.goto(firstPath);
    await row(page, second).getByText('Đã đến').waitFor({ timeout: 20_000 });
    // Without a reason the browser asks for one; nothing is sent.
    await page.getByRole('button', { name: 'Thu hồi' }).click();
    await expect(page.getByLabel('Lý do').evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).resolves.toBe(true);
    await page.getByLabel('Lý do').fill('Ban hành nhầm, sẽ ban hành văn bản thay thế');
    await page.getByRole('button', { name: 'Thu hồi' }).click();
    await page.getByText('Văn bản đã bị thu hồi').first().waitFor();
    await expect(page.getByRole('button', { name: 'Thu hồi' }).count()).resolves.toBe(0);
    await row(page, second).getByText('Đề nghị thu hồi').waitFor({ timeout: 15_000 });
    await page.evaluate('window.notReloaded = true');

    const commune = await openItem(second, 'Về việc tăng cường phòng chống dịch bệnh');
    await commune.page.getByRole('button', { name: 'Đồng ý thu hồi' }).click();
    await commune.page.getByText('đã được hủy theo đề nghị').waitFor();
    await commune.close();

    await row(page, second).getByText('Đã thu hồi').waitFor({ timeout: 15_000 });
    await expect(page.evaluate('window.notReloaded')).resolves.toBe(true);
    const view = await world.node.call('GET', `/v1/documents/${firstPath.split('/').pop()!}`, { token: world.district.token });
    expect(view.json.state).toBe('recalled');
    expect(view.json.recallReason).toBe('Ban hành nhầm, sẽ ban hành văn bản thay thế');
    // The timeline tells the story.
    await page.getByRole('link', { name: 'Xem diễn biến gửi, nhận' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('Thu hồi văn bản');

    // Not sealed while the first commune has not answered: the archive says so, in Vietnamese.
    const early = await page.request.get(`${firstPath}/archive`);
    expect(early.status()).toBe(409);
    expect(await early.text()).toContain('chưa được niêm phong');
    // Once every recipient has answered, the document is sealed and its archive file downloads.
    const first = world.communes[0]!;
    const inbox = await world.node.call('GET', '/v1/inbox', { token: first.token });
    const itemId = inbox.json.items.find((i: { subject: string }) => i.subject === 'Về việc tăng cường phòng chống dịch bệnh').id as string;
    const agreed = await world.node.call('POST', `/v1/inbox/${itemId}/status`, { token: first.token, body: { code: '15' } });
    expect(agreed.status, agreed.text).toBe(200);
    const zip = await eventually(async () => {
      const res = await page.request.get(`${firstPath}/archive`);
      return res.status() === 200 ? res.body() : undefined;
    }, 30_000, 250);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    await page.goto(firstPath);
    await expect(page.getByRole('link', { name: /Tệp lưu trữ/ }).isVisible()).resolves.toBe(true);
    await context.close();
  }, 90_000);

  it('Nơi nhận suggests agencies by name as one types; choosing one (mouse or keyboard) adds its code', async () => {
    const [first, second] = world.communes as [Person, Person];
    const context = await world.context({ width: 360, height: 800 });
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.goto('/compose');
    const box = page.getByLabel('Nơi nhận');
    // Typed without diacritics, as on many phones.
    await box.pressSequentially('xa Thu 75-02');
    await page.getByRole('option', { name: second.agencyName }).click();
    await expect(box.inputValue()).resolves.toContain(second.agencyCode);
    // The keyboard: type, ↓, Enter.
    await box.pressSequentially('Thử 75-01');
    await page.getByRole('option', { name: first.agencyName }).waitFor();
    await box.press('ArrowDown');
    await box.press('Enter');
    const value = await box.inputValue();
    expect(value).toContain(second.agencyCode);
    expect(value).toContain(first.agencyCode);
    expect(value).not.toContain('Thử');
    // The district's own name offers all its communes at once.
    await box.pressSequentially(world.district.agencyName.slice(0, 14));
    await page.getByRole('option', { name: /Mọi cơ quan trực thuộc/ }).click();
    await expect(box.inputValue()).resolves.toContain(`children:${world.district.agencyCode}`);
    await expect(sideways(page)).resolves.toBeLessThanOrEqual(0);
    await context.close();
  });

  it('the list, the document page, its timeline and the form fit a 360 px phone, and axe finds nothing serious there', async () => {
    const context = await world.context({ width: 360, height: 800 });
    const page = await context.newPage();
    await logIn(page, world.district);
    for (const path of ['/outgoing', firstPath, `${firstPath}/dien-bien`, '/compose']) {
      await page.goto(path);
      await expect(sideways(page), path).resolves.toBeLessThanOrEqual(0);
      const axe = await new AxeBuilder({ page } as never).analyze();
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${path}: ${v.id}`)).toEqual([]);
    }
    await context.close();
  });
});
