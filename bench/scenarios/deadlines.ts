/**
 * Scenario: deadlines (issue 18). One agency's inbox holds 100,000 open items (written by SQL as in
 * the search scenario, lib/inbox-fill.ts: arrived, none answered, received 30 s apart going back from
 * now), two thirds of them with a due date (0–19 days after arrival) and a priority of 0–3.
 *
 * Measured, one after the other, on a calendar store that starts cold (its years read from the
 * database inside the measure):
 * - the sweep: the stored deadlines (registration, processing, and where each starts to be due soon)
 *   of all 100,000 worked out and written back — what the first filtered list or metrics snapshot
 *   after a calendar change does (src/deadlines/deadlines.repository.ts refreshInboxDeadlines);
 * - the states: `deadlines: [{ kind, due, state, overdueWorkingDays }]` of all 100,000 at one instant,
 *   in memory, on one load of the calendar (calendar.service.ts deadlinesFor), inputs read by one query;
 * - then the filtered lists through GET /v1/inbox (`?overdue=open`, `?overdue=true`, `?dueSoon=true`,
 *   `?dueBefore=`) and the console's counter, in-process, one at a time, their latencies.
 */
import { deadlinesFor } from '../../src/calendar/calendar.service.js';
import { CalendarStore } from '../../src/calendar/calendar.store.js';
import { refreshInboxDeadlines } from '../../src/deadlines/deadlines.repository.js';
import { inboxCounters } from '../../src/deadlines/deadlines.service.js';
import { inboxDeadlineInput } from '../../src/deadlines/tracking.js';
import { expectStatus } from '../lib/api.js';
import { fillInbox } from '../lib/inbox-fill.js';
import { sqlClient } from '../lib/infra.js';
import type { ScenarioResult } from '../lib/result.js';
import { scenarioBase, startInProcess } from '../lib/service.js';
import { fmt, ms, summarize } from '../lib/stats.js';
import type { Shared } from './throughput.js';

/** The issue's figure: deadlines of 100,000 open items in one sweep within 5 s. */
const TARGET_MS = 5_000;
const TARGET_LIST_P95_MS = 100;

