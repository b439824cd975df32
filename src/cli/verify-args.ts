/**
 * The arguments of `lienthong verify` (a package or an archive file) and `verify-chain`, read once
 * for all three: `FILE [--trust PATH]... [--legacy]`. `--trust` names a PEM file or a folder of
 * `*.pem` and may be repeated; without it the anchors are `certs/trusted/*.pem` and
 * `certs/dev/ca.pem` under the working folder, when present.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { splitPemCertificates } from '../crypto/certificates.js';
import { TrustStore } from '../crypto/trust.js';

export interface VerifyArgs {
  file: string;
  trust: string[];
  legacy: boolean;
}

const TRUST_DEFAULTS = 'certs/trusted/*.pem, certs/dev/ca.pem';

/** Parses argv; a string is the usage problem. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs | 'help' | string {
  let file: string | undefined;
  const trust: string[] = [];
  let legacy = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--legacy') legacy = true;
    else if (a === '--trust' || a.startsWith('--trust=')) {
      const value = a === '--trust' ? argv[++i] : a.slice('--trust='.length);
      if (!value) return '--trust needs a PEM file or a folder';
      trust.push(value);
    } else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else if (file === undefined) file = a;
    else return `unexpected argument ${a} (one FILE only)`;
  }
  if (file === undefined) return 'FILE is required';
  return { file, trust, legacy };
}

export const resolvePath = (cwd: string, p: string): string => (isAbsolute(p) ? p : join(cwd, p));

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The anchors of each PATH (PEM file, or folder as TrustStore.fromDirectory reads it), or the defaults under `cwd`. */
async function loadAnchors(paths: readonly string[], cwd: string): Promise<TrustStore> {
  const store = new TrustStore();
  const addPath = async (path: string) => {
    if ((await stat(path)).isDirectory()) {
      for (const pem of (await TrustStore.fromDirectory(path)).anchorsPem()) store.add(pem);
      return;
    }
    const pems = splitPemCertificates(await readFile(path, 'utf8'));
    if (pems.length === 0) throw new Error(`${path} holds no PEM certificate`);
    for (const pem of pems) store.add(pem);
  };
  if (paths.length) {
    for (const p of paths) await addPath(resolvePath(cwd, p));
    return store;
  }
  for (const p of ['certs/trusted', 'certs/dev/ca.pem']) if (await exists(resolvePath(cwd, p))) await addPath(resolvePath(cwd, p));
  return store;
}

/**
 * The anchors and the file's bytes for `command`; on a problem (unreadable file or anchor, no anchor
 * at all) the reason goes to stderr and the answer is exit code 2.
 */
export async function loadInputs(args: VerifyArgs, cwd: string, command: string, stderr: { write(s: string): unknown }, hint = 'PATH'): Promise<{ trust: TrustStore; bytes: Buffer } | 2> {
  let trust: TrustStore;
  let bytes: Buffer;
  try {
    trust = await loadAnchors(args.trust, cwd);
    bytes = await readFile(resolvePath(cwd, args.file));
  } catch (error) {
    stderr.write(`${command}: ${(error as Error).message}\n`);
    return 2;
  }
  if (trust.size === 0) {
    stderr.write(`${command}: no trust anchors (${args.trust.length ? args.trust.join(', ') : TRUST_DEFAULTS}); give --trust ${hint}\n`);
    return 2;
  }
  return { trust, bytes };
}
