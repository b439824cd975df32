/**
 * Signing and verification throughput: the full edXML paths (`signPackage`, `verifyPackage` with the
 * registry certificate check) for a 01 status, a ~10 KB edoc, a ~1 MB package and an edoc with a 1 MiB
 * attachment, beside raw RSA-2048 `crypto.sign` / `crypto.verify` measured in the same run, so the
 * ratio shows what XML processing costs on top of the RSA operation itself. Each signing case is
 * measured twice: `signPackage`, the DOM-free signer of our own packages (issue 16), and
 * `signForeignPackage`, the xml-crypto DOM signer it replaced (the same bytes; kept for text we did
 * not build), so "new path vs old path" is read off one run.
 *
 *     npm run bench:crypto            (node --import tsx bench/crypto.ts)
 *
 * Each figure is the median of 5 rounds of ~1 s (after a warm-up); one process, one thread.
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { TrustStore } from '../src/crypto/trust.js';
import { createRegistryCertificateCheck, verifyPackage } from '../src/edxml/verify-package.js';
import { signForeignPackage, signPackage } from '../src/edxml/xmldsig.js';
import { AGENCY_A, unsignedEdoc, unsignedStatus } from '../test/signature/packages.js';

const ROUNDS = 5;
const ROUND_MS = 1000;

/** Median ops/s of `fn` over ROUNDS rounds of about ROUND_MS each. */
async function opsPerSecond(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up (JIT, caches)
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      await fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    rates.push((n * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const size = (bytes: number): string => (bytes >= 1_000_000 ? `${(bytes / 1_048_576).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

async function main(): Promise<void> {
  const ca = generateCa({ commonName: 'bench CA', validityDays: 2 });
  const issued = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 1 });
  const keyPem = issued.privateKeyPem as string;
  const signer = createPackageSigner(issued.certificatePem, keyPem);
  const check = createRegistryCertificateCheck({
    trustStore: TrustStore.fromPems([ca.certificatePem]),
    registeredCertificates: async () => [issued.certificatePem],
  });

  // Raw RSA-2048 PKCS#1 v1.5 SHA-256 over a SignedInfo-sized message, KeyObjects made once.
  const key = createPrivateKey(keyPem);
  const pub = new X509Certificate(issued.certificatePem).publicKey;
  const message = Buffer.alloc(700, 0x61);
  const signature = sign('sha256', message, key);
  const rawSign = await opsPerSecond(() => sign('sha256', message, key));
  const rawVerify = await opsPerSecond(() => verify('sha256', message, pub, signature));

  const at = new Date(Date.now() - 60_000);
  const ms = (opsPerSec: number): string => (1000 / opsPerSec).toFixed(3);
  const rows: string[][] = [
    ['raw crypto.sign RSA-2048', '—', fmt(rawSign), ms(rawSign), '1', ''],
    ['raw crypto.verify RSA-2048', '—', fmt(rawVerify), ms(rawVerify), '1', ''],
  ];
  const cases: [label: string, unsigned: string, verify: boolean][] = [
    ['a 01 status', unsignedStatus({ at, from: AGENCY_A }), true],
    ['10 KB edoc', unsignedEdoc({ at, attachmentBytes: 3_400 }), true],
    ['1 MB package', unsignedEdoc({ at, attachmentBytes: 780_000 }), true],
    ['edoc, 1 MiB attachment', unsignedEdoc({ at, attachmentBytes: 1_048_576 }), false],
  ];
  for (const [label, unsigned, withVerify] of cases) {
    const signedText = signPackage(unsigned, signer);
    if (signedText !== signForeignPackage(unsigned, signer)) throw new Error(`${label}: the two signers disagree`);
    const signed = Buffer.from(signedText, 'utf8');
    const now = await opsPerSecond(() => signPackage(unsigned, signer));
    const old = await opsPerSecond(() => signForeignPackage(unsigned, signer));
    rows.push([`sign ${label}: new (signPackage)`, size(signed.length), fmt(now), ms(now), (now / rawSign).toFixed(4), `${fmt(rawSign / now)} raw signs`]);
    rows.push([`sign ${label}: old (DOM, signForeignPackage)`, size(signed.length), fmt(old), ms(old), (old / rawSign).toFixed(4), `${fmt(rawSign / old)} raw signs`]);
    if (withVerify) {
      const v = await opsPerSecond(() => verifyPackage(signed, { checkCertificate: check }));
      rows.push([`verifyPackage ${label}`, size(signed.length), fmt(v), ms(v), (v / rawVerify).toFixed(4), `${fmt(rawVerify / v)} raw verifies`]);
    }
  }

  const head = ['operation', 'package', 'ops/s', 'ms/op', 'ratio to raw', 'one op takes as long as'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  process.stdout.write(`Node ${process.version}, ${process.platform}/${process.arch}; median of ${ROUNDS} rounds of ${ROUND_MS} ms\n\n`);
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n\n`);
  process.stdout.write('Both signers check their own output before returning it: the new one without a DOM (sign-check.ts: RSA verification with\nthe certificate, digest against a second derivation of the canonical form), the old one with the full DOM verifier.\n');
  process.stdout.write('verifyPackage includes the hardening scan, three XML parses (xmldom for the profile, xml-crypto\'s own, xml2js for the model),\nc14n and digest of the whole package, SHA-256 of the input, chain validation and the registry check.\n');
}

await main();
