import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { TrustStore } from '../../src/crypto/trust.js';
import { DomainError } from '../../src/errors.js';
import { makeOddCertificate } from './test-pki.js';

const DAY = 86_400_000;
const NOW = new Date();
let root: CaMaterial;
let store: TrustStore;
let dir: string;

beforeAll(() => {
  root = generateCa({ commonName: 'Root CA', validityDays: 3650 });
  store = TrustStore.fromPems([root.certificatePem]);
  dir = mkdtempSync(join(tmpdir(), 'lienthong-trust-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CERTIFICATE_UNTRUSTED detail of a validation, or fails. */
function reason(certPem: string, opts: { at?: Date; intermediates?: string[]; in?: TrustStore } = {}): string {
  try {
    (opts.in ?? store).validate(certPem, { at: opts.at ?? NOW, ...(opts.intermediates ? { intermediates: opts.intermediates } : {}) });
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('CERTIFICATE_UNTRUSTED');
    return (e as DomainError).message;
  }
  throw new Error('expected CERTIFICATE_UNTRUSTED, but the certificate validated');
}

const agency = (ca: CaMaterial, extra: Partial<Parameters<typeof issueAgencyCertificate>[1]> = {}): string =>
  issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND xã A', validityDays: 30, ...extra }).certificatePem;

describe('TrustStore.validate', () => {
  it('accepts an agency certificate issued by an anchor and reports the chain', () => {
    const leaf = agency(root);
    const v = store.validate(leaf, { at: NOW });
    expect(v.agencyCode).toBe('000.00.33.H33');
    expect(v.chainPem).toEqual([leaf, root.certificatePem]);
    expect(v.anchorSubject).toBe('CN=Root CA,C=VN');
  });

  it('completes the path with a supplied intermediate, and says so when it is missing', () => {
    const sub = generateCa({ commonName: 'Sub CA', validityDays: 365, issuer: root, pathLength: 0 });
    const leaf = agency(sub);
    expect(store.validate(leaf, { at: NOW, intermediates: [sub.certificatePem] }).chainPem).toHaveLength(3);
    expect(reason(leaf)).toMatch(/no path to a trust anchor: issuer "CN=Sub CA,C=VN"/);
  });

  it('checks each link at the signing time: leaf expired / not yet valid, intermediate expired, anchor expired', () => {
    const oldRoot = generateCa({ commonName: 'Old Root', validityDays: 100, notBefore: new Date(NOW.getTime() - 90 * DAY) });
    const s = TrustStore.fromPems([oldRoot.certificatePem]);
    const at = (daysAgo: number): Date => new Date(NOW.getTime() - daysAgo * DAY);

    const leaf = issueAgencyCertificate(oldRoot, { agencyCode: '000.00.33.H33', agencyName: 'X', validityDays: 20, notBefore: at(40) }).certificatePem;
    expect(() => s.validate(leaf, { at: at(30) })).not.toThrow(); // valid when it signed
    expect(reason(leaf, { in: s })).toMatch(/^certificate .* expired before/);
    expect(reason(leaf, { in: s, at: at(41) })).toMatch(/^certificate .* is not yet valid/);

    const sub = generateCa({ commonName: 'Short Sub', validityDays: 10, issuer: oldRoot, notBefore: at(30) });
    const leafOfSub = issueAgencyCertificate(sub, { agencyCode: '000.00.33.H33', agencyName: 'X', validityDays: 30, notBefore: at(25) }).certificatePem; // clipped to the sub CA
    expect(() => s.validate(leafOfSub, { at: at(22), intermediates: [sub.certificatePem] })).not.toThrow();
    // leaf clipped to the sub CA: both expire together; an unclipped forge leaf shows the intermediate check
    const longLeaf = makeOddCertificate({ issuer: sub, commonName: 'Long', notBefore: at(25), notAfter: at(-30) });
    expect(reason(longLeaf.certificatePem, { in: s, intermediates: [sub.certificatePem] })).toMatch(/^intermediate CA "CN=Short Sub,C=VN" expired before/);

    const leafOfOld = makeOddCertificate({ issuer: oldRoot, commonName: 'After root', notBefore: at(5), notAfter: at(-60) });
    expect(reason(leafOfOld.certificatePem, { in: s, at: new Date(NOW.getTime() + 20 * DAY) })).toMatch(/^trust anchor "CN=Old Root,C=VN" expired before/);
  });

  it('refuses a self-signed certificate that is not issued by an anchor', () => {
    const self = makeOddCertificate({ commonName: 'UBND xã A', agencyCode: '000.00.33.H33' });
    expect(reason(self.certificatePem)).toMatch(/self-signed/);
  });

  it('refuses a CA certificate as signer, and a leaf without digitalSignature or without keyUsage', () => {
    const sub = generateCa({ commonName: 'Sub CA', validityDays: 365, issuer: root });
    expect(reason(sub.certificatePem)).toMatch(/is a CA certificate/);
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', agencyCode: '000.00.33.H33', keyUsage: { keyEncipherment: true } }).certificatePem)).toMatch(/keyUsage does not include digitalSignature/);
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', agencyCode: '000.00.33.H33', keyUsage: null }).certificatePem)).toMatch(/no keyUsage extension/);
  });

  it('refuses a leaf whose extKeyUsage is for TLS servers only', () => {
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', extKeyUsage: ['serverAuth'] }).certificatePem)).toMatch(/extKeyUsage .* does not allow signing/);
    expect(() => store.validate(makeOddCertificate({ issuer: root, commonName: 'A', extKeyUsage: ['emailProtection', 'clientAuth'] }).certificatePem, { at: NOW })).not.toThrow();
  });

  it('refuses a certificate that names the anchor as issuer but was signed by another key', () => {
    const impostor = generateCa({ commonName: 'Root CA', validityDays: 30 }); // same name, other key
    expect(reason(agency(impostor))).toMatch(/does not verify with the key of its issuer "CN=Root CA,C=VN"/);
  });

  it('refuses SHA-1 signed certificates, short keys and unknown critical extensions', () => {
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', digest: 'sha1' }).certificatePem)).toMatch(/signed with sha1WithRSAEncryption/);
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', bits: 1024 }).certificatePem)).toMatch(/1024-bit RSA key/);
    const nameConstraints = { id: '2.5.29.30', critical: true, value: '' };
    expect(reason(makeOddCertificate({ issuer: root, commonName: 'A', extraExtensions: [nameConstraints] }).certificatePem)).toMatch(/unsupported critical extension 2.5.29.30/);
  });

  it('enforces pathLenConstraint and CA flags of intermediates', () => {
    const strictRoot = generateCa({ commonName: 'Strict Root', validityDays: 365, pathLength: 0 });
    const sub = generateCa({ commonName: 'Sub of strict', validityDays: 30, issuer: strictRoot });
    const s = TrustStore.fromPems([strictRoot.certificatePem]);
    expect(reason(agency(sub), { in: s, intermediates: [sub.certificatePem] })).toMatch(/allows 0 CA certificate\(s\) below it, the path has 1/);
    // an end-entity certificate used as an "intermediate"
    const fakeCa = makeOddCertificate({ issuer: root, commonName: 'Not a CA', keyUsage: { digitalSignature: true, keyCertSign: true } });
    const below = makeOddCertificate({ issuer: fakeCa, commonName: 'Below' });
    expect(reason(below.certificatePem, { intermediates: [fakeCa.certificatePem] })).toMatch(/is not a CA certificate/);
  });

  it('requires a valid Date', () => {
    expect(() => store.validate(agency(root), { at: new Date('nope') })).toThrow(TypeError);
  });
});

describe('TrustStore construction', () => {
  it('reads every certificate of every *.pem in a directory, skipping key files', async () => {
    const other = generateCa({ commonName: 'Other Root', validityDays: 30 });
    writeFileSync(join(dir, 'a.pem'), `${root.certificatePem}${other.certificatePem}`);
    writeFileSync(join(dir, 'ca-key.pem'), root.privateKeyPem);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const s = await TrustStore.fromDirectory(dir);
    expect(s.size).toBe(2);
    expect(() => s.validate(agency(other), { at: NOW })).not.toThrow();
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    await expect(TrustStore.fromDirectory(dir)).rejects.toThrow(/holds no PEM certificate/);
  });

  it('accepts only CA certificates as anchors', () => {
    expect(() => new TrustStore().add(agency(root))).toThrow(/is not a CA certificate/);
  });
});
