/**
 * The floods of the attack phase, all at once, each bounded by count and by the phase's end:
 *
 * - uploads: waves of `uploads` concurrent hostile uploads spread over the hostile clerks — 200 MB
 *   JSON in every Content-Type spelling to every JSON route, `<a/>` floods and a 200,000-attribute
 *   element as application/xml to /v1/documents, 40 MB multipart forms with bogus files. A wave
 *   starts when the previous one has ended, at most one every `waveEverySeconds`.
 * - json: every (spelling × route × length mode) of the 200 MB JSON without a token, spread evenly
 *   over the phase.
 * - partner: element and attribute floods and 200 MB JSON pushed to /exchange/v1/packages with the
 *   partner's token, spread evenly.
 * - unauth: `unauth` requests with a missing, unknown, malformed, revoked or near-miss token to
 *   routes of every kind, with bodies (0 B – 16 MB), spread evenly.
 */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { sleep } from '../lib/service.js';
import { sendHostile, type HostileRequest, type HostileResult } from './http.js';
import {
  attributeFlood,
  elementFlood,
  JSON_SPELLINGS,
  MULTIPART_BOUNDARY,
  multipartManyFiles,
  multipartOneFile,
  oversizedJson,
  smallJson,
  spellingName,
} from './payloads.js';

export interface AttackSizes {
  jsonBytes: number;
  elements: number;
  attributes: number;
  multipartBytes: number;
  uploads: number;
  unauth: number;
  waveEverySeconds: number;
  /** How long a hostile request may take before the harness hangs up and calls it "no answer". */
  requestTimeoutMs: number;
}

export interface AttackTargets {
  url: string;
  dispatcher: Dispatcher;
  clerks: readonly string[];
  partnerToken: string;
  revokedToken: string;
  adminToken: string;
  /** An agency code of the node (for PATCH). */
  someAgency: string;
}

/** What is running now: kind → requests in flight (reported if the node dies). */
export class Tracker {
  readonly results: HostileResult[] = [];
  readonly inflight = new Map<string, number>();
  started = 0;

  async run(req: HostileRequest, send: () => Promise<HostileResult>): Promise<void> {
    this.started++;
    this.inflight.set(req.kind, (this.inflight.get(req.kind) ?? 0) + 1);
    try {
      this.results.push(await send());
    } finally {
      const n = (this.inflight.get(req.kind) ?? 1) - 1;
      if (n > 0) this.inflight.set(req.kind, n);
      else this.inflight.delete(req.kind);
    }
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.inflight.entries()].sort((a, b) => b[1] - a[1]));
  }
}

const JSON_ROUTES = ['/v1/agencies', '/v1/users', '/v1/documents', '/v1/inbox/x/status', '/exchange/v1/packages'] as const;
const LENGTH_MODES = ['chunked', 'declared', 'lying'] as const;

/** Every (spelling × route × length mode) of the oversized JSON, with `authorization` (or none). */
function jsonMatrix(sizes: AttackSizes, who: string, authorization: string | undefined): HostileRequest[] {
  const out: HostileRequest[] = [];
  const mb = Math.round(sizes.jsonBytes / 1e6);
  // Interleaved so that any prefix of the list covers every spelling and route.
  for (const length of LENGTH_MODES)
    for (let r = 0; r < JSON_ROUTES.length; r++)
      for (let s = 0; s < JSON_SPELLINGS.length; s++) {
        const spelling = JSON_SPELLINGS[(s + r) % JSON_SPELLINGS.length];
        const path = JSON_ROUTES[r]!;
        out.push({
          kind: `json ${mb} MB · ${who} · ${spellingName(spelling)}`,
          detail: `POST ${path} · ${spellingName(spelling)} · ${length}`,
          method: 'POST',
          path,
          headers: { ...(authorization ? { authorization } : {}), ...(spelling ? { 'content-type': spelling } : {}) },
          body: oversizedJson(sizes.jsonBytes),
          length,
        });
      }
  return out;
}

