import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrReport } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { changePassword } from '../accounts/accounts.service.js';
import { findAgency, findGroup, findUserByTokenHash, findUserByUsername } from '../directory/directory.repository.js';
import { createAgency, createGroup, createUser, updateAgency } from '../directory/directory.service.js';
import { isClosedAt } from '../directory/succession.js';
import { hashToken } from '../directory/tokens.js';
import { activeCertificates } from '../certificates/certificates.repository.js';
import { createLogger } from '../logger.js';
import { createRuntime } from '../runtime.js';
import { DEFAULT_DEMO, DEMO_DIRECTORIES, type DemoDirectory } from './demo-directories.js';

export { demoUsername } from './demo-directories.js';

export const DEMO_ADMIN = 'quantri';

interface DemoLogin {
  username: string;
  password: string;
}

const USAGE = `Usage: lienthong seed --demo[=NAME]

  --demo                  ${DEMO_DIRECTORIES[DEFAULT_DEMO]!.title} (${DEFAULT_DEMO})
${Object.values(DEMO_DIRECTORIES)
  .filter((d) => d.name !== DEFAULT_DEMO)
  .map((d) => `  --demo=${d.name.padEnd(15)} ${d.title}`)
  .join('\n')}
`;

/** A readable random password: four groups of letters and digits (about 80 bits). */
const demoPassword = (): string => randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').match(/.{4}/g)!.join('-');

/** The demo named by `--demo` or `--demo=NAME`, or a usage problem. */
export function demoOf(argv: readonly string[]): DemoDirectory | string {
  const flag = argv.find((a) => a === '--demo' || a.startsWith('--demo='));
  if (!flag) return 'seed needs --demo';
  const name = flag === '--demo' ? DEFAULT_DEMO : flag.slice('--demo='.length);
  return DEMO_DIRECTORIES[name] ?? `no demo ${name} (${Object.keys(DEMO_DIRECTORIES).join(', ')})`;
}

interface SavedDemo {
  tokens?: Record<string, string>;
  logins?: Record<string, DemoLogin>;
  names?: Record<string, string>;
}

/**
 * `lienthong seed --demo[=NAME]`: loads a demo directory (idempotent: what exists stays, a missing
 * administrative unit is filled in), closes the agencies of the old structure it names with their
 * successors and the legal act, issues a certificate to every agency that has none, and writes a clerk
 * token and a console login per open agency to <data>/demo-tokens.json (those of another demo loaded
 * before are kept there).
 */
