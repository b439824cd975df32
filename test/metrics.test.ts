import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics } from '../src/http/metrics.js';
import { freePort } from './support/redis-server.js';
import { startTestNode, type TestNode } from './support/runtime.js';

// Issue 11: /metrics names every agency, certificate serial and partner, so it is for admins only
// (or on a loopback listener of its own), and a scrape reads a snapshot, not the database.

let node: TestNode;
let admin: string;
const AGENCY = '000.00.51.H33';

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false } });
  admin = node.adminToken;
  expect((await node.call('POST', '/v1/agencies', { token: admin, body: { code: AGENCY, name: 'UBND huyện Đo', level: 'district' } })).status).toBe(201);
});
afterAll(async () => node?.close());

async function userToken(roles: string[]): Promise<string> {
  const res = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode: AGENCY, name: `user ${roles.join(',')}`, roles } });
  expect(res.status).toBe(201);
  return res.json.token as string;
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics on the main port', () => {
  it('is 401 without a token, 403 for a clerk, 200 for the bootstrap admin and for a user with the admin role', async () => {
    const anonymous = await node.call('GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.code).toBe('UNAUTHENTICATED');
    expect(anonymous.text).not.toContain('lienthong_');

    const clerk = await node.call('GET', '/metrics', { token: await userToken(['clerk']) });
    expect(clerk.status).toBe(403);
    expect(clerk.json.code).toBe('FORBIDDEN');
    expect(clerk.text).not.toContain('lienthong_');

    const bootstrap = await node.call('GET', '/metrics', { token: admin });
    expect(bootstrap.status).toBe(200);
    expect(bootstrap.headers.get('content-type')).toContain('text/plain');
    expect(bootstrap.text).toContain('lienthong_http_requests_total');

    const adminUser = await node.call('GET', '/metrics', { token: await userToken(['admin']) });
    expect(adminUser.status).toBe(200);
  });

  it('answers scrapes from the snapshot: no SQL, and what changed since shows only after a refresh', async () => {
    const first = await node.call('GET', '/metrics', { token: admin });
    const takenAt = sample(first.text, 'lienthong_metrics_snapshot_timestamp_seconds');
    expect(takenAt).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sample(first.text, 'lienthong_queue_jobs{queue="sweep",state="waiting"}')).toBe(0);

    // The database and the queue change…
    const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'peer-metrics', name: 'Peer', kind: 'lienthong', agencies: ['000.00.52.H33'] } });
    expect(partner.status).toBe(201);
    await node.runtime.queues.enqueue('sweep', { trigger: 'manual' });

    // …and twenty scrapes within the 30 s send not one statement to PostgreSQL and show the old snapshot.
    const knex = node.runtime.orm.em.getConnection().getKnex();
    const statements: string[] = [];
    const count = (query: { sql: string }) => statements.push(query.sql);
    knex.on('query', count);
    let scrapes;
    try {
      scrapes = await Promise.all(Array.from({ length: 20 }, () => node.call('GET', '/metrics', { token: admin })));
    } finally {
      knex.off('query', count);
    }
    expect(statements).toEqual([]);
    for (const res of scrapes) {
      expect(res.status).toBe(200);
      expect(sample(res.text, 'lienthong_metrics_snapshot_timestamp_seconds')).toBe(takenAt);
      expect(res.text).not.toContain('peer-metrics');
      expect(sample(res.text, 'lienthong_queue_jobs{queue="sweep",state="waiting"}')).toBe(0);
    }

    // The next refresh (what a scrape starts once the snapshot is 30 s old) brings both in; it is
    // where the statements go (which also shows that the count above sees them).
    knex.on('query', count);
    try {
      await node.runtime.metrics.refresh();
    } finally {
      knex.off('query', count);
    }
    expect(statements.some((sql) => /from delivery/.test(sql))).toBe(true);
    const after = await node.call('GET', '/metrics', { token: admin });
    expect(sample(after.text, 'lienthong_metrics_snapshot_timestamp_seconds')).toBeGreaterThan(takenAt!);
    expect(sample(after.text, 'lienthong_partner_circuit_open{partner="peer-metrics"}')).toBe(0);
    expect(sample(after.text, 'lienthong_queue_jobs{queue="sweep",state="waiting"}')).toBe(1);
  });
});

describe('LIENTHONG_METRICS_PORT', () => {
  let apart: TestNode;
  let server: ServerType | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    apart = await startTestNode({ roles: { worker: false }, env: { LIENTHONG_METRICS_PORT: String(port) } });
  });
  afterAll(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await apart?.close();
  });

  it('moves /metrics off the main port to a loopback listener that serves only it and /healthz', async () => {
    expect(apart.config.metricsHost).toBe('127.0.0.1');
    const main = await apart.call('GET', '/metrics', { token: apart.adminToken });
    expect(main.status).toBe(404);

    // The listener `lienthong start` opens (src/cli/serve.ts) when the variable is set.
    server = await serveMetrics(apart.runtime.metrics, apart.config);
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    // The main port's 404 above, counted in memory.
    expect(text).toMatch(/^lienthong_http_requests_total\{method="GET",route="[^"]*",status="404"\} 1$/m);
    expect(sample(text, 'lienthong_metrics_snapshot_timestamp_seconds')).toBeGreaterThan(0);
    // A liveness probe here does not queue behind the API port's connections (issue 11).
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/v1/agencies`, { headers: { authorization: `Bearer ${apart.adminToken}` } })).status).toBe(404);
  });
});
