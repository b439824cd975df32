import { X509Certificate, createVerify, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCa, issuePersonalCertificate } from '../../src/crypto/ca.js';
import { pemToDer } from '../../src/crypto/certificates.js';
import { deriveMasterKey } from '../../src/crypto/keys.js';
import { TrustStore } from '../../src/crypto/trust.js';
import { KeyVault } from '../../src/crypto/vault.js';
import { describeSigner } from '../../src/pdf/verify-certificate.js';
import { nssTrusting, run } from '../support/poppler.js';

/**
 * A leader's personal certificate as the node CA issues it (issue 17): the person's name, the agency's
 * name, no agency code — so no verifier takes it for the agency's seal — and the usages a PDF signer
 * needs, emailProtection among them (NSS checks a PDF signer as an e-mail signer).
 */
describe('issuePersonalCertificate', () => {
  const ca = generateCa({ commonName: 'lienthong test CA', validityDays: 365 });
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-personal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the person and the agency, carries no agency code, and is for signing documents', () => {
    const issued = issuePersonalCertificate(ca, { fullName: 'Nguyễn Văn An', organisation: 'UBND huyện Kiên Lương', validityDays: 30 });
    const x509 = new X509Certificate(issued.certificatePem);
    expect(x509.subject.split('\n')).toEqual(['C=VN', 'O=UBND huyện Kiên Lương', 'CN=Nguyễn Văn An']);
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage ?? []).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.36', '1.3.6.1.5.5.7.3.4']));
    expect(x509.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    // The PDF verifier's reading: a person, no agency code.
    expect(describeSigner(pemToDer(issued.certificatePem))).toMatchObject({ commonName: 'Nguyễn Văn An', organisation: 'UBND huyện Kiên Lương', agencyCode: null, role: 'person' });
    // The node's own trust store takes it as a signer.
    expect(TrustStore.fromPems([ca.certificatePem]).validate(issued.certificatePem, { at: new Date() }).agencyCode).toBeNull();
  });

  it('is a certificate NSS accepts for signing (what pdfsig checks)', () => {
    const issued = issuePersonalCertificate(ca, { fullName: 'Trần Thị Bình', validityDays: 30 });
    const nss = nssTrusting(join(dir, 'nss'), { ca: ca.certificatePem, person: issued.certificatePem });
    expect(run('certutil', ['-V', '-n', 'person', '-u', 'S', '-d', `sql:${nss}`]).output).toContain('certificate is valid');
  });

  it('comes out of the KeyVault sealed, and signs only through its signer', () => {
    const vault = new KeyVault(deriveMasterKey(randomBytes(32).toString('base64')));
    const sealedCa = vault.sealCa(ca);
    const pair = vault.issuePersonalCertificate(sealedCa, { fullName: 'Lê Văn Cường', validityDays: 30 });
    expect(pair.privateKeyEncrypted).not.toContain('PRIVATE KEY');
    const data = Buffer.from('văn bản');
    const signature = vault.signer('leader:test', pair).sign(data);
    expect(createVerify('sha256').update(data).verify(pair.certificatePem, signature)).toBe(true);
  });

  it('refuses an empty name', () => {
    expect(() => issuePersonalCertificate(ca, { fullName: '  ', validityDays: 30 })).toThrow(/full name/);
  });
});
