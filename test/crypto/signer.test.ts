import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { createPackageSigner, verifyRsaSha256, verifyRsaSignature } from '../../src/crypto/signer.js';
import { DomainError } from '../../src/errors.js';
import { makeOddCertificate } from './test-pki.js';

let ca: CaMaterial;
let cert: string;
let key: string;
beforeAll(() => {
  ca = generateCa({ commonName: 'Test CA', validityDays: 30 });
  const issued = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND xã A', validityDays: 30 });
  cert = issued.certificatePem;
  key = issued.privateKeyPem as string;
});

describe('createPackageSigner', () => {
  it('makes RSA-SHA256 PKCS#1 v1.5 signatures (byte-identical to an independent implementation)', () => {
    const signer = createPackageSigner(cert, key);
    const data = Buffer.from('<SignedInfo>…</SignedInfo>', 'utf8');
    const sig = signer.sign(data);
    expect(sig).toHaveLength(256);
    // PKCS#1 v1.5 is deterministic: node-forge, a different code base, must produce the same bytes.
    const md = forge.md.sha256.create();
    md.update(data.toString('binary'));
    expect(Buffer.from(forge.pki.privateKeyFromPem(key).sign(md), 'binary').equals(sig)).toBe(true);
    expect(verify('sha256', data, new X509Certificate(cert).publicKey, sig)).toBe(true);
    expect(signer.certificatePem).toBe(cert);
  });

  it('does not expose the key', () => {
    const signer = createPackageSigner(cert, key);
    expect(Object.keys(signer)).toEqual(['certificatePem', 'sign']);
    expect(JSON.stringify(signer)).not.toContain('PRIVATE');
    expect(Object.isFrozen(signer)).toBe(true);
  });

  it('refuses a key that does not belong to the certificate, and short keys', () => {
    expect(() => createPackageSigner(cert, ca.privateKeyPem)).toThrow(/does not match/);
    const weak = makeOddCertificate({ issuer: ca, commonName: 'weak', bits: 1024 });
    expect(() => createPackageSigner(weak.certificatePem, weak.privateKeyPem)).toThrow(/at least 2048/);
  });
});

describe('verifyRsaSha256 / verifyRsaSignature', () => {
  it('accepts a valid signature and refuses changed data, a changed signature, another key', () => {
    const data = Buffer.from('payload');
    const sig = sign('sha256', data, createPrivateKey(key));
    expect(verifyRsaSha256(cert, data, sig)).toBe(true);
    expect(verifyRsaSha256(cert, Buffer.from('payloaD'), sig)).toBe(false);
    const bad = Buffer.from(sig);
    bad[10] = (bad[10] ?? 0) ^ 1;
    expect(verifyRsaSha256(cert, data, bad)).toBe(false);
    expect(verifyRsaSha256(ca.certificatePem, data, sig)).toBe(false);
  });

  it('binds the hash: a SHA-1 signature does not pass as SHA-256 and the other way round', () => {
    const data = Buffer.from('payload');
    const sha1 = sign('sha1', data, createPrivateKey(key));
    expect(verifyRsaSignature(cert, data, sha1, 'sha1')).toBe(true);
    expect(verifyRsaSignature(cert, data, sha1, 'sha256')).toBe(false);
    expect(verifyRsaSignature(cert, data, sign('sha512', data, createPrivateKey(key)), 'sha512')).toBe(true);
  });

  it('refuses non-RSA and unreadable certificates with SIGNATURE_INVALID', () => {
    expect(() => verifyRsaSha256('nope', Buffer.from('x'), Buffer.alloc(256))).toThrow(DomainError);
    const dir = mkdtempSync(join(tmpdir(), 'lienthong-ec-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=ec', '-days', '1'], { stdio: 'ignore' });
      const ecCert = readFileSync(join(dir, 'c.pem'), 'utf8');
      const data = Buffer.from('x');
      const ecSig = sign('sha256', data, createPrivateKey(readFileSync(join(dir, 'k.pem'))));
      expect(() => verifyRsaSha256(ecCert, data, ecSig)).toThrow(/key type is ec, not RSA/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
