import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './support/runtime.js';

let node: TestNode;
let admin: string;

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false } });
  admin = node.adminToken;
});
afterAll(async () => node?.close());

const district = { code: '000.00.33.H33', name: 'UBND huyện Kiên Lương', level: 'district' };
const commune = (n: number) => ({
  code: `000.${String(n).padStart(2, '0')}.33.H33`,
  name: `UBND xã ${n}`,
  level: 'commune',
  parentCode: district.code,
});

describe('directory', () => {
  it('answers 401 without a token and with an unknown one, as problem+json', async () => {
    const none = await node.call('GET', '/v1/agencies');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(none.json).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const unknown = await node.call('GET', '/v1/agencies', { token: 'lt_nope' });
    expect(unknown.status).toBe(401);
  });

  it('creates an agency, refuses a duplicate (409), a bad code (422) and a missing parent (422)', async () => {
    const created = await node.call('POST', '/v1/agencies', { token: admin, body: district });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ...district, endpoint: { type: 'local' }, active: true, parentCode: null });

    const again = await node.call('POST', '/v1/agencies', { token: admin, body: district });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('CONFLICT');

    const bad = await node.call('POST', '/v1/agencies', { token: admin, body: { ...district, code: '33.H33' } });
    expect(bad.status).toBe(422);
    expect(bad.json.code).toBe('VALIDATION_FAILED');
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'code' })]);

    const orphan = await node.call('POST', '/v1/agencies', {
      token: admin,
      body: { ...commune(90), parentCode: '999.99.99.Z99' },
    });
    expect(orphan.status).toBe(422);
    expect(orphan.json.errors[0].path).toBe('parentCode');
  });

  it('rejects unknown fields and bad levels with field errors', async () => {
    const res = await node.call('POST', '/v1/agencies', {
      token: admin,
      body: { ...commune(91), level: 'village', surprise: true },
    });
    expect(res.status).toBe(422);
    const paths = res.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('level');
  });

  it('answers 400 BAD_REQUEST for malformed JSON', async () => {
    const res = await node.call('POST', '/v1/agencies', { token: admin, body: '{"code": ' });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('BAD_REQUEST');
  });

  it('lists children of a parent with cursor pagination', async () => {
    for (const n of [1, 2, 3]) {
      expect((await node.call('POST', '/v1/agencies', { token: admin, body: commune(n) })).status).toBe(201);
    }
    const first = await node.call('GET', `/v1/agencies?parent=${district.code}&limit=2`, { token: admin });
    expect(first.status).toBe(200);
    expect(first.json.items.map((a: { code: string }) => a.code)).toEqual([commune(1).code, commune(2).code]);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await node.call('GET', `/v1/agencies?parent=${district.code}&limit=2&cursor=${first.json.nextCursor}`, { token: admin });
    expect(second.json.items.map((a: { code: string }) => a.code)).toEqual([commune(3).code]);
    expect(second.json.nextCursor).toBeNull();
    const badCursor = await node.call('GET', '/v1/agencies?cursor=xyz', { token: admin });
    expect(badCursor.status).toBe(422);
  });

  it('creates users whose token works once shown, and enforces admin-only writes (403)', async () => {
    const res = await node.call('POST', '/v1/users', {
      token: admin,
      body: { agencyCode: commune(1).code, name: 'Văn thư xã 1', roles: ['clerk'] },
    });
    expect(res.status).toBe(201);
    expect(res.json.token).toMatch(/^lt_/);
    const clerk = res.json.token as string;

    const read = await node.call('GET', `/v1/agencies/${district.code}`, { token: clerk });
    expect(read.status).toBe(200);
    expect(read.json.name).toBe(district.name);

    const write = await node.call('POST', '/v1/agencies', { token: clerk, body: commune(50) });
    expect(write.status).toBe(403);
    expect(write.json.code).toBe('FORBIDDEN');

    const listUsers = await node.call('GET', '/v1/users', { token: clerk });
    expect(listUsers.status).toBe(403);

    const unknownAgency = await node.call('POST', '/v1/users', {
      token: admin,
      body: { agencyCode: '123.45.67.A89', name: 'x', roles: ['clerk'] },
    });
    expect(unknownAgency.status).toBe(422);

    // The token is stored hashed: the listing never shows it.
    const users = await node.call('GET', `/v1/users?agency=${commune(1).code}`, { token: admin });
    expect(users.json.items).toHaveLength(1);
    expect(JSON.stringify(users.json)).not.toContain(clerk);

    const revoked = await node.call('DELETE', `/v1/users/${res.json.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect((await node.call('GET', '/v1/agencies', { token: clerk })).status).toBe(401);
  });

  it('creates groups of existing agencies only', async () => {
    const res = await node.call('POST', '/v1/groups', {
      token: admin,
      body: { code: 'KL-XA', name: 'Các xã Kiên Lương', members: [commune(2).code, commune(1).code, commune(1).code] },
    });
    expect(res.status).toBe(201);
    expect(res.json.members).toEqual([commune(1).code, commune(2).code]);
    const dup = await node.call('POST', '/v1/groups', { token: admin, body: { code: 'KL-XA', name: 'x', members: [] } });
    expect(dup.status).toBe(409);
    const unknown = await node.call('POST', '/v1/groups', {
      token: admin,
      body: { code: 'KL-2', name: 'x', members: ['111.11.11.A11'] },
    });
    expect(unknown.status).toBe(422);
    const got = await node.call('GET', '/v1/groups/KL-XA', { token: admin });
    expect(got.json.members).toHaveLength(2);
  });

  it('creates partners with a one-time token that reaches only the exchange API', async () => {
    const res = await node.call('POST', '/v1/partners', {
      token: admin,
      body: {
        id: 'peer-b',
        name: 'Node B',
        kind: 'lienthong',
        baseUrl: 'http://127.0.0.1:9/',
        credentials: { token: 'secret-of-b' },
        agencies: ['000.00.34.H33'],
      },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: 'peer-b', kind: 'lienthong', hasCredentials: true, agencies: ['000.00.34.H33'] });
    expect(JSON.stringify(res.json)).not.toContain('secret-of-b');
    const partnerToken = res.json.token as string;
    const denied = await node.call('GET', '/v1/agencies', { token: partnerToken });
    expect(denied.status).toBe(403);

    // A remote agency reached through the partner joins the agencies it serves.
    const remote = await node.call('POST', '/v1/agencies', {
      token: admin,
      body: { code: '000.01.34.H33', name: 'UBND xã B1', level: 'commune', endpoint: { type: 'remote', partnerId: 'peer-b' } },
    });
    expect(remote.status).toBe(201);
    expect(remote.json.endpoint).toEqual({ type: 'remote', partnerId: 'peer-b' });
    const partner = await node.call('GET', '/v1/partners/peer-b', { token: admin });
    expect(partner.json.agencies).toEqual(['000.00.34.H33', '000.01.34.H33']);

    const noPartner = await node.call('POST', '/v1/agencies', {
      token: admin,
      body: { code: '000.02.34.H33', name: 'x', level: 'commune', endpoint: { type: 'remote', partnerId: 'nobody' } },
    });
    expect(noPartner.status).toBe(422);
  });

  it('returns the first answer for a repeated Idempotency-Key, 409 for another body', async () => {
    const body = commune(7);
    const headers = { 'idempotency-key': 'create-commune-7' };
    const first = await node.call('POST', '/v1/agencies', { token: admin, body, headers });
    const second = await node.call('POST', '/v1/agencies', { token: admin, body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    const other = await node.call('POST', '/v1/agencies', { token: admin, body: commune(8), headers });
    expect(other.status).toBe(409);
  });

  it('updates an agency and deactivates it', async () => {
    const res = await node.call('PATCH', `/v1/agencies/${commune(3).code}`, {
      token: admin,
      body: { active: false, validTo: '2025-07-01', name: 'UBND xã 3 (đã sáp nhập)' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ active: false, validTo: '2025-07-01', name: 'UBND xã 3 (đã sáp nhập)' });
    const active = await node.call('GET', `/v1/agencies?parent=${district.code}&active=true`, { token: admin });
    expect(active.json.items.map((a: { code: string }) => a.code)).not.toContain(commune(3).code);
    const missing = await node.call('PATCH', '/v1/agencies/999.99.99.Z99', { token: admin, body: { active: false } });
    expect(missing.status).toBe(404);
  });

  it('records every write in the append-only audit trail', async () => {
    const res = await node.call('GET', `/v1/audit-events?agency=${district.code}`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'agency.created', subjectId: district.code, actorType: 'admin' })]),
    );
    const all = await node.call('GET', '/v1/audit-events?limit=500', { token: admin });
    const actions = new Set(all.json.items.map((e: { action: string }) => e.action));
    for (const a of ['agency.created', 'agency.updated', 'group.created', 'user.created', 'user.deactivated', 'partner.created']) {
      expect(actions).toContain(a);
    }
    const em = node.runtime.orm.em.fork();
    await expect(em.getConnection().execute(`update audit_event set action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(em.getConnection().execute(`delete from audit_event`)).rejects.toThrow(/append-only/);
  });

  it('answers unknown routes with a NOT_FOUND problem', async () => {
    const res = await node.call('GET', '/v1/nothing-here', { token: admin });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('NOT_FOUND');
  });
});
