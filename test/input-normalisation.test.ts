import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { buildEdoc, buildStatus } from '../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../src/edxml/dates.js';
import type { Attachment } from '../src/edxml/model.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { createAgency, directive, getBytes, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 11, "Normalise what comes in": file names and types from clerks and partners, the download
 * headers, cursors, text that XML cannot carry, and a partner's status re-encoded on the way. Each
 * case here was a 500, a stored XSS or a second record before.
 */
const DISTRICT = '000.00.72.H33';
const COMMUNE = '000.01.72.H33';
const REMOTE = '000.00.72.G05';
const REMOTE_NAME = 'Sở Nội vụ (đối tác)';
const ca = generateCa({ commonName: 'Partner CA (input normalisation tests)', validityDays: 365 });
const remoteCert = issueAgencyCertificate(ca, { agencyCode: REMOTE, agencyName: REMOTE_NAME, validityDays: 365 });
const remoteSigner = createPackageSigner(remoteCert.certificatePem, remoteCert.privateKeyPem!);

let node: TestNode;
let district: Agency;
let commune: Agency;
let partnerToken: string;

async function push(xml: string): Promise<{ status: number; json: Loose }> {
  const res = await node.runtime.app.request('/exchange/v1/packages', {
    method: 'POST',
    headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/xml' },
    body: xml,
  });
  return { status: res.status, json: await res.json() };
}

async function multipart(metadata: unknown, files: Array<{ name: string; type: string; bytes: Buffer }>): Promise<Response> {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name);
  return node.runtime.app.request(new Request('http://localhost/v1/documents', { method: 'POST', headers: { authorization: `Bearer ${district.clerk}` }, body: form }));
}

const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj << >> endobj\n%%EOF\n', 'latin1');

/** The field errors of a 422. */
const fieldPaths = (json: Loose): string[] => ((json?.errors ?? []) as Array<{ path: string }>).map((e) => e.path);

beforeAll(async () => {
  node = await startTestNode();
  const admin = node.adminToken;
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện chuẩn hoá', level: 'district' });
  commune = await createAgency(node, { code: COMMUNE, name: 'UBND xã chuẩn hoá', level: 'commune', parentCode: DISTRICT });
  expect((await node.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: ca.certificatePem } })).status).toBeLessThan(300);
  const partner = await node.call('POST', '/v1/partners', { token: admin, body: { id: 'normaliser', name: 'Đối tác', kind: 'lienthong', mode: 'pull', agencies: [REMOTE] } });
  expect(partner.status, partner.text).toBe(201);
  partnerToken = partner.json.token as string;
  const remote = await node.call('POST', '/v1/agencies', { token: admin, body: { code: REMOTE, name: REMOTE_NAME, level: 'department', endpoint: { type: 'remote', partnerId: 'normaliser' } } });
  expect(remote.status, remote.text).toBe(201);
  const cert = await node.call('POST', `/v1/agencies/${REMOTE}/certificates`, { token: admin, body: { certificatePem: remoteCert.certificatePem } });
  expect(cert.status, cert.text).toBe(201);
});
afterAll(async () => node?.close());

