/**
 * Issue 17, issuing with legal signatures, end to end on a real node (PostgreSQL, Redis, the worker):
 * a directive goes draft → the leader's approval (signed by the node with the leader's key, or
 * signed by the leader elsewhere and uploaded) → "Cấp số và ký số" (the register's number and date
 * written into the PDF, the agency's signature with its seal) → delivery; the commune's inbox gets
 * the very bytes that were issued, and tools that are not ours judge them: poppler's pdfsig against
 * an NSS database trusting the node CA, pdftotext for the number and date. A failure in the agency's
 * step takes no number.
 *
 * With LIENTHONG_RENDER_DOCS=1 the first page of the issued directive is rendered into
 * docs/issued-directive.png for the README.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate, type CaMaterial } from '../src/crypto/ca.js';
import { createPackageSigner } from '../src/crypto/signer.js';
import { openIncrementalUpdate } from '../src/pdf/sign-incremental.js';
import { signPdf } from '../src/pdf/sign.js';
import { dateLine } from '../src/pdf/stamp.js';
import { verifyPdfSignatures } from '../src/pdf/verify.js';
import { ASYNC_TIMEOUT_MS, createDistrict, directive, type Agency, type Loose } from './acceptance/helpers.js';
import { makeOddCertificate } from './crypto/test-pki.js';
import { directiveDraftPdf, DRAFT_TEMPLATE, LEADER_BOX } from './support/draft-pdf.js';
import { nssTrusting, pdfsig, pdftotext, renderFirstPage, renderFirstPagePpm } from './support/poppler.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

const SEAL = readFileSync(fileURLToPath(new URL('./fixtures/seal/seal.png', import.meta.url)));

let node: TestNode;
let dir: string;
let nodeCaPem: string;

/** A leader (role signer) of an agency: their bearer token and id. */
interface Leader {
  id: string;
  token: string;
}

async function addLeader(agency: Agency, name: string): Promise<Leader> {
  const res = await node.call('POST', '/v1/users', { token: node.adminToken, body: { agencyCode: agency.code, name, roles: ['signer'] } });
  expect(res.status, res.text).toBe(201);
  return { id: res.json.id, token: res.json.token };
}

