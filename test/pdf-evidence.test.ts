import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASYNC_TIMEOUT_MS, createDistrict, directive, sendDocument, timelineOf, waitForInboxItem, type Agency } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * The legal signatures inside PDFs (issue 17) are shown on every attachment, sent and received, but
 * never decide delivery: a PDF without them, or signed by a CA the node does not trust, is delivered
 * and shown as such at once. (The officially signed case is in test/drafts.test.ts.)
 */
let node: TestNode;
let district: Agency;
let commune: Agency;
beforeAll(async () => {
  node = await startTestNode();
  const made = await createDistrict(node, 61, 1);
  district = made.district;
  commune = made.communes[0]!;
});
afterAll(async () => node?.close());

const file = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/pdf', name));
const attachment = (name: string, bytes: Buffer) => ({ name, contentType: 'application/pdf', contentBase64: bytes.toString('base64') });

describe('pdfSignatures on attachments', () => {
  it('says so for an unsigned PDF and for one signed under a CA the node does not trust, on both sides, and delivers both', async () => {
    const body = directive({
      to: [commune.code],
      attachments: [attachment('unsigned.pdf', file('unsigned.pdf')), attachment('ky-so.pdf', file('valid-person-then-agency.pdf'))],
    });
    const sent = await sendDocument(node, district.clerk, body);
    expect(sent.status, sent.text).toBe(201);
    const [unsigned, foreign] = sent.json.attachments;
    expect(unsigned).toMatchObject({ officiallySigned: false, pdfProblems: ['no-signature'], pdfSignatures: [] });
    expect(foreign.officiallySigned).toBe(false);
    expect(foreign.pdfSignatures.map((s: { role: string; valid: boolean; problems: string[] }) => [s.role, s.valid, s.problems.includes('untrusted-chain')])).toEqual([
      ['person', false, true],
      ['agency', false, true],
    ]);

    const checked = (await timelineOf(node, district.clerk, sent.json.id)).find((e) => e.type === 'document.pdf-signatures-checked');
    expect(checked?.details).toMatchObject({ attachments: [{ index: 0, officiallySigned: false, problems: ['no-signature'] }, { index: 1, officiallySigned: false }] });

    const itemId = await waitForInboxItem(node, commune.clerk, sent.json.documentId, body.subject as string);
    const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
    expect(item.json.attachments[0]).toMatchObject({ officiallySigned: false, pdfProblems: ['no-signature'] });
    expect(item.json.attachments[1].pdfSignatures).toHaveLength(2);
    expect(item.json.attachments[1].pdfSignatures.every((s: { valid: boolean }) => !s.valid)).toBe(true);
    // The package signature still decides delivery: it arrived.
    expect(item.json.state).toBe('arrived');
  }, ASYNC_TIMEOUT_MS * 2);
});
