import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrReport } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { changePassword } from '../accounts/accounts.service.js';
import { findAgency, findGroup, findUserByTokenHash, findUserByUsername } from '../directory/directory.repository.js';
import { createAgency, createGroup, createUser, updateAgency, type AgencyInput } from '../directory/directory.service.js';
import { hashToken } from '../directory/tokens.js';
import { activeCertificates } from '../certificates/certificates.repository.js';
import { createLogger } from '../logger.js';
import { createRuntime } from '../runtime.js';

const PROVINCE = '000.00.00.H33';
const DISTRICT = '000.00.33.H33';

/**
 * The Kiên Lương demo directory. The codes are illustrative, in the QCVN 102 shape: real codes are
 * assigned by the province (and changed with the 2025 reorganisation). The administrative unit
 * (địa danh, the place of promulgation: NĐ 30/2020 Phụ lục I II.4.a) is the unit's proper name.
 */
export const DEMO_AGENCIES: AgencyInput[] = [
  { code: PROVINCE, name: 'UBND tỉnh Kiên Giang', administrativeUnit: 'Kiên Giang', level: 'province', address: '06 Nguyễn Công Trứ, Rạch Giá, Kiên Giang' },
  {
    code: DISTRICT,
    name: 'UBND huyện Kiên Lương',
    administrativeUnit: 'Kiên Lương',
    level: 'district',
    parentCode: PROVINCE,
    address: 'Thị trấn Kiên Lương, Kiên Giang',
  },
  ...(
    [
      ['UBND thị trấn Kiên Lương', 'Kiên Lương'],
      ['UBND xã Bình An', 'Bình An'],
      ['UBND xã Bình Trị', 'Bình Trị'],
      ['UBND xã Dương Hòa', 'Dương Hòa'],
      ['UBND xã Hòa Điền', 'Hòa Điền'],
      ['UBND xã Kiên Bình', 'Kiên Bình'],
      ['UBND xã Hòn Nghệ', 'Hòn Nghệ'],
      ['UBND xã Sơn Hải', 'Sơn Hải'],
    ] as const
  ).map(([name, unit], i): AgencyInput => ({ code: `000.0${i + 1}.33.H33`, name, administrativeUnit: unit, level: 'commune', parentCode: DISTRICT })),
];

export const DEMO_GROUP = 'KL-XA';
export const DEMO_ADMIN = 'quantri';

interface DemoLogin {
  username: string;
  password: string;
}

/** vanthu.<level>.<unit without diacritics>: e.g. vanthu.huyen.kienluong, vanthu.xa.binhan. */
export function demoUsername(agency: AgencyInput): string {
  const level = agency.level === 'province' ? 'tinh' : agency.level === 'district' ? 'huyen' : agency.name.includes('thị trấn') ? 'tt' : 'xa';
  const unit = (agency.administrativeUnit ?? agency.name)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return `vanthu.${level}.${unit}`;
}

/** A readable random password: four groups of letters and digits (about 80 bits). */
const demoPassword = (): string => randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').match(/.{4}/g)!.join('-');

/**
 * `lienthong seed --demo`: loads the demo directory (idempotent), issues a certificate to every
 * agency that has none, and writes a clerk token per agency to <data>/demo-tokens.json.
 */
