import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc } from '../src/edxml/build.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, type Agency } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Hostile input on the exchange API: nothing that fails a check may create an inbox item, and each
 * refusal carries its stable code.
 */
const LOCAL = '000.01.70.H33';
const SERVED = '000.00.70.G01';
const NOT_SERVED = '000.00.70.G02';
const ca = generateCa({ commonName: 'Peer CA (hostile tests)', validityDays: 365 });
const servedCert = issueAgencyCertificate(ca, { agencyCode: SERVED, agencyName: 'Sở A', validityDays: 365 });
const otherCert = issueAgencyCertificate(ca, { agencyCode: NOT_SERVED, agencyName: 'Sở B', validityDays: 365 });

let node: TestNode;
let local: Agency;
let partnerToken: string;

function signed(from: { code: string; name: string }, cert: { certificatePem: string; privateKeyPem?: string }, to = LOCAL, n = 1): string {
  return signPackage(buildEdoc(edocModel({ from, to: { code: to, name: 'UBND xã' }, at: new Date(), number: n })), createPackageSigner(cert.certificatePem, cert.privateKeyPem!));
}

async function push(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await node.runtime.app.request('/exchange/v1/packages', {
    method: 'POST',
    headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: res.status, json: (await res.json()) as { code?: string; receiptId?: string }, headers: res.headers };
}

async function inboxCount(): Promise<number> {
  return ((await node.call('GET', '/v1/inbox', { token: local.clerk })).json.items as unknown[]).length;
}

beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_MAX_BODY_BYTES: String(2 * 1024 * 1024), LIENTHONG_EXCHANGE_RATE_PER_MINUTE: '40' } });
  local = await createAgency(node, { code: LOCAL, name: 'UBND xã hostile', level: 'commune' });
  const admin = node.adminToken;
  await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } });
  for (const [code, cert] of [[SERVED, servedCert], [NOT_SERVED, otherCert]] as const) {
    await node.call('POST', '/v1/agencies', { token: admin, body: { code, name: code, level: 'department' } });
    await node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: { certificatePem: cert.certificatePem } });
  }
  const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'peer', name: 'Peer', kind: 'lienthong', agencies: [SERVED] } });
  partnerToken = partner.json.token as string;
});
afterAll(async () => node?.close());

describe('hostile input on the exchange API', () => {
  const valid = () => signed({ code: SERVED, name: 'Sở A' }, servedCert);

  const cases: Array<[string, () => string | Buffer, number, string]> = [
    ['content changed after signing', () => valid().replace('Về việc triển khai', 'Về việc hủy bỏ'), 422, 'SIGNATURE_INVALID'],
    ['SignatureValue changed', () => valid().replace(/<SignatureValue>(.)/, (_m, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`), 422, 'SIGNATURE_INVALID'],
    ['two Signature elements', () => valid().replace(/(<Signature xmlns[\s\S]*?<\/Signature>)/, '$1$1'), 422, 'SIGNATURE_INVALID'],
    ['DOCTYPE with an internal entity', () => valid().replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE edXML [<!ENTITY x "y">]>'), 400, 'XML_FORBIDDEN'],
    ['an external entity', () => valid().replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'), 400, 'XML_FORBIDDEN'],
    ['several roots', () => `${valid()}<edXML/>`, 400, 'XML_FORBIDDEN'],
    ['not XML at all', () => 'hello', 400, 'XML_MALFORMED'],
    ['10,000-deep nesting', () => `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`, 400, 'XML_FORBIDDEN'],
    ['a package from an agency the partner does not serve', () => signed({ code: NOT_SERVED, name: 'Sở B' }, otherCert, LOCAL, 2), 403, 'FORBIDDEN'],
    ['a package for an agency that is not on this node', () => signed({ code: SERVED, name: 'Sở A' }, servedCert, '000.09.70.H33', 3), 422, 'UNKNOWN_RECIPIENT'],
    ['a self-signed certificate', () => {
      const self = generateCa({ commonName: 'me', validityDays: 30 });
      return signPackage(buildEdoc(edocModel({ from: { code: SERVED, name: 'Sở A' }, to: { code: LOCAL, name: 'x' }, at: new Date() })), createPackageSigner(self.certificatePem, self.privateKeyPem));
    }, 422, 'CERTIFICATE_UNTRUSTED'],
  ];

  for (const [name, make, status, code] of cases) {
    it(`${name} → ${status} ${code}, no inbox item`, async () => {
      const before = await inboxCount();
      const res = await push(make());
      expect(res.status).toBe(status);
      expect(res.json.code).toBe(code);
      expect(await inboxCount()).toBe(before);
    });
  }

  it('an oversize body is refused with 413 while it streams', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 64 * 1024) controller.enqueue(big.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
    const res = await node.runtime.app.request('/exchange/v1/packages', {
      method: 'POST',
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('users and the admin get 403 on the exchange API; no token is 401', async () => {
    expect((await node.call('GET', '/exchange/v1/packages', { token: local.clerk })).status).toBe(403);
    expect((await node.call('GET', '/exchange/v1/packages', { token: node.adminToken })).status).toBe(403);
    expect((await node.call('GET', '/exchange/v1/packages')).status).toBe(401);
  });

  it('a valid package lands once; sent again it answers 200 with the first receipt', async () => {
    const bytes = valid();
    const first = await push(bytes);
    expect(first.status).toBe(202);
    const again = await push(bytes);
    expect(again.status).toBe(200);
    expect(again.json.receiptId).toBe(first.json.receiptId);
  });

  it('a package that also names an agency hosted elsewhere: a peer gets 422; from the axis it lands for ours only', async () => {
    // The national axis hands every system the package naming all recipients of the document; a
    // lienthong peer sends one package per destination, so a foreign recipient is its mistake.
    const model = edocModel({ from: { code: SERVED, name: 'Sở A' }, to: { code: LOCAL, name: 'UBND xã' }, at: new Date(), number: 77 });
    model.messageHeader.to.push({ organId: '000.09.70.H33', organName: 'UBND xã ở nơi khác' });
    const bytes = signPackage(buildEdoc(model), createPackageSigner(servedCert.certificatePem, servedCert.privateKeyPem!));
    const before = await inboxCount();
    const fromPeer = await push(bytes);
    expect([fromPeer.status, fromPeer.json.code]).toEqual([422, 'UNKNOWN_RECIPIENT']);
    expect(await inboxCount()).toBe(before);

    const axis = await node.call('POST', '/v1/partners', {
      token: node.adminToken,
      body: { id: 'axis', name: 'Trục', kind: 'axis', credentials: { systemId: 'lt', secret: 'axis-secret' }, agencies: [SERVED] },
    });
    expect(axis.status, axis.text).toBe(201);
    const fromAxis = await push(bytes, { authorization: `Bearer ${axis.json.token as string}` });
    expect(fromAxis.status).toBe(202);
    expect(await inboxCount()).toBe(before + 1);
    const rows = await node.runtime.orm.em
      .fork()
      .getConnection()
      .execute<Array<{ agency_code: string }>>(`select i.agency_code from inbox_item i join edxml_package p on p.id = i.package_id where p.document_id = ?`, [model.messageHeader.documentId]);
    expect(rows.map((r) => r.agency_code)).toEqual([LOCAL]);
  });

  it('past the per-partner rate limit: 429 RATE_LIMITED with Retry-After', async () => {
    let limited: Awaited<ReturnType<typeof push>> | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await push('x');
      if (res.status === 429) limited = res;
    }
    expect(limited?.json.code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
