/**
 * Scenario 2: a steady open-loop load — `rate` documents/s × R recipients for `duration` — and the
 * distribution of "send accepted (201 in the client's hand) → every recipient's 01 carried back"
 * per document (timestamps from PostgreSQL, see lib/load.ts). Documents not complete when the drain
 * time runs out count as slower than anything measured: if they are more than 1 % of the documents,
 * p99 is reported as "not reached".
 */
import type pg from 'pg';
import { createDirectory, directiveBody } from '../lib/directory.js';
import { sqlClient } from '../lib/infra.js';
import { completionByDocument, deliveryProgress, describeIntegrity, integrity, sendClosedLoop, sendOpenLoop, waitForDeliveries } from '../lib/load.js';
import { CpuMeter, describeCpu } from '../lib/procfs.js';
import { describeRuntimeStats, sampleRuntime } from '../lib/runtime-stats.js';
import { describeSessions, sampleSessions } from '../lib/pgstat.js';
import type { ScenarioResult } from '../lib/result.js';
import { scenarioBase, startInProcess } from '../lib/service.js';
import { fmt, ms, percentile, summarize } from '../lib/stats.js';
import { attachment, type Shared } from './throughput.js';

/** Per document: accepted → signed, signed → last arrival, last arrival → last 01 carried (medians). */
async function stages(sql: pg.Client, ids: string[], acceptedAt: Map<string, number>): Promise<Record<string, number>> {
  const r = await sql.query<{ id: string; signed: Date | null; arrived: Date | null; done: Date | null }>(
    `select o.id,
            (select min(e.at) from document_event e where e.document_id = o.id and e.type = 'document.signed') signed,
            (select max(i.received_at) from inbox_item i join delivery d on d.id = i.delivery_id where d.document_id = o.id) arrived,
            (select max(s.carried_at) from status_record s join delivery d on d.id = s.delivery_id where d.document_id = o.id and s.code = '01') done
       from outgoing_document o where o.id = any($1)`,
    [ids],
  );
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (const row of r.rows) {
    const acc = acceptedAt.get(row.id);
    if (acc === undefined || !row.signed || !row.arrived || !row.done) continue;
    a.push(row.signed.getTime() - acc);
    b.push(row.arrived.getTime() - row.signed.getTime());
    c.push(row.done.getTime() - row.arrived.getTime());
  }
  const med = (v: number[]) => percentile([...v].sort((x, y) => x - y), 50);
  return { acceptedToSignedMs: med(a), signedToLastArrivalMs: med(b), lastArrivalToLast01Ms: med(c) };
}

