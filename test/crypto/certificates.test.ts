import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial, IssuedCertificate } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import {
  agencyCodeOf,
  assertKeyMatchesCertificate,
  derToPem,
  describeCertificate,
  fingerprintSha256,
  importPkcs12,
  pemToDer,
  readPrivateKey,
  rsaKeyIsCertified,
  splitPemCertificates,
} from '../../src/crypto/certificates.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { DomainError } from '../../src/errors.js';
import { makeOddCertificate } from './test-pki.js';

let ca: CaMaterial;
let leaf: IssuedCertificate & { privateKeyPem: string };
let dir: string;
beforeAll(() => {
  ca = generateCa({ commonName: 'Test CA', validityDays: 30 });
  leaf = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND tỉnh, "Kiên Giang"', validityDays: 30 }) as typeof leaf;
  dir = mkdtempSync(join(tmpdir(), 'lienthong-cert-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('describeCertificate', () => {
  it('agrees with Node/OpenSSL on serial, fingerprint and validity, and escapes names (RFC 4514)', () => {
    const x = new X509Certificate(leaf.certificatePem);
    const d = describeCertificate(leaf.certificatePem);
    expect(d.serialNumber).toBe(x.serialNumber.toUpperCase());
    expect(d.fingerprintSha256).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(d.notBefore.getTime()).toBe(new Date(x.validFrom).getTime());
    expect(d.notAfter.getTime()).toBe(new Date(x.validTo).getTime());
    expect(d.subject).toBe('CN=UBND tỉnh\\, \\"Kiên Giang\\",serialNumber=000.00.33.H33,C=VN');
    expect(d.issuer).toBe('CN=Test CA,C=VN');
    expect(d.agencyCode).toBe('000.00.33.H33');
  });

  it('reports no agency code when serialNumber is absent, repeated or not a code', () => {
    expect(agencyCodeOf(ca.certificatePem)).toBeNull();
    const bad = makeOddCertificate({ commonName: 'x', agencyCode: 'CCCD-012345678901' });
    expect(agencyCodeOf(bad.certificatePem)).toBeNull();
    const twice = makeOddCertificate({ commonName: 'x', agencyCode: '000.00.33.H33', extraExtensions: [] });
    // a second serialNumber attribute in the subject
    const cert = forge.pki.certificateFromPem(twice.certificatePem);
    cert.setSubject([...cert.subject.attributes, { type: '2.5.4.5', value: '000.00.44.H44' }]);
    cert.sign(forge.pki.privateKeyFromPem(twice.privateKeyPem), forge.md.sha256.create());
    expect(agencyCodeOf(forge.pki.certificateToPem(cert))).toBeNull();
  });

  it('refuses what is not a certificate', () => {
    expect(() => describeCertificate('hello')).toThrow(DomainError);
    expect(() => describeCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/not a readable X.509/);
  });
});

describe('PEM and DER', () => {
  it('round-trips and splits bundles; one block is required where one is expected', () => {
    const der = pemToDer(leaf.certificatePem);
    expect(derToPem(der)).toBe(leaf.certificatePem.replace(/\r\n/g, '\n'));
    const bundle = `${leaf.certificatePem}\n${ca.certificatePem}`;
    expect(splitPemCertificates(bundle)).toEqual([leaf.certificatePem, ca.certificatePem]);
    expect(() => pemToDer(bundle)).toThrow(/expected one PEM CERTIFICATE block, found 2/);
    expect(fingerprintSha256(leaf.certificatePem)).toBe(describeCertificate(leaf.certificatePem).fingerprintSha256);
  });
});

describe('assertKeyMatchesCertificate', () => {
  it('accepts the key of the certificate and refuses another', () => {
    expect(() => assertKeyMatchesCertificate(leaf.certificatePem, leaf.privateKeyPem)).not.toThrow();
    expect(() => assertKeyMatchesCertificate(leaf.certificatePem, ca.privateKeyPem)).toThrow(/does not match/);
  });
});

describe('rsaKeyIsCertified', () => {
  const pem = (der: Buffer, label: string) => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
  /** What OpenSSL decides for the pair: assertKeyMatchesCertificate's answer. */
  const openssl = (certPem: string, keyPem: string): boolean => {
    try {
      assertKeyMatchesCertificate(certPem, keyPem);
      return true;
    } catch {
      return false;
    }
  };

  it('shows from the DER that a certificate certifies its key, for certificates written by forge and by OpenSSL', () => {
    expect(rsaKeyIsCertified(leaf.certificatePem, leaf.privateKeyPem)).toBe(true);
    expect(rsaKeyIsCertified(ca.certificatePem, ca.privateKeyPem)).toBe(true);
    // OpenSSL's own encoder, a v3 certificate with a 3072-bit key and a long serial.
    writeFileSync(join(dir, 'o-key.pem'), generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    execFileSync('openssl', ['req', '-x509', '-key', join(dir, 'o-key.pem'), '-out', join(dir, 'o-cert.pem'), '-subj', '/CN=UBND xã A', '-days', '2', '-utf8']);
    const o = { cert: readFileSync(join(dir, 'o-cert.pem'), 'utf8'), key: readFileSync(join(dir, 'o-key.pem'), 'utf8') };
    expect(rsaKeyIsCertified(o.cert, o.key)).toBe(true);
    expect(openssl(o.cert, o.key)).toBe(true);
  });

  it('never says yes where OpenSSL says no; says "not shown" for anything it does not read', () => {
    const der = pemToDer(leaf.certificatePem);
    // The modulus's last byte, changed: a well-formed certificate of another key.
    const modulus = der.indexOf(Buffer.from('0282010100', 'hex'));
    expect(modulus).toBeGreaterThan(0);
    const otherKey = Buffer.from(der);
    otherKey[modulus + 5 + 255] = otherKey[modulus + 5 + 255]! ^ 0x01;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const rsaPkcs1 = createPrivateKey(leaf.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }) as string;
    const pairs: Array<[string, string, string]> = [
      ['another key', leaf.certificatePem, ca.privateKeyPem],
      ['a certificate of another modulus', pem(otherKey, 'CERTIFICATE'), leaf.privateKeyPem],
      ['an EC key', leaf.certificatePem, ec],
      ['a PKCS#1 PEM key (not read here)', leaf.certificatePem, rsaPkcs1],
      ['a certificate cut short', pem(der.subarray(0, der.length - 10), 'CERTIFICATE'), leaf.privateKeyPem],
      ['trailing bytes after the certificate', pem(Buffer.concat([der, Buffer.from([5, 0])]), 'CERTIFICATE'), leaf.privateKeyPem],
      ['two certificates', leaf.certificatePem + ca.certificatePem, leaf.privateKeyPem],
      ['no certificate', '', leaf.privateKeyPem],
    ];
    for (const [what, certPem, keyPem] of pairs) {
      expect(rsaKeyIsCertified(certPem, keyPem), what).toBe(false);
    }
    expect(openssl(pem(otherKey, 'CERTIFICATE'), leaf.privateKeyPem)).toBe(false);
    // Where it says "not shown", OpenSSL decides: the PKCS#1 key matches, the other key does not.
    expect(openssl(leaf.certificatePem, rsaPkcs1)).toBe(true);
    expect(() => createPackageSigner(leaf.certificatePem, rsaPkcs1)).not.toThrow();
    expect(() => createPackageSigner(leaf.certificatePem, ca.privateKeyPem)).toThrow(/does not match/);
  });
});

describe('importPkcs12', () => {
  it('opens an OpenSSL 3 PKCS#12 (AES, PBKDF2) with its chain', () => {
    writeFileSync(join(dir, 'leaf.pem'), leaf.certificatePem);
    writeFileSync(join(dir, 'key.pem'), leaf.privateKeyPem);
    writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(dir, 'leaf.pem'), '-inkey', join(dir, 'key.pem'), '-certfile', join(dir, 'ca.pem'), '-out', join(dir, 'a.p12'), '-passout', 'pass:mật khẩu']);
    const p12 = importPkcs12(readFileSync(join(dir, 'a.p12')), 'mật khẩu');
    expect(p12.certificatePem).toBe(leaf.certificatePem);
    expect(p12.chainPem).toEqual([ca.certificatePem]);
    expect(() => assertKeyMatchesCertificate(p12.certificatePem, p12.privateKeyPem)).not.toThrow();
    expect(p12.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('opens a forge (3DES) PKCS#12 whose certificate is not first', () => {
    const asn1 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(leaf.privateKeyPem),
      [forge.pki.certificateFromPem(ca.certificatePem), forge.pki.certificateFromPem(leaf.certificatePem)],
      'pw',
      { algorithm: '3des' },
    );
    const p12 = importPkcs12(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'), 'pw');
    expect(p12.certificatePem).toBe(leaf.certificatePem);
    expect(p12.chainPem).toEqual([ca.certificatePem]);
  });

  it('refuses a wrong password and a file without a matching certificate', () => {
    const p12 = readFileSync(join(dir, 'a.p12'));
    expect(() => importPkcs12(p12, 'wrong')).toThrow(/cannot open PKCS#12/);
    const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(ca.privateKeyPem), [forge.pki.certificateFromPem(leaf.certificatePem)], 'pw', { algorithm: '3des' });
    expect(() => importPkcs12(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'), 'pw')).toThrow(/no certificate for its private key/);
  });
});

describe('readPrivateKey', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  it('opens an RSA PKCS#8 key as the same key OpenSSL reads (by its PKCS#1 inside), and signs the same', () => {
    const fast = readPrivateKey(pkcs8);
    expect(fast.equals(createPrivateKey(pkcs8))).toBe(true);
    expect(fast.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const data = Buffer.from('văn bản');
    expect(sign('sha256', data, fast).equals(sign('sha256', data, rsa.privateKey))).toBe(true);
  });

  it('opens the same numbers OpenSSL reads, whatever their leading octets (keys of 2048, 3072 and 4096 bits)', () => {
    // About half of the CRT numbers have their top bit set and carry DER's sign octet: both kinds occur.
    for (const bits of [2048, 2048, 2048, 2048, 2048, 2048, 3072, 4096]) {
      const key = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
      const opened = readPrivateKey(key.export({ type: 'pkcs8', format: 'pem' }) as string);
      expect(opened.export({ format: 'jwk' })).toEqual(key.export({ format: 'jwk' }));
      expect(opened.asymmetricKeyDetails).toEqual(key.asymmetricKeyDetails);
      const data = Buffer.from(`văn bản ${bits}`);
      expect(sign('sha256', data, opened).equals(sign('sha256', data, key))).toBe(true);
    }
  });

  it('hands every other key to OpenSSL as it is: PKCS#1 PEM, EC, encrypted PKCS#8; and refuses what is malformed', () => {
    expect(readPrivateKey(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string).equals(rsa.privateKey)).toBe(true);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(readPrivateKey(ec.export({ type: 'pkcs8', format: 'pem' }) as string).asymmetricKeyType).toBe('ec');
    const encrypted = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    expect(() => readPrivateKey(encrypted)).toThrow(/not a readable unencrypted private key/);
    // A PKCS#8 whose RSAPrivateKey is cut short: neither reading accepts it.
    const der = rsa.privateKey.export({ type: 'pkcs8', format: 'der' });
    const cut = Buffer.from(der.subarray(0, der.length - 40));
    const pem = (b: Buffer) => `-----BEGIN PRIVATE KEY-----\n${b.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
    expect(() => readPrivateKey(pem(cut))).toThrow(/not a readable unencrypted private key/);
    // Altered structures (another version, another algorithm, a length past the end, trailing bytes)
    // are not unwrapped here: whatever OpenSSL makes of the PEM, readPrivateKey makes the same.
    const variants = [
      Object.assign(Buffer.from(der), { [der.indexOf(Buffer.from([0x02, 0x01, 0x00])) + 2]: 1 }),
      Object.assign(Buffer.from(der), { [der.indexOf(Buffer.from('2a864886f70d010101', 'hex')) + 8]: 0x0b }),
      Object.assign(Buffer.from(der), { 3: der[3]! + 1 }),
      Buffer.concat([der, Buffer.from([0x05, 0x00])]),
    ];
    for (const variant of variants) {
      let openssl: KeyObject | Error;
      try {
        openssl = createPrivateKey(pem(variant));
      } catch (error) {
        openssl = error as Error;
      }
      if (openssl instanceof Error) expect(() => readPrivateKey(pem(variant))).toThrow(/not a readable unencrypted private key/);
      else expect(readPrivateKey(pem(variant)).equals(openssl)).toBe(true);
    }
  });
});
