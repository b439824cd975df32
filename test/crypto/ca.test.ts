import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { agencyCodeOf, generateCa, issueAgencyCertificate, loadOrCreateDevCa } from '../../src/crypto/ca.js';
import { describeCertificate } from '../../src/crypto/certificates.js';
import { DomainError } from '../../src/errors.js';

let ca: CaMaterial;
let dir: string;
beforeAll(() => {
  ca = generateCa({ commonName: 'Cơ quan chứng thực thử nghiệm', validityDays: 30 });
  dir = mkdtempSync(join(tmpdir(), 'lienthong-ca-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ext(pem: string, name: string): Record<string, unknown> | undefined {
  return forge.pki.certificateFromPem(pem).getExtension(name) as Record<string, unknown> | undefined;
}

describe('generateCa', () => {
  it('makes a self-signed CA certificate with keyCertSign and its key', () => {
    const x = new X509Certificate(ca.certificatePem);
    expect(x.ca).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(ext(ca.certificatePem, 'keyUsage')).toMatchObject({ keyCertSign: true, cRLSign: true, critical: true });
    expect(ext(ca.certificatePem, 'basicConstraints')).toMatchObject({ cA: true, critical: true });
    expect(createPublicKey(ca.privateKeyPem).export({ type: 'spki', format: 'der' }).equals(x.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(describeCertificate(ca.certificatePem).subject).toBe('CN=Cơ quan chứng thực thử nghiệm,C=VN');
  });

  it('makes an intermediate CA that chains to its issuer (AKI = issuer SKI)', () => {
    const sub = generateCa({ commonName: 'Trung gian', validityDays: 10, issuer: ca, pathLength: 0 });
    const x = new X509Certificate(sub.certificatePem);
    expect(x.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(x.issuer).toBe(new X509Certificate(ca.certificatePem).subject);
    expect(ext(sub.certificatePem, 'basicConstraints')).toMatchObject({ cA: true, pathLenConstraint: 0 });
    expect(ext(sub.certificatePem, 'authorityKeyIdentifier')?.value).toContain(forge.util.hexToBytes(String(ext(ca.certificatePem, 'subjectKeyIdentifier')?.subjectKeyIdentifier)));
  });
});

describe('issueAgencyCertificate', () => {
  it('issues a signing certificate for the agency, with the code in subject serialNumber', () => {
    const issued = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND huyện Kiên Lương', validityDays: 365 });
    const d = describeCertificate(issued.certificatePem);
    expect(d.subject).toBe('CN=UBND huyện Kiên Lương,serialNumber=000.00.33.H33,C=VN');
    expect(d.agencyCode).toBe('000.00.33.H33');
    expect(agencyCodeOf(issued.certificatePem)).toBe('000.00.33.H33');
    expect(d.serialNumber).toBe(issued.serialNumber);
    expect(d.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/); // 16 octets, positive
    expect(d.issuer).toBe(describeCertificate(ca.certificatePem).subject);
    // valid no longer than the CA
    expect(d.notAfter.getTime()).toBeLessThanOrEqual(describeCertificate(ca.certificatePem).notAfter.getTime());

    const ku = ext(issued.certificatePem, 'keyUsage');
    expect(ku).toMatchObject({ critical: true, digitalSignature: true, nonRepudiation: true, keyCertSign: false, keyEncipherment: false });
    expect(ext(issued.certificatePem, 'basicConstraints')).toMatchObject({ cA: false, critical: true });
    expect(ext(issued.certificatePem, 'extKeyUsage')).toHaveProperty(['1.3.6.1.5.5.7.3.36'], true);
    // NSS-based PDF readers (pdfsig) accept a PDF signer only with emailProtection (issue 17).
    expect(ext(issued.certificatePem, 'extKeyUsage')).toHaveProperty(['emailProtection'], true);
    const ski = String(ext(ca.certificatePem, 'subjectKeyIdentifier')?.subjectKeyIdentifier);
    expect(ext(issued.certificatePem, 'authorityKeyIdentifier')?.value).toContain(forge.util.hexToBytes(ski));
    expect(ext(issued.certificatePem, 'subjectKeyIdentifier')).toBeDefined();

    const x = new X509Certificate(issued.certificatePem);
    expect(x.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(issued.privateKeyPem).toMatch(/BEGIN PRIVATE KEY/);
  });

  it('gives every certificate a different random serial', () => {
    const a = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'A', validityDays: 1 });
    const b = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'A', validityDays: 1 });
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  it('certifies a given public key without generating a private key', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const issued = issueAgencyCertificate(ca, { agencyCode: '000.01.33.H33', agencyName: 'UBND xã Bình An', validityDays: 30, publicKeyPem: publicKey });
    expect(issued.privateKeyPem).toBeUndefined();
    expect(new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKey);
  });

  it('refuses a malformed agency code and a short key', () => {
    expect(() => issueAgencyCertificate(ca, { agencyCode: '33.H33', agencyName: 'X', validityDays: 1 })).toThrow(DomainError);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(() => issueAgencyCertificate(ca, { agencyCode: '000.01.33.H33', agencyName: 'X', validityDays: 1, publicKeyPem: publicKey })).toThrow(/shorter than 2048/);
  });

  it('is accepted by OpenSSL as a chain to the CA', () => {
    const issued = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND xã Hòa Tiến', validityDays: 30 });
    const caFile = join(dir, 'openssl-ca.pem');
    const leafFile = join(dir, 'openssl-leaf.pem');
    writeFileSync(caFile, ca.certificatePem);
    writeFileSync(leafFile, issued.certificatePem);
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, leafFile], { encoding: 'utf8' })).toContain(': OK');
  });
});

describe('loadOrCreateDevCa', () => {
  it('creates ca.pem and a 0600 ca-key.pem once, then reuses them', async () => {
    const devDir = join(dir, 'certs', 'dev');
    const first = await loadOrCreateDevCa(devDir);
    expect(statSync(join(devDir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(devDir, 'ca.pem'), 'utf8')).toBe(first.certificatePem);
    const second = await loadOrCreateDevCa(devDir);
    expect(second.certificatePem).toBe(first.certificatePem);
    expect(second.privateKeyPem).toBe(first.privateKeyPem);
    expect(new X509Certificate(first.certificatePem).ca).toBe(true);
  });

  it('converges on one CA when several callers start at once', async () => {
    const devDir = join(dir, 'concurrent');
    const all = await Promise.all([loadOrCreateDevCa(devDir), loadOrCreateDevCa(devDir), loadOrCreateDevCa(devDir)]);
    expect(new Set(all.map((c) => c.certificatePem)).size).toBe(1);
    expect(readFileSync(join(devDir, 'ca.pem'), 'utf8')).toBe(all[0]?.certificatePem);
  });

  it('refuses a certificate whose key is missing or does not match', async () => {
    const devDir = join(dir, 'broken');
    const made = await loadOrCreateDevCa(devDir);
    rmSync(join(devDir, 'ca-key.pem'));
    await expect(loadOrCreateDevCa(devDir)).rejects.toThrow(/exists without ca-key.pem/);
    const other = generateCa({ commonName: 'other', validityDays: 1 });
    writeFileSync(join(devDir, 'ca-key.pem'), other.privateKeyPem);
    await expect(loadOrCreateDevCa(devDir)).rejects.toThrow(/does not match/);
    expect(readFileSync(join(devDir, 'ca.pem'), 'utf8')).toBe(made.certificatePem);
  });
});
