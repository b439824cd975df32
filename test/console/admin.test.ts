import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin, logIn, sideways, startConsoleWorld, type ConsoleWorld, type Person } from './helpers.js';

/**
 * Quản trị and Tài khoản in a real browser (issue 14, UI.md): an administrator builds the directory
 * through the console (an agency, a user with a password who can then log in, a certificate, a
 * group, a partner, a trust anchor), refusals read in Vietnamese next to their fields with what was
 * typed kept; a clerk has no way in; a user changes its own password; forms from another site are
 * refused.
 */
describe('console: Quản trị and Tài khoản', () => {
  let world: ConsoleWorld;
  let admin: Person;
  beforeAll(async () => {
    world = await startConsoleWorld(74);
    admin = await addAdmin(world);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const NEW_CODE = '000.09.74.H33';
  const NEW_NAME = 'UBND xã Thử Mới 74';

  it('an administrator creates an agency and a user with a password for it, who can then log in; the token is shown once', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, admin);
    await page.getByRole('link', { name: 'Quản trị' }).click();
    await page.getByRole('heading', { name: 'Quản trị hệ thống' }).waitFor();
    // The BullMQ dashboard is one link away.
    await expect(page.getByRole('link', { name: 'Hàng đợi gửi nhận' }).getAttribute('href')).resolves.toBe('/admin/queues');
    // …which stays BullMQ's own, behind its Basic challenge, not a console page.
    const queues = await page.request.get('/admin/queues');
    expect(queues.status()).toBe(401);
    expect(queues.headers()['www-authenticate']).toMatch(/^Basic/);

    await page.getByRole('link', { name: 'Thêm cơ quan' }).click();
    // A code of the wrong shape: refused next to the field, in Vietnamese, and nothing typed is lost.
    await page.getByLabel('Mã định danh').fill('000.9.74');
    await page.getByLabel('Tên cơ quan').fill(NEW_NAME);
    await page.getByLabel('Cấp', { exact: true }).selectOption('commune');
    await page.getByLabel('Mã cơ quan cấp trên').fill(world.district.agencyCode);
    await page.getByLabel('Hiệu lực từ ngày').fill('2026-01-01');
    await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.locator('#f-code-error').textContent()).resolves.toContain('phải có dạng XXX.YY.ZZ.Lnn');
    await expect(page.getByLabel('Mã định danh').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Tên cơ quan').inputValue()).resolves.toBe(NEW_NAME);
    await expect(page.getByLabel('Mã cơ quan cấp trên').inputValue()).resolves.toBe(world.district.agencyCode);
    await expect(page.getByLabel('Hiệu lực từ ngày').inputValue()).resolves.toBe('2026-01-01');
    // An existing code is a conflict, said on the code.
    await page.getByLabel('Mã định danh').fill(world.communes[0]!.agencyCode);
    await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
    await expect(page.locator('#f-code-error').textContent()).resolves.toContain('Đã có cơ quan với mã định danh này');

    await page.getByLabel('Mã định danh').fill(NEW_CODE);
    await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
    await page.getByText('Đã thêm cơ quan').waitFor();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(NEW_NAME);
    const created = await world.node.call('GET', `/v1/agencies/${NEW_CODE}`, { token: world.node.adminToken });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: NEW_NAME, level: 'commune', parentCode: world.district.agencyCode, validFrom: '2026-01-01' });

    // Its certificate, issued by the node's CA.
    await page.getByRole('link', { name: 'Chứng thư số của cơ quan' }).click();
    await page.getByRole('button', { name: 'Cấp chứng thư số mới' }).click();
    await page.getByText('Đã cấp chứng thư số mới').waitFor();
    await expect(page.locator('tbody tr').first().textContent()).resolves.toContain('Đang dùng');
    await page.getByRole('link', { name: `← ${NEW_NAME}` }).click();

    // A user with a username and a password; a short password is refused in Vietnamese first.
    await page.getByRole('link', { name: 'Người dùng của cơ quan' }).click();
    await page.getByLabel('Họ và tên').fill('Trần Thị Bình');
    await expect(page.getByLabel('Văn thư').isChecked()).resolves.toBe(true);
    await page.getByLabel('Lãnh đạo').check();
    await page.getByLabel('Tên đăng nhập').fill('vt.thumoi74');
    await page.getByLabel('Mật khẩu').fill('ngan');
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await expect(page.locator('#f-password-error').textContent()).resolves.toMatch(/Mật khẩu .*10/);
    await expect(page.getByLabel('Họ và tên').inputValue()).resolves.toBe('Trần Thị Bình');
    await expect(page.getByLabel('Tên đăng nhập').inputValue()).resolves.toBe('vt.thumoi74');
    await expect(page.getByLabel('Lãnh đạo').isChecked()).resolves.toBe(true);
    // A username already taken is said on the username.
    await page.getByLabel('Tên đăng nhập').fill(world.communes[0]!.username);
    await page.getByLabel('Mật khẩu').fill('mat-khau-du-dai-74');
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await expect(page.locator('#f-username-error').textContent()).resolves.toContain('Tên đăng nhập này đã có người dùng');

    await page.getByLabel('Tên đăng nhập').fill('vt.thumoi74');
    await page.getByLabel('Mật khẩu').fill('mat-khau-du-dai-74');
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await page.getByRole('heading', { name: 'Đã tạo người dùng' }).waitFor();
    await expect(page.getByText('Chỉ hiển thị một lần.').isVisible()).resolves.toBe(true);
    const token = await page.getByLabel('Mã truy cập API (token)').inputValue();
    expect(token).toMatch(/^lt_[A-Za-z0-9_-]{43}$/);
    const me = await world.node.call('GET', `/v1/agencies/${NEW_CODE}`, { token });
    expect(me.status).toBe(200);
    // Back on the list, the token is nowhere.
    await page.getByRole('link', { name: /Người dùng — / }).click();
    await expect(page.locator('main').textContent()).resolves.not.toContain(token);
    await expect(page.locator('tbody').textContent()).resolves.toContain('Văn thư, Lãnh đạo');
    await context.close();

    // The new user logs in to the console.
    const theirs = await world.context();
    const p2 = await theirs.newPage();
    await logIn(p2, { username: 'vt.thumoi74', password: 'mat-khau-du-dai-74' });
    await expect(p2.locator('header').textContent()).resolves.toContain(NEW_NAME);
    await theirs.close();
  });

  it('the agency list searches by name and code, any case, and edits keep the service’s rules', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, admin);
    await page.goto('/admin/agencies');
    await page.getByLabel('Tìm cơ quan').fill('thử 74-01');
    await page.getByLabel('Tìm cơ quan').press('Enter');
    await page.waitForURL(/q=/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody').textContent()).resolves.toContain(world.communes[0]!.agencyName);
    await page.getByLabel('Tìm cơ quan').fill('01.74.H33');
    await page.getByLabel('Tìm cơ quan').press('Enter');
    await page.waitForURL(/H33/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);

    await page.getByRole('link', { name: 'Bỏ lọc' }).click();
    await page.getByRole('link', { name: world.communes[1]!.agencyName, exact: true }).click();
    // validTo before validFrom: the service's rule, said on the field, the typed dates kept.
    await page.getByLabel('Hiệu lực từ ngày').fill('2026-06-01');
    await page.getByLabel('Hiệu lực đến ngày').fill('2026-05-01');
    await page.getByLabel('Địa danh').fill('Thử Hai');
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await expect(page.locator('#f-validTo-error').textContent()).resolves.toContain('không được trước ngày bắt đầu');
    await expect(page.getByLabel('Hiệu lực đến ngày').inputValue()).resolves.toBe('2026-05-01');
    await expect(page.getByLabel('Địa danh').inputValue()).resolves.toBe('Thử Hai');
    await page.getByLabel('Hiệu lực đến ngày').fill('2027-05-01');
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByText('Đã lưu thông tin cơ quan').waitFor();
    const after = await world.node.call('GET', `/v1/agencies/${world.communes[1]!.agencyCode}`, { token: world.node.adminToken });
    expect(after.json).toMatchObject({ administrativeUnit: 'Thử Hai', validFrom: '2026-06-01', validTo: '2027-05-01', active: true });

    // At a phone's width nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 740 });
    for (const url of ['/admin', '/admin/agencies', `/admin/agencies/${world.communes[1]!.agencyCode}/users`, '/admin/partners', '/admin/trust-anchors', '/account']) {
      await page.goto(url);
      expect(await sideways(page), url).toBe(0);
    }
    await context.close();
  });

  it('groups, partners and trust anchors: created through the same services, refusals in Vietnamese', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, admin);
    await page.goto('/admin/groups');
    await page.getByLabel('Mã nhóm').fill('XA-74');
    await page.getByLabel('Tên nhóm').fill('Các xã thử 74');
    await page.getByLabel('Các cơ quan trong nhóm').fill(`${world.communes[0]!.agencyCode}\n000.77.74.H33`);
    await page.getByRole('button', { name: 'Tạo nhóm' }).click();
    await expect(page.locator('#f-members-error').textContent()).resolves.toContain('000.77.74.H33');
    await expect(page.getByLabel('Các cơ quan trong nhóm').inputValue()).resolves.toContain('000.77.74.H33');
    await page.getByLabel('Các cơ quan trong nhóm').fill(`${world.communes[0]!.agencyCode}, ${world.communes[1]!.agencyCode}`);
    await page.getByRole('button', { name: 'Tạo nhóm' }).click();
    await page.getByText('Đã tạo nhóm cơ quan').waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain(world.communes[1]!.agencyName);
    // Edit the members by codes.
    await page.getByLabel('Các cơ quan trong nhóm').fill(world.communes[1]!.agencyCode);
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByText('Đã lưu nhóm cơ quan').waitFor();
    const group = await world.node.call('GET', '/v1/groups/XA-74', { token: world.node.adminToken });
    expect(group.json.members).toEqual([world.communes[1]!.agencyCode]);

    await page.goto('/admin/partners');
    await page.getByLabel('Mã đối tác').fill('truc-74');
    await page.getByLabel('Tên đối tác').fill('Trục tỉnh thử 74');
    await page.getByLabel('Loại đối tác').selectOption('axis');
    await page.getByLabel('Cách trao đổi').selectOption('push');
    await page.getByLabel('Thông tin xác thực (JSON, không bắt buộc)').fill('{"systemId": "lt74"');
    await page.getByRole('button', { name: 'Tạo đối tác' }).click();
    await expect(page.locator('#f-credentials-error').textContent()).resolves.toContain('phải là một đối tượng JSON');
    await expect(page.getByLabel('Tên đối tác').inputValue()).resolves.toBe('Trục tỉnh thử 74');
    await page.getByLabel('Thông tin xác thực (JSON, không bắt buộc)').fill('{"systemId": "lt74", "secret": "bi-mat-cua-truc"}');
    await page.getByRole('button', { name: 'Tạo đối tác' }).click();
    // push without an address: the service's rule, on the address.
    await expect(page.locator('#f-baseUrl-error').textContent()).resolves.toMatch(/push/);
    await page.getByLabel('Địa chỉ gửi đến').fill('https://truc.example.vn/api');
    await page.getByRole('button', { name: 'Tạo đối tác' }).click();
    await page.getByRole('heading', { name: 'Đã tạo đối tác' }).waitFor();
    const partnerToken = await page.getByLabel('Mã truy cập trao đổi (token) của đối tác').inputValue();
    expect(partnerToken).toMatch(/^lt_/);
    const partner = await world.node.call('GET', '/v1/partners/truc-74', { token: world.node.adminToken });
    expect(partner.json).toMatchObject({ kind: 'axis', mode: 'push', baseUrl: 'https://truc.example.vn/api', hasCredentials: true });
    await page.getByRole('link', { name: '← Trục tỉnh thử 74' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('Lỗi gần nhất');
    await page.getByLabel('Tên đối tác').fill('Trục tỉnh thử 74 (mới)');
    await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await page.getByText('Đã lưu đối tác').waitFor();
    const renamed = await world.node.call('GET', '/v1/partners/truc-74', { token: world.node.adminToken });
    expect(renamed.json).toMatchObject({ name: 'Trục tỉnh thử 74 (mới)', hasCredentials: true });

    await page.goto('/admin/trust-anchors');
    await expect(page.locator('tbody').textContent()).resolves.toContain('CA của nút này');
    await page.getByLabel('Chứng thư số của CA (PEM)').fill('không phải chứng thư');
    await page.getByRole('button', { name: 'Thêm vào danh sách tin cậy' }).click();
    await expect(page.locator('#f-certificatePem-error').textContent()).resolves.toContain('Hãy dán đúng một chứng thư số dạng PEM');
    await expect(page.getByLabel('Chứng thư số của CA (PEM)').inputValue()).resolves.toBe('không phải chứng thư');
    await context.close();
  });

  it('an administrator resets a password and deactivates a user after a confirmation', async () => {
    const made = await world.node.call('POST', '/v1/users', {
      token: world.node.adminToken,
      body: { agencyCode: world.communes[1]!.agencyCode, name: 'Lê Văn Cường', roles: ['clerk'], username: 'vt.cuong74', password: 'mat-khau-cu-cuong' },
    });
    expect(made.status, made.text).toBe(201);
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, admin);
    await page.goto(`/admin/agencies/${world.communes[1]!.agencyCode}/users`);
    await page.getByRole('link', { name: 'Lê Văn Cường' }).click();
    await page.getByLabel('Mật khẩu mới').fill('mat-khau-moi-cuong');
    await page.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
    await page.getByText('Đã đặt lại mật khẩu').waitFor();

    const theirs = await world.context();
    const p2 = await theirs.newPage();
    await logIn(p2, { username: 'vt.cuong74', password: 'mat-khau-moi-cuong' });

    // Deactivating asks first; dismissing changes nothing.
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: 'Ngừng kích hoạt người dùng' }).click();
    await expect(page.getByRole('button', { name: 'Ngừng kích hoạt người dùng' }).isVisible()).resolves.toBe(true);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Ngừng kích hoạt người dùng' }).click();
    await page.getByText('Đã ngừng kích hoạt người dùng').waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('Đã ngừng');
    // Their open session ends, and they cannot log in again.
    await p2.goto('/inbox');
    await p2.getByLabel('Tên đăng nhập').waitFor();
    await p2.getByLabel('Tên đăng nhập').fill('vt.cuong74');
    await p2.getByLabel('Mật khẩu').fill('mat-khau-moi-cuong');
    await p2.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(p2.getByRole('alert').textContent()).resolves.toContain('không đúng');
    await theirs.close();
    await context.close();
  });

  it('axe finds no serious or critical violation on the admin pages, refused forms included, at a phone’s width', async () => {
    const violations = async (page: Page): Promise<string[]> => {
      const result = await new AxeBuilder({ page } as never).analyze();
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    };
    const commune = world.communes[0]!.agencyCode;
    const users = await world.node.call('GET', `/v1/users?agency=${commune}`, { token: world.node.adminToken });
    const group = await world.node.call('POST', '/v1/groups', { token: world.node.adminToken, body: { code: 'AXE-74', name: 'Nhóm kiểm tra', members: [commune] } });
    expect(group.status, group.text).toBe(201);
    const partner = await world.node.call('POST', '/v1/partners', { token: world.node.adminToken, body: { id: 'nut-axe-74', name: 'Nút kiểm tra', kind: 'lienthong', agencies: [] } });
    expect(partner.status, partner.text).toBe(201);
    for (const width of [360]) {
      const context = await world.context({ width, height: 800 });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await logIn(page, admin);
      const found: Record<string, string[]> = {};
      for (const path of [
        '/admin',
        '/admin/agencies',
        '/admin/agencies/new',
        `/admin/agencies/${commune}`,
        `/admin/agencies/${commune}/users`,
        `/admin/users/${users.json.items[0].id as string}`,
        `/admin/agencies/${commune}/certificates`,
        '/admin/groups',
        '/admin/groups/AXE-74',
        '/admin/partners',
        '/admin/partners/nut-axe-74',
        '/admin/trust-anchors',
        '/account',
      ]) {
        const res = await page.goto(path);
        expect(res?.status(), path).toBe(200);
        found[path] = await violations(page);
        expect(await sideways(page), `${path} at ${width} px`).toBe(0);
      }
      // A refused form: messages next to the fields, the first one focused.
      await page.goto('/admin/agencies/new');
      await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
      await page.getByRole('alert').waitFor();
      await expect(page.evaluate('document.activeElement && document.activeElement.id')).resolves.toBe('f-code');
      found['refused agency'] = await violations(page);
      await page.goto(`/admin/agencies/${commune}/users`);
      await page.getByLabel('Văn thư').uncheck();
      await page.getByRole('button', { name: 'Tạo người dùng' }).click();
      await expect(page.locator('#f-roles-error').textContent()).resolves.toMatch(/vai trò/i);
      await page.getByRole('alert').waitFor();
      found['refused user'] = await violations(page);
      expect(await sideways(page)).toBe(0);
      await context.close();
      expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0)), `${width} px`).toEqual({});
    }
  }, 120_000);

  it('a clerk sees no Quản trị and gets 403 on every /admin URL', async () => {
    const clerk = world.communes[0]!;
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, clerk);
    await expect(page.getByRole('link', { name: 'Quản trị' }).count()).resolves.toBe(0);
    for (const url of ['/admin', '/admin/agencies', '/admin/agencies/new', `/admin/agencies/${clerk.agencyCode}/users`, `/admin/agencies/${clerk.agencyCode}/certificates`, '/admin/groups', '/admin/partners', '/admin/trust-anchors', `/admin/users/${clerk.userId}`]) {
      const res = await page.goto(url);
      expect(res?.status(), url).toBe(403);
    }
    // Not even with the page's own CSRF token.
    await page.goto('/inbox');
    const token = await page.locator('main').getAttribute('data-csrf');
    const post = await page.request.post('/admin/agencies', { form: { _csrf: token!, code: '000.66.74.H33', name: 'Không được tạo', level: 'commune', endpointType: 'local' } });
    expect(post.status()).toBe(403);
    const reset = await page.request.post(`/admin/users/${clerk.userId}/password`, { form: { _csrf: token!, password: 'chiem-quyen-123' } });
    expect(reset.status()).toBe(403);
    await context.close();
    expect((await world.node.call('GET', '/v1/agencies/000.66.74.H33', { token: world.node.adminToken })).status).toBe(404);
  });

  it('a form posted to /admin from another origin is refused, even with the admin’s cookie and token', async () => {
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, admin);
    await page.goto('/admin/agencies/new');
    const token = await page.locator('main').getAttribute('data-csrf');
    const form = { _csrf: token!, code: '000.55.74.H33', name: 'Cơ quan giả mạo', level: 'commune', endpointType: 'local' };
    const cross = await page.request.post('/admin/agencies', { headers: { origin: 'http://evil.example' }, form });
    expect(cross.status()).toBe(403);
    // Same origin but without the session's token: refused too.
    const tokenless = await page.request.post('/admin/agencies', { form: { ...form, _csrf: 'doan-bua' } });
    expect(tokenless.status()).toBe(403);
    await context.close();
    expect((await world.node.call('GET', '/v1/agencies/000.55.74.H33', { token: world.node.adminToken })).status).toBe(404);
  });

  it('Tài khoản: a user sees who it is and changes its password; a wrong current password is refused in Vietnamese', async () => {
    const me = world.communes[1]!;
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, me);
    // Another session of the same person, elsewhere.
    const elsewhere = await world.context();
    const other = await elsewhere.newPage();
    await logIn(other, me);

    await page.getByRole('link', { name: 'Tài khoản' }).click();
    await page.getByRole('heading', { name: 'Tài khoản của tôi' }).waitFor();
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(me.username);
    expect(main).toContain(me.agencyName);
    expect(main).toContain('Văn thư, Lãnh đạo');

    const newPassword = 'mat-khau-moi-cua-toi-74';
    await page.getByLabel('Mật khẩu hiện tại').fill('sai-mat-khau-roi');
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill(newPassword);
    await page.getByLabel('Nhập lại mật khẩu mới').fill(newPassword);
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await expect(page.locator('#f-currentPassword-error').textContent()).resolves.toBe('Mật khẩu hiện tại không đúng.');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Chưa lưu được');
    // The two new ones must agree.
    await page.getByLabel('Mật khẩu hiện tại').fill(me.password);
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill(newPassword);
    await page.getByLabel('Nhập lại mật khẩu mới').fill(`${newPassword}x`);
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await expect(page.locator('#f-confirmPassword-error').textContent()).resolves.toContain('không giống nhau');

    await page.getByLabel('Mật khẩu hiện tại').fill(me.password);
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill(newPassword);
    await page.getByLabel('Nhập lại mật khẩu mới').fill(newPassword);
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.getByText('Đã đổi mật khẩu').waitFor();
    // This session stays; the other one ended.
    await page.goto('/inbox');
    await page.getByRole('heading', { name: 'Văn bản đến' }).waitFor();
    await other.goto('/inbox');
    await other.getByLabel('Tên đăng nhập').waitFor();
    await elsewhere.close();

    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.getByLabel('Tên đăng nhập').fill(me.username);
    await page.getByLabel('Mật khẩu').fill(me.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('không đúng');
    await logIn(page, { username: me.username, password: newPassword });
    await context.close();
  });
});
