import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import { verifyPackage } from '../src/edxml/verify-package.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { startTestNode, type TestNode } from './support/runtime.js';

let node: TestNode;
let admin: string;
const DISTRICT = '000.00.33.H33';
const COMMUNE = '000.01.33.H33';
const REMOTE = '000.00.34.H33';

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false } });
  admin = node.adminToken;
  for (const body of [
    { code: DISTRICT, name: 'UBND huyện Kiên Lương', level: 'district' },
    { code: COMMUNE, name: 'UBND xã Bình An', level: 'commune', parentCode: DISTRICT },
    { code: REMOTE, name: 'UBND huyện Giang Thành', level: 'district' },
  ]) {
    expect((await node.call('POST', '/v1/agencies', { token: admin, body })).status).toBe(201);
  }
});
afterAll(async () => node?.close());

const foreignCa = generateCa({ commonName: 'Peer node CA', validityDays: 365 });

describe('certificates and trust anchors', () => {
  it("lists the node's own CA among the trust anchors", async () => {
    const res = await node.call('GET', '/v1/trust-anchors', { token: admin });
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([expect.objectContaining({ source: 'node-ca', certificatePem: expect.stringContaining('BEGIN CERTIFICATE') })]);
  });

  it('issues an agency certificate from the node CA, shown in the agency answer', async () => {
    const res = await node.call('POST', `/v1/agencies/${DISTRICT}/certificates`, { token: admin, body: {} });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ agencyCode: DISTRICT, origin: 'issued', hasPrivateKey: true, active: true });
    expect(res.json.subject).toContain(`serialNumber=${DISTRICT}`);
    expect(res.json.subject).toContain('UBND huyện Kiên Lương');
    expect(JSON.stringify(res.json)).not.toContain('PRIVATE KEY');

    const agency = await node.call('GET', `/v1/agencies/${DISTRICT}`, { token: admin });
    expect(agency.json.certificate).toMatchObject({
      fingerprintSha256: res.json.fingerprintSha256,
      expiringSoon: false,
      expiresInDays: expect.any(Number),
    });
    expect(agency.json.certificate.expiresInDays).toBeGreaterThan(700);

    const metrics = await node.call('GET', '/metrics', { token: admin });
    expect(metrics.text).toMatch(new RegExp(`lienthong_certificate_expiry_days\\{agency="${DISTRICT.replace(/\./g, '\\.')}"`));
    expect(metrics.text).toMatch(/^lienthong_certificates_expiring_soon 0$/m);
  });

  it('signs with the stored key; the package verifies against the registry, and not for another agency', async () => {
    const em = node.runtime.orm.em.fork();
    const signer = await node.runtime.pki.signerFor(em, DISTRICT);
    const xml = signPackage(
      buildStatus({
        from: { organId: DISTRICT, organName: 'UBND huyện Kiên Lương' },
        responseFor: { organId: COMMUNE, documentId: `${COMMUNE},2026/11/26,1/UBND-VP`, code: '1/UBND-VP', promulgationDate: '2026/11/26' },
        statusCode: '01',
        timestamp: dateToEdxmlTimestamp(new Date()),
      }),
      signer,
    );
    const verified = await verifyPackage(Buffer.from(xml), { checkCertificate: await node.runtime.pki.certificateCheck(em) });
    expect(verified.senderCode).toBe(DISTRICT);

    // The same package claiming to come from the commune (no certificate registered) fails closed.
    const forged = xml.replace(`<edXML:OrganId>${DISTRICT}</edXML:OrganId>`, `<edXML:OrganId>${COMMUNE}</edXML:OrganId>`);
    await expect(verifyPackage(Buffer.from(forged), { checkCertificate: await node.runtime.pki.certificateCheck(em) })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it('refuses a remote certificate from an untrusted CA (422 CERTIFICATE_UNTRUSTED), then accepts it once the CA is trusted', async () => {
    const issued = issueAgencyCertificate(foreignCa, { agencyCode: REMOTE, agencyName: 'UBND huyện Giang Thành', validityDays: 365 });
    const first = await node.call('POST', `/v1/agencies/${REMOTE}/certificates`, { token: admin, body: { certificatePem: issued.certificatePem } });
    expect(first.status).toBe(422);
    expect(first.json.code).toBe('CERTIFICATE_UNTRUSTED');

    const anchor = await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: foreignCa.certificatePem } });
    expect(anchor.status).toBe(201);
    expect(anchor.json.source).toBe('api');
    const again = await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: foreignCa.certificatePem } });
    expect(again.status).toBe(409);

    const second = await node.call('POST', `/v1/agencies/${REMOTE}/certificates`, { token: admin, body: { certificatePem: issued.certificatePem } });
    expect(second.status).toBe(201);
    expect(second.json).toMatchObject({ origin: 'registered', hasPrivateKey: false });
    const dup = await node.call('POST', `/v1/agencies/${REMOTE}/certificates`, { token: admin, body: { certificatePem: issued.certificatePem } });
    expect(dup.status).toBe(409);
  });

  it("refuses another agency's certificate, a self-signed one, a non-CA anchor and a key that does not match", async () => {
    const other = issueAgencyCertificate(foreignCa, { agencyCode: REMOTE, agencyName: 'x', validityDays: 30 });
    const wrongAgency = await node.call('POST', `/v1/agencies/${COMMUNE}/certificates`, {
      token: admin,
      body: { certificatePem: other.certificatePem, privateKeyPem: other.privateKeyPem },
    });
    expect(wrongAgency.status).toBe(422);
    expect(wrongAgency.json.code).toBe('CERTIFICATE_UNTRUSTED');

    const selfSigned = generateCa({ commonName: 'me', validityDays: 30 });
    const self = await node.call('POST', `/v1/agencies/${COMMUNE}/certificates`, { token: admin, body: { certificatePem: selfSigned.certificatePem } });
    expect(self.status).toBe(422);
    expect(self.json.code).toBe('CERTIFICATE_UNTRUSTED');

    const leafAsAnchor = await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: other.certificatePem } });
    expect(leafAsAnchor.status).toBe(422);

    const mine = issueAgencyCertificate(foreignCa, { agencyCode: COMMUNE, agencyName: 'UBND xã Bình An', validityDays: 30 });
    const mismatch = await node.call('POST', `/v1/agencies/${COMMUNE}/certificates`, {
      token: admin,
      body: { certificatePem: mine.certificatePem, privateKeyPem: other.privateKeyPem },
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.code).toBe('VALIDATION_FAILED');

    const ok = await node.call('POST', `/v1/agencies/${COMMUNE}/certificates`, {
      token: admin,
      body: { certificatePem: mine.certificatePem, privateKeyPem: mine.privateKeyPem },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ origin: 'uploaded', hasPrivateKey: true });
    const agency = await node.call('GET', `/v1/agencies/${COMMUNE}`, { token: admin });
    expect(agency.json.certificate.expiringSoon).toBe(true);
  });

  it('lets only admins add certificates and anchors (403), and answers 404 for an unknown agency', async () => {
    const user = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode: DISTRICT, name: 'clerk', roles: ['clerk'] } });
    const clerk = user.json.token as string;
    expect((await node.call('POST', `/v1/agencies/${DISTRICT}/certificates`, { token: clerk, body: {} })).status).toBe(403);
    expect((await node.call('POST', '/v1/trust-anchors', { token: clerk, body: { certificatePem: foreignCa.certificatePem } })).status).toBe(403);
    expect((await node.call('GET', `/v1/agencies/${DISTRICT}/certificates`, { token: clerk })).status).toBe(200);
    expect((await node.call('POST', '/v1/agencies/999.99.99.Z99/certificates', { token: admin, body: {} })).status).toBe(404);
  });
});
