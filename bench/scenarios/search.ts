/**
 * Scenario: search (issue 13). One agency's inbox holds 100,000 items (written straight into
 * PostgreSQL: delivering them through the pipeline would take the bench an hour and measure the
 * pipeline, not the search). The database's own trigger folds and indexes each row as it does for a
 * delivered one. Then clerks' searches — words with and without their marks, a code, a sender's name,
 * a word every item has, a word no item has, a next page — go through GET /v1/inbox?q= in-process
 * (auth, validation, the query, JSON), one at a time, and their latencies are reported.
 */
import { expectStatus } from '../lib/api.js';
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

const TOPICS = [
  'triển khai dịch vụ công trực tuyến toàn trình',
  'tăng cường phòng, chống dịch bệnh mùa mưa',
  'phòng chống thiên tai và tìm kiếm cứu nạn',
  'khen thưởng thành tích trong phong trào thi đua',
  'chuyển đổi số trong cơ quan nhà nước',
  'quản lý đất đai và hồ sơ địa chính',
  'an toàn thực phẩm dịp Tết Nguyên đán',
  'bảo vệ môi trường và xử lý rác thải',
  'giao ban công tác cải cách hành chính',
  'kế hoạch phát triển kinh tế – xã hội',
  'tuyển sinh đầu cấp năm học mới',
  'bầu cử đại biểu Hội đồng nhân dân',
  'cấp giấy chứng nhận quyền sử dụng đất',
  'phòng cháy, chữa cháy khu dân cư',
  'sạt lở bờ sông, bờ biển',
];
const TYPES = [
  ['Công văn', 'UBND-VP'],
  ['Quyết định', 'QĐ-UBND'],
  ['Chỉ thị', 'CT-UBND'],
  ['Thông báo', 'TB-UBND'],
  ['Kế hoạch', 'KH-UBND'],
  ['Giấy mời', 'GM-UBND'],
];
const PLACES = ['Bình An', 'Hòa Điền', 'Kiên Lương', 'Dương Hòa', 'Bình Trị', 'Sơn Hải', 'Hòn Nghệ', 'Thổ Sơn', 'Lình Huỳnh', 'Mỹ Thái', 'Nam Thái Sơn', 'Tân Hiệp'];

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
    const fill = Date.now();
    const topics = `array[${TOPICS.map((t) => `'${t}'`).join(',')}]`;
    const typeNames = `array[${TYPES.map(([n]) => `'${n}'`).join(',')}]`;
    const notations = `array[${TYPES.map(([, n]) => `'${n}'`).join(',')}]`;
    const places = `array[${PLACES.map((p) => `'${p}'`).join(',')}]`;
    const batch = 20_000;
    for (let from = 1; from <= items; from += batch) {
      const to = Math.min(items, from + batch - 1);
      // One package row per item (an item points at the package it came in), then the items.
      await sql.query(
        `insert into edxml_package (id, sha256, kind, sender_code, document_id, business_doc_type, size, bytes, created_at)
         select md5('p' || i)::uuid, encode(sha256(('bench-search-' || i)::bytea), 'hex'), 'edoc', '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33', 'bench-' || i, 0, 1, '\\x00', now()
           from generate_series($1::int, $2::int) i`,
        [from, to],
      );
      await sql.query(
        `insert into inbox_item (id, agency_code, package_id, sender_code, sender_name, document_id, subject, metadata, attachments, verification, state, status_code, status_at, received_at, updated_at)
         select md5('i' || i)::uuid, $3, md5('p' || i)::uuid,
                '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33',
                'UBND xã ' || (${places})[1 + i % 12],
                '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33,' || (2020 + i % 7) || '/' || lpad((1 + i % 12)::text, 2, '0') || '/15,' || (1 + i % 997) || '/' || (${notations})[1 + i % 6],
                'Về việc ' || (${topics})[1 + i % 15] || ' năm ' || (2020 + i % 7) || ' (đợt ' || (1 + (i / 15) % 40) || ')',
                jsonb_build_object('messageHeader', jsonb_build_object(
                  'code', jsonb_build_object('codeNumber', (1 + i % 997)::text, 'codeNotation', (${notations})[1 + i % 6]),
                  'documentType', jsonb_build_object('typeName', (${typeNames})[1 + i % 6]))),
                '[]'::jsonb,
                '{"signatureValid": true, "certificate": {"subject": "CN=bench", "serialNumber": "1", "issuer": "CN=bench", "fingerprintSha256": ""}, "checkedAt": "2026-01-01T00:00:00Z", "sha256": ""}'::jsonb,
                'arrived', '01', now(), now() - make_interval(secs => i * 30), now()
           from generate_series($1::int, $2::int) i`,
        [from, to, code],
      );
    }
    // What autovacuum does after a bulk load anyway: statistics for the planner, the visibility map.
    await sql.query('vacuum analyze edxml_package');
    await sql.query('vacuum analyze inbox_item');
    const fillSeconds = (Date.now() - fill) / 1000;
    const count = Number((await sql.query<{ n: string }>('select count(*) as n from inbox_item where agency_code = $1', [code])).rows[0]?.n ?? 0);
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