/** Raw bytes of a GET (PDFs, images). */
async function bytesOf(path: string, token: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await node.runtime.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

/** PUT with a binary body (node.call sends strings as UTF-8). */
async function putBinary(path: string, token: string, body: Buffer, type: string): Promise<{ status: number; json: Loose; text: string }> {
  const res = await node.runtime.app.request(path, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

async function postPdf(path: string, token: string, pdf: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: Loose; text: string }> {
  const res = await node.runtime.app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf', ...headers }, body: new Uint8Array(pdf) });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** A draft directive to `to`, its PDF first (JSON with base64 files, as POST /v1/documents takes). */
async function uploadDraft(agency: Agency, pdf: Buffer, to: string[], extra: Record<string, unknown> = {}): Promise<Loose> {
  const { promulgation: _date, ...body } = directive({ to, ...extra });
  const res = await node.call('POST', '/v1/drafts', {
    token: agency.clerk,
    body: { ...body, promulgation: { place: 'Kiên Lương' }, attachments: [{ name: 'chi-thi.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** Waits until every recipient has the document (01), and returns the commune's inbox item's first attachment. */
async function deliveredAttachment(documentId: string, sender: Agency, commune: Agency): Promise<Buffer> {
  await eventually(async () => {
    const view = await node.call('GET', `/v1/documents/${documentId}`, { token: sender.clerk });
    return view.json.deliveries.length > 0 && view.json.deliveries.every((d: { state: string }) => d.state === 'arrived');
  }, ASYNC_TIMEOUT_MS);
  const doc = await node.call('GET', `/v1/documents/${documentId}`, { token: sender.clerk });
  const inbox = await node.call('GET', '/v1/inbox', { token: commune.clerk });
  const item = inbox.json.items.find((i: Loose) => i.documentId === doc.json.documentId);
  expect(item, JSON.stringify(inbox.json.items.map((i: Loose) => i.documentId))).toBeTruthy();
  const file = await bytesOf(`/v1/inbox/${item.id}/attachments/0`, commune.clerk);
  expect(file.status).toBe(200);
  return file.bytes;
}

beforeAll(async () => {
  node = await startTestNode();
  dir = mkdtempSync(join(tmpdir(), 'lienthong-drafts-'));
  const anchors = await node.call('GET', '/v1/trust-anchors', { token: node.adminToken });
  nodeCaPem = anchors.json.items.find((a: Loose) => a.source === 'node-ca').certificatePem;
}, 120_000);

afterAll(async () => {
  await node?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('what an agency issues with: leaders’ keys, the seal, the stamp template', () => {
  let district: Agency;
  let commune: Agency;
  let leader: Leader;
  beforeAll(async () => {
    const made = await createDistrict(node, 71, 1);
    district = made.district;
    commune = made.communes[0]!;
    leader = await addLeader(district, 'Nguyễn Văn An');
  });

  it('the node CA issues a leader a personal certificate, kept sealed; only the certificate is ever answered', async () => {
    expect((await node.call('POST', `/v1/users/${leader.id}/signing-key`, { token: district.clerk, body: {} })).status).toBe(403);
    const res = await node.call('POST', `/v1/users/${leader.id}/signing-key`, { token: node.adminToken, body: {} });
    expect(res.status, res.text).toBe(201);
    expect(res.json.subject).toContain('CN=Nguyễn Văn An');
    expect(res.json.subject).toContain('O=UBND huyện 71');
    expect(res.json.subject).not.toContain('serialNumber');
    expect(res.json.origin).toBe('issued');
    expect(res.text).not.toMatch(/PRIVATE KEY|privateKey/);
    // The leader sees it too; the key at rest is encrypted.
    const mine = await node.call('GET', `/v1/users/${leader.id}/signing-key`, { token: leader.token });
    expect(mine.status).toBe(200);
    expect(mine.json.fingerprintSha256).toBe(res.json.fingerprintSha256);
    const [row] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ private_key_encrypted: string }>>(`select private_key_encrypted from signer_key where user_id = ? and active`, [leader.id]);
    expect(row!.private_key_encrypted).not.toContain('PRIVATE KEY');
    // Only a signer gets one.
    const clerkUser = (await node.call('GET', `/v1/users?agency=${district.code}`, { token: node.adminToken })).json.items.find((u: Loose) => u.roles.includes('clerk'));
    const refused = await node.call('POST', `/v1/users/${clerkUser.id}/signing-key`, { token: node.adminToken, body: {} });
    expect(refused.status).toBe(422);
  });

  it('takes a seal image only as a PNG within limits, from an admin or a clerk of that agency', async () => {
    const notPng = await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, Buffer.from('GIF89a not a png at all, no'), 'image/png');
    expect(notPng.status, notPng.text).toBe(422);
    const cut = await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL.subarray(0, 200), 'image/png');
    expect(cut.status, cut.text).toBe(422);
    expect((await putBinary(`/v1/agencies/${district.code}/seal`, commune.clerk, SEAL, 'image/png')).status).toBe(403);
    expect((await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL, 'image/jpeg')).status).toBe(415);
    const ok = await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL, 'image/png');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ agencyCode: district.code, size: SEAL.length, transparent: true });
    const back = await bytesOf(`/v1/agencies/${district.code}/seal`, leader.token);
    expect(back.type).toBe('image/png');
    expect(back.bytes.equals(SEAL)).toBe(true);
    const template = await node.call('PUT', `/v1/agencies/${district.code}/stamp-template`, { token: district.clerk, body: DRAFT_TEMPLATE });
    expect(template.status, template.text).toBe(200);
    expect((await node.call('GET', `/v1/agencies/${district.code}/stamp-template`, { token: leader.token })).json).toEqual(DRAFT_TEMPLATE);
    expect((await node.call('PUT', `/v1/agencies/${district.code}/stamp-template`, { token: district.clerk, body: { number: { page: 0, x: -1, y: 3 } } })).status).toBe(422);
  });

  it('takes a draft whose first file is a PDF, without a date of issue, and lists it', async () => {
    const pdf = await directiveDraftPdf();
    const notPdf = await node.call('POST', '/v1/drafts', {
      token: district.clerk,
      body: { ...directive({ to: [commune.code] }), promulgation: {}, attachments: [{ name: 'chi-thi.docx', contentBase64: Buffer.from('PK\u0003\u0004 a word file').toString('base64') }] },
    });
    expect(notPdf.status, notPdf.text).toBe(422);
    expect(notPdf.json.errors.map((e: Loose) => e.path)).toContain('attachments.0');
    const fakePdf = await node.call('POST', '/v1/drafts', {
      token: district.clerk,
      body: { ...directive({ to: [commune.code] }), promulgation: {}, attachments: [{ name: 'chi-thi.pdf', contentBase64: Buffer.from('%PDF-1.7 but nothing else').toString('base64') }] },
    });
    expect(fakePdf.status, fakePdf.text).toBe(422);
    const dated = await node.call('POST', '/v1/drafts', { token: district.clerk, body: { ...directive({ to: [commune.code] }), attachments: [{ name: 'a.pdf', contentBase64: pdf.toString('base64') }] } });
    expect(dated.status, dated.text).toBe(422);
    expect(dated.json.errors.map((e: Loose) => e.path)).toContain('promulgation.date');
    const unknown = await node.call('POST', '/v1/drafts', {
      token: district.clerk,
      body: { ...directive({ to: ['999.99.99.H99'] }), promulgation: {}, attachments: [{ name: 'a.pdf', contentBase64: pdf.toString('base64') }] },
    });
    expect(unknown.status, unknown.text).toBe(422);
    expect(unknown.json.code).toBe('UNKNOWN_RECIPIENT');

    const draft = await uploadDraft(district, pdf, [commune.code]);
    expect(draft).toMatchObject({ state: 'draft', stateText: 'Chờ phê duyệt', approval: null, issued: null, agencyCode: district.code });
    expect(draft.files[0]).toMatchObject({ index: 0, name: 'chi-thi.pdf', contentType: 'application/pdf', size: pdf.length });
    const list = await node.call('GET', '/v1/drafts?state=draft', { token: leader.token });
    expect(list.json.items.map((d: Loose) => d.id)).toContain(draft.id);
    expect((await node.call('GET', '/v1/drafts?state=issued', { token: leader.token })).json.items.map((d: Loose) => d.id)).not.toContain(draft.id);
    expect((await bytesOf(`/v1/drafts/${draft.id}/pdf`, district.clerk)).bytes.equals(pdf)).toBe(true);
    // Another agency's draft does not exist for its users.
    expect((await node.call('GET', `/v1/drafts/${draft.id}`, { token: commune.clerk })).status).toBe(404);
  });
});

describe('the API document', () => {
  it('describes every drafts route (GET /openapi.json)', async () => {
    const doc = await node.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    const paths = doc.json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/v1/drafts'] ?? {}).sort()).toEqual(['get', 'post']);
    for (const path of ['/v1/drafts/{id}', '/v1/drafts/{id}/pdf']) expect(Object.keys(paths[path] ?? {})).toContain('get');
    for (const path of ['/v1/drafts/{id}/approve', '/v1/drafts/{id}/issue', '/v1/drafts/{id}/withdraw', '/v1/users/{id}/signing-key']) expect(Object.keys(paths[path] ?? {})).toContain('post');
    for (const path of ['/v1/agencies/{code}/seal', '/v1/agencies/{code}/stamp-template']) expect(Object.keys(paths[path] ?? {}).sort()).toEqual(['get', 'put']);
  });
});

describe('a directive approved by the node with the leader’s key, then numbered and sealed, reaches the commune', () => {
  let district: Agency;
  let communes: Agency[];
  let leader: Leader;
  let draft: Loose;
  let issuedPdf: Buffer;
  let nss: string;

  beforeAll(async () => {
    ({ district, communes } = await createDistrict(node, 72, 2));
    leader = await addLeader(district, 'Nguyễn Văn An');
    expect((await node.call('POST', `/v1/users/${leader.id}/signing-key`, { token: node.adminToken, body: {} })).status).toBe(201);
    expect((await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL, 'image/png')).status).toBe(200);
    expect((await node.call('PUT', `/v1/agencies/${district.code}/stamp-template`, { token: district.clerk, body: DRAFT_TEMPLATE })).status).toBe(200);
    nss = nssTrusting(join(dir, 'nss-node'), { 'node-ca': nodeCaPem });
    draft = await uploadDraft(district, await directiveDraftPdf(), [`children:${district.code}`]);
  }, 60_000);

  it('only a signer approves; the node signs for the leader: a valid, trusted personal signature', async () => {
    const byClerk = await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: district.clerk, body: {} });
    expect(byClerk.status).toBe(403);
    // Issuing before the leader approved is not a step the draft can take.
    const early = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk, headers: { 'accept-language': 'vi' } });
    expect(early.status).toBe(409);
    expect(early.json.code).toBe('ILLEGAL_TRANSITION');
    expect(early.json.detail).toContain('Chờ phê duyệt');

    const approved = await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: {} });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json).toMatchObject({ state: 'approved', approval: { kind: 'node-signed', by: leader.id, leaderSignature: { signer: 'Nguyễn Văn An' } } });
    const signed = (await bytesOf(`/v1/drafts/${draft.id}/pdf`, district.clerk)).bytes;
    expect(createHash('sha256').update(signed).digest('hex')).toBe(approved.json.pdfSha256);
    // The draft's bytes, then the leader's signature appended.
    const original = (await node.call('GET', `/v1/drafts/${draft.id}`, { token: district.clerk })).json.files[0];
    expect(signed.length).toBeGreaterThan(original.size);
    const { signatures } = pdfsig(dir, signed, nss);
    expect(signatures).toHaveLength(1);
    expect(signatures[0]!.fields.get('Signer Certificate Common Name')).toBe('Nguyễn Văn An');
    expect(signatures[0]!.fields.get('Signature Validation')).toBe('Signature is Valid.');
    expect(signatures[0]!.fields.get('Certificate Validation')).toBe('Certificate is Trusted.');
    expect(signatures[0]!.lines).toContain('Total document signed');
    // Approving twice is refused.
    expect((await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: {} })).status).toBe(409);
  }, 60_000);

  it('"Cấp số và ký số" (clerk only) numbers it from the register, stamps the number and date, seals it, and sends it', async () => {
    expect((await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: leader.token })).status).toBe(403);
    const issued = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.json).toMatchObject({ state: 'issued', stateText: 'Đã ban hành', issued: { code: '01/CT-UBND' } });
    const documentId = issued.json.issued.documentId as string;
    const doc = await node.call('GET', `/v1/documents/${documentId}`, { token: district.clerk });
    expect(doc.json.code.text).toBe('01/CT-UBND');
    issuedPdf = (await bytesOf(`/v1/drafts/${draft.id}/pdf`, district.clerk)).bytes;
    expect(createHash('sha256').update(issuedPdf).digest('hex')).toBe(doc.json.attachments[0].sha256);
    expect(issued.json.pdfSha256).toBe(doc.json.attachments[0].sha256);

    // Each commune's inbox holds the issued PDF byte for byte.
    for (const commune of communes) expect((await deliveredAttachment(documentId, district, commune)).equals(issuedPdf)).toBe(true);

    // Both legal signatures are shown valid, as sent and as received (NĐ 30 Điều 5: the person's, then the agency's).
    const officially = {
      officiallySigned: true,
      pdfProblems: [],
      pdfSignatures: [
        expect.objectContaining({ role: 'person', signer: 'Nguyễn Văn An', valid: true, coversWholeFile: false, problems: [] }),
        expect.objectContaining({ role: 'agency', valid: true, coversWholeFile: true, problems: [] }),
      ],
    };
    expect(doc.json.attachments[0]).toMatchObject(officially);
    const inbox = await node.call('GET', '/v1/inbox', { token: communes[0]!.clerk });
    const itemId = inbox.json.items.find((i: Loose) => i.documentId === doc.json.documentId).id as string;
    const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: communes[0]!.clerk });
    expect(item.json.attachments[0]).toMatchObject(officially);

    // A second "Cấp số" is refused, in Vietnamese too.
    const again = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk, headers: { 'accept-language': 'vi' } });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('ILLEGAL_TRANSITION');
    expect(again.json.detail).toBe('Dự thảo đang ở trạng thái "Đã ban hành"; chỉ dự thảo đã được lãnh đạo phê duyệt mới cấp số và ký số được.');
  }, 90_000);

  it('pdfsig: the leader’s then the agency’s signature, both valid and trusted, the agency’s covering the whole file', () => {
    const { signatures, output } = pdfsig(dir, issuedPdf, nss);
    expect(signatures, output).toHaveLength(2);
    const [person, agency] = signatures as [(typeof signatures)[0], (typeof signatures)[0]];
    for (const sig of signatures) {
      expect(sig.fields.get('Signature Validation')).toBe('Signature is Valid.');
      expect(sig.fields.get('Certificate Validation')).toBe('Certificate is Trusted.');
      expect(sig.fields.get('Signature Type')).toBe('ETSI.CAdES.detached');
    }
    expect(person.fields.get('Signer Certificate Common Name')).toBe('Nguyễn Văn An');
    expect(person.lines).toContain('Not total document signed');
    expect(agency.fields.get('Signer Certificate Common Name')).toBe('UBND huyện 72');
    expect(agency.lines).toContain('Total document signed');
    // Our own verifier agrees, and finds the NĐ 30 order with the sending agency's signature.
    const verdict = verifyPdfSignatures(issuedPdf, { trustAnchors: [nodeCaPem], expectedAgencyCode: district.code });
    expect(verdict.problems).toEqual([]);
    expect(verdict.officiallySigned).toBe(true);
    expect(verdict.signatures.map((s) => s.role)).toEqual(['person', 'agency']);
  });

  it('the number and the date of issue are in the page (pdftotext), and the page renders with its seal', () => {
    const text = pdftotext(dir, issuedPdf, ['-f', '1', '-l', '1']);
    expect(text).toContain('Số: 01/CT-UBND');
    // The place is the promulgation place of the draft; the day is today in Vietnam (the register's).
    expect(text).toContain(dateLine('Kiên Lương', new Date()));
    const png = renderFirstPage(dir, issuedPdf, join(dir, 'issued-directive'), 100);
    expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
    // Red pixels exist in the rendering only when the seal's appearance is drawn.
    expect(countRedPixels(renderFirstPagePpm(dir, issuedPdf, 20))).toBeGreaterThan(20);
    if (process.env.LIENTHONG_RENDER_DOCS === '1') {
      mkdirSync('docs', { recursive: true });
      copyFileSync(png, join('docs', 'issued-directive.png'));
    }
  });
});

