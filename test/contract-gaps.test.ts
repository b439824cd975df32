import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa } from '../src/crypto/ca.js';
import { describeCertificate, splitPemCertificates } from '../src/crypto/certificates.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { TrustStore } from '../src/crypto/trust.js';
import { buildEdoc } from '../src/edxml/build.js';
import { createRegistryCertificateCheck } from '../src/edxml/verify-package.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, directive, sendDocument, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { makeOddCertificate } from './crypto/test-pki.js';
import { edocModel } from './signature/packages.js';
import { freePort } from './support/redis-server.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 12's contract gaps (shared/API.md) and the operator retry:
 * - a retried delivery starts afresh (attempts 0), and node-wide admins may retry any agency's;
 * - `POST /v1/agencies/{code}/certificates` answers `chainPem`, the issuer up to the trust anchor;
 * - a partner without `baseUrl` is a pull partner (on creation and on PATCH);
 * - a remote agency's certificate registered alone need not carry the agency code (the national CA's
 *   organisation certificates do not), and packages signed with it verify on the exchange API.
 */
const LOCAL = '000.01.83.H33';
const NEIGHBOUR = '000.02.83.H33';
const FLAKY_REMOTE = '000.00.83.G01'; // behind a push partner nobody listens for
const PULLED = '000.00.83.G02'; // behind a partner created without baseUrl
const NATIONAL = '000.00.83.G03'; // certificate from a national CA, no agency code in its subject
const SECOND = '000.00.83.G04';

// A national CA for organisations: ASCII names (test-pki.ts issues from it with node-forge).
const nationalCa = generateCa({ commonName: 'National organisation CA (contract gaps)', validityDays: 365 });
const nationalSub = generateCa({ commonName: 'National organisation sub-CA (contract gaps)', validityDays: 365, issuer: nationalCa });
const noCode = makeOddCertificate({ issuer: nationalCa, commonName: 'Sở Y tế tỉnh (chứng thư tổ chức)' });
const noCodeUnregistered = makeOddCertificate({ issuer: nationalCa, commonName: 'Sở Y tế tỉnh (chưa đăng ký)' });
const namesAnother = makeOddCertificate({ issuer: nationalCa, commonName: 'Sở Tài chính', agencyCode: SECOND });
const fromSubCa = makeOddCertificate({ issuer: nationalSub, commonName: 'Sở Xây dựng (qua CA trung gian)' });

let node: TestNode;
let local: Agency;
let neighbour: Agency;
let admin: string;

const fingerprints = (pem: string): string[] => splitPemCertificates(pem).map((p) => describeCertificate(p).fingerprintSha256);

async function nodeCaFingerprint(): Promise<string> {
  const anchors = await node.call('GET', '/v1/trust-anchors', { token: admin });
  return (anchors.json.items as Array<{ source: string; fingerprintSha256: string }>).find((a) => a.source === 'node-ca')!.fingerprintSha256;
}

async function created(res: Promise<{ status: number; text: string; json: Loose }>, status = 201): Promise<Loose> {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r.json;
}

async function events(id: string, token: string): Promise<Array<{ type: string; details: Loose }>> {
  return (await node.call('GET', `/v1/documents/${id}/events`, { token })).json.items;
}

async function delivery(id: string): Promise<Loose> {
  return (await node.call('GET', `/v1/documents/${id}`, { token: local.clerk })).json.deliveries[0];
}

/** Every item of a pull partner's list for `to`. */
async function pullList(token: string, to: string): Promise<Array<{ kind: string; from: string; documentId: string }>> {
  const res = await node.runtime.app.request(`/exchange/v1/packages?to=${encodeURIComponent(to)}&limit=500`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ kind: string; from: string; documentId: string }> }).items;
}

beforeAll(async () => {
  node = await startTestNode();
  admin = node.adminToken;
  local = await createAgency(node, { code: LOCAL, name: 'UBND xã hợp đồng', level: 'commune' });
  neighbour = await createAgency(node, { code: NEIGHBOUR, name: 'UBND xã láng giềng', level: 'commune' });
}, 60_000);
afterAll(async () => node?.close());