export async function runSeed(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  if (!argv.includes('--demo')) {
    process.stderr.write('Usage: lienthong seed --demo\n');
    return 2;
  }
  const config = loadConfigOrReport(env, process.stderr);
  if (!config) return 2;
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { role: 'seed' });
  const resolved = await resolveDevelopmentDefaults(config, logger);
  const runtime = await createRuntime(resolved.config, { roles: { api: true, worker: false }, migrate: true, logger });
  const tokensFile = join(resolved.config.dataDir, 'demo-tokens.json');
  try {
    const em = runtime.orm.em.fork();
    const actor = { principal: { kind: 'admin' as const, id: 'bootstrap' as const }, requestId: 'seed' };
    for (const agency of DEMO_AGENCIES) {
      const existing = await findAgency(em, agency.code);
      if (!existing) await createAgency(em.fork(), actor, agency);
      // A directory seeded before agencies had one gets its administrative unit; one an admin set stays.
      else if (!existing.administrativeUnit) await updateAgency(em.fork(), actor, agency.code, { administrativeUnit: agency.administrativeUnit ?? null });
      if ((await activeCertificates(em.fork(), agency.code)).length === 0) {
        await runtime.pki.addCertificate(em.fork(), actor, agency.code, { mode: 'issue' });
      }
    }
    if (!(await findGroup(em, DEMO_GROUP))) {
      await createGroup(em.fork(), actor, {
        code: DEMO_GROUP,
        name: 'Các xã, thị trấn huyện Kiên Lương',
        members: DEMO_AGENCIES.filter((a) => a.level === 'commune').map((a) => a.code),
      });
    }
    const saved = existsSync(tokensFile) ? (JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens?: Record<string, string>; logins?: Record<string, DemoLogin> }) : {};
    const previous = saved.tokens ?? {};
    const tokens: Record<string, string> = {};
    const logins: Record<string, DemoLogin> = {};
    for (const agency of DEMO_AGENCIES) {
      const kept = previous[agency.code];
      const username = demoUsername(agency);
      const keptLogin = saved.logins?.[agency.code];
      const holder = kept ? await findUserByTokenHash(em.fork(), hashToken(kept)) : null;
      if (holder && keptLogin && holder.username === keptLogin.username) {
        tokens[agency.code] = kept!;
        logins[agency.code] = keptLogin;
        continue;
      }
      const password = demoPassword();
      const existing = await findUserByUsername(em.fork(), username);
      if (existing && holder?.id === existing.id) {
        // A directory seeded before the console: the clerk keeps its token and gets a password.
        await changePassword(em.fork(), actor.principal, existing.id, { password }, { requestId: 'seed' });
        tokens[agency.code] = kept!;
      } else {
        const user = await createUser(em.fork(), actor, {
          agencyCode: agency.code,
          name: `Văn thư ${agency.name}`,
          roles: ['clerk', 'signer'],
          ...(existing ? {} : { username, password }),
        });
        tokens[agency.code] = user.token;
        if (existing) await changePassword(em.fork(), actor.principal, existing.id, { password }, { requestId: 'seed' });
      }
      logins[agency.code] = { username, password };
    }
    // One administrator of the node (directory, users, partners): kept at the province.
    const adminLogin = saved.logins?.admin;
    if (!adminLogin || !(await findUserByUsername(em.fork(), adminLogin.username))) {
      const password = demoPassword();
      const existing = await findUserByUsername(em.fork(), DEMO_ADMIN);
      if (existing) await changePassword(em.fork(), actor.principal, existing.id, { password }, { requestId: 'seed' });
      // A person's name: the header shows it as the link to the account page, and a name holding
      // "Quản trị" would read like the Quản trị link beside it.
      else await createUser(em.fork(), actor, { agencyCode: PROVINCE, name: 'Lê Minh Hệ', roles: ['admin'], username: DEMO_ADMIN, password });
      logins.admin = { username: DEMO_ADMIN, password };
    } else logins.admin = adminLogin;
    mkdirSync(resolved.config.dataDir, { recursive: true, mode: 0o711 });
    writeFileSync(
      tokensFile,
      `${JSON.stringify({ note: 'Demo clerk tokens and console logins (lienthong seed --demo). Development only.', names: Object.fromEntries(DEMO_AGENCIES.map((a) => [a.code, a.name])), tokens, logins }, null, 2)}\n`,
      { mode: 0o600 },
    );
    const width = Math.max(...DEMO_AGENCIES.map((a) => a.name.length));
    const userWidth = Math.max(...Object.values(logins).map((l) => l.username.length));
    process.stdout.write(
      `Demo directory ready: ${DEMO_AGENCIES.length} agencies (province ${PROVINCE}, district ${DISTRICT}, ${DEMO_AGENCIES.length - 2} communes), group ${DEMO_GROUP}, a certificate each.\n` +
        `Clerk tokens: ${tokensFile}\n` +
        `Console logins (Tên đăng nhập / Mật khẩu):\n` +
        DEMO_AGENCIES.map((a) => `  ${a.name.padEnd(width)}  ${logins[a.code]!.username.padEnd(userWidth)}  ${logins[a.code]!.password}\n`).join('') +
        `  ${'Quản trị (administrator)'.padEnd(width)}  ${logins.admin.username.padEnd(userWidth)}  ${logins.admin.password}\n` +
        `Open the console (the URL npm start printed, e.g. http://localhost:3000/) and log in with one of them.\n`,
    );
    return 0;
  } finally {
    await runtime.close();
    await resolved.stop();
  }
}
