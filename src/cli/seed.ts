import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrReport } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { findAgency, findGroup, findUserByTokenHash } from '../directory/directory.repository.js';
import { createAgency, createGroup, createUser, updateAgency, type AgencyInput } from '../directory/directory.service.js';
import { hashToken } from '../http/auth.js';
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
    const previous: Record<string, string> = existsSync(tokensFile) ? (JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: Record<string, string> }).tokens : {};
    const tokens: Record<string, string> = {};
    for (const agency of DEMO_AGENCIES) {
      const kept = previous[agency.code];
      if (kept && (await findUserByTokenHash(em.fork(), hashToken(kept)))) {
        tokens[agency.code] = kept;
        continue;
      }
      const user = await createUser(em.fork(), actor, { agencyCode: agency.code, name: `Văn thư ${agency.name}`, roles: ['clerk', 'signer'] });
      tokens[agency.code] = user.token;
    }
    writeFileSync(
      tokensFile,
      `${JSON.stringify({ note: 'Demo clerk tokens (lienthong seed --demo). Development only.', names: Object.fromEntries(DEMO_AGENCIES.map((a) => [a.code, a.name])), tokens }, null, 2)}\n`,
      { mode: 0o600 },
    );
    process.stdout.write(
      `Demo directory ready: ${DEMO_AGENCIES.length} agencies (province ${PROVINCE}, district ${DISTRICT}, ${DEMO_AGENCIES.length - 2} communes), group ${DEMO_GROUP}, a certificate each.\n` +
        `Clerk tokens: ${tokensFile}\n`,
    );
    return 0;
  } finally {
    await runtime.close();
    await resolved.stop();
  }
}
