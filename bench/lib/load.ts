/**
 * Load generation and completion measurement.
 *
 * "Accepted" is the moment the client has the 201 of `POST /v1/documents` in hand. "Done" for a
 * delivery is the moment its signed 01 was applied on the sender's side: `status_record.carried_at`
 * of the recipient's 01, written by the `status` job in the transaction that moves the delivery to
 * `arrived` (so it is the same instant `GET /v1/documents/{id}` starts showing statusCode 01, give or
 * take the commit). The bench polls PostgreSQL (a plain `pg` client, one count query every
 * `pollMs`) only to know when to stop; every duration reported comes from these timestamps, not from
 * the polling instants, so the poll interval does not blur the figures. All processes share this
 * machine's clock.
 */
import type pg from 'pg';
import { expectStatus, type Api } from './api.js';
import { sleep } from './service.js';

export interface SentDocument {
  id: string;
  /** ms epoch: request started, 201 received. */
  sentAt: number;
  acceptedAt: number;
  recipients: number;
}

/** Sends `count` documents with at most `concurrency` requests in flight (closed loop). */
export async function sendClosedLoop(
  api: Api,
  token: string,
  count: number,
  concurrency: number,
  body: (n: number) => unknown,
): Promise<SentDocument[]> {
  const out: SentDocument[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const n = next++;
        out.push(await sendOne(api, token, body(n)));
      }
    }),
  );
  return out;
}

export async function sendOne(api: Api, token: string, body: unknown): Promise<SentDocument> {
  const sentAt = Date.now();
  const res = expectStatus(await api.call('POST', '/v1/documents', { token, body }), 201, 'POST /v1/documents');
  return { id: res.json.id as string, sentAt, acceptedAt: Date.now(), recipients: (res.json.recipients as unknown[]).length };
}

/**
 * Open loop: one document every 1000/rate ms for `durationMs`, whatever the answers take (a slow
 * service does not slow the arrivals down). Sends that fail are counted, not retried.
 */