export async function runSeed(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const demo = demoOf(argv);
  if (typeof demo === 'string') {
    process.stderr.write(`lienthong seed: ${demo}\n\n${USAGE}`);
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
    for (const { username: _username, ...agency } of demo.agencies) {
      const existing = await findAgency(em, agency.code);
      if (!existing) await createAgency(em.fork(), actor, agency);
      // A directory seeded before agencies had one gets its administrative unit; one an admin set stays.
      else if (!existing.administrativeUnit) await updateAgency(em.fork(), actor, agency.code, { administrativeUnit: agency.administrativeUnit ?? null });
      if ((await activeCertificates(em.fork(), agency.code)).length === 0) {
        await runtime.pki.addCertificate(em.fork(), actor, agency.code, { mode: 'issue' });
      }
    }
    // The old structure: closed with its successor and the act, unless it is closed already.
    for (const c of demo.closings) {
      const agency = await findAgency(em.fork(), c.code);
      if (agency && !agency.closedAt) await updateAgency(em.fork(), actor, c.code, { successorCode: c.successorCode, closedAt: c.closedAt, decision: c.decision });
    }
    if (!(await findGroup(em, demo.group.code))) await createGroup(em.fork(), actor, demo.group);

    const saved = existsSync(tokensFile) ? (JSON.parse(readFileSync(tokensFile, 'utf8')) as SavedDemo) : {};
    const previous = saved.tokens ?? {};
    // Another demo's tokens and logins stay in the file; this demo's are made or kept below.
    const tokens: Record<string, string> = { ...previous };
    const logins: Record<string, DemoLogin> = { ...saved.logins };
    const now = new Date();
    const closedNow = new Set<string>();
    for (const agency of demo.agencies) {
      const row = await findAgency(em.fork(), agency.code);
      if (row && isClosedAt(row, now)) closedNow.add(agency.code);
    }
    const withLogin = demo.agencies.filter((a) => a.username && !closedNow.has(a.code));
    for (const agency of withLogin) {
      const username = agency.username!;
      const kept = previous[agency.code];
      const keptLogin = saved.logins?.[agency.code];
      const holder = kept ? await findUserByTokenHash(em.fork(), hashToken(kept)) : null;
      if (holder && keptLogin && holder.username === keptLogin.username) continue;
      const password = demoPassword();
      const existing = await findUserByUsername(em.fork(), username);
      if (existing && holder?.id === existing.id) {
        // A directory seeded before the console: the clerk keeps its token and gets a password.
        await changePassword(em.fork(), actor.principal, existing.id, { password }, { requestId: 'seed' });
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
    // One administrator of the node (directory, users, partners), kept at the demo's province.
    const adminLogin = saved.logins?.admin;
    if (!adminLogin || !(await findUserByUsername(em.fork(), adminLogin.username))) {
      const password = demoPassword();
      const existing = await findUserByUsername(em.fork(), DEMO_ADMIN);
      if (existing) await changePassword(em.fork(), actor.principal, existing.id, { password }, { requestId: 'seed' });
      // A person's name: the header shows it as the link to the account page, and a name holding
      // "Quản trị" would read like the Quản trị link beside it.
      else await createUser(em.fork(), actor, { agencyCode: demo.adminAgency, name: 'Lê Minh Hệ', roles: ['admin'], username: DEMO_ADMIN, password });
      logins.admin = { username: DEMO_ADMIN, password };
    }
    const names = { ...saved.names, ...Object.fromEntries(demo.agencies.map((a) => [a.code, a.name])) };
    mkdirSync(resolved.config.dataDir, { recursive: true, mode: 0o711 });
    writeFileSync(
      tokensFile,
      `${JSON.stringify({ note: 'Demo clerk tokens and console logins (lienthong seed --demo). Development only.', demo: demo.name, names, tokens, logins }, null, 2)}\n`,
      { mode: 0o600 },
    );
    process.stdout.write(report(demo, tokensFile, withLogin, logins, closedNow));
    return 0;
  } finally {
    await runtime.close();
    await resolved.stop();
  }
}

/** What the seed prints: the directory loaded, what is closed and where its work goes, the logins. */
function report(demo: DemoDirectory, tokensFile: string, withLogin: DemoDirectory['agencies'], logins: Record<string, DemoLogin>, closedNow: Set<string>): string {
  const open = demo.agencies.filter((a) => !closedNow.has(a.code));
  const counted = (level: string, one: string, many: string): [string, number] => {
    const n = open.filter((a) => a.level === level).length;
    return [n === 1 ? one : many, n];
  };
  const closed = demo.agencies.filter((a) => closedNow.has(a.code));
  const name = (code: string) => demo.agencies.find((a) => a.code === code)?.name ?? code;
  const width = Math.max(...withLogin.map((a) => a.name.length), 'Quản trị (administrator)'.length);
  const userWidth = Math.max(...withLogin.map((a) => logins[a.code]!.username.length), logins.admin!.username.length);
  const closing = (code: string) => demo.closings.find((c) => c.code === code);
  return (
    `Demo directory ready: ${demo.title} (--demo=${demo.name}).\n` +
    `  ${open.length} open agencies: ${[
      counted('province', 'province', 'provinces'),
      counted('department', 'department', 'departments'),
      counted('district', 'district', 'districts'),
      counted('commune', 'commune-level unit (xã, phường, thị trấn, đặc khu)', 'commune-level units (xã, phường, thị trấn, đặc khu)'),
    ]
      .filter(([, n]) => n)
      .map(([what, n]) => `${n} ${what}`)
      .join(', ')}; group ${demo.group.code}; a certificate each. Codes are illustrative (QCVN 102 shape).\n` +
    closed
      .map((a) => {
        const c = closing(a.code);
        return c
          ? `  Closed: ${a.name} (${a.code}) since ${c.closedAt} under ${c.decision.number} of ${c.decision.date}; its successor ${name(c.successorCode)} (${c.successorCode}) receives what is addressed to it.\n`
          : `  Closed: ${a.name} (${a.code}), no login.\n`;
      })
      .join('') +
    `Clerk tokens: ${tokensFile}\n` +
    `Console logins (Tên đăng nhập / Mật khẩu):\n` +
    withLogin.map((a) => `  ${a.name.padEnd(width)}  ${logins[a.code]!.username.padEnd(userWidth)}  ${logins[a.code]!.password}\n`).join('') +
    `  ${'Quản trị (administrator)'.padEnd(width)}  ${logins.admin!.username.padEnd(userWidth)}  ${logins.admin!.password}\n` +
    `Open the console (the URL npm start printed, e.g. http://localhost:3000/) and log in with one of them.\n`
  );
}
