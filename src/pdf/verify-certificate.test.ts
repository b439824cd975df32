import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../crypto/ca.js';
import { pemToDer } from '../crypto/certificates.js';
import { checkSignerCertificate, describeSigner, toTrustAnchors } from './verify-certificate.js';

const cert = (name: string): string => readFileSync(new URL(`../../test/fixtures/pdf/certs/${name}.pem`, import.meta.url), 'utf8');
const der = (pem: string): Buffer => pemToDer(pem);
const NOW = new Date();

describe('who a certificate names', () => {
  it('a leader: a personal certificate (title, CCCD in UID), with the agency in O', () => {
    expect(describeSigner(der(cert('person')))).toMatchObject({ commonName: 'Nguyễn Văn An', organisation: 'UBND tỉnh Thừa Thiên Huế', agencyCode: null, role: 'person' });
  });

  it('an agency: its code in the subject serialNumber, its name in CN and O', () => {
    expect(describeSigner(der(cert('agency')))).toMatchObject({ commonName: 'UBND tỉnh Thừa Thiên Huế', agencyCode: '000.00.33.H33', role: 'agency' });
  });

  it("an agency certificate as this node's CA issues them (CN and serialNumber, no O)", () => {
    const ca = generateCa({ commonName: 'pdf test CA', validityDays: 2 });
    const issued = issueAgencyCertificate(ca, { agencyCode: '000.00.34.H33', agencyName: 'Sở Nội vụ', validityDays: 1 });
    expect(describeSigner(der(issued.certificatePem))).toMatchObject({ commonName: 'Sở Nội vụ', organisation: null, agencyCode: '000.00.34.H33', role: 'agency' });
  });

  it('a certificate that names neither is taken as personal (it cannot pass for a seal)', () => {
    const ca = generateCa({ commonName: 'Somebody', validityDays: 2 });
    expect(describeSigner(der(ca.certificatePem))?.role).toBe('person');
  });

  it('not a certificate: null', () => {
    expect(describeSigner(Buffer.from('3003020101', 'hex'))).toBeNull();
  });
});

describe('checking a signer certificate', () => {
  const anchors = toTrustAnchors([cert('test-ca')]);

  it('a person certificate from the test CA: no problem', () => {
    expect(checkSignerCertificate(der(cert('person')), [], anchors, NOW, 'signature')).toMatchObject({ problems: [] });
  });

  it('from another CA: untrusted-chain', () => {
    expect(checkSignerCertificate(der(cert('stranger')), [], anchors, NOW, 'signature').problems).toEqual(['untrusted-chain']);
  });

  it('checked at a time outside its validity: expired, or not yet valid', () => {
    expect(checkSignerCertificate(der(cert('expired')), [], anchors, NOW, 'signature').problems).toEqual(['expired']);
    expect(checkSignerCertificate(der(cert('expired')), [], anchors, new Date('2020-06-01T00:00:00Z'), 'signature').problems).toEqual(['untrusted-chain']);
    expect(checkSignerCertificate(der(cert('person')), [], anchors, new Date('2001-01-01T00:00:00Z'), 'signature').problems).toEqual(['not-yet-valid', 'untrusted-chain']);
  });

  it('for encryption only: key-usage; and a signing certificate is no timestamp authority', () => {
    expect(checkSignerCertificate(der(cert('encipherment')), [], anchors, NOW, 'signature').problems).toEqual(['key-usage']);
    expect(checkSignerCertificate(der(cert('person')), [], anchors, NOW, 'timestamp').problems).toEqual(['key-usage']);
  });

  it('through an intermediate CA carried in the signature', () => {
    const root = generateCa({ commonName: 'pdf root', validityDays: 3 });
    const intermediate = generateCa({ commonName: 'pdf intermediate', validityDays: 2, issuer: root });
    const leaf = issueAgencyCertificate(intermediate, { agencyCode: '000.00.35.H33', agencyName: 'Sở Tư pháp', validityDays: 1 });
    const rootAnchors = toTrustAnchors([root.certificatePem]);
    expect(checkSignerCertificate(der(leaf.certificatePem), [der(intermediate.certificatePem)], rootAnchors, NOW, 'signature')).toEqual({ problems: [], chain: [expect.stringContaining('Sở Tư pháp'), expect.stringContaining('pdf intermediate'), expect.stringContaining('pdf root')] });
    expect(checkSignerCertificate(der(leaf.certificatePem), [], rootAnchors, NOW, 'signature').problems).toEqual(['untrusted-chain']);
  });

  it('anchors given as a PEM bundle, as DER and as node-forge certificates are the same anchors', () => {
    const pem = cert('test-ca');
    const fromForge = toTrustAnchors([forge.pki.certificateFromPem(pem)]);
    const fromDer = toTrustAnchors([der(pem)]);
    const bundle = toTrustAnchors([`${pem}${cert('untrusted-ca')}`]);
    expect(bundle).toHaveLength(2);
    for (const a of [fromForge, fromDer, bundle]) expect(checkSignerCertificate(der(cert('person')), [], a, NOW, 'signature').problems).toEqual([]);
  });
});
