/**
 * Scenario 5: one document with a 20 MB attachment, sent as JSON (base64, as API.md shows) to a
 * `lienthong start` child process over loopback, so that the figure is the service process's own
 * memory and not the bench's. RSS is sampled every 10 ms (VmRSS) from the POST until the 01 is
 * carried back, and split by the service's own timestamps into three phases: the POST (until its
 * 201), signing (until the `document.signed` event) and delivery (until the 01 is carried). The
 * overall peak is cross-checked with the kernel's high-water mark (VmHWM, reset through
 * /proc/<pid>/clear_refs just before the POST). Reported as a multiple of the signed package's size
 * (edxml_package.size), both above the idle baseline (the RSS of the warmed-up process before the
 * POST) and absolute.
 */
import { createDirectory, directiveBody } from '../lib/directory.js';
import { sqlClient } from '../lib/infra.js';
import { describeIntegrity, integrity, sendClosedLoop, sendOne, waitForDeliveries } from '../lib/load.js';
import { memoryOf, peakBetween, resetPeak, rssSampler } from '../lib/procfs.js';
import type { ScenarioResult } from '../lib/result.js';
import { migrateDatabase, scenarioBase, sleep, spawnApi } from '../lib/service.js';
import { mib, ms } from '../lib/stats.js';
import { attachment, type Shared } from './throughput.js';

export async function largePackage(shared: Shared): Promise<ScenarioResult> {
  const started = Date.now();
  const { attachmentBytes, recipients, timeoutMs } = shared.sizes.large;
  const base = await scenarioBase(shared.ctx, 'large', 'redis');
  try {
    await migrateDatabase(shared.ctx, base);
    const svc = await spawnApi(shared.ctx, base, 'start');
    const pid = svc.child.pid;
    const dir = await createDirectory(svc.api, shared.ctx.adminToken, shared.pki, { family: 4, communes: recipients });
    const sql = await sqlClient(base.databaseUrl);
    // Warm-up: a small document through the whole pipeline, so the baseline holds the loaded code.
    await sendClosedLoop(svc.api, dir.district.clerk, 1, 1, (n) => directiveBody(dir.communes, 100_000 + n, attachment(shared.sizes.attachmentBytes)));
    if (!(await waitForDeliveries(sql, recipients, 60_000)).finished) throw new Error('the warm-up did not finish in 60 s');
    await sleep(1_000);
    const baseline = memoryOf(pid)?.rss ?? NaN;

    const body = JSON.stringify(directiveBody(dir.communes, 1, attachment(attachmentBytes, 'ho-so-lon.pdf')));
    const hwmReset = resetPeak(pid);
    const sampler = rssSampler([pid], 10);
    const sent = await sendOne(svc.api, dir.district.clerk, body);
    const wait = await waitForDeliveries(sql, recipients * 2, timeoutMs, { pollMs: 200 });
    sampler.stop();
    const hwm = hwmReset ? (memoryOf(pid)?.hwm ?? NaN) : NaN;
    const timeline = sampler.timeline(pid);
    const t = (
      await sql.query<{ size: number; signed: Date | null; done: Date | null }>(
        `select p.size,
                (select min(e.at) from document_event e where e.document_id = o.id and e.type = 'document.signed') signed,
                (select max(s.carried_at) from status_record s join delivery d on d.id = s.delivery_id where d.document_id = o.id and s.code = '01') done
           from outgoing_document o join edxml_package p on p.id = o.package_id where o.id = $1`,
        [sent.id],
      )
    ).rows[0];
    const integ = await integrity(sql);
    await sql.end();
    await svc.child.stop();
    const size = t?.size ?? NaN;
    const signedAt = t?.signed?.getTime() ?? NaN;
    const doneAt = t?.done?.getTime() ?? Date.now();
    const postPeak = peakBetween(timeline, sent.sentAt, sent.acceptedAt);
    const signPeak = peakBetween(timeline, sent.acceptedAt, signedAt);
    const deliverPeak = peakBetween(timeline, signedAt, doneAt + 50);
    const peak = Math.max(...timeline.map(([, v]) => v), Number.isFinite(hwm) ? hwm : 0);
    const over = peak - baseline;
    const x = (v: number) => `${((v - baseline) / size).toFixed(1)}×`;
    return {
      id: 'large',
      title: `5. Large package (${(attachmentBytes / 1e6).toFixed(0)} MB attachment)`,
      outcome: wait.finished ? (integ.ok ? 'ok' : 'integrity') : 'did not finish',
      setup: `one JSON POST with a ${(attachmentBytes / 1e6).toFixed(0)} MB attachment to ${recipients} recipient(s); \`lienthong start\` child process, HTTP on loopback, Redis`,
      seconds: (Date.now() - started) / 1000,
      rows: [
        { metric: 'signed package size', value: mib(size) },
        { metric: 'RSS: idle baseline → peak', value: `${mib(baseline)} → ${mib(peak)}` },
        { metric: '(peak − baseline) ÷ package size', value: `${(over / size).toFixed(1)}×`, target: '≤ 4×', met: over / size <= 4 },
        { metric: 'same, by phase: POST / sign / deliver', value: `${x(postPeak)} / ${x(signPeak)} / ${x(deliverPeak)}` },
        { metric: 'peak RSS ÷ package size (absolute)', value: `${(peak / size).toFixed(1)}×` },
        { metric: 'POST / accepted → signed / → 01 carried', value: `${ms(sent.acceptedAt - sent.sentAt)} / ${ms(signedAt - sent.acceptedAt)} / ${wait.finished ? ms(doneAt - sent.acceptedAt) : 'not reached'}` },
      ],
      notes: [
        ...(wait.finished ? [] : [`did not finish within ${ms(timeoutMs)}`]),
        `RSS sampled every 10 ms${hwmReset ? `; kernel high-water mark since the POST ${mib(hwm)}` : ''}; one process (api + workers); phase peaks ${mib(postPeak)} / ${mib(signPeak)} / ${mib(deliverPeak)}`,
        `integrity: ${describeIntegrity(integ)}`,
      ],
      details: {
        attachmentBytes,
        recipients,
        packageBytes: size,
        baselineRss: baseline,
        peakRss: peak,
        hwmSincePost: hwm,
        phasePeakRss: { post: postPeak, sign: signPeak, deliver: deliverPeak },
        durationsMs: { post: sent.acceptedAt - sent.sentAt, sign: signedAt - sent.acceptedAt, deliver: doneAt - signedAt },
        integrity: integ,
      },
    };
  } finally {
    await base.drop();
  }
}
