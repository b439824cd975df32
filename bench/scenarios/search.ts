/**
 * Scenario: search (issue 13). One agency's inbox holds 100,000 items (written straight into
 * PostgreSQL by lib/inbox-fill.ts: delivering them through the pipeline would take the bench an hour
 * and measure the pipeline, not the search). The database's own trigger folds and indexes each row as
 * it does for a delivered one. Then clerks' searches — words with and without their marks, a code, a
 * sender's name, a word every item has, a word no item has, a next page — go through GET /v1/inbox?q=
 * in-process (auth, validation, the query, JSON), one at a time, and their latencies are reported.
 */
import { expectStatus } from '../lib/api.js';
import { fillInbox } from '../lib/inbox-fill.js';
import { sqlClient } from '../lib/infra.js';
import type { ScenarioResult } from '../lib/result.js';
import { scenarioBase, startInProcess } from '../lib/service.js';
import { fmt, ms, summarize } from '../lib/stats.js';
import type { Shared } from './throughput.js';

const TARGET_P95_MS = 100;

/** Searches a clerk types: [what, q]. */
const SEARCHES: Array<[string, string]> = [
  ['two words, marked', 'triển khai'],
  ['two words, unmarked', 'trien khai'],
  ['three words and a prefix', 'phong chong thien t'],
  ['a rare word', 'sạt lở'],
  ['a code', '125/QĐ-UBND'],
  ['a sender by name', 'xa binh an'],
  ['a word every item has', 'ubnd'],
  ['a word no item has', 'khongcotu'],
  ['a year and a word', '2024 khen thuong'],
];

export async function search(shared: Shared, items = 100_000): Promise<ScenarioResult> {
  const started = Date.now();
  const base = await scenarioBase(shared.ctx, 'search', 'redis');
  const node = await startInProcess(shared.ctx, base);
  try {
    const admin = shared.ctx.adminToken;
    const code = '000.00.90.H33';
    expectStatus(await node.api.call('POST', '/v1/agencies', { token: admin, body: { code, name: 'UBND huyện Tìm Kiếm', level: 'district' } }), 201, 'the agency');
    const clerk = expectStatus(await node.api.call('POST', '/v1/users', { token: admin, body: { agencyCode: code, name: 'Văn thư', roles: ['clerk'] } }), 201, 'the clerk').json.token as string;

    const sql = await sqlClient(base.databaseUrl);
    const { count, seconds: fillSeconds } = await fillInbox(sql, code, items);
    shared.log(`  ${count} inbox items written and indexed in ${fmt(fillSeconds)} s`);

    const call = async (q: string, cursor?: string) => {
      const t = performance.now();
      const res = expectStatus(
        await node.api.call('GET', `/v1/inbox?limit=50&q=${encodeURIComponent(q)}${cursor ? `&cursor=${cursor}` : ''}`, { token: clerk }),
        200,
        `search "${q}"`,
      );
      return { ms: performance.now() - t, found: (res.json.items as unknown[]).length, next: res.json.nextCursor as string | null };
    };
    // Warm-up: the first call of each compiles what it needs.
    for (const [, q] of SEARCHES) await call(q);
    const rounds = 20;
    const all: number[] = [];
    const byQuery: Record<string, { p50: number; p95: number; found: number }> = {};
    const per = new Map<string, number[]>(SEARCHES.map(([what]) => [what, []]));
    const found = new Map<string, number>();
    const pages: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [what, q] of SEARCHES) {
        const one = await call(q);
        all.push(one.ms);
        per.get(what)!.push(one.ms);
        found.set(what, one.found);
        // The next page of a common search (keyset on received_at, id).
        if (what === 'two words, unmarked' && one.next) {
          const next = await call(q, one.next);
          pages.push(next.ms);
          all.push(next.ms);
        }
      }
    }
    for (const [what, values] of per) {
      const s = summarize(values);
      byQuery[what] = { p50: s.p50, p95: s.p95, found: found.get(what) ?? 0 };
    }
    const overall = summarize(all);
    const worst = Object.entries(byQuery).sort((a, b) => b[1].p95 - a[1].p95)[0];
    const plan = (
      await sql.query<{ 'QUERY PLAN': string }>(
        `explain (analyze, costs off, timing off) select * from inbox_item i where i.agency_code = $1 and i.search @@ to_tsquery('simple', 'trien & khai:*') order by i.received_at desc, i.id desc limit 51`,
        [code],
      )
    ).rows.map((r) => r['QUERY PLAN']);
    await sql.end();
    return {
      id: 'search',
      title: `search (${items.toLocaleString('en')} inbox items)`,
      outcome: 'ok',
      setup: `GET /v1/inbox?q= in-process, one search at a time, ${SEARCHES.length} searches × ${rounds} rounds + next pages; items written by SQL, indexed by the trigger`,
      seconds: (Date.now() - started) / 1000,
      rows: [
        { metric: 'q= search p95', value: ms(overall.p95), target: `< ${TARGET_P95_MS} ms`, met: overall.p95 < TARGET_P95_MS },
        { metric: 'q= search p50 / p99', value: `${ms(overall.p50)} / ${ms(overall.p99)}` },
        { metric: 'slowest search (p95)', value: worst ? `${worst[0]}: ${ms(worst[1].p95)}` : '—' },
        { metric: 'next page p95', value: ms(summarize(pages).p95) },
        { metric: 'items written + indexed', value: `${fmt(fillSeconds)} s` },
      ],
      notes: Object.entries(byQuery).map(([what, s]) => `${what} ("${SEARCHES.find(([w]) => w === what)![1]}"): p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, ${s.found} on the first page`),
      details: { items: count, searches: byQuery, overall, pages: summarize(pages), plan },
    };
  } finally {
    await node.close();
    await base.drop();
  }
}