export async function deadlines(shared: Shared, items = 100_000): Promise<ScenarioResult> {
  const started = Date.now();
  const base = await scenarioBase(shared.ctx, 'deadlines', 'redis');
  const node = await startInProcess(shared.ctx, base);
  let sqlClosed: () => Promise<unknown> = async () => undefined;
  try {
    const admin = shared.ctx.adminToken;
    const code = '000.00.91.H33';
    expectStatus(await node.api.call('POST', '/v1/agencies', { token: admin, body: { code, name: 'UBND huyện Hạn Xử Lý', level: 'district' } }), 201, 'the agency');
    const clerk = expectStatus(await node.api.call('POST', '/v1/users', { token: admin, body: { agencyCode: code, name: 'Văn thư', roles: ['clerk'] } }), 201, 'the clerk').json.token as string;

    const sql = await sqlClient(base.databaseUrl);
    // Ended before the database is dropped, also when the scenario fails (else the drop kills it loudly).
    sqlClosed = () => sql.end().catch(() => undefined);
    const { count, seconds: fillSeconds } = await fillInbox(sql, code, items);
    // Two thirds get a due date 0–19 days after their arrival, and every item a priority of 0–3 (a quarter urgent or more).
    await sql.query(
      `update inbox_item set metadata = jsonb_set(metadata, '{messageHeader}', (metadata -> 'messageHeader')
          || jsonb_build_object('otherInfo', jsonb_build_object('priority', abs(hashtext(id::text)) % 4))
          || case when abs(hashtext(id::text || 'd')) % 3 = 0 then '{}'::jsonb
                  else jsonb_build_object('dueDate', to_char((received_at at time zone 'Asia/Ho_Chi_Minh') + make_interval(days => abs(hashtext(id::text || 'n')) % 20), 'YYYY/MM/DD')) end)
        where agency_code = $1`,
      [code],
    );
    // What autovacuum does after a bulk load anyway (the items' rows of deadlines came with them, by trigger).
    await sql.query('vacuum analyze inbox_item');
    await sql.query('vacuum analyze inbox_item_deadline');
    shared.log(`  ${count} open inbox items written in ${fmt(fillSeconds)} s`);

    const em = node.runtime.orm.em.fork();
    // The sweep: every item's stored deadlines worked out and written, on a cold calendar.
    const sweepStore = new CalendarStore();
    const t0 = performance.now();
    const swept = await refreshInboxDeadlines(em, sweepStore, { agencyCodes: [code] });
    const sweepMs = performance.now() - t0;
    if (swept !== count) throw new Error(`the sweep worked out ${swept} items, not ${count}`);
    // Every row was rewritten: autovacuum would come by.
    await sql.query('vacuum analyze inbox_item_deadline');
    const stored = Number((await sql.query<{ n: string }>(`select count(*) as n from inbox_item_deadline where agency_code = $1 and computed_at is not null and registration_due is not null`, [code])).rows[0]?.n);
    if (stored !== count) throw new Error(`${stored} items have stored deadlines, not ${count}`);

    // The states at one instant, in memory: what GET /v1/inbox does for a page, for all of them at once.
    const rows = await em.getConnection().execute<Array<{ received_at: Date; metadata: Record<string, unknown> }>>(
      `select received_at, jsonb_build_object('messageHeader', jsonb_build_object('dueDate', metadata #> '{messageHeader,dueDate}', 'otherInfo', metadata #> '{messageHeader,otherInfo}')) as metadata
         from inbox_item where agency_code = ?`,
      [code],
    );
    const inputs = rows.map((r) =>
      inboxDeadlineInput({ receivedAt: new Date(r.received_at), metadata: r.metadata }, null),
    );
    const statesStore = new CalendarStore();
    const now = new Date();
    const t1 = performance.now();
    const lists = await deadlinesFor(em, statesStore, inputs, now);
    const statesMs = performance.now() - t1;
    const byState: Record<string, number> = {};
    for (const list of lists) for (const d of list) byState[`${d.kind} ${d.state}`] = (byState[`${d.kind} ${d.state}`] ?? 0) + 1;

    // Filtered lists and the counter.
    const day = new Date(Date.now() + 7 * 3_600_000 - 10 * 86_400_000).toISOString().slice(0, 10);
    const QUERIES: Array<[string, string]> = [
      ['overdue, not met', 'overdue=open'],
      ['overdue, met late too', 'overdue=true'],
      ['due soon', 'dueSoon=true'],
      [`due before ${day}`, `dueBefore=${day}`],
    ];
    const per = new Map<string, number[]>(QUERIES.map(([what]) => [what, []]));
    const found = new Map<string, number>();
    const call = async (q: string) => {
      const t = performance.now();
      const res = expectStatus(await node.api.call('GET', `/v1/inbox?limit=50&${q}`, { token: clerk }), 200, q);
      return { ms: performance.now() - t, found: (res.json.items as unknown[]).length };
    };
    for (const [, q] of QUERIES) await call(q);
    const counterMs: number[] = [];
    // The same page without a filter: what a list costs anyway (50 items with their deadlines).
    const baseline: number[] = [];
    for (let r = 0; r < 20; r++) {
      baseline.push((await call('')).ms);
      for (const [what, q] of QUERIES) {
        const one = await call(q);
        per.get(what)!.push(one.ms);
        found.set(what, one.found);
      }
      const t = performance.now();
      await inboxCounters(node.runtime.orm.em.fork(), sweepStore, code, new Date());
      counterMs.push(performance.now() - t);
    }
    const all = [...per.values()].flat();
    const lists50 = summarize(all);
    const counter = summarize(counterMs);
    const plan = (
      await sql.query<{ 'QUERY PLAN': string }>(
        `explain (analyze, costs off, timing off) select i.id from inbox_item i where i.agency_code = $1
            and exists (select 1 from inbox_item_deadline d where d.item_id = i.id and d.registered_at is null and d.refused_at is null and d.withdrawn_at is null
                        and d.registration_warn_at <= now() and d.registration_due >= now())
          order by i.received_at desc, i.id desc limit 51`,
        [code],
      )
    ).rows.map((r) => r['QUERY PLAN']);
    const load = (await import('node:os')).loadavg()[0]!;
    await sqlClosed();
    return {
      id: 'deadlines',
      title: `deadlines (${count.toLocaleString('en')} open items)`,
      outcome: 'ok',
      setup: 'in-process; items written by SQL (2/3 with a due date, priorities 0–3); cold calendar store per measure; GET /v1/inbox filters one at a time × 20 rounds',
      seconds: (Date.now() - started) / 1000,
      rows: [
        { metric: 'sweep: stored deadlines of all items worked out + written', value: ms(sweepMs), target: `< ${ms(TARGET_MS)}`, met: sweepMs < TARGET_MS },
        { metric: 'states of all items at one instant (deadlinesFor, in memory)', value: ms(statesMs), target: `< ${ms(TARGET_MS)}`, met: statesMs < TARGET_MS },
        { metric: 'filtered list (?overdue=, ?dueSoon=, ?dueBefore=) p95', value: ms(lists50.p95), target: `< ${TARGET_LIST_P95_MS} ms`, met: lists50.p95 < TARGET_LIST_P95_MS },
        { metric: 'filtered list p50 / p99', value: `${ms(lists50.p50)} / ${ms(lists50.p99)}` },
        { metric: 'the same list unfiltered p50 / p95 (baseline)', value: `${ms(summarize(baseline).p50)} / ${ms(summarize(baseline).p95)}` },
        { metric: 'counter (Quá hạn / Sắp đến hạn) p95', value: ms(counter.p95) },
      ],
      notes: [
        `load average (1 min) at the end: ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs`,
        `states: ${Object.entries(byState)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
        ...[...per.entries()].map(([what, v]) => `${what}: p50 ${ms(summarize(v).p50)}, p95 ${ms(summarize(v).p95)}, ${found.get(what)} on the first page`),
      ],
      details: { items: count, sweepMs, statesMs, byState, lists: lists50, counter, plan },
    };
  } finally {
    await sqlClosed();
    await node.close();
    await base.drop();
  }
}
