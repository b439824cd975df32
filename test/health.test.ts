import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisProcess } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

let redis: RedisProcess;
let node: TestNode;

beforeAll(async () => {
  redis = new RedisProcess(await freePort());
  await redis.start();
  node = await startTestNode({ roles: { worker: false }, env: { REDIS_URL: redis.url } });
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

describe('health, readiness and operations endpoints', () => {
  it('/healthz answers while the process runs', async () => {
    const res = await node.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('/readyz is 503 naming the queue check (and redis, its first name) while Redis is down, and 200 again when it returns', async () => {
    const ok = await node.call('GET', '/readyz');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: 'ok', checks: { db: 'ok', queue: 'ok', redis: 'ok' }, backends: { queue: 'redis' } });

    await redis.stop();
    const down = await node.call('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.json.checks.db).toBe('ok');
    expect(down.json.checks.queue).toMatch(/^failing/);
    expect(down.json.checks.redis).toBe(down.json.checks.queue);

    await redis.start();
    await eventually(async () => (await node.call('GET', '/readyz')).status === 200, 15_000, 200);
  });

  it('producers fail fast with 503 UNAVAILABLE while Redis is down', async () => {
    await redis.stop();
    try {
      const started = Date.now();
      await expect(node.runtime.queues.enqueue('sweep', { trigger: 'manual' })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await redis.start();
      await eventually(async () => (await node.call('GET', '/readyz')).status === 200, 15_000, 200);
    }
  });

  it('/metrics exposes HTTP counters and queue depths in Prometheus text format', async () => {
    await node.call('GET', '/healthz');
    const res = await node.call('GET', '/metrics', { token: node.adminToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/lienthong_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).toContain('lienthong_http_request_duration_seconds_bucket');
    expect(res.text).toMatch(/lienthong_queue_jobs\{queue="sweep",state="waiting"\} \d+/);
    expect(res.text).toContain('lienthong_sweep_last_run_timestamp_seconds');
  });

  it('/openapi.json is OpenAPI 3.1 and documents the directory routes; /docs serves Swagger UI offline', async () => {
    const res = await node.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    // Every route of API.md is in the OpenAPI document (the contract and the document must agree).
    for (const path of [
      '/v1/agencies',
      '/v1/agencies/{code}',
      '/v1/agencies/{code}/certificates',
      '/v1/trust-anchors',
      '/v1/groups',
      '/v1/users',
      '/v1/partners',
      '/v1/documents',
      '/v1/documents/{id}',
      '/v1/documents/{id}/edxml',
      '/v1/documents/{id}/events',
      '/v1/documents/{id}/statuses/{statusId}/edxml',
      '/v1/documents/{id}/recall',
      '/v1/inbox',
      '/v1/inbox/{id}',
      '/v1/inbox/{id}/attachments/{index}',
      '/v1/inbox/{id}/edxml',
      '/v1/inbox/{id}/status',
      '/exchange/v1/packages',
      '/exchange/v1/packages/{receiptId}',
      '/exchange/v1/packages/{receiptId}/ack',
    ]) {
      expect(Object.keys(res.json.paths)).toContain(path);
    }
    const docs = await node.call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const asset = await node.runtime.app.request('/docs/assets/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
  });

  it('/admin/queues asks a browser for credentials and admits only the admin', async () => {
    const anonymous = await node.call('GET', '/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    const basic = Buffer.from(`admin:${node.adminToken}`).toString('base64');
    const ok = await node.call('GET', '/admin/queues', { headers: { authorization: `Basic ${basic}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<');
    const wrong = await node.call('GET', '/admin/queues', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });

  it('rejects an oversized JSON body with 413 PAYLOAD_TOO_LARGE', async () => {
    const small = await startTestNode({ roles: { worker: false }, env: { REDIS_URL: redis.url, LIENTHONG_JSON_BODY_BYTES: '1000' } });
    try {
      const res = await small.call('POST', '/v1/agencies', {
        token: small.adminToken,
        body: { code: '000.00.33.H33', name: 'x'.repeat(5000), level: 'district' },
      });
      expect(res.status).toBe(413);
      expect(res.json.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});

describe('the OpenAPI examples (issue 15: "Try it out" must work)', () => {
  it('are bodies the schemas accept, and a schema derived from another carries no example of the other', async () => {
    const { DocumentInputSchema } = await import('../src/documents/documents.schemas.js');
    const { AgencyInputSchema, AgencyPatchSchema, GroupInputSchema, UserInputSchema } = await import('../src/directory/directory.schemas.js');
    const doc = (await node.call('GET', '/openapi.json')).json;
    const example = (name: string) => doc.components.schemas[name]?.example;
    for (const [name, schema] of [
      ['DocumentInput', DocumentInputSchema],
      ['AgencyInput', AgencyInputSchema],
      ['GroupInput', GroupInputSchema],
      ['UserInput', UserInputSchema],
    ] as const) {
      expect(example(name), name).toBeDefined();
      const parsed = (schema as { safeParse(v: unknown): { success: boolean; error?: unknown } }).safeParse(example(name));
      expect(parsed.success, `${name}: ${JSON.stringify(parsed.error)}`).toBe(true);
    }
    const patch = example('AgencyPatch');
    if (patch !== undefined) expect(AgencyPatchSchema.safeParse(patch).success).toBe(true);
    expect(JSON.stringify(example('StatusInput'))).toBe('{"code":"03"}');
  });
});