/** The hostile upload number `j` of a wave (clerk `j % clerks`): the mix of the issue. */
function upload(sizes: AttackSizes, targets: AttackTargets, json: readonly HostileRequest[], j: number, wave: number): HostileRequest {
  const clerk = targets.clerks[j % targets.clerks.length]!;
  const authorization = `Bearer ${clerk}`;
  const slot = Math.floor(j / targets.clerks.length) % 10;
  const mb = Math.round(sizes.multipartBytes / 1e6);
  const xml = { authorization, 'content-type': 'application/xml' };
  switch (slot) {
    case 0:
    case 1:
      return {
        kind: `multipart ${mb} MB, one bogus file · clerk`,
        detail: 'POST /v1/documents · file first, metadata last',
        method: 'POST',
        path: '/v1/documents',
        headers: { authorization, 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` },
        body: multipartOneFile(sizes.multipartBytes),
        length: 'declared',
      };
    case 2: {
      const files = 2_000;
      return {
        kind: `multipart ${mb} MB, ${files.toLocaleString('en-US')} bogus files · clerk`,
        detail: 'POST /v1/documents · 12,000-character name, ../ and control characters, svg',
        method: 'POST',
        path: '/v1/documents',
        headers: { authorization, 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` },
        body: multipartManyFiles(files, Math.floor(sizes.multipartBytes / files)),
        length: 'chunked',
      };
    }
    case 3:
    case 4:
      return {
        kind: `xml <a/> × ${(sizes.elements / 1e6).toFixed(0)}M · clerk`,
        detail: 'POST /v1/documents · application/xml',
        method: 'POST',
        path: '/v1/documents',
        headers: xml,
        body: elementFlood(sizes.elements),
        length: j % 2 ? 'declared' : 'chunked',
      };
    case 5:
      return {
        kind: `xml ${sizes.attributes.toLocaleString('en-US')} attributes · clerk`,
        detail: 'POST /v1/documents · application/xml',
        method: 'POST',
        path: '/v1/documents',
        headers: xml,
        body: attributeFlood(sizes.attributes),
        length: 'declared',
      };
    default: {
      const base = json[(j * 7 + wave * 13) % json.length]!;
      return { ...base, headers: { ...base.headers, authorization } };
    }
  }
}

/** The partner's pushes, in rotation. */
function partnerRequest(sizes: AttackSizes, targets: AttackTargets, i: number): HostileRequest {
  const authorization = `Bearer ${targets.partnerToken}`;
  const xml = (kind: string, body: HostileRequest['body'], length: HostileRequest['length']): HostileRequest => ({
    kind: `${kind} · partner`,
    detail: `POST /exchange/v1/packages · application/xml · ${length}`,
    method: 'POST',
    path: '/exchange/v1/packages',
    headers: { authorization, 'content-type': 'application/xml' },
    body,
    length,
  });
  const json = (spelling: string, length: HostileRequest['length']): HostileRequest => ({
    kind: `json ${Math.round(sizes.jsonBytes / 1e6)} MB · partner · ${spelling}`,
    detail: `POST /exchange/v1/packages · ${length}`,
    method: 'POST',
    path: '/exchange/v1/packages',
    headers: { authorization, 'content-type': spelling },
    body: oversizedJson(sizes.jsonBytes),
    length,
  });
  switch (i % 5) {
    case 0:
      return xml(`xml <a/> × ${(sizes.elements / 1e6).toFixed(0)}M`, elementFlood(sizes.elements), 'chunked');
    case 1:
      return xml('xml <a/> × 1M (4 MB)', elementFlood(1_000_000), 'declared');
    case 2:
      return xml(`xml ${sizes.attributes.toLocaleString('en-US')} attributes`, attributeFlood(sizes.attributes), 'declared');
    case 3:
      return json('Application/JSON', 'chunked');
    default:
      return json('application/json', 'declared');
  }
}