export async function latency(shared: Shared): Promise<ScenarioResult> {
  const started = Date.now();
  const { rate, recipients, durationMs, drainMs } = shared.sizes.latency;
  const base = await scenarioBase(shared.ctx, 'latency', 'redis');
  const node = await startInProcess(shared.ctx, base);
  try {
    const dir = await createDirectory(node.api, shared.ctx.adminToken, shared.pki, { family: 2, communes: recipients });
    const att = attachment(shared.sizes.attachmentBytes);
    const body = (n: number) => directiveBody(dir.communes, n, att);
    const sql = await sqlClient(base.databaseUrl);
    // Warm-up, as in the throughput scenario.
    const warm = 4;
    await sendClosedLoop(node.api, dir.district.clerk, warm, warm, (n) => body(100_000 + n));
    if (!(await waitForDeliveries(sql, warm * recipients, 60_000)).finished) throw new Error('the warm-up did not finish in 60 s');

    const cpu = new CpuMeter(new Map([[process.pid, 'bench+service']]));
    const rt = sampleRuntime(node.runtime);
    const statSql = await sqlClient(base.databaseUrl);
    const sessionSampler = sampleSessions(statSql, new URL(base.databaseUrl).pathname.slice(1));
    const t0 = Date.now();
    const load = await sendOpenLoop(node.api, dir.district.clerk, rate, durationMs, body);
    const sendEnd = Date.now();
    const atSendEnd = await deliveryProgress(sql);
    const expected = (warm + load.sent.length) * recipients;
    const wait = await waitForDeliveries(sql, expected, drainMs, {
      onProgress: (p, e) => shared.log(`    … ${p.done - warm * recipients}/${load.sent.length * recipients} deliveries, ${ms(e)} into the drain`),
    });
    const cpuReport = cpu.stop();
    const runtimeStats = rt.stop();
    const sessions = await sessionSampler.stop();
    await statSql.end();

    const byDoc = await completionByDocument(sql);
    const lat = load.sent.map((s) => {
      const c = byDoc.get(s.id);
      return c && c.carried === c.deliveries && Number.isFinite(c.doneAt) ? c.doneAt - s.acceptedAt : Infinity;
    });
    const sorted = [...lat].sort((a, b) => a - b);
    const p = (q: number) => percentile(sorted, q);
    const complete = lat.filter(Number.isFinite).length;
    const st = await stages(sql, load.sent.map((s) => s.id), new Map(load.sent.map((s) => [s.id, s.acceptedAt])));
    const integ = await integrity(sql);
    await sql.end();
    // Arrivals leave on schedule (open loop); the 201s come back as the service manages.
    const issued = load.issuedPerSecond;
    const achieved = (load.sent.length * 1000) / (sendEnd - t0);
    const post = summarize(load.sent.map((s) => s.acceptedAt - s.sentAt));
    const late = summarize(load.lateStartsMs);
    const show = (v: number) => (Number.isFinite(v) ? ms(v) : 'not reached');
    const p99 = p(99);
    return {
      id: 'latency',
      title: `2. Latency at ${rate} docs/s × ${recipients}`,
      outcome: wait.finished ? (integ.ok ? 'ok' : 'integrity') : 'did not finish',
      setup: `open loop ${rate} docs/s for ${durationMs / 1000} s, ${recipients} recipients, drain up to ${drainMs / 1000} s; api + workers in the bench process (app.request), Redis`,
      seconds: (Date.now() - started) / 1000,
      rows: [
        { metric: 'accepted → all 01: p50 / p95', value: `${show(p(50))} / ${show(p(95))}` },
        { metric: 'accepted → all 01: p99', value: show(p99), target: '≤ 1 s', met: p99 <= 1_000 },
        { metric: 'documents complete / sent', value: `${complete} / ${load.sent.length}` },
        { metric: 'sent on schedule (docs/s) / accepted (201s/s)', value: `${fmt(issued)} / ${fmt(achieved)}` },
        { metric: 'POST /v1/documents p50 / p99', value: `${ms(post.p50)} / ${ms(post.p99)}` },
      ],
      notes: [
        ...(wait.finished ? [] : [`did not finish: ${wait.progress.done - warm * recipients}/${load.sent.length * recipients} deliveries ${drainMs / 1000} s after the last send`]),
        ...(shared.measuredDeliveriesPerSecond
          ? [`offered load ${fmt(rate * recipients)} deliveries/s = ${fmt((rate * recipients) / shared.measuredDeliveriesPerSecond)}× the throughput measured in scenario 1 (${fmt(shared.measuredDeliveriesPerSecond)}/s)`]
          : []),
        `backlog when sending stopped: ${atSendEnd.total - atSendEnd.done - atSendEnd.failed} deliveries not yet carried back`,
        `median stages: accepted → signed ${ms(st.acceptedToSignedMs ?? NaN)}, signed → last arrival ${ms(st.signedToLastArrivalMs ?? NaN)}, last arrival → last 01 ${ms(st.lastArrivalToLast01Ms ?? NaN)} (complete documents)`,
        `generator: ${load.errors.length} failed sends; arrivals left late by p50 ${ms(late.p50)}, p99 ${ms(late.p99)} (event loop shared with the service)`,
        `CPU while loaded: ${describeCpu(cpuReport)}`,
        describeRuntimeStats(runtimeStats),
        describeSessions(sessions),
        `integrity: ${describeIntegrity(integ)}`,
      ],
      details: {
        rate,
        recipients,
        durationMs,
        drainMs,
        scheduled: load.scheduled,
        sent: load.sent.length,
        errors: load.errors.slice(0, 5),
        complete,
        latencyMs: { p50: p(50), p95: p(95), p99, max: sorted[sorted.length - 1] },
        postLatencyMs: post,
        lateStartsMs: late,
        issuedRate: issued,
        acceptedRate: achieved,
        backlogAtSendEnd: atSendEnd,
        stages: st,
        cpu: { ...cpuReport, summary: describeCpu(cpuReport) },
        runtimeStats,
        sessions,
        integrity: integ,
      },
    };
  } finally {
    await node.close();
    await base.drop();
  }
}