describe('operator retry of a failed delivery', () => {
  it('starts afresh (attempts 0, no last error), and the bootstrap admin and admin users may retry any agency’s delivery', async () => {
    // A push partner whose address nobody listens on: every attempt is a transient transport error.
    const port = await freePort();
    const partner = await created(
      node.call('POST', '/v1/partners', {
        token: admin,
        body: { id: 'flaky', name: 'Nút không trả lời', kind: 'lienthong', baseUrl: `http://127.0.0.1:${port}/`, credentials: { token: 'x' }, agencies: [FLAKY_REMOTE], maxAttempts: 2 },
      }),
    );
    await created(node.call('POST', '/v1/agencies', { token: admin, body: { code: FLAKY_REMOTE, name: 'Sở ở xa', level: 'department', endpoint: { type: 'remote', partnerId: 'flaky' } } }));
    const sent = await created(sendDocument(node, local.clerk, directive({ to: [FLAKY_REMOTE] })));
    const id = sent.id as string;
    const retry = (token: string) => node.call('POST', `/v1/documents/${id}/deliveries/${FLAKY_REMOTE}/retry`, { token });

    // What the first event after the n-th retry request says: a transient error must be a retry
    // (attempt 1 of 2), not the end of the delivery.
    const afterRetry = (n: number) =>
      eventually(async () => {
        const all = await events(id, local.clerk);
        const at = all.map((e, i) => (e.type === 'delivery.retry-requested' ? i : -1)).filter((i) => i >= 0)[n - 1];
        const next = at === undefined ? undefined : all.slice(at + 1).find((e) => e.type === 'delivery.retry' || e.type === 'delivery.failed');
        return next ? { request: all[at!]!, next } : undefined;
      }, 20_000, 100);
    const failed = () => eventually(async () => ((await delivery(id)).state === 'failed' ? delivery(id) : undefined), 20_000, 100);

    expect(await failed()).toMatchObject({ state: 'failed', attempts: 2, lastError: expect.stringContaining(`127.0.0.1:${port}`) });

    // Not for a partner, not for a clerk of another agency (the document does not exist for it).
    expect((await retry(partner.token as string)).status).toBe(403);
    const foreign = await retry(neighbour.clerk);
    expect(foreign.status).toBe(404);
    expect(foreign.json.code).toBe('NOT_FOUND');

    // The bootstrap admin (no agency) retries; the delivery starts again from 0 attempts.
    const byBootstrap = await retry(admin);
    expect(byBootstrap.status, byBootstrap.text).toBe(202);
    const first = await afterRetry(1);
    expect(first.request.details).toMatchObject({ by: 'admin:bootstrap', previousAttempts: 2 });
    expect(first.next.type).toBe('delivery.retry');
    expect(first.next.details.error).toContain(`127.0.0.1:${port}`);
    // Pending again, one attempt of the partner's two used: a clerk cannot retry what is not failed.
    const busy = await retry(local.clerk);
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe('ILLEGAL_TRANSITION');

    // An admin user of another agency may retry it too, once it has failed again.
    expect(await failed()).toMatchObject({ attempts: 2 });
    const adminUser = await created(node.call('POST', '/v1/users', { token: admin, body: { agencyCode: NEIGHBOUR, name: 'Quản trị', roles: ['admin'] } }));
    const byAdminUser = await retry(adminUser.token as string);
    expect(byAdminUser.status, byAdminUser.text).toBe(202);
    const second = await afterRetry(2);
    expect(second.request.details).toMatchObject({ by: `user:${adminUser.id as string}`, previousAttempts: 2 });
    expect(second.next.type).toBe('delivery.retry');

    // Who asked is in the audit trail too, under the sending agency.
    const audit = await node.call('GET', `/v1/audit-events?agency=${LOCAL}&subjectType=delivery`, { token: admin });
    expect((audit.json.items as Array<{ action: string; actorType: string }>).filter((e) => e.action === 'delivery.retry-requested').map((e) => e.actorType).sort()).toEqual([
      'admin',
      'user',
    ]);
  }, 90_000);
});