describe('a directive the leader signed with their own token', () => {
  let district: Agency;
  let commune: Agency;
  let leader: Leader;
  let leaderCa: CaMaterial;
  let leaderCert: CaMaterial;
  let nss: string;

  beforeAll(async () => {
    const made = await createDistrict(node, 73, 1);
    district = made.district;
    commune = made.communes[0]!;
    leader = await addLeader(district, 'Trần Thị Bình');
    expect((await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL, 'image/png')).status).toBe(200);
    // The leader's token comes from another CA (a public CA, say) that the node trusts.
    leaderCa = generateCa({ commonName: `Leader test CA ${randomBytes(3).toString('hex')}`, validityDays: 365 });
    expect((await node.call('POST', '/v1/trust-anchors', { token: node.adminToken, body: { certificatePem: leaderCa.certificatePem } })).status).toBe(201);
    leaderCert = makeOddCertificate({ issuer: leaderCa, commonName: 'Trần Thị Bình', keyUsage: { digitalSignature: true, nonRepudiation: true } });
    nss = nssTrusting(join(dir, 'nss-two'), { 'node-ca': nodeCaPem, 'leader-ca': leaderCa.certificatePem });
  }, 60_000);

  /** Signs `pdf` as the leader's own tool would: an incremental PAdES signature. */
  const signAsLeader = (pdf: Buffer, who: CaMaterial = leaderCert, chain: string[] = [leaderCa.certificatePem]) =>
    signPdf(pdf, { signer: createPackageSigner(who.certificatePem, who.privateKeyPem), chainPem: chain, role: 'person', appearance: { page: 0, rect: LEADER_BOX }, signingTime: new Date(), reason: 'Phê duyệt' });

  it('refuses a PDF that is not this draft signed, a signer the node does not trust, a changed byte, an agency certificate, a redrawn page', async () => {
    const pdf = await directiveDraftPdf({ fields: true });
    const draft = await uploadDraft(district, pdf, [commune.code]);
    const approve = (bytes: Buffer) => postPdf(`/v1/drafts/${draft.id}/approve`, leader.token, bytes, { 'accept-language': 'vi' });

    // Another PDF (the same directive laid out again: other bytes), signed properly.
    const other = await approve(await signAsLeader(await directiveDraftPdf({ fields: true, subject: 'Về việc khác' })));
    expect(other.status, other.text).toBe(422);
    expect(other.json.code).toBe('SIGNATURE_INVALID');
    expect(other.json.detail).toContain('không phải là chính dự thảo này');

    // A CA the node does not trust.
    const strangerCa = generateCa({ commonName: 'Stranger CA', validityDays: 30 });
    const stranger = makeOddCertificate({ issuer: strangerCa, commonName: 'Trần Thị Bình' });
    const untrusted = await approve(await signAsLeader(pdf, stranger, [strangerCa.certificatePem]));
    expect(untrusted.status, untrusted.text).toBe(422);
    expect(untrusted.json.code).toBe('CERTIFICATE_UNTRUSTED');
    expect(untrusted.json.problems).toContain('untrusted-chain');

    // A byte changed inside what the signature covers (in the appended revision, after the draft's bytes).
    const good = await signAsLeader(pdf);
    const tampered = Buffer.from(good);
    const at = tampered.indexOf('/Reason', pdf.length, 'latin1');
    expect(at).toBeGreaterThan(pdf.length);
    tampered[at + 9] = tampered[at + 9]! ^ 0x01;
    const broken = await approve(tampered);
    expect(broken.status, broken.text).toBe(422);
    expect(broken.json.code).toBe('SIGNATURE_INVALID');

    // An organisation's certificate (it carries an agency code): not the leader's personal signature.
    const agencyCert = issueAgencyCertificate(leaderCa, { agencyCode: district.code, agencyName: 'UBND huyện 73', validityDays: 30 });
    const sealed = await approve(await signAsLeader(pdf, { certificatePem: agencyCert.certificatePem, privateKeyPem: agencyCert.privateKeyPem! }));
    expect(sealed.status, sealed.text).toBe(422);
    expect(sealed.json.detail).toContain('chứng thư số cá nhân');

    // A page redrawn in an incremental update before the leader signed: the draft's bytes still begin it.
    const update = await openIncrementalUpdate(pdf);
    update.doc.getPage(0).drawRectangle({ x: 80, y: 560, width: 440, height: 60, color: { type: 'RGB', red: 1, green: 1, blue: 1 } as never });
    const redrawn = (await update.write()).bytes;
    expect(redrawn.subarray(0, pdf.length).equals(pdf)).toBe(true);
    const shadow = await approve(await signAsLeader(redrawn));
    expect(shadow.status, shadow.text).toBe(422);
    expect(shadow.json.detail).toContain('thay đổi nội dung các trang');

    // None of these moved the draft.
    expect((await node.call('GET', `/v1/drafts/${draft.id}`, { token: leader.token })).json.state).toBe('draft');
  }, 90_000);

  it('accepts the draft signed by the leader, and issues it with both signatures valid and trusted', async () => {
    const pdf = await directiveDraftPdf({ fields: true, leaderName: 'Trần Thị Bình' });
    const draft = await uploadDraft(district, pdf, [commune.code]);
    const signed = await signAsLeader(pdf);
    const approved = await postPdf(`/v1/drafts/${draft.id}/approve`, leader.token, signed);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json).toMatchObject({ state: 'approved', approval: { kind: 'uploaded-signed', leaderSignature: { signer: 'Trần Thị Bình' } } });
    expect((await bytesOf(`/v1/drafts/${draft.id}/pdf`, leader.token)).bytes.equals(signed)).toBe(true);

    // No stamp template here: the draft's own fields take the number and date.
    const issued = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.json.issued.code).toBe('01/CT-UBND');
    const pdfIssued = (await bytesOf(`/v1/drafts/${draft.id}/pdf`, district.clerk)).bytes;
    expect(pdfIssued.subarray(0, signed.length).equals(signed)).toBe(true);
    expect((await deliveredAttachment(issued.json.issued.documentId, district, commune)).equals(pdfIssued)).toBe(true);

    const { signatures, output } = pdfsig(dir, pdfIssued, nss);
    expect(signatures.map((s) => s.fields.get('Signature Validation')), output).toEqual(['Signature is Valid.', 'Signature is Valid.']);
    expect(signatures.map((s) => s.fields.get('Certificate Validation'))).toEqual(['Certificate is Trusted.', 'Certificate is Trusted.']);
    expect(signatures.map((s) => s.fields.get('Signer Certificate Common Name'))).toEqual(['Trần Thị Bình', 'UBND huyện 73']);
    expect(signatures.map((s) => s.lines.includes('Total document signed'))).toEqual([false, true]);
    expect(pdftotext(dir, pdfIssued, ['-f', '1', '-l', '1'])).toContain('Số: 01/CT-UBND');
  }, 90_000);
});

