/**
 * Scenario 4, the crypto ceiling: single-core native RSA-2048 PKCS#1 v1.5 SHA-256 signatures per
 * second in this run (KeyObject made once, a SignedInfo-sized message), as bench/crypto.ts measures
 * it. Every delivery costs at least one such signature (the recipient's 01), so deliveries/s ÷ this
 * figure says how close the pipeline gets to the cost of its one unavoidable private-key operation.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { BenchPki } from '../lib/directory.js';
import type { ScenarioResult } from '../lib/result.js';
import { fmt } from '../lib/stats.js';

function rate(fn: () => unknown, roundMs: number): number {
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0;
  while (elapsed < roundMs) {
    fn();
    n++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n * 1000) / elapsed;
}

function median(fn: () => unknown, rounds = 3, roundMs = 1_000): number {
  for (let i = 0; i < 20; i++) fn();
  const r = Array.from({ length: rounds }, () => rate(fn, roundMs)).sort((a, b) => a - b);
  return r[Math.floor(r.length / 2)] as number;
}

export function cryptoCeiling(pki: BenchPki): { result: ScenarioResult; signsPerSecond: number } {
  const started = Date.now();
  const keyPem = pki.keys[0]!.privateKeyPem;
  const key = createPrivateKey(keyPem);
  const pub = createPublicKey(key);
  const message = Buffer.alloc(700, 0x61);
  const signature = sign('sha256', message, key);
  const signs = median(() => sign('sha256', message, key));
  const verifies = median(() => verify('sha256', message, pub, signature));
  const pemSigns = median(() => sign('sha256', message, keyPem), 1);
  return {
    signsPerSecond: signs,
    result: {
      id: 'crypto',
      title: '4. Crypto ceiling (same run)',
      outcome: 'ok',
      setup: 'node:crypto RSA-2048 SHA-256, one thread, KeyObject made once; median of 3 rounds of 1 s',
      seconds: (Date.now() - started) / 1000,
      rows: [
        { metric: 'RSA-2048 sign ops/s (1 core)', value: fmt(signs) },
        { metric: 'RSA-2048 verify ops/s (1 core)', value: fmt(verifies) },
        { metric: 'sign ops/s parsing the PEM each call', value: fmt(pemSigns) },
      ],
      notes: [],
      details: { signsPerSecond: signs, verifiesPerSecond: verifies, pemSignsPerSecond: pemSigns },
    },
  };
}
