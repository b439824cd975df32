import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readZip } from '../../src/archive/zip.js';
import { runVerifyChain, runVerifyFile } from '../../src/cli/verify-archive.js';
import { ASYNC_TIMEOUT_MS, createDistrict, getBytes, type Agency, type Loose } from '../acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';

/** A temporary folder for exported files and trust anchors. */
export const scratch = (): string => mkdtempSync(join(tmpdir(), 'lienthong-archive-'));

/** The node CA certificate as an operator would hand it out (GET /v1/trust-anchors, source node-ca). */
export async function nodeCaPem(node: TestNode): Promise<string> {
  const res = await node.call('GET', '/v1/trust-anchors', { token: node.adminToken });
  expect(res.status, res.text).toBe(200);
  const ca = (res.json.items as Loose[]).find((a) => a.source === 'node-ca');
  expect(ca, res.text).toBeDefined();
  return ca.certificatePem as string;
}

/** Polls an archive endpoint until it answers 200 (409 CONFLICT while the subject is not sealed). */
export async function waitForArchive(node: TestNode, path: string, token: string): Promise<Buffer> {
  let last = '';
  try {
    return await eventually(async () => {
      const res = await getBytes(node, path, token);
      if (res.status === 200) return res.bytes;
      last = `${res.status} ${res.bytes.toString('utf8').slice(0, 300)}`;
      return undefined;
    }, ASYNC_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`${String(error)}; ${path} last answered ${last}`, { cause: error });
  }
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** `lienthong verify FILE --trust CA` in-process; the bytes are written to a file first. */
export async function verifyBytes(dir: string, bytes: Buffer, trust: string, extra: string[] = [], now?: Date): Promise<CliResult> {
  const file = join(dir, `file-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(file, bytes);
  return cli(runVerifyFile, [file, '--trust', trust, ...extra], dir, now);
}

/** `lienthong verify-chain FILE --trust CA` in-process. */
export async function verifyChainBytes(dir: string, bytes: Buffer, trust: string, extra: string[] = []): Promise<CliResult> {
  const file = join(dir, `chain-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, bytes);
  return cli(runVerifyChain, [file, '--trust', trust, ...extra], dir);
}

async function cli(run: typeof runVerifyFile, argv: string[], cwd: string, now?: Date): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, { cwd, ...(now ? { now: () => now } : {}) });
  return { code, out, err };
}

/** The entries of an archive file by name. */
export function entriesOf(bytes: Buffer): Map<string, Buffer> {
  return new Map(readZip(bytes).entries.map((e) => [e.name, e.data]));
}

/** A JSON entry of an archive file, parsed. */
export function jsonEntry(bytes: Buffer, name: string): Loose {
  const data = entriesOf(bytes).get(name);
  expect(data, `${name} in the archive`).toBeDefined();
  return JSON.parse(data!.toString('utf8'));
}

/** A copy of `bytes` with the byte at `at` changed. */
export function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at]! ^ 0x01) & 0xff;
  return copy;
}

/**
 * A node that seals at once (LIENTHONG_ARCHIVE_AFTER_DAYS=0, fast sweeps and checkpoints), its CA
 * written to a scratch folder for `verify`, and a district with one commune (family `family`).
 */
export async function sealingNode(family: number): Promise<{ node: TestNode; dir: string; caFile: string; district: Agency; commune: Agency }> {
  const node = await startTestNode({ env: { LIENTHONG_SWEEP_EVERY_MS: '300', LIENTHONG_CHECKPOINT_EVERY_MS: '1000', LIENTHONG_ARCHIVE_AFTER_DAYS: '0' } });
  const dir = scratch();
  const caFile = join(dir, 'node-ca.pem');
  writeFileSync(caFile, await nodeCaPem(node));
  const { district, communes } = await createDistrict(node, family, 1);
  return { node, dir, caFile, district, commune: communes[0]! };
}
