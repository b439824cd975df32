/**
 * signPackageWithPayloads (src/edxml/sign-payloads.ts): a package whose large files are written from
 * their bytes is byte for byte the package signPackage makes from the text with the base64 in place,
 * verifies in the project's verifier (the DOM path and the elided path) and in xmlsec1, and the
 * self-check of its bytes (checkOwnPayloads) refuses what is not what was signed. The signing threads
 * give the same bytes, from shared memory and from copies.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { createPackageSigner, type PackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import { buildEdoc } from '../../src/edxml/build.js';
import type { EdocPackage } from '../../src/edxml/model.js';
import { checkOwnPayloads, checkOwnSignature } from '../../src/edxml/sign-check.js';
import { newPlaceholder, PAYLOAD_MIN_BYTES, signPackageWithPayloads, type Payload } from '../../src/edxml/sign-payloads.js';
import { createSigning } from '../../src/edxml/sign-pool.js';
import { checkElided } from '../../src/edxml/verify-elided.js';
import { checkPackageXml, createRegistryCertificateCheck, verifyPackage } from '../../src/edxml/verify-package.js';
import { canonicalizeOwn, signPackage, verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { AGENCY_A, edocModel } from './packages.js';

/** A minute ago: the certificate is valid then, and both signers see the same model. */
const AT = new Date(Date.now() - 60_000);
let dir: string;
let caPem: string;
let signer: PackageSigner;
const asAsync = (s: PackageSigner) => ({ certificatePem: s.certificatePem, sign: async (data: Buffer) => s.sign(data) });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lienthong-payloads-'));
  const ca = generateCa({ commonName: 'payload signer CA', validityDays: 30 });
  caPem = ca.certificatePem;
  const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
  signer = createPackageSigner(c.certificatePem, c.privateKeyPem!);
  writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model with the given files (Vietnamese text around them), each file's base64 or a placeholder. */
function withFiles(files: Buffer[], placeholders: boolean): { model: EdocPackage; payloads: Payload[] } {
  const model = edocModel({ at: AT });
  const payloads: Payload[] = [];
  model.manifest = files.map((_, i) => ({ contentId: `cid:${i + 1}`, contentType: 'application/pdf', description: `Tệp ${i + 1}`, attachmentName: `tep-${i + 1}.pdf` }));
  model.attachments = files.map((content, i) => {
    let contentBase64 = content.toString('base64');
    if (placeholders && content.length >= PAYLOAD_MIN_BYTES) {
      contentBase64 = newPlaceholder();
      payloads.push({ placeholder: contentBase64, content });
    }
    return { contentId: `cid:${i + 1}`, attachmentName: `tep-${i + 1}.pdf`, description: `Tệp ${i + 1}`, contentType: 'application/pdf', contentBase64 };
  });
  return { model, payloads };
}

/** The files as shared memory, as documentFiles reads large ones. */
const shared = (b: Buffer): Buffer => {
  const s = Buffer.from(new SharedArrayBuffer(b.length));
  b.copy(s);
  return s;
};

const FILES = [randomBytes(300_001), randomBytes(1_000), randomBytes(PAYLOAD_MIN_BYTES), randomBytes(700_002)];

