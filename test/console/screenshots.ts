/**
 * `npm run screenshots`: pictures of the real console for the README (issue 14), at a commune
 * clerk's phone (360 px) and at a desktop (1,440 px). It starts a node on this machine's PostgreSQL
 * and Redis like the tests do, sends a directive with a PDF, answers it, and photographs each main
 * page into docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventually } from '../support/runtime.js';
import { logIn, sendDirectiveByApi, startConsoleWorld } from './helpers.js';

const OUT = join(process.cwd(), 'docs', 'screenshots');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const world = await startConsoleWorld(74, 3);
  try {
    const [c1, c2] = world.communes;
    const sent = await sendDirectiveByApi(world, { subject: 'Về việc triển khai phòng, chống lụt bão và tìm kiếm cứu nạn năm 2026', to: world.communes.map((c) => c.agencyCode), priority: 2 });
    await sendDirectiveByApi(world, { subject: 'Về việc tổng vệ sinh môi trường chào mừng năm mới', to: [c1!.agencyCode] });
    // One commune accepts, one refuses: the district's page shows both.
    const item = async (token: string) => (await world.node.call('GET', '/v1/inbox', { token })).json.items.find((i: { documentId: string }) => i.documentId === sent.documentId).id as string;
    await world.node.call('POST', `/v1/inbox/${await item(c1!.token)}/status`, { token: c1!.token, body: { code: '03' } });
    await world.node.call('POST', `/v1/inbox/${await item(c2!.token)}/status`, { token: c2!.token, body: { code: '02', description: 'Gửi nhầm đơn vị' } });
    await eventually(async () => {
      const view = await world.node.call('GET', `/v1/documents/${sent.id}`, { token: world.district.token });
      return view.json.deliveries.filter((d: { state: string }) => d.state === 'accepted' || d.state === 'refused').length === 2;
    }, 20_000);
    const c3Item = await item(world.communes[2]!.token);

    for (const [label, width, height] of [
      ['phone', 360, 780],
      ['desktop', 1440, 900],
    ] as const) {
      const shoot = async (page: Page, name: string) => {
        await page.screenshot({ path: join(OUT, `${name}-${label}.png`), fullPage: label === 'phone' });
        process.stdout.write(`docs/screenshots/${name}-${label}.png\n`);
      };
      const context = await world.context({ width, height });
      const page = await context.newPage();
      await page.goto('/login');
      await shoot(page, 'login');
      await logIn(page, world.communes[2]!);
      await shoot(page, 'inbox');
      await page.goto(`/inbox/${c3Item}?xem=0`);
      await page.waitForTimeout(500);
      await shoot(page, 'item');
      await context.close();

      const district = await world.context({ width, height });
      const dpage = await district.newPage();
      await logIn(dpage, world.district);
      await dpage.goto('/compose');
      await shoot(dpage, 'compose');
      await dpage.goto(`/outgoing/${sent.id}`);
      await shoot(dpage, 'document');
      await dpage.goto('/outgoing');
      await shoot(dpage, 'outgoing');
      await dpage.goto('/registers');
      await shoot(dpage, 'registers');
      await district.close();
    }
  } finally {
    await world.close();
  }
}

await main();