/** Unauthenticated request number `i`: token variant × route × body size × spelling, in rotation. */
function unauthRequest(targets: AttackTargets, i: number): HostileRequest {
  const tokens: Array<[string, string | undefined]> = [
    ['no token', undefined],
    ['unknown token', `Bearer lt_${randomBytes(32).toString('base64url')}`],
    ['revoked clerk', `Bearer ${targets.revokedToken}`],
    ['near-miss admin token', `Bearer ${targets.adminToken.slice(0, -1)}${targets.adminToken.endsWith('A') ? 'B' : 'A'}`],
    ['8 KB token', `Bearer ${'A'.repeat(8_000)}`],
    ['Basic, unknown password', `Basic ${Buffer.from(`admin:${randomBytes(16).toString('hex')}`).toString('base64')}`],
    ['malformed header', 'Token abc'],
  ];
  const routes: Array<[string, string, 'json' | 'xml' | 'multipart' | 'none']> = [
    ['POST', '/v1/agencies', 'json'],
    ['POST', '/v1/users', 'json'],
    ['POST', '/v1/partners', 'json'],
    ['POST', '/v1/trust-anchors', 'json'],
    ['POST', '/v1/documents', 'json'],
    ['POST', '/v1/documents', 'multipart'],
    ['POST', '/v1/documents', 'xml'],
    ['POST', '/v1/inbox/x/status', 'json'],
    ['POST', '/exchange/v1/packages', 'xml'],
    ['PATCH', `/v1/agencies/${targets.someAgency}`, 'json'],
    ['DELETE', `/v1/users/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, 'none'],
    ['GET', '/v1/documents', 'none'],
    ['GET', '/v1/inbox', 'none'],
    ['GET', '/v1/audit-events', 'none'],
    ['GET', '/exchange/v1/packages', 'none'],
    ['GET', '/metrics', 'none'],
  ];
  const sizes = [0, 1_024, 65_536, 1_048_576, 16 * 1_048_576];
  const [tokenName, authorization] = tokens[i % tokens.length]!;
  const [method, path, shape] = routes[Math.floor(i / tokens.length) % routes.length]!;
  const size = sizes[Math.floor(i / (tokens.length * routes.length)) % sizes.length]!;
  const headers: Record<string, string> = authorization ? { authorization } : {};
  let body: HostileRequest['body'];
  if (shape === 'json') {
    const spelling = JSON_SPELLINGS[i % JSON_SPELLINGS.length];
    if (spelling) headers['content-type'] = spelling;
    body = smallJson(size);
  } else if (shape === 'xml') {
    headers['content-type'] = 'application/xml';
    body = elementFlood(Math.max(16, Math.floor(size / 4)));
  } else if (shape === 'multipart') {
    headers['content-type'] = `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`;
    body = multipartOneFile(size);
  }
  return {
    kind: `unauth · ${tokenName}`,
    detail: `${method} ${path}${body ? ` · ${shape} ${body.bytes} B` : ''}`,
    method,
    path,
    headers,
    ...(body ? { body } : {}),
    length: body && i % 3 === 0 ? 'chunked' : 'declared',
  };
}

/** Launches `make(i)` for i < count, evenly spread over [start, end), at most `cap` in flight. */
async function spread(
  count: number,
  start: number,
  end: number,
  cap: number,
  alive: () => boolean,
  launch: (i: number) => Promise<void>,
): Promise<{ launched: number; late: number }> {
  const running = new Set<Promise<void>>();
  let launched = 0;
  let late = 0;
  for (let i = 0; i < count; i++) {
    const due = start + ((end - start) * i) / count;
    if (due > Date.now()) await sleep(due - Date.now());
    while (running.size >= cap && Date.now() < end) await Promise.race([...running, sleep(50)]);
    if (Date.now() >= end || !alive()) break;
    if (Date.now() - due > 1_000) late++;
    const p = launch(i).finally(() => running.delete(p));
    running.add(p);
    launched++;
  }
  await Promise.all(running);
  return { launched, late };
}

export interface AttackSummary {
  waves: number;
  /** Requests launched, and planned (uploads: per wave × waves; the others are spread over the phase). */
  launched: Record<string, number>;
  planned: Record<string, number>;
  /** Launches more than 1 s behind their schedule (the harness or its caps could not keep up). */
  late: Record<string, number>;
}

/**
 * Runs every flood from now until `end` (ms epoch); hostile requests still open at `end + graceMs`
 * are cut ("no answer"). Stops launching as soon as `alive()` is false.
 */
export async function runAttack(targets: AttackTargets, sizes: AttackSizes, tracker: Tracker, end: number, graceMs: number, alive: () => boolean): Promise<AttackSummary> {
  const start = Date.now();
  const deadlineOf = () => Math.min(Date.now() + sizes.requestTimeoutMs, end + graceMs);
  const send = (req: HostileRequest) => tracker.run(req, () => sendHostile(targets.url, targets.dispatcher, req, deadlineOf()));
  const clerkJson = jsonMatrix(sizes, 'clerk', undefined);
  const anonymousJson = jsonMatrix(sizes, 'no token', undefined);
  // Launch the last requests a little before the end, so they get an answer within the phase.
  const lastLaunch = end - Math.min(1_000, (end - start) / 10);

  const uploads = (async () => {
    let waves = 0;
    for (let wave = 0; wave < 1_000 && Date.now() < lastLaunch && alive(); wave++) {
      const waveStart = Date.now();
      waves++;
      await Promise.all(Array.from({ length: sizes.uploads }, (_, j) => send(upload(sizes, targets, clerkJson, j, wave))));
      const next = Math.max(waveStart + sizes.waveEverySeconds * 1_000, Date.now() + 500);
      if (next >= lastLaunch) break;
      await sleep(next - Date.now());
    }
    return waves;
  })();
  const partnerCount = Math.max(5, Math.round((end - start) / 1_000));
  const [waves, json, partner, unauth] = await Promise.all([
    uploads,
    spread(anonymousJson.length, start, lastLaunch, 16, alive, (i) => send(anonymousJson[i]!)),
    spread(partnerCount, start, lastLaunch, 4, alive, (i) => send(partnerRequest(sizes, targets, i))),
    spread(sizes.unauth, start, lastLaunch, 250, alive, (i) => send(unauthRequest(targets, i))),
  ]);
  return {
    waves,
    launched: { uploads: waves * sizes.uploads, json: json.launched, partner: partner.launched, unauth: unauth.launched },
    planned: { uploads: waves * sizes.uploads, json: anonymousJson.length, partner: partnerCount, unauth: sizes.unauth },
    late: { json: json.late, partner: partner.late, unauth: unauth.late },
  };
}
