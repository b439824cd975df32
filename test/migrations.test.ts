import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOrm, migrate } from '../src/db/orm.js';
import { createTestDatabase } from './support/db.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase('migrations');
});
afterAll(async () => db?.drop());

describe('migrations', () => {
  it('apply to an empty database, leave no drift from the entities, and are idempotent', async () => {
    const orm = await connectOrm(db.url);
    try {
      const applied = await migrate(orm);
      expect(applied.length).toBeGreaterThan(0);
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
      expect(await migrate(orm)).toEqual([]);
    } finally {
      await orm.close(true);
    }
  });

  it('can run from several processes at once (advisory lock)', async () => {
    const other = await createTestDatabase('migrations_concurrent');
    const orms = await Promise.all([connectOrm(other.url), connectOrm(other.url), connectOrm(other.url)]);
    try {
      const results = await Promise.all(orms.map((o) => migrate(o)));
      expect(results.flat().length).toBe(results.find((r) => r.length > 0)?.length);
    } finally {
      await Promise.all(orms.map((o) => o.close(true)));
      await other.drop();
    }
  });
});
