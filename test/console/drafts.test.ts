import AxeBuilder from '@axe-core/playwright';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directiveDraftPdf, DRAFT_TEMPLATE } from '../support/draft-pdf.js';
import { nssTrusting, pdfsig } from '../support/poppler.js';
import { eventually } from '../support/runtime.js';
import { logIn, sideways, startConsoleWorld, type ConsoleWorld } from './helpers.js';

/**
 * Dự thảo in a real browser (issue 17): a district's văn thư uploads a draft directive, its leader
 * approves it with "Phê duyệt và ký" (the node signs with the key it keeps for the leader), the văn
 * thư gives it its number and the agency's signature with "Cấp số và ký số", and the commune finds
 * it in Văn bản đến — each step said in Vietnamese, the PDF shown in the page. (The demo's people
 * are clerk and signer at once, as in a small commune; the roles are checked by the API tests.)
 *
 * With LIENTHONG_RENDER_DOCS=1 the pages are also saved into docs/screenshots/.
 */
describe('console: drafts, from upload to the commune’s inbox', () => {
  let world: ConsoleWorld;
  let shots: string;
  const SEAL = readFileSync(fileURLToPath(new URL('../fixtures/seal/seal.png', import.meta.url)));

  beforeAll(async () => {
    world = await startConsoleWorld(83, 1);
    shots = mkdtempSync(join(tmpdir(), 'lienthong-drafts-shots-'));
    const admin = world.node.adminToken;
    const key = await world.node.call('POST', `/v1/users/${world.district.userId}/signing-key`, { token: admin, body: { fullName: 'Nguyễn Văn An' } });
    expect(key.status, key.text).toBe(201);
    const seal = await world.node.runtime.app.request(`/v1/agencies/${world.district.agencyCode}/seal`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${world.district.token}`, 'content-type': 'image/png' },
      body: new Uint8Array(SEAL),
    });
    expect(seal.status, await seal.text()).toBe(200);
    const template = await world.node.call('PUT', `/v1/agencies/${world.district.agencyCode}/stamp-template`, { token: world.district.token, body: DRAFT_TEMPLATE });
    expect(template.status, template.text).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    if (shots) rmSync(shots, { recursive: true, force: true });
  });

  /** What axe-core finds serious or critical on the page (none expected). */
  async function violations(page: Page): Promise<string[]> {
    const result = await new AxeBuilder({ page } as never).analyze();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  /** A full-page screenshot, looked at by whoever runs the test, and kept for the README on request. */
  async function shot(page: Page, name: string): Promise<void> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).subarray(1, 4).toString('latin1')).toBe('PNG');
    if (process.env.LIENTHONG_RENDER_DOCS === '1') {
      mkdirSync('docs/screenshots', { recursive: true });
      copyFileSync(path, join('docs/screenshots', `${name}.png`));
    }
  }

  it('uploads a draft, approves it with the leader’s signature, numbers and seals it; the commune receives it', async () => {
    const commune = world.communes[0]!;
    const subject = 'Về việc triển khai dịch vụ công trực tuyến toàn trình';
    const context = await world.context({ width: 1440, height: 900 });
    const page = await context.newPage();
    await logIn(page, world.district);
    await page.getByRole('link', { name: 'Dự thảo' }).click();
    await page.getByRole('heading', { name: 'Dự thảo', exact: true }).waitFor();
    await expect(page.getByText('Chưa có dự thảo nào.').count()).resolves.toBe(1);

    // A form without its PDF comes back with the message next to the file and the typed values kept.
    await page.getByLabel('Loại văn bản').selectOption({ label: 'Chỉ thị' });
    await page.getByLabel('Ký hiệu').fill('CT-UBND');
    await page.getByLabel('Trích yếu').fill(subject);
    await page.getByLabel('Người ký').fill('Nguyễn Văn An');
    await page.getByLabel('Chức vụ').fill('Chủ tịch');
    await page.getByLabel('Nơi nhận').fill(commune.agencyCode);
    await page.getByRole('button', { name: 'Tải lên dự thảo' }).click();
    await page.getByRole('alert').filter({ hasText: 'Chưa tải lên được dự thảo' }).waitFor();
    expect(await page.locator('#f-pdf-error').textContent()).toContain('PDF');
    expect(await page.getByLabel('Trích yếu').inputValue()).toBe(subject);

    await page.getByLabel('Tệp dự thảo (PDF)').setInputFiles({ name: 'chi-thi.pdf', mimeType: 'application/pdf', buffer: await directiveDraftPdf() });
    await page.getByRole('button', { name: 'Tải lên dự thảo' }).click();
    await page.waitForURL(/xong=tai-len/);
    const draftUrl = page.url().replace(/\?.*$/, '');
    await page.getByRole('heading', { name: subject }).waitFor();
    await page.getByText('Chờ phê duyệt', { exact: true }).waitFor();
    // The PDF is shown in the page, on request (as on the inbox's item page).
    await page.getByRole('link', { name: 'Xem trong trang' }).click();
    await page.waitForURL(/xem=1/, { waitUntil: 'commit' });
    const frame = page.getByTitle('Xem văn bản trong trang');
    await frame.waitFor();
    const pdfPath = (await frame.getAttribute('src'))!;
    expect(pdfPath).toMatch(/^\/drafts\/[0-9a-f-]{36}\/pdf\?inline$/);
    const pdfAnswer = await page.request.get(pdfPath);
    expect(pdfAnswer.headers()['content-type']).toBe('application/pdf');
    expect(pdfAnswer.headers()['content-disposition']).toMatch(/^inline/);
    await page.waitForTimeout(3000); // the PDF viewer paints in its frame
    await shot(page, 'draft-desktop');
    // The steps are taken from the page without the viewer's frame (leaving a page whose PDF viewer
    // is still starting can stall headless Chromium's navigation).
    await page.goto(draftUrl);
    expect(await violations(page)).toEqual([]);

    await Promise.all([page.waitForURL(/xong=phe-duyet/), page.getByRole('button', { name: 'Phê duyệt và ký' }).click()]);
    await page.getByText('Đã phê duyệt, chờ cấp số', { exact: true }).waitFor();
    await page.getByText(/Nguyễn Văn An \(hệ thống ký bằng khóa của lãnh đạo\)/).waitFor();
    await shot(page, 'draft-approved-desktop');

    await Promise.all([page.waitForURL(/xong=ban-hanh/), page.getByRole('button', { name: 'Cấp số và ký số' }).click()]);
    await page.getByText('Đã ban hành', { exact: true }).waitFor();
    await page.getByRole('link', { name: '01/CT-UBND' }).waitFor();
    // The steps are over: no button is left.
    expect(await page.getByRole('button', { name: 'Cấp số và ký số' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Phê duyệt và ký' }).count()).toBe(0);
    // The issued PDF in the page: the number, the date, the leader's signature under the seal.
    await page.goto(`${draftUrl}?xem=1`, { waitUntil: 'commit' });
    await page.getByTitle('Xem văn bản trong trang').waitFor();
    await page.waitForTimeout(3000); // the PDF viewer paints in its frame
    await shot(page, 'draft-issued-desktop');

    // The issued PDF carries the leader's and the agency's signatures, valid and trusted (pdfsig).
    const issued = Buffer.from(await (await page.request.get(pdfPath)).body());
    const anchors = await world.node.call('GET', '/v1/trust-anchors', { token: world.district.token });
    const nss = nssTrusting(join(shots, 'nss'), { 'node-ca': anchors.json.items.find((a: { source: string }) => a.source === 'node-ca').certificatePem });
    const { signatures } = pdfsig(shots, issued, nss);
    expect(signatures.map((s) => s.fields.get('Signer Certificate Common Name'))).toEqual(['Nguyễn Văn An', world.district.agencyName]);
    expect(signatures.map((s) => s.fields.get('Certificate Validation'))).toEqual(['Certificate is Trusted.', 'Certificate is Trusted.']);

    // The list says the state too, and the phone layout does not scroll sideways.
    await page.goto('/drafts');
    await page.getByRole('row', { name: new RegExp(subject) }).getByText('Đã ban hành').waitFor();
    await page.setViewportSize({ width: 360, height: 780 });
    expect(await sideways(page)).toBe(0);
    expect(await violations(page)).toEqual([]);
    await shot(page, 'drafts-phone');
    await context.close();

    // The commune finds it in Văn bản đến, with the issued PDF.
    const communeContext = await world.context();
    const communePage = await communeContext.newPage();
    await logIn(communePage, commune);
    await eventually(async () => {
      await communePage.reload();
      return (await communePage.getByRole('link', { name: subject }).count()) === 1;
    }, 20_000, 500);
    await communePage.getByRole('link', { name: subject }).click();
    await communePage.getByText('01/CT-UBND').first().waitFor();
    const href = await communePage.getByRole('link', { name: 'chi-thi.pdf' }).getAttribute('href');
    const received = Buffer.from(await (await communePage.request.get(href!)).body());
    expect(received.equals(issued)).toBe(true);
    // The legal signatures inside the PDF, as verified on arrival: both there, in that order — in words that never say
    // "hợp lệ", the package signature's word (UI.md).
    await communePage.getByText('Có đủ chữ ký số của người có thẩm quyền và của cơ quan ban hành').waitFor();
    await communePage.getByText(/Nguyễn Văn An \(người có thẩm quyền\), ký lúc .* — đúng/).waitFor();
    await communePage.getByText(/\(cơ quan\), ký lúc .* — đúng/).waitFor();
    await expect(communePage.getByText('hợp lệ', { exact: false }).count()).resolves.toBe(1);
    await communeContext.close();
  }, 120_000);

  it('says in Vietnamese why a step cannot be taken, on the draft’s page', async () => {
    // Another leader of the district, without a key kept for them.
    const password = `mk-${Date.now()}-leader`;
    const made = await world.node.call('POST', '/v1/users', {
      token: world.node.adminToken,
      body: { agencyCode: world.district.agencyCode, name: 'Trần Văn Bình', roles: ['signer'], username: 'lanhdao.binh83', password },
    });
    expect(made.status, made.text).toBe(201);
    const upload = await world.node.call('POST', '/v1/drafts', {
      token: world.district.token,
      body: {
        type: 'CT',
        notation: 'CT-UBND',
        subject: 'Về việc kiểm tra công tác văn thư',
        signer: { fullName: 'Trần Văn Bình', position: 'Phó Chủ tịch', competence: 'KT.' },
        to: [world.communes[0]!.agencyCode],
        attachments: [{ name: 'kiem-tra.pdf', contentBase64: (await directiveDraftPdf({ subject: 'Về việc kiểm tra công tác văn thư' })).toString('base64') }],
      },
    });
    expect(upload.status, upload.text).toBe(201);
    const context = await world.context();
    const page = await context.newPage();
    await logIn(page, { username: 'lanhdao.binh83', password });
    await page.getByRole('link', { name: 'Dự thảo' }).click();
    await page.getByRole('link', { name: 'Về việc kiểm tra công tác văn thư' }).click();
    // A leader only: no "Cấp số và ký số" for them, ever.
    await page.getByRole('button', { name: 'Phê duyệt và ký' }).click();
    await page.getByRole('alert').filter({ hasText: 'chưa có khóa ký số' }).waitFor();
    await page.getByText('Chờ phê duyệt', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Cấp số và ký số' }).count()).toBe(0);
    await context.close();
  }, 60_000);
});