export async function sendOpenLoop(
  api: Api,
  token: string,
  rate: number,
  durationMs: number,
  body: (n: number) => unknown,
): Promise<{ sent: SentDocument[]; errors: string[]; scheduled: number; lateStartsMs: number[]; issuedPerSecond: number }> {
  const sent: SentDocument[] = [];
  const errors: string[] = [];
  const lateStartsMs: number[] = [];
  const inflight: Array<Promise<void>> = [];
  const start = Date.now();
  const total = Math.round((rate * durationMs) / 1000);
  for (let n = 0; n < total; n++) {
    const due = start + (n * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    // How late this arrival left (an event loop busy with the service delays the generator too).
    lateStartsMs.push(Math.max(0, Date.now() - due));
    inflight.push(
      sendOne(api, token, body(n)).then(
        (d) => void sent.push(d),
        (e: unknown) => void errors.push(String(e)),
      ),
    );
  }
  // Arrivals per second as issued: n requests over the time from the first to one period after the last.
  const issuedPerSecond = (total * 1000) / (Date.now() - start + 1000 / rate);
  await Promise.all(inflight);
  return { sent, errors, scheduled: total, lateStartsMs, issuedPerSecond };
}

export interface Progress {
  total: number;
  done: number;
  failed: number;
}

/** Deliveries in the database: total, with a status carried back, failed. */
export async function deliveryProgress(sql: pg.Client): Promise<Progress> {
  const r = await sql.query<{ total: string; done: string; failed: string }>(
    `select count(*) total, count(*) filter (where status_code is not null) done, count(*) filter (where state = 'failed') failed from delivery`,
  );
  const row = r.rows[0]!;
  return { total: Number(row.total), done: Number(row.done), failed: Number(row.failed) };
}

/**
 * Polls until `expected` deliveries are done (or failed), or `timeoutMs` passes. Returns the last
 * progress and whether it finished.
 */
export async function waitForDeliveries(
  sql: pg.Client,
  expected: number,
  timeoutMs: number,
  opts: { pollMs?: number; onProgress?: (p: Progress, elapsedMs: number) => void } = {},
): Promise<{ finished: boolean; progress: Progress; waitedMs: number }> {
  const start = Date.now();
  let progress = await deliveryProgress(sql);
  let lastReport = start;
  while (progress.done + progress.failed < expected) {
    if (Date.now() - start > timeoutMs) return { finished: false, progress, waitedMs: Date.now() - start };
    await sleep(opts.pollMs ?? 100);
    progress = await deliveryProgress(sql);
    if (opts.onProgress && Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      opts.onProgress(progress, Date.now() - start);
    }
  }
  return { finished: true, progress, waitedMs: Date.now() - start };
}

/** ms epoch of the last 01 carried back (the end of a throughput window). */
export async function lastCarriedAt(sql: pg.Client): Promise<number | null> {
  const r = await sql.query<{ t: Date | null }>(`select max(carried_at) t from status_record where code = '01' and carried`);
  return r.rows[0]?.t ? r.rows[0].t.getTime() : null;
}

/** Per outgoing document: when its last 01 was carried back, and how many of its deliveries have one. */
export async function completionByDocument(sql: pg.Client): Promise<Map<string, { doneAt: number; carried: number; deliveries: number; firstArrivedAt: number | null; lastArrivedAt: number | null }>> {
  const r = await sql.query<{ id: string; done_at: Date | null; carried: string; deliveries: string; first_arrived: Date | null; last_arrived: Date | null }>(
    `select d.document_id id, max(s.carried_at) done_at, count(s.id) carried, count(distinct d.id) deliveries,
            min(i.received_at) first_arrived, max(i.received_at) last_arrived
       from delivery d
       left join status_record s on s.delivery_id = d.id and s.code = '01' and s.carried
       left join inbox_item i on i.delivery_id = d.id
      group by d.document_id`,
  );
  return new Map(
    r.rows.map((row) => [
      row.id,
      {
        doneAt: row.done_at ? row.done_at.getTime() : NaN,
        carried: Number(row.carried),
        deliveries: Number(row.deliveries),
        firstArrivedAt: row.first_arrived ? row.first_arrived.getTime() : null,
        lastArrivedAt: row.last_arrived ? row.last_arrived.getTime() : null,
      },
    ]),
  );
}

export interface Integrity {
  deliveries: number;
  arrived: number;
  failed: number;
  inboxItems: number;
  /** (agency, package) pairs held more than once: a duplicate delivery. */
  duplicateInboxItems: number;
  statuses01: number;
  /** Deliveries with more than one 01. */
  duplicate01: number;
  uncarried01: number;
  edocPackages: number;
  documentsSent: number;
  documents: number;
  ok: boolean;
}

/** The exactly-once proof, from PostgreSQL: one inbox item and one carried 01 per delivery. */
export async function integrity(sql: pg.Client): Promise<Integrity> {
  const one = async (q: string) => Number((await sql.query<{ n: string }>(q)).rows[0]?.n ?? 0);
  const deliveries = await one(`select count(*) n from delivery`);
  const arrived = await one(`select count(*) n from delivery where status_code = '01' and state = 'arrived'`);
  const failed = await one(`select count(*) n from delivery where state = 'failed'`);
  const inboxItems = await one(`select count(*) n from inbox_item`);
  const duplicateInboxItems = await one(`select count(*) n from (select 1 from inbox_item group by agency_code, package_id having count(*) > 1) x`);
  const statuses01 = await one(`select count(*) n from status_record where code = '01'`);
  const duplicate01 = await one(`select count(*) n from (select 1 from status_record where code = '01' group by delivery_id having count(*) > 1) x`);
  const uncarried01 = await one(`select count(*) n from status_record where code = '01' and not carried`);
  const edocPackages = await one(`select count(*) n from edxml_package where kind = 'edoc'`);
  const documents = await one(`select count(*) n from outgoing_document`);
  const documentsSent = await one(`select count(*) n from outgoing_document where state = 'sent'`);
  const ok =
    failed === 0 &&
    arrived === deliveries &&
    inboxItems === deliveries &&
    duplicateInboxItems === 0 &&
    statuses01 === deliveries &&
    duplicate01 === 0 &&
    uncarried01 === 0 &&
    edocPackages === documents &&
    documentsSent === documents;
  return { deliveries, arrived, failed, inboxItems, duplicateInboxItems, statuses01, duplicate01, uncarried01, edocPackages, documentsSent, documents, ok };
}

export function describeIntegrity(i: Integrity): string {
  return (
    `${i.deliveries} deliveries: ${i.inboxItems} inbox items (${i.duplicateInboxItems} duplicated), ` +
    `${i.statuses01} status 01 (${i.duplicate01} duplicated, ${i.uncarried01} not carried), ${i.arrived} arrived, ${i.failed} failed; ` +
    `${i.documents} documents, ${i.edocPackages} signed packages, ${i.documentsSent} sent`
  );
}