describe('what a clerk sends', () => {
  it('a 12,000-character multipart file name → 422 on the name, and no number is taken', async () => {
    const res = await multipart(directive({ to: [COMMUNE] }), [{ name: `${'a'.repeat(12_000)}.pdf`, type: 'application/pdf', bytes: pdf }]);
    const json = (await res.json()) as Loose;
    expect(res.status, JSON.stringify(json).slice(0, 500)).toBe(422);
    expect(json.code).toBe('VALIDATION_FAILED');
    expect(fieldPaths(json)).toEqual(['attachments.0.name']);
    expect(json.errors[0].message).toContain('255 bytes');
  });

  it('a subject, a signer or a place with U+0001 → 422 naming the field, before a number is taken', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: 'V/v \u0001 thử' }, 'subject'],
      [{ signer: { fullName: 'Nguyễn\uFFFE', position: 'Chủ tịch' } }, 'signer.fullName'],
      [{ toPlaces: ['Như trên', 'Lưu:\u0008VT'] }, 'toPlaces.1'],
      [{ staff: { name: 'x\uD800' } }, 'staff.name'],
    ];
    for (const [override, path] of cases) {
      const res = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], ...override }));
      expect(res.status, res.text).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(fieldPaths(res.json)).toEqual([path]);
      expect(res.json.errors[0].message).toContain('XML 1.0 cannot carry');
    }
    // An agency name goes into the From/To of every package too.
    const agency = await node.call('POST', '/v1/agencies', { token: node.adminToken, body: { code: '000.09.72.H33', name: 'UBND\u0001xã', level: 'commune' } });
    expect(agency.status, agency.text).toBe(422);
    expect(fieldPaths(agency.json)).toEqual(['name']);
  });

  it('after the refusals the register is whole: the next document is number 1, and it signs', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], attachments: [{ name: 'Kế hoạch.pdf', contentType: 'Application/PDF', contentBase64: pdf.toString('base64') }] }));
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json.code.number).toBe(1);
    // The type is stored as the policy reads it.
    expect(sent.json.attachments).toEqual([expect.objectContaining({ name: 'Kế hoạch.pdf', contentType: 'application/pdf' })]);
    await waitForDeliveries(node, district.clerk, sent.json.id as string, { [COMMUNE]: { state: 'arrived' } });
  });

  it('a recall reason or a status description with a control character → 422', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [COMMUNE] }));
    expect(sent.status, sent.text).toBe(201);
    await waitForDeliveries(node, district.clerk, sent.json.id as string, { [COMMUNE]: { state: 'arrived' } });
    const recall = await node.call('POST', `/v1/documents/${sent.json.id as string}/recall`, { token: district.clerk, body: { reason: 'Ban hành\u0002nhầm' } });
    expect(recall.status, recall.text).toBe(422);
    expect(fieldPaths(recall.json)).toEqual(['reason']);
    const itemId = await waitForInboxItem(node, commune.clerk, sent.json.documentId as string);
    const refused = await node.call('POST', `/v1/inbox/${itemId}/status`, { token: commune.clerk, body: { code: '02', description: 'Sai\u001fđịa chỉ' } });
    expect(refused.status, refused.text).toBe(422);
    expect(fieldPaths(refused.json)).toEqual(['description']);
  });
});

