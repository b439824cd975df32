/**
 * `lienthong verify FILE` for archive files, and `lienthong verify-chain FILE` for chain exports.
 *
 * `verify` looks at the file's first bytes: a ZIP (`PK\3\4`) is an archive file and is checked here;
 * anything else is an edXML package and goes to the package verifier (src/cli/verify.ts) unchanged.
 *
 * Trust comes only from `--trust` (a PEM file or a folder of `*.pem`; may be repeated), by default
 * `certs/trusted/*.pem` and `certs/dev/ca.pem`. The certificates inside the file are never trusted
 * by themselves: they must chain to one of these anchors.
 *
 * Exit codes: 0 valid; 1 invalid (every failed check printed, also on stderr as `INVALID …`);
 * 2 usage or setup error.
 */
import { open } from 'node:fs/promises';
import { verifyArchiveFile, verifyChainExport, type VerificationReport, type VerifyOptions } from '../archive/verify.js';
import { runVerify, type VerifyIo } from './verify.js';
import { loadInputs, parseVerifyArgs, resolvePath, type VerifyArgs } from './verify-args.js';

const ARCHIVE_USAGE = `Usage: lienthong verify ARCHIVE.zip [--trust PATH]...
       lienthong verify-chain CHAIN.json [--trust PATH]...

  Verifies an archive file (GET /v1/documents/{id}/archive, GET /v1/inbox/{id}/archive) or a chain
  export (GET /v1/archive/{agency}/chain) offline: every package signature against the certificates
  inside and the trust anchors given, every SHA-256 digest, the record's hash and its link in the
  agency's chain, and the node's signature on the checkpoint.

  --trust PATH  trust the CA certificate(s) in PATH: a PEM file, or a folder of *.pem (repeatable;
                default certs/trusted/*.pem and certs/dev/ca.pem)
  --legacy      accept rsa-sha1 / sha1 package signatures (partners marked legacy)
`;

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const END_MAGIC = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const END_RECORD_BYTES = 22;

/**
 * True when the file is a ZIP (an archive file rather than an edXML package): it starts with a local
 * header signature, or ends with an end-of-central-directory record. Either is enough, so an archive
 * whose first bytes were damaged is still reported as a damaged archive, not as bad XML.
 */
async function looksLikeZip(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if (size >= END_RECORD_BYTES) await fh.read(tail, 0, 4, size - END_RECORD_BYTES);
    return head.equals(ZIP_MAGIC) || (size >= END_RECORD_BYTES && tail.equals(END_MAGIC));
  } finally {
    await fh.close();
  }
}

export interface RunOptions {
  cwd?: string;
  now?: () => Date;
}

/** `lienthong verify FILE`: archive files here, packages in verify.ts. */
export async function runVerifyFile(argv: string[], io: VerifyIo, options: RunOptions = {}): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  const args = parseVerifyArgs(argv);
  if (typeof args === 'object' && (await looksLikeZip(resolvePath(cwd, args.file)))) return run('archive', args, io, cwd, options);
  if (args === 'help') {
    const code = await runVerify(argv, io, options);
    io.stdout.write(`\n${ARCHIVE_USAGE}`);
    return code;
  }
  return runVerify(argv, io, options);
}

/** `lienthong verify-chain FILE`. */
export async function runVerifyChain(argv: string[], io: VerifyIo, options: RunOptions = {}): Promise<number> {
  const args = parseVerifyArgs(argv);
  if (args === 'help') {
    io.stdout.write(ARCHIVE_USAGE);
    return 0;
  }
  if (typeof args === 'string') {
    io.stderr.write(`lienthong verify-chain: ${args}\n\n${ARCHIVE_USAGE}`);
    return 2;
  }
  return run('chain', args, io, options.cwd ?? process.cwd(), options);
}

async function run(kind: 'archive' | 'chain', args: VerifyArgs, io: VerifyIo, cwd: string, options: RunOptions): Promise<number> {
  const command = kind === 'archive' ? 'lienthong verify' : 'lienthong verify-chain';
  const inputs = await loadInputs(args, cwd, command, io.stderr, 'NODE-CA.pem');
  if (inputs === 2) return 2;
  const { trust, bytes } = inputs;
  const verifyOptions: VerifyOptions = { trust, ...(options.now ? { now: options.now() } : {}), ...(args.legacy ? { allowLegacy: true } : {}) };
  let report: VerificationReport;
  try {
    report = kind === 'archive' ? await verifyArchiveFile(bytes, verifyOptions) : await verifyChainExport(bytes, verifyOptions);
  } catch (error) {
    // Fail closed: an unexpected error is a refusal, not a pass.
    io.stderr.write(`INVALID INTERNAL: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
  io.stdout.write(formatReport(kind, report));
  if (report.valid) return 0;
  for (const c of report.checks.filter((x) => x.status === 'fail')) io.stderr.write(`INVALID ${c.subject}: ${c.detail}\n`);
  return 1;
}

const MARK = { ok: 'OK  ', fail: 'FAIL', note: 'NOTE' } as const;

/** The human report: what the file is, one line per check, the verdict. */
export function formatReport(kind: 'archive' | 'chain', report: VerificationReport): string {
  const lines = [`lienthong ${kind === 'archive' ? 'archive file' : 'chain export'}${report.heading.length ? `: ${report.heading[0]}` : ''}`, ...report.heading.slice(1).map((h) => `  ${h}`), ''];
  for (const c of report.checks) lines.push(`  ${MARK[c.status]}  ${c.subject}: ${c.detail}`);
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const notes = report.checks.filter((c) => c.status === 'note').length;
  const passed = report.checks.filter((c) => c.status === 'ok').length;
  lines.push(
    '',
    report.valid
      ? `VALID: ${passed} checks passed${notes ? `, ${notes} note(s) (see NOTE above)` : ''} — offline, against the trust anchors given`
      : `INVALID: ${failed} of ${failed + passed} checks failed`,
  );
  return `${lines.join('\n')}\n`;
}
