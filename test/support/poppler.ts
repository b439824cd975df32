import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Judges that are not ours, for PDF signatures: poppler's `pdfsig` against an NSS database trusting
 * only the CAs a test names (libnss3-tools' `certutil`), `pdftotext`, `pdftoppm`. They fail — never
 * skip — when poppler-utils or libnss3-tools is missing.
 */

export function run(tool: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${tool} could not run (apt-get install poppler-utils libnss3-tools): ${r.error.message}`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** An NSS database in `dir` that trusts the given CA certificates (PEM) for e-mail, which is how pdfsig checks a PDF signer. */
export function nssTrusting(dir: string, cas: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  const created = run('certutil', ['-N', '--empty-password', '-d', `sql:${dir}`]);
  if (created.status !== 0) throw new Error(created.output);
  for (const [nickname, pem] of Object.entries(cas)) {
    const file = join(dir, `${nickname}.pem`);
    writeFileSync(file, pem);
    const added = run('certutil', ['-A', '-n', nickname, '-t', ',C,', '-i', file, '-d', `sql:${dir}`]);
    if (added.status !== 0) throw new Error(added.output);
  }
  return dir;
}

/** One signature as pdfsig reports it: its "- Key: value" lines and its bare lines. */
export interface PdfsigSignature {
  readonly fields: Map<string, string>;
  readonly lines: string[];
}

/** pdfsig's report of a PDF (written into `dir`), and its whole output. */
export function pdfsig(dir: string, pdf: Buffer, nssDir: string): { signatures: PdfsigSignature[]; output: string } {
  const path = join(dir, `pdfsig-${randomBytes(4).toString('hex')}.pdf`);
  writeFileSync(path, pdf);
  const { output } = run('pdfsig', ['-nssdir', `sql:${nssDir}`, path]);
  const signatures = output
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map((block) => {
      const lines = block
        .split('\n')
        .map((l) => l.trim().replace(/^- /, ''))
        .filter(Boolean);
      const fields = new Map(lines.filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as [string, string]));
      return { fields, lines };
    });
  return { signatures, output };
}

export function pdftotext(dir: string, pdf: Buffer, args: string[] = []): string {
  const path = join(dir, `text-${randomBytes(4).toString('hex')}.pdf`);
  writeFileSync(path, pdf);
  return execFileSync('pdftotext', [...args, path, '-'], { encoding: 'utf8' });
}

/** The first page rendered as a PNG file at `dpi`, written to `out` (without its .png). */
export function renderFirstPage(dir: string, pdf: Buffer, out: string, dpi = 100): string {
  const path = join(dir, `render-${randomBytes(4).toString('hex')}.pdf`);
  writeFileSync(path, pdf);
  execFileSync('pdftoppm', ['-png', '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', path, out]);
  return `${out}.png`;
}

/** The first page rendered at `dpi` as a binary PPM (P6), for counting pixels. */
export function renderFirstPagePpm(dir: string, pdf: Buffer, dpi: number): Buffer {
  const path = join(dir, `render-${randomBytes(4).toString('hex')}.pdf`);
  writeFileSync(path, pdf);
  const out = join(dir, `render-${randomBytes(4).toString('hex')}`);
  execFileSync('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', path, out]);
  return readFileSync(`${out}.ppm`);
}