describe('what a partner sends', () => {
  const hostileFiles: Array<Omit<Attachment, 'contentId' | 'contentBase64'> & { bytes: Buffer }> = [
    { attachmentName: '../../evil.html', contentType: 'text/html', bytes: Buffer.from('<script>alert(document.cookie)</script>') },
    { attachmentName: 'logo.svg', contentType: 'image/svg+xml', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') },
    { attachmentName: 'báo cáo.pdf', contentType: 'application/pdf\r\nX-Injected: 1', bytes: pdf },
    { attachmentName: `${'đ'.repeat(12_000)}.pdf`, contentType: 'Application/PDF', bytes: pdf },
  ];

  function hostileEdoc(): string {
    const model = edocModel({ from: { code: REMOTE, name: REMOTE_NAME }, to: { code: COMMUNE, name: commune.name }, at: new Date(), number: 41 });
    const attachments: Attachment[] = hostileFiles.map((f, i) => ({
      contentId: `cid:${i + 1}`,
      attachmentName: f.attachmentName,
      contentType: f.contentType,
      contentBase64: f.bytes.toString('base64'),
    }));
    return signPackage(
      buildEdoc({ ...model, attachments, manifest: attachments.map((a) => ({ contentId: a.contentId, contentType: a.contentType, attachmentName: a.attachmentName })) }),
      remoteSigner,
    );
  }

  it('is stored, but its files are named safely and served as octet-stream unless allowed', async () => {
    const pushed = await push(hostileEdoc());
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(202);
    const itemId = await waitForInboxItem(node, commune.clerk, `${REMOTE},2026/11/26,41/QĐ-UBND`);
    const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
    expect(item.status, item.text).toBe(200);
    const listed = item.json.attachments as Array<{ name: string; contentType: string }>;
    expect(listed.map((a) => a.contentType)).toEqual(['application/octet-stream', 'application/octet-stream', 'application/octet-stream', 'application/pdf']);
    expect(listed[0]!.name).toBe('_.._evil.html');
    expect(listed[2]!.name).toBe('báo cáo.pdf');
    expect(Buffer.byteLength(listed[3]!.name, 'utf8')).toBeLessThanOrEqual(255);
    expect(listed[3]!.name.endsWith('.pdf')).toBe(true);

    for (const [index, file] of hostileFiles.entries()) {
      const res = await getBytes(node, `/v1/inbox/${itemId}/attachments/${index}`, commune.clerk);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(listed[index]!.contentType);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const disposition = res.headers.get('content-disposition')!;
      expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9 ._()+-]+"; filename\*=UTF-8''\S+$/);
      expect(disposition).not.toContain('/');
      expect(res.bytes.equals(file.bytes)).toBe(true);
    }
  });

  it('the package download of a DocumentId with slashes has no / in its file name', async () => {
    const list = await node.call('GET', '/v1/inbox', { token: commune.clerk });
    const item = (list.json.items as Loose[]).find((i) => String(i.documentId).startsWith(REMOTE));
    const res = await getBytes(node, `/v1/inbox/${item.id as string}/edxml`, commune.clerk);
    expect(res.status).toBe(200);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toContain(`filename="${REMOTE}_2026_11_26_41_QD-UBND.edxml"`);
    expect(disposition).not.toContain('/');
  });

  it('a status re-encoded on the way (same signed content, other bytes) answers the first receipt and records nothing', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [REMOTE] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [REMOTE]: { state: 'sending' } });
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    const signed = signPackage(
      buildStatus({
        from: { organId: REMOTE, organName: REMOTE_NAME },
        responseFor: {
          organId: DISTRICT,
          documentId: doc.documentId as string,
          code: `${doc.code.text as string}`,
          promulgationDate: String(doc.promulgation.date).replace(/-/g, '/'),
        },
        statusCode: '01',
        description: 'Đã đến',
        timestamp: dateToEdxmlTimestamp(new Date()),
      }),
      remoteSigner,
    );
    // Another serialisation of the same XML: attributes in single quotes, a space before each
    // closing `>` of a start tag, a newline after the root. The signature still covers it.
    const reencoded = `${signed.replace(/="([^"']*)"/g, "='$1'").replace(/<([A-Za-z][\w:.-]*)>/g, '<$1 >')}\n`;
    expect(reencoded).not.toBe(signed);

    const first = await push(signed);
    expect(first.status, JSON.stringify(first.json)).toBe(202);
    const again = await push(reencoded);
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(again.json.receiptId).toBe(first.json.receiptId);

    const after = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(after.deliveries[0]).toMatchObject({ recipient: REMOTE, state: 'arrived', statusCode: '01' });
    expect(after.deliveries[0].statuses).toHaveLength(1);
    const events = (await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk })).json.items as Array<{ type: string; statusCode: string | null }>;
    expect(events.filter((e) => e.type === 'status')).toHaveLength(1);
  });
});

describe('cursors', () => {
  const forged = (k: unknown) => Buffer.from(JSON.stringify({ k }), 'utf8').toString('base64url');
  // Each list's key made invalid: a time that is no date, a NUL byte (PostgreSQL refuses it in text),
  // an id that is no UUID, a serial beyond bigint; and what is not a cursor at all.
  const garbage = ['xyz', forged(5), forged('garbage|garbage'), forged('abc\u0000'), forged('not a uuid')];

  it.each([
    ['/v1/documents', () => district.clerk, []],
    ['/v1/inbox', () => commune.clerk, []],
    ['/v1/agencies', () => node.adminToken, []],
    ['/v1/groups', () => node.adminToken, []],
    ['/v1/users', () => node.adminToken, []],
    ['/v1/partners', () => node.adminToken, []],
    ['/v1/audit-events', () => node.adminToken, [forged('99999999999999999999')]],
    ['/exchange/v1/packages', () => partnerToken, []],
  ] as Array<[string, () => string, string[]]>)('%s: a cursor this API did not hand out → 422 on cursor', async (path, token, more) => {
    for (const cursor of [...garbage, ...more]) {
      const res = await node.call('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token: token() });
      expect(res.status, `${path} ${cursor}: ${res.text}`).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(fieldPaths(res.json)).toEqual(['cursor']);
    }
  });

  it('the cursors handed out still page through a newest-first list without gaps or repeats', async () => {
    const all = await node.call('GET', '/v1/documents?limit=500', { token: district.clerk });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await node.call('GET', `/v1/documents?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: district.clerk });
      expect(res.status, res.text).toBe(200);
      seen.push(...(res.json.items as Array<{ id: string }>).map((d) => d.id));
      cursor = res.json.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual((all.json.items as Array<{ id: string }>).map((d) => d.id));
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });
});
