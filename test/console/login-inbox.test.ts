import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/runtime.js';
import { logIn, samplePdf, startConsoleWorld, type ConsoleWorld } from './helpers.js';

/**
 * The console in a real browser (issue 14, UI.md): logging in, the lock-out, a commune clerk's
 * inbox and the accept/refuse answers. The documents are sent through the API here; the compose
 * screen has tests of its own.
 */
describe('console: login and the inbox', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await startConsoleWorld(71);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  /** The district sends a directive with a PDF through the API; resolves when it reached the commune. */
  async function sendDirective(subject: string, to: string, priority = 0): Promise<string> {
    const form = new FormData();
    form.set(
      'metadata',
      JSON.stringify({
        type: 'CT',
        notation: 'CT-UBND',
        subject,
        signer: { fullName: 'Nguyễn Văn A', position: 'Chủ tịch' },
        priority,
        to: [to],
      }),
    );
    form.set('file', new Blob([samplePdf()], { type: 'application/pdf' }), 'chi-thi.pdf');
    const res = await world.node.runtime.app.request('/v1/documents', { method: 'POST', headers: { authorization: `Bearer ${world.district.token}` }, body: form });
    expect(res.status, await res.clone().text()).toBe(201);
    const doc = (await res.json()) as { id: string };
    await eventually(async () => {
      const view = await world.node.call('GET', `/v1/documents/${doc.id}`, { token: world.district.token });
      return view.json.deliveries.every((d: { state: string }) => d.state === 'arrived');
    }, 20_000);
    return doc.id;
  }

  it('GET / without a session shows the login form; a wrong password says "không đúng" and not which one', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByLabel('Tên đăng nhập').isVisible()).resolves.toBe(true);
    await page.getByLabel('Tên đăng nhập').fill(world.communes[0]!.username);
    await page.getByLabel('Mật khẩu').fill('sai-mat-khau-roi');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('không đúng');
    // An unknown user reads the very same message.
    await page.getByLabel('Tên đăng nhập').fill('khong-co-ai');
    await page.getByLabel('Mật khẩu').fill('sai-mat-khau-roi');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(await alert.textContent());
    await context.close();
  });

  it('five wrong passwords lock the account, even against the right one, and the message says so', async () => {
    const victim = world.communes[1]!;
    const context = await world.context();
    const page = await context.newPage();
    await page.goto('/login');
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Tên đăng nhập').fill(victim.username);
      await page.getByLabel('Mật khẩu').fill(`sai-${i}-mat-khau`);
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.getByRole('alert').waitFor();
    }
    await page.getByLabel('Tên đăng nhập').fill(victim.username);
    await page.getByLabel('Mật khẩu').fill(victim.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/khoá/);
    expect(await context.cookies()).toEqual([]);
    // An administrator's reset lifts the lock.
    const reset = await world.node.call('PUT', `/v1/users/${victim.userId}/password`, { token: world.node.adminToken, body: { password: `${victim.password}-moi` } });
    expect(reset.status, reset.text).toBe(204);
    await logIn(page, { username: victim.username, password: `${victim.password}-moi` });
    await context.close();
  });

  it('a commune clerk finds the directive at the top of Văn bản đến, sees the signature valid, opens the PDF, accepts it and reads Số đến: 1', async () => {
    const commune = world.communes[0]!;
    await sendDirective('Về việc phòng chống lụt bão năm 2026', commune.agencyCode);
    await sendDirective('Về việc tổng vệ sinh môi trường', commune.agencyCode, 2);
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, commune);
    await expect(page.getByText(commune.agencyName).first().isVisible()).resolves.toBe(true);
    // Newest first, the urgent one marked.
    const rows = page.locator('tbody tr');
    await expect(rows.first().textContent()).resolves.toContain('Về việc tổng vệ sinh môi trường');
    await expect(rows.first().textContent()).resolves.toContain('Thượng khẩn');
    await expect(rows.first().textContent()).resolves.toContain('Đã đến');
    // Search narrows the list.
    await page.getByLabel('Tìm kiếm').fill('lụt bão');
    await page.getByLabel('Tìm kiếm').press('Enter');
    await page.waitForURL(/q=/);
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Về việc phòng chống lụt bão năm 2026' }).click();
    await expect(page.getByText('hợp lệ').first().textContent()).resolves.not.toContain('không hợp lệ');
    await expect(page.locator('main').textContent()).resolves.toContain('UBND huyện Thử 71');
    // The PDF, in the page.
    await page.getByRole('link', { name: 'Xem trong trang' }).click();
    const frame = page.locator('iframe.pdf');
    await frame.waitFor();
    const pdf = await page.request.get((await frame.getAttribute('src'))!);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    // Accept: the số đến of the agency's incoming register.
    await expect(page.getByRole('button', { name: 'Hoàn thành' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Tiếp nhận' }).click();
    await expect(page.getByText('Số đến: 1').first().isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Tiếp nhận' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Phân công' }).isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('a refusal asks for a reason and sends it back', async () => {
    const commune = world.communes[0]!;
    const id = await sendDirective('Về việc báo cáo số liệu quý IV', commune.agencyCode);
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, commune);
    await page.getByRole('link', { name: 'Về việc báo cáo số liệu quý IV' }).click();
    // Without a reason the browser asks for one first; nothing is sent.
    await page.getByRole('button', { name: 'Từ chối' }).click();
    await expect(page.getByLabel('Lý do').evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).resolves.toBe(true);
    await page.getByLabel('Lý do').fill('Gửi nhầm đơn vị');
    await page.getByRole('button', { name: 'Từ chối' }).click();
    await page.getByText('văn bản được trả lại').waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('Từ chối');
    await eventually(async () => {
      const view = await world.node.call('GET', `/v1/documents/${id}`, { token: world.district.token });
      return view.json.deliveries[0].state === 'refused';
    }, 20_000);
    await context.close();
  });

  it("a clerk cannot open another agency's item by URL, and a form from another origin is refused", async () => {
    const [a, b] = world.communes;
    const id = await sendDirective('Về việc chỉ dành cho xã một', a!.agencyCode);
    const inbox = await world.node.call('GET', '/v1/inbox', { token: a!.token });
    const itemId = inbox.json.items.find((i: { subject: string }) => i.subject === 'Về việc chỉ dành cho xã một').id as string;
    expect(id).toBeTruthy();
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, { username: b!.username, password: `${b!.password}-moi` });
    const res = await page.goto(`/inbox/${itemId}`);
    expect(res?.status()).toBe(404);
    await expect(page.locator('main').textContent()).resolves.not.toContain('chỉ dành cho xã một');
    // The same person's cookie, a form posted from another site: refused, nothing changes.
    const cross = await page.request.post(`/inbox/${itemId}/status`, { headers: { origin: 'http://evil.example' }, form: { code: '03' } });
    expect(cross.status()).toBe(403);
    await context.close();
    const item = await world.node.call('GET', `/v1/inbox/${itemId}`, { token: a!.token });
    expect(item.json.state).toBe('arrived');
  });

  it('Đăng xuất ends the session: the old cookie opens nothing', async () => {
    const commune = world.communes[0]!;
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, commune);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'lt_session')?.httpOnly).toBe(true);
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.getByLabel('Tên đăng nhập').waitFor();
    const again = await world.browser.newContext({ baseURL: world.url });
    await again.addCookies(cookies);
    const p2 = await again.newPage();
    await p2.goto('/inbox');
    await expect(p2.getByLabel('Mật khẩu').isVisible()).resolves.toBe(true);
    await again.close();
    await context.close();
  });
});
