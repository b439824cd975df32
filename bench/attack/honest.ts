/**
 * The honest client: a clerk that keeps `concurrency` `POST /v1/documents` in flight (JSON, a small
 * PDF attachment, three local recipients) until the phase ends, and the proof afterwards that every
 * document it got a 201 for reached `arrived` at every recipient (`GET /v1/documents/{id}`).
 */
import type pg from 'pg';
import type { Api } from '../lib/api.js';
import { directiveBody, pool } from '../lib/directory.js';
import { sleep } from '../lib/service.js';
import { summarize } from '../lib/stats.js';

export interface HonestDoc {
  id: string;
  sentAt: number;
  acceptedAt: number;
}

export interface HonestRun {
  accepted: HonestDoc[];
  /** Answers other than 201, and requests that failed (timeout, reset): "status" or "error: …" → count. */
  failures: Record<string, number>;
  from: number;
  to: number;
}

/** A sending loop over [now, until): at most `concurrency` POSTs in flight, none started after `until`. */
export async function runHonest(
  api: Api,
  token: string,
  opts: { until: number; concurrency: number; body: (n: number) => unknown; alive: () => boolean; next: { n: number } },
): Promise<HonestRun> {
  const from = Date.now();
  const accepted: HonestDoc[] = [];
  const failures: Record<string, number> = {};
  const fail = (key: string) => (failures[key] = (failures[key] ?? 0) + 1);
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      // Bounded by time, and by count as a backstop (nothing real goes past 1,000 documents/s).
      for (let i = 0; i < 1_000 * 600 && Date.now() < opts.until && opts.alive(); i++) {
        const sentAt = Date.now();
        try {
          const res = await api.call('POST', '/v1/documents', { token, body: opts.body(opts.next.n++) });
          if (res.status === 201) accepted.push({ id: res.json.id as string, sentAt, acceptedAt: Date.now() });
          else {
            fail(String(res.status));
            await sleep(100);
          }
        } catch (error) {
          const e = error as { code?: string; name?: string; cause?: { code?: string } };
          fail(`error: ${e.code ?? e.cause?.code ?? e.name ?? 'unknown'}`);
          await sleep(100);
        }
      }
    }),
  );
  return { accepted, failures, from, to: Date.now() };
}

export interface ThroughputFigures {
  seconds: number;
  accepted: number;
  /** Documents whose 201 came within the phase, per second of the phase. */
  docsPerSecond: number;
  failures: Record<string, number>;
  post: ReturnType<typeof summarize>;
}

/** Documents accepted within [from, to] per second, and the POST latencies. */
export function throughput(run: HonestRun, from: number, to: number): ThroughputFigures {
  const within = run.accepted.filter((d) => d.acceptedAt >= from && d.acceptedAt <= to);
  const seconds = (to - from) / 1000;
  return {
    seconds,
    accepted: within.length,
    docsPerSecond: within.length / seconds,
    failures: run.failures,
    post: summarize(run.accepted.map((d) => d.acceptedAt - d.sentAt)),
  };
}

export function honestBody(recipients: readonly string[], perDocument: number, attachment: { name: string; contentType: string; contentBase64: string }) {
  return (n: number) => {
    const to = Array.from({ length: perDocument }, (_, i) => recipients[(n + i) % recipients.length]!);
    return directiveBody(to, n, attachment);
  };
}

export interface LostReport {
  checked: number;
  /** Documents with every recipient `arrived` (or further). */
  delivered: number;
  /** Documents that got a 201 and are not delivered everywhere: id → states, or the error reading it. */
  lost: Array<{ id: string; states: string }>;
}

/** States at or past `arrived` (a recipient may already have moved on). */
const ARRIVED_OR_LATER = new Set(['arrived', 'accepted', 'assigned', 'processing', 'completed']);

/** GET /v1/documents/{id} for every document: delivered means every recipient at `arrived` or later. */
export async function checkDelivered(api: Api, token: string, docs: readonly HonestDoc[], deadline: number): Promise<LostReport> {
  const lost: LostReport['lost'] = [];
  let delivered = 0;
  await pool(docs, 8, async (doc) => {
    if (Date.now() > deadline) {
      lost.push({ id: doc.id, states: 'not checked (out of time)' });
      return;
    }
    try {
      const res = await api.call('GET', `/v1/documents/${doc.id}`, { token });
      const recipients = (res.json?.recipients ?? []) as Array<{ code: string; state: string }>;
      if (res.status === 200 && recipients.length > 0 && recipients.every((r) => ARRIVED_OR_LATER.has(r.state))) delivered++;
      else lost.push({ id: doc.id, states: res.status === 200 ? recipients.map((r) => `${r.code}:${r.state}`).join(' ') : `HTTP ${res.status}` });
    } catch (error) {
      lost.push({ id: doc.id, states: `error: ${String((error as Error).message)}` });
    }
  });
  return { checked: docs.length, delivered, lost };
}

/**
 * Polls PostgreSQL (every 250 ms, one query) until every document of `ids` has all its deliveries at
 * `arrived` or later, or `timeoutMs` passes. Only to know when to look: the proof is `checkDelivered`.
 */
export async function waitDelivered(sql: pg.Client, ids: readonly string[], timeoutMs: number): Promise<{ finished: boolean; pending: number; waitedMs: number }> {
  const start = Date.now();
  const states = [...ARRIVED_OR_LATER];
  for (;;) {
    const r = await sql.query<{ n: string }>(
      `select count(*) n from unnest($1::uuid[]) as x(id)
        where not exists (select 1 from delivery d where d.document_id = x.id)
           or exists (select 1 from delivery d where d.document_id = x.id and d.state::text <> all($2::text[]))`,
      [ids, states],
    );
    const pending = Number(r.rows[0]?.n ?? 0);
    if (pending === 0 || Date.now() - start > timeoutMs) return { finished: pending === 0, pending, waitedMs: Date.now() - start };
    await sleep(250);
  }
}
