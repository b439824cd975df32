import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyRecordSchema } from '../src/db/idempotency-record.entity.js';
import { purgeExpiredIdempotencyRecords, TOKEN_SHOWN_ONCE_NOTE } from '../src/http/idempotency.js';
import { toDomainError } from '../src/http/problem.js';
import { createLogger } from '../src/logger.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

// Issue 11: tokens are never kept in idempotency records, records expire after 24 h, and database
// errors are logged without the statement or its parameter values.

let node: TestNode;
let admin: string;

const DISTRICT = '000.00.41.H33';

beforeAll(async () => {
  node = await startTestNode();
  admin = node.adminToken;
  const agency = await node.call('POST', '/v1/agencies', { token: admin, body: { code: DISTRICT, name: 'UBND huyện Thử', level: 'district' } });
  expect(agency.status).toBe(201);
});
afterAll(async () => node?.close());

const sql = <T>(query: string, params: unknown[] = []) => node.runtime.orm.em.fork().getConnection().execute<T[]>(query, params);

/** The stored body of a record, as PostgreSQL holds it. */
async function storedBody(key: string): Promise<string> {
  const rows = await sql<{ body: string }>(`select body::text as body from idempotency_record where key = ?`, [key]);
  expect(rows).toHaveLength(1);
  return rows[0]!.body;
}

describe('idempotent answers that carry a token', () => {
  it('POST /v1/users: the replay answers 201 with the same user, token null and a note; the record holds no token', async () => {
    const headers = { 'idempotency-key': 'user-once-1' };
    const body = { agencyCode: DISTRICT, name: 'Văn thư', roles: ['clerk'] };
    const first = await node.call('POST', '/v1/users', { token: admin, body, headers });
    expect(first.status).toBe(201);
    const token = first.json.token as string;
    expect(token).toMatch(/^lt_/);
    expect(first.json.tokenShownOnce).toBeUndefined();

    const replay = await node.call('POST', '/v1/users', { token: admin, body, headers });
    expect(replay.status).toBe(201);
    const { token: _first, ...rest } = first.json as Record<string, unknown>;
    expect(replay.json).toEqual({ ...rest, token: null, tokenShownOnce: true, note: TOKEN_SHOWN_ONCE_NOTE });
    expect(replay.text).not.toContain(token);

    const stored = await storedBody('user-once-1');
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored)).toMatchObject({ id: first.json.id, token: null, tokenShownOnce: true });
    // The token shown once still works: only its copy is gone.
    expect((await node.call('GET', `/v1/agencies/${DISTRICT}`, { token })).status).toBe(200);
  });

  it('POST /v1/partners: the replay answers 201 with the same partner and no token; the record holds none', async () => {
    const headers = { 'idempotency-key': 'partner-once-1' };
    const body = { id: 'peer-once', name: 'Node once', kind: 'lienthong', agencies: ['000.00.42.H33'] };
    const first = await node.call('POST', '/v1/partners', { token: admin, body, headers });
    expect(first.status).toBe(201);
    const token = first.json.token as string;
    expect(token).toMatch(/^lt_/);

    const replay = await node.call('POST', '/v1/partners', { token: admin, body, headers });
    expect(replay.status).toBe(201);
    expect(replay.json).toMatchObject({ id: 'peer-once', token: null, tokenShownOnce: true, note: TOKEN_SHOWN_ONCE_NOTE });
    expect(replay.text).not.toContain(token);
    expect(await storedBody('partner-once-1')).not.toContain(token);
  });

  it('documents the replay shape in the OpenAPI schemas of both routes', async () => {
    const doc = await node.call('GET', '/openapi.json');
    for (const name of ['UserCreated', 'PartnerCreated']) {
      const created = doc.json.components.schemas[name];
      // UserCreated extends User: the token fields are in the allOf member that has properties.
      const schema = (created.allOf ?? [created]).find((part: { properties?: unknown }) => part.properties);
      expect(schema.properties.tokenShownOnce).toBeDefined();
      expect(schema.properties.note).toBeDefined();
      expect(JSON.stringify(schema.properties.token)).toContain('null');
      expect(schema.required).toContain('token');
      expect(schema.required).not.toContain('tokenShownOnce');
    }
  });
});