describe('a failure in the agency’s step takes no number', () => {
  it('without a seal image, "Cấp số" fails before anything is kept: the next document gets the number, and so does the draft once the seal is there', async () => {
    const { district, communes } = await createDistrict(node, 74, 1);
    const commune = communes[0]!;
    const leader = await addLeader(district, 'Lê Văn Cường');
    expect((await node.call('POST', `/v1/users/${leader.id}/signing-key`, { token: node.adminToken, body: {} })).status).toBe(201);
    expect((await node.call('PUT', `/v1/agencies/${district.code}/stamp-template`, { token: district.clerk, body: DRAFT_TEMPLATE })).status).toBe(200);
    const draft = await uploadDraft(district, await directiveDraftPdf(), [commune.code]);
    expect((await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: {} })).status).toBe(200);

    const failed = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk, headers: { 'accept-language': 'vi' } });
    expect(failed.status, failed.text).toBe(422);
    expect(failed.json.detail).toContain('chưa có ảnh con dấu');
    const after = await node.call('GET', `/v1/drafts/${draft.id}`, { token: district.clerk });
    expect(after.json).toMatchObject({ state: 'approved', issued: null });
    expect((await node.call('GET', '/v1/documents', { token: district.clerk })).json.items).toEqual([]);

    // The number the failed issue would have had goes to the next document.
    const sent = await node.call('POST', '/v1/documents', { token: district.clerk, body: directive({ to: [commune.code] }) });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json.code.text).toBe('01/CT-UBND');

    expect((await putBinary(`/v1/agencies/${district.code}/seal`, district.clerk, SEAL, 'image/png')).status).toBe(200);
    const issued = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.json.issued.code).toBe('02/CT-UBND');
  }, 90_000);

  it('refuses to approve without a key kept for the leader, and to issue a draft with nowhere to write the number', async () => {
    const { district, communes } = await createDistrict(node, 75, 1);
    const leader = await addLeader(district, 'Phạm Thị Dung');
    const draft = await uploadDraft(district, await directiveDraftPdf(), [communes[0]!.code]);
    const noKey = await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: {}, headers: { 'accept-language': 'vi' } });
    expect(noKey.status, noKey.text).toBe(422);
    expect(noKey.json.detail).toContain('chưa có khóa ký số');
    expect((await node.call('POST', `/v1/users/${leader.id}/signing-key`, { token: node.adminToken, body: {} })).status).toBe(201);
    // No template and no box given: nowhere to put the signature.
    const noBox = await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: {} });
    expect(noBox.status, noBox.text).toBe(422);
    expect(noBox.json.errors.map((e: Loose) => e.path)).toContain('signatureBox');
    const approved = await node.call('POST', `/v1/drafts/${draft.id}/approve`, { token: leader.token, body: { signatureBox: LEADER_BOX } });
    expect(approved.status, approved.text).toBe(200);
    // A draft without so_ky_hieu / ngay_ban_hanh and no template: refused before a number is taken.
    const nowhere = await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk });
    expect(nowhere.status, nowhere.text).toBe(422);
    expect(nowhere.json.detail).toContain('so_ky_hieu');
    // Withdrawn, it can no longer be issued.
    expect((await node.call('POST', `/v1/drafts/${draft.id}/withdraw`, { token: district.clerk, body: { reason: 'Soạn lại' } })).json.state).toBe('withdrawn');
    expect((await node.call('POST', `/v1/drafts/${draft.id}/issue`, { token: district.clerk })).status).toBe(409);
  }, 60_000);
});

/** Pixels of a binary PPM (P6) that are clearly red: the seal's colour, used nowhere else on the page. */
function countRedPixels(ppm: Buffer): number {
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  let count = 0;
  for (let i = header[0].length; i + 2 < ppm.length; i += 3) if (ppm[i]! > 150 && ppm[i + 1]! < 110 && ppm[i + 2]! < 110) count += 1;
  return count;
}