describe('chainPem in the answer of POST /v1/agencies/{code}/certificates', () => {
  it("is the node CA's certificate for a certificate the node CA issues", async () => {
    const code = '000.03.83.H33';
    await created(node.call('POST', '/v1/agencies', { token: admin, body: { code, name: 'UBND xã 3', level: 'commune' } }));
    const cert = await created(node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: {} }));
    expect(fingerprints(cert.chainPem as string)).toEqual([await nodeCaFingerprint()]);
    // The same in the agency's certificate list.
    const list = await node.call('GET', `/v1/agencies/${code}/certificates`, { token: admin });
    expect(fingerprints(list.json.items[0].chainPem as string)).toEqual([await nodeCaFingerprint()]);
  });
});

describe('a partner without baseUrl is a pull partner', () => {
  it('is created pull, and what we send its agencies waits in its pull list instead of failing', async () => {
    const partner = await created(node.call('POST', '/v1/partners', { token: admin, body: { id: 'no-address', name: 'Không địa chỉ', kind: 'lienthong', agencies: [PULLED] } }));
    expect(partner.mode).toBe('pull');
    const pushWithout = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'push-nowhere', name: 'x', kind: 'lienthong', mode: 'push', agencies: [] } });
    expect(pushWithout.status).toBe(422);
    expect(pushWithout.json.code).toBe('VALIDATION_FAILED');

    await created(node.call('POST', '/v1/agencies', { token: admin, body: { code: PULLED, name: 'Sở kéo về', level: 'department', endpoint: { type: 'remote', partnerId: 'no-address' } } }));
    const sent = await created(sendDocument(node, local.clerk, directive({ to: [PULLED] })));
    await eventually(async () => (await pullList(partner.token as string, PULLED)).find((i) => i.kind === 'edoc' && i.documentId === sent.documentId), 20_000, 100);
    expect(await delivery(sent.id as string)).toMatchObject({ state: 'sending', lastError: null });
    expect((await events(sent.id as string, local.clerk)).map((e) => e.type)).toContain('delivery.queued-for-pull');
  });

  it('follows its address on PATCH unless the mode is given; push without an address is 422', async () => {
    await created(node.call('POST', '/v1/partners', { token: admin, body: { id: 'moving', name: 'Đối tác chuyển', kind: 'lienthong', agencies: [] } }));
    const patch = (body: unknown) => node.call('PATCH', '/v1/partners/moving', { token: admin, body });

    expect((await patch({ baseUrl: 'http://127.0.0.1:9/' })).json).toMatchObject({ mode: 'push', baseUrl: 'http://127.0.0.1:9/' });
    expect((await patch({ baseUrl: null })).json).toMatchObject({ mode: 'pull', baseUrl: null });
    const refused = await patch({ mode: 'push' });
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('VALIDATION_FAILED');
    // A pull partner with an address keeps pulling when the address changes.
    expect((await patch({ baseUrl: 'http://127.0.0.1:9/', mode: 'pull' })).json).toMatchObject({ mode: 'pull' });
    expect((await patch({ baseUrl: 'http://127.0.0.1:10/' })).json).toMatchObject({ mode: 'pull', baseUrl: 'http://127.0.0.1:10/' });
    expect((await node.call('GET', '/v1/partners/moving', { token: admin })).json.mode).toBe('pull');
  });
});