describe('idempotency records expire after 24 hours', () => {
  it('does not replay a record older than 24 h: the request runs again and the key is reused', async () => {
    const headers = { 'idempotency-key': 'user-expires-1' };
    const body = { agencyCode: DISTRICT, name: 'Văn thư cũ', roles: ['clerk'] };
    const first = await node.call('POST', '/v1/users', { token: admin, body, headers });
    expect(first.status).toBe(201);
    await sql(`update idempotency_record set created_at = now() - interval '25 hours' where key = ?`, ['user-expires-1']);

    const again = await node.call('POST', '/v1/users', { token: admin, body, headers });
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(first.json.id);
    expect(again.json.token).toMatch(/^lt_/);
    const rows = await sql<{ fresh: boolean }>(`select created_at > now() - interval '1 hour' as fresh from idempotency_record where key = ?`, ['user-expires-1']);
    expect(rows).toEqual([{ fresh: true }]);

    // A record within its 24 h is replayed, and another body under its key is still a conflict.
    await sql(`update idempotency_record set created_at = now() - interval '23 hours' where key = ?`, ['user-expires-1']);
    const replay = await node.call('POST', '/v1/users', { token: admin, body, headers });
    expect(replay.json).toMatchObject({ id: again.json.id, token: null });
    const other = await node.call('POST', '/v1/users', { token: admin, body: { ...body, name: 'khác' }, headers });
    expect(other.status).toBe(409);
  });

  it('deletes expired records in bounded batches, and the sweep does it', async () => {
    const em = node.runtime.orm.em.fork();
    const old = new Date(Date.now() - 25 * 3_600_000);
    for (const key of ['old-1', 'old-2', 'old-3']) {
      em.create(IdempotencyRecordSchema, { principal: 'purge-test', key, route: 'POST /x', requestHash: 'h', status: 201, body: {}, createdAt: old });
    }
    em.create(IdempotencyRecordSchema, { principal: 'purge-test', key: 'fresh', route: 'POST /x', requestHash: 'h', status: 201, body: {}, createdAt: new Date() });
    await em.flush();
    const keys = async () => (await sql<{ key: string }>(`select key from idempotency_record where principal = 'purge-test' order by key`)).map((r) => r.key);

    expect(await purgeExpiredIdempotencyRecords(node.runtime.orm.em.fork(), new Date(), 2)).toBe(2);
    expect(await keys()).toHaveLength(2);

    await node.runtime.queues.enqueue('sweep', { trigger: 'manual' });
    await eventually(async () => (await keys()).length === 1, 20_000, 100);
    expect(await keys()).toEqual(['fresh']);
  });
});

describe('database errors in the log', () => {
  /** A logger like the service's, writing into an array. */
  function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    return { logger: createLogger('info', {}, stream), text: () => lines.join('') };
  }

  it('logs a failing INSERT with its message, code, table and constraint, never its parameter values', async () => {
    const secret = `SECRET-${'ab12'.repeat(2_000)}`;
    const em = node.runtime.orm.em.fork();
    em.create(IdempotencyRecordSchema, { principal: 'dup', key: 'k', route: 'r', requestHash: 'h', status: 201, body: {}, createdAt: new Date() });
    await em.flush();
    const error = await node.runtime.orm.em
      .fork()
      .transactional(async (tx) => {
        tx.create(IdempotencyRecordSchema, { principal: 'dup', key: 'k', route: 'r', requestHash: 'h', status: 201, body: { file: secret }, createdAt: new Date() });
      })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);

    // The path of a request's 500: the one error mapper logs what it cannot map.
    const { logger, text } = capture();
    expect(toDomainError(error, logger, 'req-1').code).toBe('INTERNAL');
    const line = JSON.parse(text()) as { err: Record<string, unknown>; requestId: string };
    expect(text()).not.toContain('SECRET-');
    expect(text()).not.toContain('insert into');
    expect(line.requestId).toBe('req-1');
    expect(line.err).toMatchObject({
      type: 'UniqueConstraintViolationException',
      message: 'duplicate key value violates unique constraint "idempotency_record_pkey"',
      code: '23505',
      table: 'idempotency_record',
      constraint: 'idempotency_record_pkey',
    });
    // The detail PostgreSQL adds names the key's values ("Key (principal, key)=(dup, k)"): not logged.
    expect(text()).not.toContain('(dup, k)');
    expect(text().length).toBeLessThan(5_000);
    // Nor does the error itself carry the statement any more (it is also stored as a job's last error).
    expect((error as Error).message).not.toContain('SECRET-');
  });

  it('withholds the input quoted by a data exception (an invalid uuid or integer)', async () => {
    const { logger, text } = capture();
    for (const [query, params] of [
      ['select ?::uuid', ['not-a-uuid SECRET-UUID']],
      ['select ?::int', ['SECRET-INT']],
    ] as const) {
      const error = await sql(query, [...params]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      logger.error({ err: error }, 'query failed');
    }
    expect(text()).not.toContain('SECRET-');
    expect(text()).toContain('invalid input syntax for type uuid: [value withheld]');
    expect(text()).toContain('"code":"22P02"');
  });
});
