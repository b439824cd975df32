import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/directory/credentials.js';
import { hashToken } from '../src/directory/tokens.js';
import { createTestDatabase, TEST_REDIS_URL } from './support/db.js';

/**
 * `npx lienthong seed --demo` (issue 19): today's structure of An Giang after NQ 1654/NQ-UBTVQH15, with
 * one district of the old structure closed into its successor; `--demo=kien-luong-2024` the old
 * Kiên Lương district and its communes. Run as a user runs it (the CLI, a real database), and the
 * logins it prints work.
 */
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'lienthong.js');
const scratchDirs: string[] = [];
const databases: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

async function place(): Promise<{ env: Record<string, string>; dataDir: string; url: string }> {
  const db = await createTestDatabase('seed');
  databases.push(db);
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-seed-'));
  chmodSync(dir, 0o711);
  scratchDirs.push(dir);
  const dataDir = join(dir, 'data');
  return {
    url: db.url,
    dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      LIENTHONG_QUEUE_PREFIX: `{lt-seed-${randomUUID().slice(0, 8)}}`,
      LIENTHONG_DATA_DIR: dataDir,
      LIENTHONG_DEV_CA_DIR: join(dir, 'dev-ca'),
      LIENTHONG_SIGNING_THREADS: '0',
      LOG_LEVEL: 'warn',
    },
  };
}

function seed(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'seed', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => done({ code, out }));
  });
}

/** The login lines the seed printed: username → password. */
const printedLogins = (out: string): Map<string, string> => new Map([...out.matchAll(/^ {2}.+? {2}(vanthu\.[a-z.]+|quantri) +(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('lienthong seed --demo', () => {
  it('loads An Giang after the 2025 reorganisation, closes the old district into its successor, and prints logins that work', async () => {
    const { env, dataDir, url } = await place();
    const first = await seed(['--demo'], env);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('Demo directory ready: An Giang after the reorganisation of 1 July 2025 (NQ 1654/NQ-UBTVQH15) (--demo=an-giang-2025).');
    expect(first.out).toContain('11 open agencies: 1 province, 5 departments, 5 commune-level units (xã, phường, thị trấn, đặc khu); group AG-XA');
    expect(first.out).toContain(
      'Closed: UBND huyện Kiên Lương (000.00.33.H33) since 2025-07-01T00:00:00+07:00 under 1654/NQ-UBTVQH15 of 2025-06-16; its successor UBND xã Kiên Lương (000.03.01.H01)',
    );
    const logins = printedLogins(first.out);
    expect([...logins.keys()].sort()).toEqual(
      [
        'quantri',
        'vanthu.dackhu.phuquoc',
        'vanthu.phuong.longxuyen',
        'vanthu.phuong.rachgia',
        'vanthu.so.giaoducdaotao',
        'vanthu.so.noivu',
        'vanthu.so.taichinh',
        'vanthu.so.tuphap',
        'vanthu.so.yte',
        'vanthu.tinh.angiang',
        'vanthu.xa.hondat',
        'vanthu.xa.kienluong',
      ].sort(),
    );

    const agencies = await query<{ code: string; name: string; level: string; parent_code: string | null; closed_at: Date | null; successor_codes: string[] | null; decision: { number: string } | null }>(
      url,
      'select code, name, level, parent_code, closed_at, successor_codes, decision from agency order by code',
    );
    expect(agencies).toHaveLength(12);
    const district = agencies.find((a) => a.code === '000.00.33.H33')!;
    expect(district).toMatchObject({ name: 'UBND huyện Kiên Lương', level: 'district', successor_codes: ['000.03.01.H01'], decision: { number: '1654/NQ-UBTVQH15' } });
    expect(district.closed_at!.toISOString()).toBe('2025-06-30T17:00:00.000Z');
    expect(agencies.find((a) => a.code === '000.03.01.H01')).toMatchObject({ name: 'UBND xã Kiên Lương', level: 'commune', parent_code: '000.00.00.H01', closed_at: null });
    for (const name of ['UBND tỉnh An Giang', 'Sở Nội vụ tỉnh An Giang', 'Sở Tài chính tỉnh An Giang', 'Sở Giáo dục và Đào tạo tỉnh An Giang', 'UBND phường Rạch Giá', 'UBND phường Long Xuyên', 'UBND xã Hòn Đất']) {
      expect(agencies.map((a) => a.name)).toContain(name);
    }
    const [certs] = await query<{ n: string }>(url, 'select count(distinct agency_code) as n from agency_certificate');
    expect(Number(certs!.n)).toBe(12);

    // The printed passwords and the saved tokens are those of active users; the closed district has none.
    const users = await query<{ username: string; password_hash: string; token_hash: string; agency_code: string; active: boolean }>(
      url,
      'select username, password_hash, token_hash, agency_code, active from app_user where username is not null',
    );
    for (const [username, password] of logins) {
      const user = users.find((u) => u.username === username);
      expect(user?.active, username).toBe(true);
      expect(await verifyPassword(user!.password_hash, password), username).toBe(true);
    }
    expect(users.some((u) => u.agency_code === '000.00.33.H33')).toBe(false);
    const saved = JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8')) as { demo: string; tokens: Record<string, string>; logins: Record<string, { username: string }> };
    expect(saved.demo).toBe('an-giang-2025');
    expect(Object.keys(saved.tokens)).toHaveLength(11);
    expect(saved.tokens['000.00.33.H33']).toBeUndefined();
    expect(users.find((u) => u.agency_code === '000.03.01.H01')!.token_hash).toBe(hashToken(saved.tokens['000.03.01.H01']!));

    // Again: nothing doubles, every login stays what it was.
    const second = await seed(['--demo'], env);
    expect(second.code, second.out).toBe(0);
    expect(printedLogins(second.out)).toEqual(logins);
    const [count] = await query<{ n: string }>(url, 'select count(*) as n from agency');
    expect(Number(count!.n)).toBe(12);
  }, 120_000);

  it('--demo=kien-luong-2024 loads the old district and its communes, with the logins the README names', async () => {
    const { env, url } = await place();
    const res = await seed(['--demo=kien-luong-2024'], env);
    expect(res.code, res.out).toBe(0);
    const logins = printedLogins(res.out);
    for (const username of ['vanthu.huyen.kienluong', 'vanthu.xa.binhan', 'vanthu.tt.kienluong', 'quantri']) expect(logins.has(username), username).toBe(true);
    const agencies = await query<{ code: string; closed_at: Date | null }>(url, 'select code, closed_at from agency');
    expect(agencies).toHaveLength(10);
    expect(agencies.every((a) => a.closed_at === null)).toBe(true);
    const [group] = await query<{ n: string }>(url, `select count(*) as n from agency_group_member where group_code = 'KL-XA'`);
    expect(Number(group!.n)).toBe(8);
  }, 120_000);

  it('names the demos it has when asked for another', async () => {
    const { env } = await place();
    const res = await seed(['--demo=ha-noi-1990'], env);
    expect(res.code).toBe(2);
    expect(res.out).toContain('no demo ha-noi-1990 (an-giang-2025, kien-luong-2024)');
    expect(res.out).toContain('--demo=kien-luong-2024');
  });
});
