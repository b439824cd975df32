import { randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows, selectRows } from '../src/db/rows.js';
import { connectOrm, migrate } from '../src/db/orm.js';
import { sqlOn } from '../src/db/sql.js';
import { AgencySchema, type Agency } from '../src/directory/agency.entity.js';
import { PackageSchema, type Package } from '../src/packages/package.entity.js';
import { createTestDatabase } from './support/db.js';

/**
 * insertRows (src/db/insert-rows.ts) writes what MikroORM's insertMany writes: every column of the
 * same row, compared as PostgreSQL stores it — JSON, text arrays, dates, instants, enums, nullable
 * keys, bytes — and a column left undefined gets its default.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let orm: MikroORM;
beforeAll(async () => {
  db = await createTestDatabase('insert_rows');
  orm = (await connectOrm(db.url)) as MikroORM;
  await migrate(orm);
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

const stored = async (table: string, key: string, value: string): Promise<Record<string, unknown>> => {
  const [row] = await sqlOn(orm.em.fork())<Array<{ row: Record<string, unknown> }>>(`select to_jsonb(t) as row from "${table}" t where ${key} = ?`, [value]);
  return row!.row;
};

describe('insertRows', () => {
  it('writes agency rows exactly as insertMany does (JSON, text[], date, timestamptz, enums, keys), several in one statement', async () => {
    const at = new Date('2026-12-07T16:30:00.123Z');
    const row = (code: string, parentCode: string | null): Agency =>
      ({
        code,
        name: 'UBND xã "Bình An" — ấp 3\\4',
        administrativeUnit: 'Bình An',
        level: 'commune',
        parentCode,
        address: null,
        email: 'van.thu@binhan.gov.vn',
        phone: null,
        fax: null,
        website: null,
        endpointType: 'local',
        partnerId: null,
        validFrom: '2025-07-01',
        validTo: null,
        active: false,
        successorCodes: ['000.00.02.H33', 'a "quoted", {braced} code'],
        closedAt: at,
        decision: { number: '1654/NQ-UBTVQH15', date: '2025-06-16', link: 'https://example.vn/?a=1&b="2"' },
        createdAt: at,
        updatedAt: at,
      }) as Agency;
    await orm.em.fork().insertMany(AgencySchema, [row('000.00.01.H33', null)]);
    await insertRows(orm.em.fork(), AgencySchema, [row('000.00.03.H33', '000.00.01.H33'), row('000.00.04.H33', null)]);
    const viaOrm = await stored('agency', 'code', '000.00.01.H33');
    const viaRows = await stored('agency', 'code', '000.00.03.H33');
    expect({ ...viaRows, code: '', parent_code: null }).toEqual({ ...viaOrm, code: '' });
    expect(viaRows.parent_code).toBe('000.00.01.H33');
    expect(viaRows.successor_codes).toEqual(['000.00.02.H33', 'a "quoted", {braced} code']);
    expect((await stored('agency', 'code', '000.00.04.H33')).name).toBe('UBND xã "Bình An" — ấp 3\\4');
  });

  it('writes bytes as they are; a column every row leaves undefined is left out (its default, or PostgreSQL refuses)', async () => {
    const bytes = randomBytes(70_000);
    const row = (id: string): Package =>
      ({
        id,
        sha256: randomBytes(32).toString('hex'),
        kind: 'status',
        senderCode: '000.00.01.H33',
        documentId: '000.00.01.H33,2026/12/07,01/CT-UBND',
        businessDocType: null,
        statusCode: '01',
        size: bytes.length,
        bytes,
        createdAt: new Date('2026-12-07T01:02:03.456Z'),
      }) as unknown as Package;
    const a = randomUUID();
    const b = randomUUID();
    await orm.em.fork().insertMany(PackageSchema, [row(a)]);
    await insertRows(orm.em.fork(), PackageSchema, [row(b)]);
    const [x, y] = await Promise.all([stored('edxml_package', 'id', a), stored('edxml_package', 'id', b)]);
    expect({ ...y, id: '', sha256: '' }).toEqual({ ...x, id: '', sha256: '' });
    const [back] = await sqlOn(orm.em.fork())<Array<{ bytes: Buffer }>>('select bytes from edxml_package where id = ?', [b]);
    expect(back!.bytes.equals(bytes)).toBe(true);

    const withDefault = { ...row(randomUUID()), createdAt: undefined } as unknown as Package;
    // created_at has no default in the schema: leaving it undefined must fail in PostgreSQL, not write something else.
    await expect(insertRows(orm.em.fork(), PackageSchema, [withDefault])).rejects.toThrow(/created_at/);
  });

  it('reads rows as em.find does, as plain objects, lazy columns left out', async () => {
    const viaOrm = await orm.em.fork().find(AgencySchema, { code: { $in: ['000.00.01.H33', '000.00.03.H33'] } }, { orderBy: { code: 'asc' } });
    const plain = await selectRows(orm.em.fork(), AgencySchema, 'code = any(?) order by code', [['000.00.01.H33', '000.00.03.H33']]);
    expect(plain.map((a) => ({ ...a }))).toEqual(viaOrm.map((a) => ({ ...a })));
    expect(plain[1]!.closedAt).toBeInstanceOf(Date);
    expect(plain[1]!.validFrom).toBe('2025-07-01');
    expect(plain[1]!.decision).toEqual({ number: '1654/NQ-UBTVQH15', date: '2025-06-16', link: 'https://example.vn/?a=1&b="2"' });
    expect(Object.getPrototypeOf(plain[0])).toBe(Object.prototype);

    const [pkg] = await selectRows(orm.em.fork(), PackageSchema, 'status_code = ? order by created_at limit 1', ['01']);
    expect(pkg).toBeDefined();
    expect(pkg).not.toHaveProperty('bytes');
    expect(pkg!.size).toBe(70_000);
  });
});
