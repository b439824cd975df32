/**
 * Scenario 3: one directive from a district to its 1,000 communes (`to: ["children:<district>"]`).
 * Reported from the moment the 201 is in the client's hand: until the last commune's inbox item exists
 * (all arrived — `inbox_item.received_at`), and until the last 01 is carried back to the district.
 */
import { createDirectory, directiveBody } from '../lib/directory.js';
import { sqlClient } from '../lib/infra.js';
import { describeIntegrity, integrity, sendClosedLoop, sendOne, waitForDeliveries } from '../lib/load.js';
import { join } from 'node:path';
import { CpuMeter, describeCpu } from '../lib/procfs.js';
import { formatSummary, startProfiler, summarizeProfile } from '../lib/profile.js';
import type { ScenarioResult } from '../lib/result.js';
import { scenarioBase, startInProcess } from '../lib/service.js';
import { ms } from '../lib/stats.js';
import { attachment, type Shared } from './throughput.js';

/**
 * `fanout`: 1,000 communes (issue 16's target: all 01s back within 2 s); `fanout-10k`: 10,000
 * recipients (within 15 s), the same directive to a district ten times as wide.
 */
export async function fanout(shared: Shared, variant: 'fanout' | 'fanout-10k' = 'fanout'): Promise<ScenarioResult> {
  const started = Date.now();
  const { communes, timeoutMs } = variant === 'fanout' ? shared.sizes.fanout : shared.sizes.fanoutWide;
  const targetMs = variant === 'fanout' ? 2_000 : 15_000;
  const base = await scenarioBase(shared.ctx, variant, 'redis');
  const node = await startInProcess(shared.ctx, base);
  try {
    const setupStart = Date.now();
    const dir = await createDirectory(node.api, shared.ctx.adminToken, shared.pki, { family: 3, communes, concurrency: 8 });
    const setupMs = Date.now() - setupStart;
    shared.log(`    directory of ${communes} communes created through the API in ${ms(setupMs)}`);
    const att = attachment(shared.sizes.attachmentBytes);
    const sql = await sqlClient(base.databaseUrl);
    // Warm-up: two small documents to a few communes (JIT, pools, trust cache).
    const warmTo = dir.communes.slice(0, 5);
    await sendClosedLoop(node.api, dir.district.clerk, 2, 2, (n) => directiveBody(warmTo, 100_000 + n, att));
    if (!(await waitForDeliveries(sql, 2 * warmTo.length, 60_000)).finished) throw new Error('the warm-up did not finish in 60 s');

    const cpu = new CpuMeter(new Map([[process.pid, 'bench+service']]));
    const profiler = shared.profileDir ? await startProfiler() : undefined;
    const sent = await sendOne(node.api, dir.district.clerk, directiveBody([`children:${dir.district.code}`], 1, att));
    if (sent.recipients !== communes) throw new Error(`children: resolved to ${sent.recipients} recipients, expected ${communes}`);
    const wait = await waitForDeliveries(sql, 2 * warmTo.length + communes, timeoutMs, {
      onProgress: (p, e) => shared.log(`    … ${p.done - 2 * warmTo.length}/${communes} 01s carried after ${ms(e)}`),
    });
    const cpuReport = cpu.stop();
    let profileFile: string | undefined;
    if (profiler && shared.profileDir) {
      profileFile = join(shared.profileDir, `${variant}.cpuprofile`);
      shared.log(formatSummary(await summarizeProfile(await profiler.stop(profileFile)), 'CPU profile of fanout'));
    }
    const t = (
      await sql.query<{ signed: Date | null; routed: Date | null; first_arrival: Date | null; last_arrival: Date | null; arrived: string; last01: Date | null }>(
        `select (select min(at) from document_event where document_id = $1 and type = 'document.signed') signed,
                (select min(at) from document_event where document_id = $1 and type = 'document.sent') routed,
                min(i.received_at) first_arrival, max(i.received_at) last_arrival, count(i.id) arrived,
                (select max(s.carried_at) from status_record s join delivery d2 on d2.id = s.delivery_id where d2.document_id = $1 and s.code = '01') last01
           from delivery d join inbox_item i on i.delivery_id = d.id where d.document_id = $1`,
        [sent.id],
      )
    ).rows[0]!;
    const sizes = (
      await sql.query<{ package: number | null; metadata: number | null; metadata_text: number | null }>(
        `select (select p.size from edxml_package p join outgoing_document o on o.package_id = p.id where o.id = $1) package,
                (select avg(pg_column_size(i.metadata))::int from inbox_item i join delivery d on d.id = i.delivery_id where d.document_id = $1) metadata,
                (select avg(octet_length(i.metadata::text))::int from inbox_item i join delivery d on d.id = i.delivery_id where d.document_id = $1) metadata_text`,
        [sent.id],
      )
    ).rows[0];
    const integ = await integrity(sql);
    await sql.end();
    const since = (d: Date | null) => (d ? d.getTime() - sent.acceptedAt : NaN);
    const arrivedCount = Number(t.arrived);
    const allArrivedMs = arrivedCount === communes ? since(t.last_arrival) : NaN;
    return {
      id: variant,
      title: variant === 'fanout' ? `3. Fan-out to ${communes} communes` : `3b. Fan-out to ${communes} recipients`,
      outcome: wait.finished ? (integ.ok ? 'ok' : 'integrity') : 'did not finish',
      setup: `one directive to children:<district> (${communes} communes); api + workers in the bench process (app.request), Redis`,
      seconds: (Date.now() - started) / 1000,
      rows: [
        {
          metric: `accepted → all ${communes} arrived (inbox)`,
          value: Number.isFinite(allArrivedMs) ? ms(allArrivedMs) : `not reached (${arrivedCount}/${communes})`,
        },
        {
          metric: `accepted → all ${communes} 01 carried back`,
          value: wait.finished ? ms(since(t.last01)) : 'not reached',
          target: `≤ ${targetMs / 1000} s`,
          met: wait.finished && since(t.last01) <= targetMs,
        },
        { metric: `POST /v1/documents (resolve + ${communes} deliveries)`, value: ms(sent.acceptedAt - sent.sentAt) },
        { metric: 'accepted → signed / → routed / → first arrival', value: `${ms(since(t.signed))} / ${ms(since(t.routed))} / ${ms(since(t.first_arrival))}` },
      ],
      notes: [
        ...(wait.finished ? [] : [`did not finish: ${wait.progress.done - 2 * warmTo.length}/${communes} 01s carried within ${ms(timeoutMs)}`]),
        `the signed package naming ${communes} recipients is ${((sizes?.package ?? 0) / 1024).toFixed(0)} KiB; each inbox item stores ${((sizes?.metadata_text ?? 0) / 1024).toFixed(0)} KiB of metadata JSON (${((sizes?.metadata ?? 0) / 1024).toFixed(1)} KiB compressed)`,
        ...(profileFile ? [`CPU profile: ${profileFile}`] : []),
        `setup (not timed in the figures): ${communes + 1} agencies with certificates and a clerk through the API in ${ms(setupMs)}`,
        `CPU: ${describeCpu(cpuReport)}`,
        `integrity: ${describeIntegrity(integ)}`,
      ],
      details: {
        communes,
        setupMs,
        postMs: sent.acceptedAt - sent.sentAt,
        acceptedToSignedMs: since(t.signed),
        acceptedToFirstArrivalMs: since(t.first_arrival),
        acceptedToAllArrivedMs: allArrivedMs,
        acceptedToAll01Ms: since(t.last01),
        arrived: arrivedCount,
        packageBytes: sizes?.package ?? null,
        inboxMetadataBytes: sizes?.metadata ?? null,
        inboxMetadataJsonBytes: sizes?.metadata_text ?? null,
        profile: profileFile,
        cpu: { ...cpuReport, summary: describeCpu(cpuReport) },
        integrity: integ,
      },
    };
  } finally {
    await node.close();
    await base.drop();
  }
}
