import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { HttpNode } from '../support/http-node.js';
import { freePort } from '../support/redis-server.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';

/**
 * A console test's world: a real node serving its console on a loopback port, a district with
 * communes (each with a clerk who has a username and a password), and a real Chromium (Debian's,
 * never a downloaded one) driven by playwright-core.
 */

export const CHROMIUM = process.env.LIENTHONG_CHROMIUM ?? '/usr/bin/chromium';

export interface Person {
  agencyCode: string;
  agencyName: string;
  username: string;
  password: string;
  token: string;
  userId: string;
}

export interface ConsoleWorld {
  node: TestNode;
  http: HttpNode;
  url: string;
  browser: Browser;
  district: Person;
  communes: Person[];
  /** A fresh browser context (its own cookies): one person at a time. */
  context(options?: { width?: number; height?: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startConsoleWorld(family: number, communeCount = 2): Promise<ConsoleWorld> {
  const node = await startTestNode();
  const http = new HttpNode(node, await freePort());
  await http.start();
  const ff = String(family).padStart(2, '0');
  const district = await person(node, { code: `000.00.${ff}.H33`, name: `UBND huyện Thử ${ff}`, level: 'district', unit: `Thử ${ff}` }, `vt.huyen${ff}`);
  const communes: Person[] = [];
  for (let n = 1; n <= communeCount; n++) {
    const nn = String(n).padStart(2, '0');
    communes.push(
      await person(node, { code: `000.${nn}.${ff}.H33`, name: `UBND xã Thử ${ff}-${nn}`, level: 'commune', parentCode: district.agencyCode, unit: `Thử ${ff}-${nn}` }, `vt.xa${ff}${nn}`),
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return {
    node,
    http,
    url: http.url,
    browser,
    district,
    communes,
    async context(options = {}) {
      return browser.newContext({ baseURL: http.url, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
    },
    async close() {
      await browser.close().catch(() => undefined);
      await http.stop();
      await node.close();
    },
  };
}

async function person(
  node: TestNode,
  agency: { code: string; name: string; level: string; parentCode?: string; unit: string },
  username: string,
): Promise<Person> {
  const admin = node.adminToken;
  const created = await node.call('POST', '/v1/agencies', {
    token: admin,
    body: { code: agency.code, name: agency.name, level: agency.level, administrativeUnit: agency.unit, ...(agency.parentCode ? { parentCode: agency.parentCode } : {}) },
  });
  expect(created.status, created.text).toBe(201);
  const cert = await node.call('POST', `/v1/agencies/${agency.code}/certificates`, { token: admin, body: {} });
  expect(cert.status, cert.text).toBe(201);
  const password = `mk-${randomBytes(6).toString('hex')}`;
  const user = await node.call('POST', '/v1/users', {
    token: admin,
    body: { agencyCode: agency.code, name: `Văn thư ${agency.name}`, roles: ['clerk', 'signer'], username, password },
  });
  expect(user.status, user.text).toBe(201);
  return { agencyCode: agency.code, agencyName: agency.name, username, password, token: user.json.token, userId: user.json.id };
}

/** Logs in through the form, the way a person does, and waits for the inbox. */
export async function logIn(page: Page, who: Pick<Person, 'username' | 'password'>): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Tên đăng nhập').fill(who.username);
  await page.getByLabel('Mật khẩu').fill(who.password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('heading', { name: 'Văn bản đến' }).waitFor();
}

/** A small real PDF (one page, text), as a clerk would attach. */
export function samplePdf(text = 'Chi thi so 01'): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A district's directive with a PDF, sent through the API (as a document system would), to be seen
 * in the console; resolves once every recipient's 01 is back.
 */
export async function sendDirectiveByApi(
  world: ConsoleWorld,
  options: { subject: string; to: string[]; priority?: number; from?: Person },
): Promise<{ id: string; documentId: string }> {
  const from = options.from ?? world.district;
  const form = new FormData();
  form.set(
    'metadata',
    JSON.stringify({
      type: 'CT',
      notation: 'CT-UBND',
      subject: options.subject,
      signer: { fullName: 'Nguyễn Văn An', position: 'Chủ tịch', competence: 'TM.' },
      priority: options.priority ?? 0,
      to: options.to,
    }),
  );
  form.set('file', new Blob([new Uint8Array(samplePdf())], { type: 'application/pdf' }), 'chi-thi.pdf');
  const res = await world.node.runtime.app.request('/v1/documents', { method: 'POST', headers: { authorization: `Bearer ${from.token}` }, body: form });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const doc = JSON.parse(text) as { id: string; documentId: string };
  await eventually(async () => {
    const view = await world.node.call('GET', `/v1/documents/${doc.id}`, { token: from.token });
    return view.json.deliveries.length > 0 && view.json.deliveries.every((d: { state: string }) => d.state === 'arrived');
  }, 20_000);
  return doc;
}

/** How far a page scrolls sideways (0 when it fits its viewport). */
export const sideways = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/**
 * An administrator of the node: a user of an existing agency (the district by default) with the
 * admin role, a username and a password, who logs in through the form like anyone.
 */
export async function addAdmin(world: ConsoleWorld, options: { username?: string; agency?: Person } = {}): Promise<Person> {
  const agency = options.agency ?? world.district;
  const username = options.username ?? `quantri.${randomBytes(3).toString('hex')}`;
  const password = `qt-${randomBytes(8).toString('hex')}`;
  const user = await world.node.call('POST', '/v1/users', {
    token: world.node.adminToken,
    body: { agencyCode: agency.agencyCode, name: 'Nguyễn Hữu Hệ', roles: ['admin'], username, password },
  });
  expect(user.status, user.text).toBe(201);
  return { agencyCode: agency.agencyCode, agencyName: agency.agencyName, username, password, token: user.json.token, userId: user.json.id };
}