describe('signPackageWithPayloads', () => {
  it('emits the bytes signPackage emits for the text with the base64 in place, and they verify (DOM, elided, xmlsec1)', async () => {
    const { model, payloads } = withFiles(FILES, true);
    expect(payloads).toHaveLength(3); // the 1,000-byte file stays in the text
    const bytes = await signPackageWithPayloads(buildEdoc(model), payloads, asAsync(signer));
    const reference = Buffer.from(signPackage(buildEdoc(withFiles(FILES, false).model), signer), 'utf8');
    expect(bytes.equals(reference)).toBe(true);

    const text = bytes.toString('utf8');
    expect(verifyXmlSignature(text).certificatePem).toContain('BEGIN CERTIFICATE');
    const elided = checkElided(bytes, {}, 'x');
    expect(elided?.model.kind).toBe('edoc');
    const check = createRegistryCertificateCheck({ trustStore: TrustStore.fromPems([caPem]), registeredCertificates: async () => [signer.certificatePem] });
    const verified = await verifyPackage(bytes, { checkCertificate: check });
    expect(verified.model.kind === 'edoc' && verified.model.edoc.attachments.map((a) => Buffer.from(a.contentBase64, 'base64'))).toEqual(FILES);

    const file = join(dir, 'payloads.xml');
    writeFileSync(file, bytes);
    const ok = spawnSync('xmlsec1', ['--verify', '--trusted-pem', join(dir, 'ca.pem'), file], { encoding: 'utf8' });
    if (ok.error) throw new Error(`xmlsec1 could not run (apt-get install xmlsec1): ${ok.error.message}`);
    expect(ok.status, ok.stderr).toBe(0);
    // One byte of a file changed: xmlsec1 and the verifier refuse it.
    const at = bytes.indexOf(FILES[3]!.toString('base64').slice(1000, 1040));
    const bad = Buffer.from(bytes);
    bad[at] = bad[at] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bad);
    expect(spawnSync('xmlsec1', ['--verify', '--trusted-pem', join(dir, 'ca.pem'), file], { encoding: 'utf8' }).status).not.toBe(0);
    expect(() => checkPackageXml(bad, {})).toThrow();
  });

  it('refuses a placeholder that is not in the text exactly once, and a package past maxBytes', async () => {
    const { model, payloads } = withFiles([FILES[0]!], true);
    const text = buildEdoc(model);
    await expect(signPackageWithPayloads(text, [{ placeholder: newPlaceholder(), content: FILES[0]! }], asAsync(signer))).rejects.toThrow(/exactly once/);
    await expect(signPackageWithPayloads(text, payloads, asAsync(signer), { maxBytes: 300_000 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('fails closed when the RSA step returns a wrong signature', async () => {
    const { model, payloads } = withFiles([FILES[0]!], true);
    const other = generateCa({ commonName: 'another key', validityDays: 1 });
    const wrong = createPackageSigner(other.certificatePem, other.privateKeyPem);
    await expect(signPackageWithPayloads(buildEdoc(model), payloads, { certificatePem: signer.certificatePem, sign: async (d) => wrong.sign(d) })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });
});

describe('checkOwnPayloads', () => {
  /** What the signer hands its self-check, for a package it signed. */
  async function facts(): Promise<Parameters<typeof checkOwnPayloads>[0]> {
    const { model, payloads } = withFiles([FILES[0]!, FILES[3]!], true);
    const unsigned = buildEdoc(model);
    const output = await signPackageWithPayloads(unsigned, payloads, asAsync(signer));
    const { text, canonical } = canonicalizeOwn(unsigned);
    // The signed text: the output with the placeholders back in place of the runs.
    let signed = output.toString('utf8');
    for (const p of payloads) signed = signed.replace(Buffer.from(p.content).toString('base64'), p.placeholder);
    const digest = /<DigestValue>([^<]+)</.exec(signed)![1]!;
    return { unsigned: text, signed, at: canonical.headerEndTag, certificatePem: signer.certificatePem, canonical: canonical.chunks, digest, output, payloads };
  }

  it('accepts what the signer emitted', async () => {
    const f = await facts();
    expect(checkOwnSignature(f)).toBe(true);
    expect(checkOwnPayloads(f)).toBe(true);
  });

  it('refuses bytes that are not the signed text with the files in place', async () => {
    const f = await facts();
    const flip = (at: number): Buffer => {
      const b = Buffer.from(f.output);
      b[at] = b[at] === 0x41 ? 0x42 : 0x41;
      return b;
    };
    const run = f.output.indexOf(Buffer.from(FILES[3]!).toString('base64').slice(0, 64));
    expect(() => checkOwnPayloads({ ...f, output: flip(run + 5_000) })).toThrow(/does not decode to its file/);
    expect(() => checkOwnPayloads({ ...f, output: flip(f.output.indexOf('Kiên Giang') + 1) })).toThrow(/not the signed text/);
    expect(() => checkOwnPayloads({ ...f, output: Buffer.concat([f.output, Buffer.from('\n')]) })).toThrow(/go on past/);
    // The same file twice where two were signed, and a run cut short.
    expect(() => checkOwnPayloads({ ...f, payloads: [f.payloads[0]!, { ...f.payloads[1]!, content: FILES[0]! }] })).toThrow(/decode/);
    const short = Buffer.concat([f.output.subarray(0, run + 100), f.output.subarray(run + 104)]);
    expect(() => checkOwnPayloads({ ...f, output: short })).toThrow(/decode/);
  });

  it('refuses a digest that is not the digest of the emitted bytes', async () => {
    const f = await facts();
    expect(() => checkOwnPayloads({ ...f, digest: 'A'.repeat(43) + '=' })).toThrow(/DigestValue/);
    expect(() => checkOwnPayloads({ ...f, signed: f.signed.replace(f.payloads[0]!.placeholder, newPlaceholder()) })).toThrow(/exactly once/);
  });
});

describe('the signing threads', () => {
  it('sign with payloads from shared memory and from copies, the same bytes as in the calling thread', async () => {
    const pool = createSigning({ threads: 1 });
    try {
      const { model, payloads } = withFiles(FILES, true);
      const text = buildEdoc(model);
      const inline = await signPackageWithPayloads(text, payloads, asAsync(signer));
      const fromShared = await pool.signWithPayloads(text, payloads.map((p) => ({ ...p, content: shared(Buffer.from(p.content)) })), signer);
      const fromCopies = await pool.signWithPayloads(text, payloads, signer);
      expect(fromShared.equals(inline)).toBe(true);
      expect(fromCopies.equals(inline)).toBe(true);
      // The caller's files are still there (copies were moved, never the caller's own memory).
      expect(payloads.every((p, i) => Buffer.from(p.content).equals([FILES[0], FILES[2], FILES[3]][i]!))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
