/**
 * Documents with large files, end to end (issue 16): a JSON POST whose files' base64 the body parser
 * keeps as bytes (src/http/json-body.ts), the package signed with the files written from their bytes
 * in a signing thread (src/edxml/sign-payloads.ts), and delivered with the files' base64 read from
 * the package where it is (verify-elided.ts). What the recipients get must be exactly the files sent:
 * sizes, downloads, the PDF check, the signed package itself; and an Idempotency-Key still tells the
 * same document from another.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_MIN_BYTES } from '../src/edxml/sign-payloads.js';
import { checkPackageXmlInFull } from '../src/edxml/verify-package.js';
import { ASYNC_TIMEOUT_MS, createDistrict, directive, getBytes, samplePdf, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const base64File = (name: string, bytes: Buffer, contentType: string) => ({ name, contentBase64: bytes.toString('base64'), contentType });

// A PDF with a long comment after its end (the PDF check reads it as the small one), a Word file
// past the payload threshold, and a small file that stays in the package text.
const bigPdf = Buffer.concat([samplePdf(), Buffer.from(`%${randomBytes(200_000).toString('hex')}\n`, 'latin1')]);
const bigDocx = Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), randomBytes(PAYLOAD_MIN_BYTES + 1_001)]);
const smallPdf = samplePdf();
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('a document with large files, sent as JSON to two communes on this node', () => {
  let node: TestNode;
  let district: Agency;
  let communes: Agency[];

  beforeAll(async () => {
    node = await startTestNode({});
    const made = await createDistrict(node, 83, 2);
    district = made.district;
    communes = made.communes;
  });
  afterAll(async () => node?.close());

  const body = (files = [base64File('ke-hoach.pdf', bigPdf, 'application/pdf'), base64File('phu-luc.docx', bigDocx, DOCX), base64File('to-trinh.pdf', smallPdf, 'application/pdf')]) =>
    directive({ to: communes.map((c) => c.code), subject: 'V/v triển khai kế hoạch chuyển đổi số năm 2027', attachments: files });

  it('arrives with every file byte for byte, in a package that verifies with its files in it', async () => {
    const sent = await sendDocument(node, district.clerk, body());
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, Object.fromEntries(communes.map((c) => [c.code, { state: 'arrived' }])));

    for (const commune of communes) {
      const itemId = await waitForInboxItem(node, commune.clerk, sent.json.documentId as string);
      const item = (await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk })).json as Loose;
      expect(item.attachments.map((a: Loose) => a.size)).toEqual([bigPdf.length, bigDocx.length, smallPdf.length]);
      // The PDF check ran on the large PDF as on the small one (both unsigned: the same verdict).
      expect(item.attachments[0].officiallySigned).toBe(false);
      expect(item.attachments[0].pdfProblems).toEqual(item.attachments[2].pdfProblems);
      for (const [index, file] of [bigPdf, bigDocx, smallPdf].entries()) {
        const got = await getBytes(node, `/v1/inbox/${itemId}/attachments/${index}`, commune.clerk);
        expect(got.status).toBe(200);
        expect(sha256(got.bytes)).toBe(sha256(file));
      }
      // The signed package, checked by the DOM verifier over the whole text, carries the same files.
      const pkg = await getBytes(node, `/v1/inbox/${itemId}/edxml`, commune.clerk);
      const checked = checkPackageXmlInFull(pkg.bytes);
      expect(checked.model.kind === 'edoc' && checked.model.edoc.attachments.map((a) => sha256(Buffer.from(a.contentBase64, 'base64')))).toEqual(
        [bigPdf, bigDocx, smallPdf].map(sha256),
      );
    }
  });

  it('answers a repeated Idempotency-Key with the first document, and refuses it for other files', async () => {
    const key = `large-${randomBytes(6).toString('hex')}`;
    const first = body();
    const a = await sendDocument(node, district.clerk, first, { 'idempotency-key': key });
    expect(a.status, a.text).toBe(201);
    const again = await sendDocument(node, district.clerk, first, { 'idempotency-key': key });
    expect(again.status, again.text).toBe(201);
    expect(again.json.id).toBe(a.json.id);
    const changed = Buffer.from(bigDocx);
    changed[changed.length - 1] = changed.at(-1)! ^ 1;
    const other = { ...first, attachments: [base64File('ke-hoach.pdf', bigPdf, 'application/pdf'), base64File('phu-luc.docx', changed, DOCX), base64File('to-trinh.pdf', smallPdf, 'application/pdf')] };
    const refused = await sendDocument(node, district.clerk, other, { 'idempotency-key': key });
    expect(refused.status, refused.text).toBe(409);
    await eventually(async () => ((await node.call('GET', `/v1/documents/${a.json.id}`, { token: district.clerk })).json as Loose)?.state === 'sent' || undefined, ASYNC_TIMEOUT_MS);
  });

  it('refuses a long run that is not base64 with the field named, and loses nothing', async () => {
    const bad = `${randomBytes(PAYLOAD_MIN_BYTES).toString('base64')}A`; // one character too many
    const res = await sendDocument(node, district.clerk, { ...body(), attachments: [{ name: 'x.pdf', contentBase64: bad, contentType: 'application/pdf' }] });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.json)).toContain('attachments.0.contentBase64');
  });
});
