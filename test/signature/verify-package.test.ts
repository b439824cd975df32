/** verifyPackage wiring: what the certificate check is asked, the brand, the copy, the clock. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { fingerprintSha256 } from '../../src/crypto/certificates.js';
import type { PackageSigner } from '../../src/crypto/signer.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import { buildEdoc } from '../../src/edxml/build.js';
import type { CertificateCheck } from '../../src/edxml/verify-package.js';
import { createOfflineCertificateCheck, isVerifiedPackage, verifyPackage } from '../../src/edxml/verify-package.js';
import { signPackage } from '../../src/edxml/xmldsig.js';
import { AGENCY_A, AGENCY_B, edocModel, unsignedEdoc, unsignedStatus } from './packages.js';

let ca: CaMaterial;
let a: CaMaterial;
let b: CaMaterial;
let signerA: PackageSigner;
let offline: CertificateCheck;

// A fixed clock: certificates are valid from NOW - 10 days, whatever the wall clock says.
const NOW = new Date('2026-11-26T10:00:30Z');
const FROM = new Date(NOW.getTime() - 10 * 86_400_000);

beforeAll(() => {
  ca = generateCa({ commonName: 'verify CA', validityDays: 30, notBefore: FROM });
  const issue = (agency: { code: string; name: string }): CaMaterial => {
    const c = issueAgencyCertificate(ca, { agencyCode: agency.code, agencyName: agency.name, validityDays: 30, notBefore: FROM });
    return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  };
  a = issue(AGENCY_A);
  b = issue(AGENCY_B);
  signerA = createPackageSigner(a.certificatePem, a.privateKeyPem);
  offline = createOfflineCertificateCheck(TrustStore.fromPems([ca.certificatePem]));
});

describe('verifyPackage', () => {
  it('asks the check about From/OrganId at the package timestamp read as Vietnam time', async () => {
    const seen: Parameters<CertificateCheck>[0][] = [];
    const check: CertificateCheck = async (input) => (seen.push(input), offline(input));
    // 17:00:00 in Vietnam is 10:00:00Z
    const signed = signPackage(unsignedEdoc({ at: new Date('2026-11-26T10:00:00Z') }), signerA);
    const v = await verifyPackage(Buffer.from(signed), { checkCertificate: check, now: () => NOW });
    expect(signed).toContain('<edXML:Timestamp>2026/11/26 17:00:00</edXML:Timestamp>');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.agencyCode).toBe(AGENCY_A.code);
    expect(seen[0]?.at.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(seen[0]?.certificatePem).toBe(a.certificatePem);
    expect(v.signingTime.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(v.checkedAt).toBe(NOW);
  });

  it('uses the Timestamp of a status package', async () => {
    const signerB = createPackageSigner(b.certificatePem, b.privateKeyPem);
    const v = await verifyPackage(Buffer.from(signPackage(unsignedStatus({ at: new Date('2026-11-26T09:59:00Z') }), signerB)), { checkCertificate: offline, now: () => NOW });
    expect(v.signingTime.toISOString()).toBe('2026-11-26T09:59:00.000Z');
    expect(v.senderCode).toBe(AGENCY_B.code);
  });

  it('tolerates 5 minutes of clock skew, not more', async () => {
    const in4 = signPackage(unsignedEdoc({ at: new Date(NOW.getTime() + 4 * 60_000) }), signerA);
    await expect(verifyPackage(Buffer.from(in4), { checkCertificate: offline, now: () => NOW })).resolves.toBeDefined();
    const in6 = signPackage(unsignedEdoc({ at: new Date(NOW.getTime() + 6 * 60_000) }), signerA);
    await expect(verifyPackage(Buffer.from(in6), { checkCertificate: offline, now: () => NOW })).rejects.toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/in the future/) });
  });

  it('needs a TraceHeader written by the sender to know the signing time of an edoc', async () => {
    const model = edocModel({ at: new Date('2026-11-26T10:00:00Z') });
    model.traceHeaderList.traceHeaders = [{ organId: AGENCY_B.code, timestamp: '2026/11/26 17:00:00' }];
    const signed = signPackage(buildEdoc(model), signerA);
    await expect(verifyPackage(Buffer.from(signed), { checkCertificate: offline, now: () => NOW })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/no TraceHeader of the sender 000\.00\.33\.H33/) });
  });

  it('refuses a check that vouches for a different certificate', async () => {
    const liar: CertificateCheck = async () => ({ subject: 'CN=x', issuer: 'CN=y', serialNumber: '01', fingerprintSha256: fingerprintSha256(b.certificatePem) });
    const signed = signPackage(unsignedEdoc({ at: new Date(NOW.getTime() - 60_000) }), signerA);
    await expect(verifyPackage(Buffer.from(signed), { checkCertificate: liar, now: () => NOW })).rejects.toMatchObject({ code: 'CERTIFICATE_UNTRUSTED' });
  });

  it('keeps a private copy of the bytes and brands the result', async () => {
    const input = Buffer.from(signPackage(unsignedEdoc({ at: new Date(NOW.getTime() - 60_000) }), signerA));
    const v = await verifyPackage(input, { checkCertificate: offline, now: () => NOW });
    const before = v.sha256;
    input.fill(0x20);
    expect(v.bytes.equals(input)).toBe(false);
    expect(v.sha256).toBe(before);
    expect(isVerifiedPackage(v)).toBe(true);
    expect(isVerifiedPackage({ ...v })).toBe(false); // a copy is not a verified package
    expect(() => {
      (v as { senderCode: string }).senderCode = AGENCY_B.code;
    }).toThrow(TypeError);
  });

  it('offline check: refuses a certificate without an agency code, or of another agency', async () => {
    const signerB = createPackageSigner(b.certificatePem, b.privateKeyPem);
    const signed = signPackage(unsignedEdoc({ at: new Date(NOW.getTime() - 60_000) }), signerB); // From = A
    await expect(verifyPackage(Buffer.from(signed), { checkCertificate: offline, now: () => NOW })).rejects.toMatchObject({ code: 'CERTIFICATE_UNTRUSTED', message: expect.stringMatching(/issued to agency 000\.01\.33\.H33/) });
    await expect(offline({ certificatePem: ca.certificatePem, agencyCode: AGENCY_A.code, at: NOW })).rejects.toMatchObject({ code: 'CERTIFICATE_UNTRUSTED' });
  });
});
