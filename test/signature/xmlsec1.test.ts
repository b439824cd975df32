/**
 * Interoperability with xmlsec1 (libxmlsec1 + OpenSSL), the reference XMLDSig implementation: what
 * we sign verifies there against the CA alone (leaf certificate from KeyInfo), what it signs from a
 * template with our profile verifies here, and a tampered package fails in both. Fails — never skips
 * — when xmlsec1 (Debian package xmlsec1) or xmllint (libxml2-utils) is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import type { CertificateCheck } from '../../src/edxml/verify-package.js';
import { createRegistryCertificateCheck, verifyPackage } from '../../src/edxml/verify-package.js';
import { ALGORITHMS, signPackage } from '../../src/edxml/xmldsig.js';
import { DomainError } from '../../src/errors.js';
import { AGENCY_A, AGENCY_B, unsignedEdoc, unsignedStatus } from './packages.js';

const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url));

let dir: string;
let ca: CaMaterial;
let a: CaMaterial;
let b: CaMaterial;
let check: CertificateCheck;

/** Runs a tool; a missing binary is an error (so the suite fails instead of silently skipping). */
function run(tool: 'xmlsec1' | 'xmllint', args: string[]): { status: number; output: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${tool} could not run (apt-get install xmlsec1 libxml2-utils): ${r.error.message}`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const xmlsecVerify = (path: string): { status: number; output: string } => run('xmlsec1', ['--verify', '--trusted-pem', join(dir, 'ca.pem'), path]);

const ourVerify = (bytes: Buffer | string): ReturnType<typeof verifyPackage> => verifyPackage(Buffer.from(bytes), { checkCertificate: check });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lienthong-xmlsec1-'));
  ca = generateCa({ commonName: 'lienthong interop CA', validityDays: 30 });
  const issue = (agency: { code: string; name: string }): CaMaterial => {
    const c = issueAgencyCertificate(ca, { agencyCode: agency.code, agencyName: agency.name, validityDays: 30 });
    return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  };
  a = issue(AGENCY_A);
  b = issue(AGENCY_B);
  file('ca.pem', ca.certificatePem);
  const registry = new Map<string, string[]>([
    [AGENCY_A.code, [a.certificatePem]],
    [AGENCY_B.code, [b.certificatePem]],
  ]);
  check = createRegistryCertificateCheck({ trustStore: TrustStore.fromPems([ca.certificatePem]), registeredCertificates: async (code) => registry.get(code) ?? [] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signedAt = (): Date => new Date(Date.now() - 60_000);
const ours = {
  'edoc with an attachment': (): string => signPackage(unsignedEdoc({ at: signedAt(), attachmentBytes: 200_000 }), createPackageSigner(a.certificatePem, a.privateKeyPem)),
  status: (): string => signPackage(unsignedStatus({ at: signedAt() }), createPackageSigner(b.certificatePem, b.privateKeyPem)),
};

describe('packages we sign verify with xmlsec1', () => {
  for (const [kind, make] of Object.entries(ours)) {
    it(`${kind}: xmlsec1 --verify --trusted-pem ca.pem accepts it, and rejects it tampered`, () => {
      const signed = make();
      const r = xmlsecVerify(file(`ours-${kind}.xml`, signed));
      expect(r.output).toContain('OK');
      expect(r.status).toBe(0);
      const tampered = signed.replace('<edXML:OrganName>', '<edXML:OrganName>X');
      expect(tampered).not.toBe(signed);
      const t = xmlsecVerify(file(`ours-${kind}-tampered.xml`, tampered));
      expect(t.status).not.toBe(0);
      expect(t.output).toMatch(/FAIL|data and digest do not match/);
    });
  }

  it('xmlsec1 refuses our package against another CA (it really checks the chain)', () => {
    const other = generateCa({ commonName: 'other CA', validityDays: 1 });
    const otherPem = file('other-ca.pem', other.certificatePem);
    const r = run('xmlsec1', ['--verify', '--trusted-pem', otherPem, file('ours-other-ca.xml', ours.status())]);
    expect(r.status).not.toBe(0);
  });

  it('what we sign validates against the XSDs in schemas/ (xmllint)', () => {
    expect(run('xmllint', ['--noout', '--nonet', '--schema', join(SCHEMAS, 'edxml-edoc.xsd'), file('xsd-edoc.xml', ours['edoc with an attachment']())]).status).toBe(0);
    expect(run('xmllint', ['--noout', '--nonet', '--schema', join(SCHEMAS, 'edxml-status.xsd'), file('xsd-status.xml', ours.status())]).status).toBe(0);
  });
});

/** The unsigned package with an empty signature template, our profile, as the header's last child. */
function template(unsigned: string): string {
  const tpl =
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>' +
    `<CanonicalizationMethod Algorithm="${ALGORITHMS.EXC_C14N}"/>` +
    `<SignatureMethod Algorithm="${ALGORITHMS.RSA_SHA256}"/>` +
    '<Reference URI=""><Transforms>' +
    `<Transform Algorithm="${ALGORITHMS.ENVELOPED}"/><Transform Algorithm="${ALGORITHMS.EXC_C14N}"/>` +
    `</Transforms><DigestMethod Algorithm="${ALGORITHMS.SHA256}"/><DigestValue/></Reference>` +
    '</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>';
  const close = '</edXML:edXMLHeader>';
  expect(unsigned.split(close)).toHaveLength(2);
  return unsigned.replace(close, tpl + close);
}

function xmlsecSign(name: string, unsigned: string, key: CaMaterial): Buffer {
  const keyFile = file(`${name}-key.pem`, key.privateKeyPem);
  const certFile = file(`${name}-cert.pem`, key.certificatePem);
  const out = join(dir, `${name}-signed.xml`);
  const r = run('xmlsec1', ['--sign', '--privkey-pem', `${keyFile},${certFile}`, '--output', out, file(`${name}-template.xml`, template(unsigned))]);
  expect(r.status, r.output).toBe(0);
  return readFileSync(out);
}

describe('packages xmlsec1 signs verify with ours', () => {
  it('an edoc with an attachment signed by xmlsec1 --sign verifies, and fails tampered', async () => {
    const signed = xmlsecSign('edoc', unsignedEdoc({ at: signedAt(), attachmentBytes: 50_000 }), a);
    expect(signed.toString('utf8')).toMatch(/<X509Certificate>[A-Za-z0-9+/=\s]{500,}<\/X509Certificate>/);
    const v = await ourVerify(signed);
    expect(v.kind).toBe('edoc');
    expect(v.senderCode).toBe(AGENCY_A.code);
    if (v.model.kind !== 'edoc') throw new Error('expected an edoc');
    expect(v.model.edoc.attachments[0]?.contentBase64.length).toBeGreaterThan(60_000);

    const tampered = signed.toString('utf8').replace('Về việc triển khai', 'Về việc hủy bỏ');
    expect(tampered).not.toBe(signed.toString('utf8'));
    await expect(ourVerify(tampered)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/digest of the signed content does not match/) });
    expect(xmlsecVerify(file('edoc-tampered.xml', tampered)).status).not.toBe(0);
  });

  it('a status signed by xmlsec1 --sign verifies, and fails with a changed SignatureValue', async () => {
    const signed = xmlsecSign('status', unsignedStatus({ at: signedAt() }), b);
    const v = await ourVerify(signed);
    expect(v.kind).toBe('status');
    expect(v.senderCode).toBe(AGENCY_B.code);

    const tampered = signed.toString('utf8').replace(/<SignatureValue>\s*([A-Za-z0-9+/])/, (m, c: string) => m.slice(0, -1) + (c === 'A' ? 'B' : 'A'));
    expect(tampered).not.toBe(signed.toString('utf8'));
    const error = await ourVerify(tampered).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/SignatureValue does not verify/) });
    expect(xmlsecVerify(file('status-tampered.xml', tampered)).status).not.toBe(0);
  });
});
