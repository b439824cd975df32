/** `lienthong verify` run in-process: exit codes and what the operator reads. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/cli/verify.js';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { ALGORITHMS, signPackage } from '../../src/edxml/xmldsig.js';
import { makeOddCertificate } from '../crypto/test-pki.js';
import { xmlCryptoSign } from './make-corpus.js';
import { AGENCY_A, AGENCY_B, unsignedEdoc, unsignedStatus } from './packages.js';

let root: string;
let ca: CaMaterial;
let a: CaMaterial;

async function cli(argv: string[], cwd = root): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runVerify(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, { cwd });
  return { code, out, err };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lienthong-cli-'));
  ca = generateCa({ commonName: 'lienthong CLI CA', validityDays: 30 });
  const issue = (agency: { code: string; name: string }): CaMaterial => {
    const c = issueAgencyCertificate(ca, { agencyCode: agency.code, agencyName: agency.name, validityDays: 30 });
    return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  };
  a = issue(AGENCY_A);
  const b = issue(AGENCY_B);
  const at = new Date(Date.now() - 60_000);
  const edoc = signPackage(unsignedEdoc({ at }), createPackageSigner(a.certificatePem, a.privateKeyPem));
  writeFileSync(join(root, 'edoc.edxml'), edoc);
  writeFileSync(join(root, 'status.edxml'), signPackage(unsignedStatus({ at }), createPackageSigner(b.certificatePem, b.privateKeyPem)));
  writeFileSync(join(root, 'tampered.edxml'), edoc.replace('Về việc triển khai', 'Về việc hủy bỏ'));
  // signed by B's key but claiming to come from A
  writeFileSync(join(root, 'wrong-agency.edxml'), signPackage(unsignedEdoc({ at }), createPackageSigner(b.certificatePem, b.privateKeyPem)));
  writeFileSync(join(root, 'sha1.edxml'), xmlCryptoSign(unsignedEdoc({ at }), { key: a, signatureAlgorithm: ALGORITHMS.RSA_SHA1, digestAlgorithm: ALGORITHMS.SHA1 }));
  mkdirSync(join(root, 'anchors'));
  writeFileSync(join(root, 'anchors', 'ca.pem'), ca.certificatePem);
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'other', 'other.pem'), generateCa({ commonName: 'Other CA', validityDays: 1 }).certificatePem);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lienthong verify', () => {
  it('prints signer, agency, document id and SHA-256 for a valid edoc, exit 0', async () => {
    const r = await cli(['edoc.edxml', '--trust', 'anchors']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('VALID');
    expect(r.out).toContain(`agency:      ${AGENCY_A.code}`);
    expect(r.out).toContain(`signer:      CN=${AGENCY_A.name},serialNumber=${AGENCY_A.code},C=VN`);
    expect(r.out).toContain(`document:    ${AGENCY_A.code},2026/11/26,15/QĐ-UBND`);
    expect(r.out).toMatch(/sha256: {6}[0-9a-f]{64}\n/);
    expect(r.out).not.toContain('status:');
  });

  it('prints the status code of a status package', async () => {
    const r = await cli(['status.edxml', `--trust=${join(root, 'anchors')}`]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('status:      01');
    expect(r.out).toContain(`agency:      ${AGENCY_B.code}`);
  });

  it('exit 1 with code and detail for a tampered package', async () => {
    const r = await cli(['tampered.edxml', '--trust', 'anchors']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^INVALID SIGNATURE_INVALID: the digest of the signed content does not match/);
    expect(r.out).toBe('');
  });

  it('exit 1 when the certificate is of another agency, or does not chain to the given anchors', async () => {
    expect((await cli(['wrong-agency.edxml', '--trust', 'anchors'])).err).toMatch(/^INVALID CERTIFICATE_UNTRUSTED: certificate is issued to agency 000\.01\.33\.H33/);
    const r = await cli(['edoc.edxml', '--trust', 'other']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^INVALID CERTIFICATE_UNTRUSTED: no path to a trust anchor/);
  });

  it('says which binding of certificate to agency it checked: the agency code in the subject, never a registration', async () => {
    const valid = await cli(['edoc.edxml', '--trust', 'anchors']);
    expect(valid.code).toBe(0);
    expect(valid.out).toContain('binding:     agency code in the certificate subject');
    // A national-CA style certificate without the agency code: a node may hold it as the agency's
    // registered certificate (API.md), but offline nothing binds it to From/OrganId.
    const unbound = makeOddCertificate({ issuer: ca, commonName: 'Sở Y tế (chứng thư tổ chức)' });
    writeFileSync(join(root, 'no-code.edxml'), signPackage(unsignedEdoc({ at: new Date(Date.now() - 60_000) }), createPackageSigner(unbound.certificatePem, unbound.privateKeyPem)));
    const r = await cli(['no-code.edxml', '--trust', 'anchors']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^INVALID CERTIFICATE_UNTRUSTED: certificate ".*" carries no agency code \(subject serialNumber\); the binding checked is the agency code in the certificate subject/);
    expect(r.err).toContain('registration at a node');
  });

  it('accepts rsa-sha1 only with --legacy', async () => {
    const refused = await cli(['sha1.edxml', '--trust', 'anchors']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^INVALID SIGNATURE_INVALID: SignatureMethod .*rsa-sha1 is refused/);
    const accepted = await cli(['sha1.edxml', '--trust', 'anchors', '--legacy']);
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain('algorithm:   http://www.w3.org/2000/09/xmldsig#rsa-sha1');
  });

  it('takes --trust as a PEM file or a folder, repeated, like the archive verifier', async () => {
    expect((await cli(['edoc.edxml', '--trust', 'anchors/ca.pem'])).code).toBe(0);
    expect((await cli(['edoc.edxml', '--trust', 'other', '--trust', 'anchors'])).code).toBe(0);
    expect((await cli(['edoc.edxml', '--trust', 'other/other.pem'])).code).toBe(1);
    const missing = await cli(['edoc.edxml', '--trust', 'no-such.pem']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no-such.pem');
  });

  it('trusts certs/trusted and certs/dev/ca.pem by default', async () => {
    const cwd = mkdtempSync(join(root, 'cwd-'));
    expect((await cli(['../edoc.edxml'], cwd)).code).toBe(2); // no anchors at all: setup error
    mkdirSync(join(cwd, 'certs', 'dev'), { recursive: true });
    writeFileSync(join(cwd, 'certs', 'dev', 'ca.pem'), ca.certificatePem);
    expect((await cli([join(root, 'edoc.edxml')], cwd)).code).toBe(0);
    rmSync(join(cwd, 'certs', 'dev', 'ca.pem'));
    mkdirSync(join(cwd, 'certs', 'trusted'));
    writeFileSync(join(cwd, 'certs', 'trusted', 'province.pem'), ca.certificatePem);
    expect((await cli([join(root, 'edoc.edxml')], cwd)).code).toBe(0);
  });

  it.each([
    [[]],
    [['--trust']],
    [['a.edxml', 'b.edxml']],
    [['a.edxml', '--nope']],
    [['missing.edxml', '--trust', 'anchors']],
    [['edoc.edxml', '--trust', 'no-such-dir']],
  ])('exit 2 on usage errors: %j', async (argv) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lienthong verify: /);
  });

  it('prints usage with --help, exit 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: lienthong verify FILE');
  });
});
