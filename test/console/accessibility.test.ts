import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, sendDirectiveByApi, sideways, startConsoleWorld, type ConsoleWorld } from './helpers.js';

/**
 * axe-core in the real browser (issue 14): no serious or critical violation on any main page, at a
 * phone's width and at a desktop's; and no page scrolls sideways on a 360 px phone.
 */
describe('console: accessibility of the main pages', () => {
  let world: ConsoleWorld;
  let itemPath: string;
  let documentPath: string;
  beforeAll(async () => {
    world = await startConsoleWorld(73, 1);
    const sent = await sendDirectiveByApi(world, { subject: 'Về việc kiểm tra khả năng tiếp cận', to: [world.communes[0]!.agencyCode], priority: 1 });
    documentPath = `/outgoing/${sent.id}`;
    const inbox = await world.node.call('GET', '/v1/inbox', { token: world.communes[0]!.token });
    itemPath = `/inbox/${inbox.json.items[0].id as string}`;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  async function violations(page: Page): Promise<string[]> {
    const result = await new AxeBuilder({ page } as never).analyze();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  for (const width of [360, 1440]) {
    it(`at ${width} px: login, inbox, item, compose, outgoing, document, registers, account`, async () => {
      const context = await world.context({ width, height: 800 });
      const page = await context.newPage();
      await page.goto('/login');
      const found: Record<string, string[]> = { login: await violations(page) };
      const commune = world.communes[0]!;
      await logIn(page, commune);
      const pages: Array<[string, string]> = [
        ['inbox', '/inbox'],
        ['item', itemPath],
        ['registers', '/registers'],
        ['account', '/account'],
      ];
      for (const [name, path] of pages) {
        const res = await page.goto(path);
        expect(res?.status(), `${name} ${path}`).toBe(200);
        found[name] = await violations(page);
        const wide = await sideways(page);
        expect(wide, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      }
      await context.close();
      const district = await world.context({ width, height: 800 });
      const dpage = await district.newPage();
      await logIn(dpage, world.district);
      for (const [name, path] of [
        ['compose', '/compose'],
        ['outgoing', '/outgoing'],
        ['document', documentPath],
      ] as const) {
        const res = await dpage.goto(path);
        expect(res?.status(), `${name} ${path}`).toBe(200);
        found[name] = await violations(dpage);
        const wide = await sideways(dpage);
        expect(wide, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      }
      await district.close();
      expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
    });
  }
});