describe("a remote agency's certificate without the agency code", () => {
  let partnerToken: string;

  beforeAll(async () => {
    partnerToken = (await created(node.call('POST', '/v1/partners', { token: admin, body: { id: 'national', name: 'Hệ thống tỉnh bạn', kind: 'lienthong', agencies: [NATIONAL, SECOND] } })))
      .token as string;
    for (const [code, name] of [
      [NATIONAL, 'Sở Y tế tỉnh bạn'],
      [SECOND, 'Sở Tài chính tỉnh bạn'],
    ] as const) {
      await created(node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level: 'department', endpoint: { type: 'remote', partnerId: 'national' } } }));
    }
  });

  it('registers when it chains to a trust anchor; one naming another agency is 422; one agency per certificate', async () => {
    expect(describeCertificate(noCode.certificatePem).agencyCode).toBeNull();
    const register = (code: string, body: Record<string, string>) => node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body });

    const untrusted = await register(NATIONAL, { certificatePem: noCode.certificatePem });
    expect(untrusted.status).toBe(422);
    expect(untrusted.json.code).toBe('CERTIFICATE_UNTRUSTED');
    await created(node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: nationalCa.certificatePem } }));

    const registered = await created(register(NATIONAL, { certificatePem: noCode.certificatePem }));
    expect(registered).toMatchObject({ agencyCode: NATIONAL, origin: 'registered', hasPrivateKey: false });
    expect(registered.subject).not.toContain('serialNumber=');
    expect(fingerprints(registered.chainPem as string)).toEqual([describeCertificate(nationalCa.certificatePem).fingerprintSha256]);

    const another = await register(NATIONAL, { certificatePem: namesAnother.certificatePem });
    expect(another.status).toBe(422);
    expect(another.json.code).toBe('CERTIFICATE_UNTRUSTED');
    expect(another.json.detail).toContain(SECOND);
    // The registration is the binding: the same certificate cannot be bound to a second agency.
    const twice = await register(SECOND, { certificatePem: noCode.certificatePem });
    expect(twice.status).toBe(409);
    // A key kept on this node signs for us and is checked offline elsewhere: it must carry the code.
    const ownKey = await register(LOCAL, { certificatePem: noCodeUnregistered.certificatePem, privateKeyPem: noCodeUnregistered.privateKeyPem });
    expect(ownKey.status).toBe(422);
    expect(ownKey.json.code).toBe('CERTIFICATE_UNTRUSTED');

    // Through an intermediate given with it: chainPem is the issuer first, the anchor last.
    const viaSub = await created(register(SECOND, { certificatePem: fromSubCa.certificatePem, chainPem: nationalSub.certificatePem }));
    expect(fingerprints(viaSub.chainPem as string)).toEqual([nationalSub, nationalCa].map((c) => describeCertificate(c.certificatePem).fingerprintSha256));
  });

  it('verifies packages signed with it on the exchange API (202), not with an unregistered one (422), and the 01 waits in the pull list', async () => {
    const signed = (cert: { certificatePem: string; privateKeyPem: string }, n: number) =>
      signPackage(
        buildEdoc(edocModel({ from: { code: NATIONAL, name: 'Sở Y tế tỉnh bạn' }, to: { code: LOCAL, name: 'UBND xã hợp đồng' }, at: new Date(), number: n })),
        createPackageSigner(cert.certificatePem, cert.privateKeyPem),
      );
    const push = async (xml: string) => {
      const res = await node.runtime.app.request('/exchange/v1/packages', {
        method: 'POST',
        headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml' },
        body: xml,
      });
      return { status: res.status, json: (await res.json()) as { code?: string; detail?: string; receiptId?: string } };
    };

    const stranger = await push(signed(noCodeUnregistered, 41));
    expect(stranger.status).toBe(422);
    expect(stranger.json.code).toBe('CERTIFICATE_UNTRUSTED');

    const accepted = await push(signed(noCode, 42));
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    const documentId = `${NATIONAL},2026/11/26,42/QĐ-UBND`;
    const itemId = await waitForInboxItem(node, local.clerk, documentId);
    const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: local.clerk });
    expect(item.json.verification).toMatchObject({ signatureValid: true, certificate: { subject: describeCertificate(noCode.certificatePem).subject } });

    // The recipient's 01 goes back to a partner without baseUrl: it waits in the pull list.
    await eventually(async () => (await pullList(partnerToken, NATIONAL)).find((i) => i.kind === 'status' && i.documentId === documentId), 20_000, 100);
  });

  it('the online check still refuses a certificate that names another agency, even one the registry holds for this agency', async () => {
    const store = TrustStore.fromPems([nationalCa.certificatePem]);
    const check = (registered: string[]) => createRegistryCertificateCheck({ trustStore: store, registeredCertificates: async () => registered });
    const input = (cert: { certificatePem: string }) => ({ certificatePem: cert.certificatePem, agencyCode: NATIONAL, at: new Date() });

    await expect(check([namesAnother.certificatePem])(input(namesAnother))).rejects.toMatchObject({
      code: 'CERTIFICATE_UNTRUSTED',
      message: expect.stringContaining(`issued to agency ${SECOND}`),
    });
    await expect(check([noCode.certificatePem])(input(noCode))).resolves.toMatchObject({ fingerprintSha256: describeCertificate(noCode.certificatePem).fingerprintSha256 });
    await expect(check([noCode.certificatePem])(input(noCodeUnregistered))).rejects.toMatchObject({ code: 'CERTIFICATE_UNTRUSTED' });
  });
});
