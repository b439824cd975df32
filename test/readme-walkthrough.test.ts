import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_REDIS_URL } from './support/db.js';
import { freePort } from './support/redis-server.js';

/**
 * The README is tested (issue 15): its walkthrough is docs/walkthrough.sh, shown in README.md section
 * by section, and the script runs against a real node — from `seed --demo` to a verified archive file
 * — so no command of it can fail when pasted.
 */

const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'docs', 'walkthrough.sh');
const README = join(ROOT, 'README.md');

interface Section {
  name: string;
  body: string;
}

/** The `# --- NAME` sections of the script (what precedes the first one is its preamble, not shown). */
function scriptSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: { name: string; lines: string[] } | undefined;
  const close = () => current && sections.push({ name: current.name, body: trimBlankEnds(current.lines).join('\n') });
  for (const line of text.split('\n')) {
    const marker = /^# --- ([\w-]+)\s*$/.exec(line);
    if (marker) {
      close();
      current = { name: marker[1]!, lines: [] };
    } else current?.lines.push(line);
  }
  close();
  return sections;
}

/** The ```sh blocks of README.md that follow a `<!-- walkthrough: NAME -->` marker line. */
function readmeSections(text: string): Section[] {
  const found = text.matchAll(/^<!-- walkthrough: ([\w-]+) -->\n```(?:sh|bash)\n([\s\S]*?)\n```$/gm);
  return [...found].map((m) => ({ name: m[1]!, body: trimBlankEnds(m[2]!.split('\n')).join('\n') }));
}

function trimBlankEnds(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end);
}

describe('the README walkthrough', () => {
  it('shows docs/walkthrough.sh verbatim: every section, in order, in a marked block', () => {
    const script = scriptSections(readFileSync(SCRIPT, 'utf8'));
    const readme = readmeSections(readFileSync(README, 'utf8'));
    const markers = [...readFileSync(README, 'utf8').matchAll(/<!-- walkthrough: ([\w-]+) -->/g)].map((m) => m[1]);
    expect(script.length).toBeGreaterThan(5);
    // A marker whose block did not parse (not directly followed by a ```sh fence) shows up here.
    expect(readme.map((s) => s.name), 'README markers followed by a ```sh block').toEqual(markers);
    expect(readme.map((s) => s.name), 'README sections vs `# --- NAME` sections of docs/walkthrough.sh').toEqual(script.map((s) => s.name));
    for (const [i, section] of script.entries()) {
      expect(readme[i]!.body, `README block "${section.name}" differs from docs/walkthrough.sh: copy the section over`).toBe(section.body);
    }
  });

  describe('against a real node', () => {
    let scratch = '';
    let work = '';
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let server: { child: ChildProcess; output: () => string; exit: Promise<number | null> } | undefined;
    let env: Record<string, string>;

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'lienthong-readme-'));
      work = join(scratch, 'tmp');
      const dataDir = join(scratch, 'data');
      mkdirSync(dataDir, { mode: 0o711 });
      chmodSync(dataDir, 0o711);
      mkdirSync(work);
      db = await createTestDatabase('readme');
      const port = await freePort();
      // As `npm start` runs it, on this machine's PostgreSQL and Redis; the sweep that seals runs every
      // second instead of every 30 s. Nothing of the checkout is written: data, dev CA and files in `scratch`.
      env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? scratch,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        LIENTHONG_QUEUE_PREFIX: `{lt-readme-${randomUUID().slice(0, 8)}}`,
        LIENTHONG_DATA_DIR: dataDir,
        LIENTHONG_DEV_CA_DIR: join(scratch, 'dev-ca'),
        LIENTHONG_SWEEP_EVERY_MS: '1000',
        LIENTHONG_SIGNING_THREADS: '1',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        TMPDIR: work,
        LT: `http://127.0.0.1:${port}`,
        NO_UPDATE_NOTIFIER: '1',
        npm_config_update_notifier: 'false',
      };
      server = start(process.execPath, [join(ROOT, 'bin', 'lienthong.js'), 'start'], env);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const ok = await fetch(`${env.LT}/readyz`).then((r) => r.status === 200, () => false);
        if (ok) break;
        if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`the node did not start:\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    afterAll(async () => {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        const stopped = await Promise.race([server.exit, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
        if (stopped === 'timeout') server.child.kill('SIGKILL');
      }
      await db?.drop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('runs from seeding to a verified archive file, and writes only into its own temporary folder', async () => {
      const rootBefore = readdirSync(ROOT);
      const run = start('bash', [SCRIPT], env);
      const code = await run.exit;
      const out = run.output();
      expect(code, `docs/walkthrough.sh failed:\n${out}\n--- node:\n${server!.output()}`).toBe(0);

      // Seeded, sent to the eight communes, each 01 back, Bình An's 03 with its số đến.
      expect(out).toContain('Demo directory ready');
      expect(out).toMatch(/^(?:000\.0\d\.33\.H33 arrived 01\n){8}/m);
      expect(out).toMatch(/"arrivalNumber": 1\b/);
      expect(out).toMatch(/^000\.02\.33\.H33 accepted 03$/m);
      // The package verifies offline; the recall is answered by every commune: 16 by Bình An, 15 by the rest.
      expect(out).toMatch(/^VALID \(offline/m);
      expect(out).toMatch(/^000\.02\.33\.H33 recall_refused 16$/m);
      expect(out.match(/^000\.0\d\.33\.H33 recalled 15$/gm)).toHaveLength(7);
      // The archive file and the chain export verify offline against the node CA's certificate.
      expect(out).toMatch(/^lienthong archive file: archive of 000\.00\.33\.H33, record #1 /m);
      expect(out).toMatch(/^lienthong chain export: chain of 000\.00\.33\.H33, records #1 to #\d+/m);
      // The archive file and the district's chain, then both chains of the reorganisation (the closed district's and its successor's).
      expect(out.match(/^VALID: \d+ checks passed/gm)).toHaveLength(4);

      // Every file went to the folder the script made under TMPDIR; none to the checkout.
      const folder = /^files go to (.+)$/m.exec(out)?.[1];
      expect(folder?.startsWith(work)).toBe(true);
      for (const file of ['ct-01.pdf', 'ct-01.json', 'received.pdf', 'ct-01.edxml', 'node-ca.pem', 'ct-01.archive.zip', 'chain.json']) {
        expect(existsSync(join(folder!, file)), file).toBe(true);
      }
      expect(readFileSync(join(folder!, 'received.pdf'))).toEqual(readFileSync(join(folder!, 'ct-01.pdf')));
      expect(readdirSync(ROOT).filter((name) => !rootBefore.includes(name))).toEqual([]);
    }, 180_000);
  });
});

function start(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}
