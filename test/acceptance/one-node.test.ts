import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestNode, type TestNode } from '../support/runtime.js';
import {
  ASYNC_TIMEOUT_MS,
  ISO_WITH_OFFSET,
  XMLDSIG_NS,
  collectStatusIds,
  createAgency,
  createDistrict,
  directive,
  dispositionFileName,
  eventTime,
  familyCodes,
  getBytes,
  itemsOf,
  postStatus,
  samplePdf,
  sendDocument,
  todayInVietnam,
  waitForDeliveries,
  waitForInboxItem,
  type Agency,
  type Loose,
} from './helpers.js';

/**
 * Acceptance tests of issue 4 (the document exchange on one node), written against API.md through
 * HTTP only: a real PostgreSQL, a real Redis and the worker running in-process.
 */

const SLOW = 120_000;

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode();
});
afterAll(async () => node?.close());

const pdfAttachment = (name: string, bytes: Buffer) => ({ name, contentType: 'application/pdf', contentBase64: bytes.toString('base64') });

/** The three communes of a family, typed as a tuple (the family was made with three). */
const three = (communes: Agency[]) => communes as [Agency, Agency, Agency];

/** `GET /v1/documents` of an agency, as a list of ids. */
async function outgoingIds(token: string): Promise<string[]> {
  const res = await node.call('GET', '/v1/documents?limit=500', { token });
  expect(res.status, res.text).toBe(200);
  return itemsOf(res.json).map((d: Loose) => d.id as string);
}

describe('the whole walk: a district directs its three communes', () => {
  it(
    'sends, delivers with a signed 01, serves the package and the attachment, and tracks 02, 03 and 03→06 per commune',
    async () => {
      const { district, communes } = await createDistrict(node, 10, 3);
      const [c1, c2, c3] = three(communes);
      const pdf = samplePdf();
      const fileName = 'chỉ-thị-01.pdf';
      const body = directive({ to: [`children:${district.code}`], attachments: [pdfAttachment(fileName, pdf)] });

      // Compose, number, queue.
      const sent = await sendDocument(node, district.clerk, body);
      expect(sent.status, sent.text).toBe(201);
      expect(sent.json).toMatchObject({
        id: expect.any(String),
        documentId: expect.any(String),
        code: { notation: 'CT-UBND' },
        state: expect.stringMatching(/^(queued|signed|sent)$/),
      });
      expect(Number(sent.json.code.number)).toBe(1);
      expect(sent.json.documentId.startsWith(`${district.code},`)).toBe(true);
      expect(sent.json.documentId.endsWith('/CT-UBND')).toBe(true);
      expect(sent.json.recipients).toHaveLength(3);
      expect(sent.json.recipients.map((r: Loose) => r.code).sort()).toEqual(communes.map((c) => c.code).sort());
      for (const r of sent.json.recipients) expect(r.state).toEqual(expect.any(String));
      const id = sent.json.id as string;
      const documentId = sent.json.documentId as string;

      // Every commune's system confirms arrival with 01.
      const arrived = await waitForDeliveries(
        node,
        district.clerk,
        id,
        Object.fromEntries(communes.map((c) => [c.code, { state: 'arrived', statusCode: '01' }])),
      );
      expect(arrived.deliveries).toHaveLength(3);
      for (const d of arrived.deliveries) {
        expect(d.statusAt).toMatch(ISO_WITH_OFFSET);
        expect(d.attempts).toEqual(expect.any(Number));
        expect(d.lastError ?? null).toBeNull();
      }
      await eventually(async () => {
        const doc = await node.call('GET', `/v1/documents/${id}`, { token: district.clerk });
        return doc.json?.state === 'sent';
      }, ASYNC_TIMEOUT_MS);
      expect(await outgoingIds(district.clerk)).toContain(id);

      // The signed package, exactly as sent.
      const edxml = await getBytes(node, `/v1/documents/${id}/edxml`, district.clerk);
      expect(edxml.status).toBe(200);
      expect(edxml.headers.get('content-type')).toContain('application/xml');
      const xml = edxml.bytes.toString('utf8');
      expect(xml).toContain('<edXML:DocumentId>');
      expect(xml).toContain(documentId);
      expect(xml).toContain(XMLDSIG_NS);
      // The attachment travels inside the signed package (base64, possibly wrapped).
      expect(xml.replace(/\s+/g, '')).toContain(pdf.toString('base64'));

      // Each commune sees it, verified, with the exact attachment.
      const itemOf = new Map<string, string>();
      for (const c of communes) {
        const itemId = await waitForInboxItem(node, c.clerk, documentId, body.subject as string);
        itemOf.set(c.code, itemId);

        const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: c.clerk });
        expect(detail.status, detail.text).toBe(200);
        expect(detail.json.verification).toMatchObject({ signatureValid: true, certificate: { subject: expect.any(String) } });
        expect(detail.json.verification.certificate.subject).toContain(district.code);
        // The same certificate as issued; serial numbers compared as hex, whatever the spelling.
        const serial = (s: string) => String(s).toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
        expect(serial(detail.json.verification.certificate.serialNumber)).toBe(serial(district.certificate.serialNumber));
        expect(JSON.stringify(detail.json.sender)).toContain(district.code);
        expect(detail.json.attachments).toHaveLength(1);
        expect(JSON.stringify(detail.json.attachments)).toContain(fileName);
        expect(detail.json.arrivalNumber ?? null).toBeNull();

        const file = await getBytes(node, `/v1/inbox/${itemId}/attachments/0`, c.clerk);
        expect(file.status).toBe(200);
        expect(file.headers.get('content-type')).toMatch(/^application\/pdf\b/);
        expect(dispositionFileName(file.headers.get('content-disposition'))).toBe(fileName);
        expect(file.bytes.equals(pdf)).toBe(true);

        // A local delivery lands the very bytes that were signed (never re-serialised).
        const received = await getBytes(node, `/v1/inbox/${itemId}/edxml`, c.clerk);
        expect(received.status).toBe(200);
        expect(received.headers.get('content-type')).toContain('application/xml');
        expect(received.bytes.equals(edxml.bytes)).toBe(true);
      }
      const item1 = itemOf.get(c1.code)!;
      const item2 = itemOf.get(c2.code)!;
      const item3 = itemOf.get(c3.code)!;

      // Commune 1 accepts into its incoming register.
      const accepted = await postStatus(node, c1.clerk, item1, { code: '03' });
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.json).toMatchObject({ state: 'accepted', statusCode: '03' });
      expect(Number(accepted.json.arrivalNumber)).toBe(1);
      const after = await node.call('GET', `/v1/inbox/${item1}`, { token: c1.clerk });
      expect(Number(after.json.arrivalNumber)).toBe(1);

      // Commune 2 refuses, with a reason.
      const refused = await postStatus(node, c2.clerk, item2, { code: '02', description: 'Gửi nhầm cơ quan' });
      expect(refused.status, refused.text).toBe(200);
      expect(refused.json).toMatchObject({ state: 'refused', statusCode: '02' });

      // Commune 3 accepts, assigns, processes and completes.
      const steps: Array<[string, string]> = [
        ['03', 'accepted'],
        ['04', 'assigned'],
        ['05', 'processing'],
        ['06', 'completed'],
      ];
      for (const [code, state] of steps) {
        const res = await postStatus(node, c3.clerk, item3, {
          code,
          staff: { department: 'Văn phòng', name: 'Trần Thị B', email: 'vanthu@example.vn', mobile: '0912345678' },
        });
        expect(res.status, `${code}: ${res.text}`).toBe(200);
        expect(res.json).toMatchObject({ state, statusCode: code });
        if (code === '03') expect(Number(res.json.arrivalNumber)).toBe(1);
      }

      // The district sees every answer, per recipient.
      const tracked = await waitForDeliveries(node, district.clerk, id, {
        [c1.code]: { state: 'accepted', statusCode: '03' },
        [c2.code]: { state: 'refused', statusCode: '02' },
        [c3.code]: { state: 'completed', statusCode: '06' },
      });
      for (const d of tracked.deliveries) expect(d.statusAt).toMatch(ISO_WITH_OFFSET);
      // Each sender's row shows the số đến its recipient gave, carried in the signed 03 (UI.md).
      const numberOf = (code: string) => tracked.deliveries.find((d: Loose) => d.recipient === code)?.arrivalNumber;
      expect(numberOf(c1.code)).toBe(1);
      expect(numberOf(c3.code)).toBe(1);
      expect(numberOf(c2.code)).toBeNull();

      // The timeline, oldest first, and the signed status packages it points to.
      const events = await node.call('GET', `/v1/documents/${id}/events?limit=500`, { token: district.clerk });
      expect(events.status, events.text).toBe(200);
      const timeline = itemsOf(events.json);
      expect(timeline.length).toBeGreaterThan(0);
      const times = timeline.map((e) => eventTime(e));
      expect(times.every((t) => t !== undefined), JSON.stringify(timeline[0])).toBe(true);
      expect([...(times as number[])].sort((a, b) => a - b)).toEqual(times);

      // API.md does not fix where a statusId appears: any event carrying one counts, and so does the
      // document answer if it lists statuses.
      const statusIds = collectStatusIds(events.json, collectStatusIds(tracked));
      expect(statusIds.size).toBeGreaterThan(0);
      const served = new Set<string>();
      for (const statusId of statusIds) {
        const status = await getBytes(node, `/v1/documents/${id}/statuses/${encodeURIComponent(statusId)}/edxml`, district.clerk);
        expect(status.status, statusId).toBe(200);
        expect(status.headers.get('content-type')).toContain('application/xml');
        const text = status.bytes.toString('utf8');
        expect(text).toContain(XMLDSIG_NS);
        // Signed by the recipient that answered: its code is in the package.
        expect(communes.some((c) => text.includes(c.code))).toBe(true);
        const code = /<(?:[\w-]+:)?StatusCode>\s*(\d{2})\s*</.exec(text)?.[1];
        expect(code, text.slice(0, 500)).toMatch(/^(01|02|03|04|05|06)$/);
        served.add(code!);
      }
      // The timeline holds every status package (API.md), so every code the communes sent is there.
      expect([...served].sort()).toEqual(['01', '02', '03', '04', '05', '06']);
    },
    SLOW,
  );
});

describe('refusals', () => {
  let district: Agency;
  let communes: [Agency, Agency, Agency];
  let outsider: Agency;
  let baseline: Promise<{ id: string; documentId: string; itemId: string }> | undefined;

  beforeAll(async () => {
    const family = await createDistrict(node, 11, 3);
    district = family.district;
    communes = three(family.communes);
    outsider = await createAgency(node, { code: familyCodes(12).district, name: 'UBND huyện Giang Thành', level: 'district' });
  });

  /** One directive to commune 1, arrived in its inbox; made once, on first use, for the tests that read it. */
  const sentToCommune1 = () =>
    (baseline ??= (async () => {
      const body = directive({ to: [communes[0].code], attachments: [pdfAttachment('ct.pdf', samplePdf())] });
      const sent = await sendDocument(node, district.clerk, body);
      expect(sent.status, sent.text).toBe(201);
      await waitForDeliveries(node, district.clerk, sent.json.id, { [communes[0].code]: { state: 'arrived', statusCode: '01' } });
      const itemId = await waitForInboxItem(node, communes[0].clerk, sent.json.documentId, body.subject as string);
      return { id: sent.json.id as string, documentId: sent.json.documentId as string, itemId };
    })());

  it('refuses a secret document, unknown recipients and an unknown type, and creates nothing', async () => {
    const first = await sendDocument(node, district.clerk, directive({ to: [communes[0].code] }));
    expect(first.status, first.text).toBe(201);
    const before = await outgoingIds(district.clerk);

    const secret = await sendDocument(node, district.clerk, directive({ to: [communes[0].code], confidentiality: 'secret' }));
    expect(secret.status, secret.text).toBe(422);
    expect(secret.headers.get('content-type')).toContain('application/problem+json');
    expect(secret.json).toMatchObject({ status: 422, code: 'SECRET_NOT_ALLOWED' });

    // Deactivated (e.g. merged in the 2025 reorganisation): no longer a recipient.
    const gone = communes[2];
    const deactivated = await node.call('PATCH', `/v1/agencies/${gone.code}`, { token: node.adminToken, body: { active: false } });
    expect(deactivated.status, deactivated.text).toBe(200);

    const unknownRecipients: unknown[][] = [
      ['999.99.11.Z99'],
      ['group:NOPE'],
      [communes[0].code, '999.98.11.Z98'], // one bad recipient spoils the whole request: nothing is sent
      [gone.code],
      // A commune has no children: `children:` of it resolves to no active agency (API.md's wording).
      [`children:${communes[0].code}`],
    ];
    for (const to of unknownRecipients) {
      const res = await sendDocument(node, district.clerk, directive({ to }));
      expect(res.status, `${JSON.stringify(to)}: ${res.text}`).toBe(422);
      expect(res.json.code, JSON.stringify(to)).toBe('UNKNOWN_RECIPIENT');
    }

    const badType = await sendDocument(node, district.clerk, directive({ to: [communes[0].code], type: 'XYZ' }));
    expect(badType.status, badType.text).toBe(422);
    expect(badType.json.code).toBe('VALIDATION_FAILED');
    expect(badType.json.detail).toContain('QĐ');
    expect(badType.json.detail).toContain('CV');

    // Nothing was created, and no number was taken from the outgoing register.
    expect((await outgoingIds(district.clerk)).sort()).toEqual([...before].sort());
    const next = await sendDocument(node, district.clerk, directive({ to: [communes[0].code] }));
    expect(next.status, next.text).toBe(201);
    expect(Number(next.json.code.number)).toBe(Number(first.json.code.number) + 1);
  });

  it('refuses 02 without a reason (422) and transitions outside the state graph (409 ILLEGAL_TRANSITION)', async () => {
    const clerk = communes[0].clerk;
    const { id, itemId: baselineItem } = await sentToCommune1();
    const noReason = await postStatus(node, clerk, baselineItem, { code: '02' });
    expect(noReason.status, noReason.text).toBe(422);
    expect(noReason.json.code).toBe('VALIDATION_FAILED');

    const notAStatus = await postStatus(node, clerk, baselineItem, { code: '07' });
    expect(notAStatus.status, notAStatus.text).toBe(422);

    for (const code of ['06', '04', '15', '16']) {
      const res = await postStatus(node, clerk, baselineItem, { code });
      expect(res.status, `${code} on arrived: ${res.text}`).toBe(409);
      expect(res.json.code).toBe('ILLEGAL_TRANSITION');
    }

    const accepted = await postStatus(node, clerk, baselineItem, { code: '03' });
    expect(accepted.status, accepted.text).toBe(200);
    expect(Number(accepted.json.arrivalNumber)).toBe(1);
    const twice = await postStatus(node, clerk, baselineItem, { code: '03' });
    expect(twice.status, twice.text).toBe(409);
    expect(twice.json.code).toBe('ILLEGAL_TRANSITION');
    const refuseAfterAccept = await postStatus(node, clerk, baselineItem, { code: '02', description: 'quá muộn' });
    expect(refuseAfterAccept.status, refuseAfterAccept.text).toBe(409);
    expect(refuseAfterAccept.json.code).toBe('ILLEGAL_TRANSITION');

    // The refused attempts changed nothing: still accepted, still number 1.
    const item = await node.call('GET', `/v1/inbox/${baselineItem}`, { token: clerk });
    expect(item.json).toMatchObject({ state: 'accepted' });
    expect(Number(item.json.arrivalNumber)).toBe(1);
    await waitForDeliveries(node, district.clerk, id, { [communes[0].code]: { state: 'accepted', statusCode: '03' } });
  });

  it("keeps each agency to its own documents and inbox (403 or 404 for another agency's)", async () => {
    const isDenied = (status: number) => status === 403 || status === 404;
    const { id, documentId, itemId: baselineItem } = await sentToCommune1();
    for (const reader of [outsider, communes[0]]) {
      // A recipient reads its inbox copy, never the sender's outgoing record.
      for (const path of [`/v1/documents/${id}`, `/v1/documents/${id}/edxml`, `/v1/documents/${id}/events`]) {
        const res = await node.call('GET', path, { token: reader.clerk });
        expect(isDenied(res.status), `${reader.code} ${path}: ${res.status}`).toBe(true);
      }
      const recall = await node.call('POST', `/v1/documents/${id}/recall`, { token: reader.clerk, body: { reason: 'không được' } });
      expect(isDenied(recall.status), `recall by ${reader.code}: ${recall.status}`).toBe(true);
      expect(await outgoingIds(reader.clerk)).not.toContain(id);
    }
    for (const reader of [outsider, communes[1]]) {
      for (const path of [`/v1/inbox/${baselineItem}`, `/v1/inbox/${baselineItem}/attachments/0`, `/v1/inbox/${baselineItem}/edxml`]) {
        const res = await node.call('GET', path, { token: reader.clerk });
        expect(isDenied(res.status), `${reader.code} ${path}: ${res.status}`).toBe(true);
      }
      const status = await postStatus(node, reader.clerk, baselineItem, { code: '02', description: 'không phải của tôi' });
      expect(isDenied(status.status), `status by ${reader.code}: ${status.status}`).toBe(true);
      const inbox = await node.call('GET', '/v1/inbox?limit=500', { token: reader.clerk });
      expect(inbox.status).toBe(200);
      expect(JSON.stringify(inbox.json)).not.toContain(documentId);
    }
  });

  it('answers 403 to a partner and to the admin on the inbox, and 401 without a token', async () => {
    const partner = await node.call('POST', '/v1/partners', {
      token: node.adminToken,
      body: { id: 'peer-refusals', name: 'Node B', kind: 'lienthong', baseUrl: 'http://127.0.0.1:9/', agencies: [familyCodes(13).district] },
    });
    expect(partner.status, partner.text).toBe(201);
    const partnerToken = partner.json.token as string;

    for (const token of [partnerToken, node.adminToken]) {
      const inbox = await node.call('GET', '/v1/inbox', { token });
      expect(inbox.status, inbox.text).toBe(403);
      expect(inbox.json.code).toBe('FORBIDDEN');
    }
    const partnerSend = await sendDocument(node, partnerToken, directive({ to: [communes[0].code] }));
    expect(partnerSend.status, partnerSend.text).toBe(403);

    for (const [method, path] of [
      ['GET', '/v1/inbox'],
      // Authentication comes first: the ids need not exist.
      ['GET', '/v1/inbox/any-id'],
      ['GET', '/v1/documents'],
      ['GET', '/v1/documents/any-id'],
    ] as const) {
      const res = await node.call(method, path);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.json.code).toBe('UNAUTHENTICATED');
    }
    const anonymousSend = await node.call('POST', '/v1/documents', { body: directive({ to: [communes[0].code] }) });
    expect(anonymousSend.status).toBe(401);
  });
});

describe('the outgoing register', () => {
  it(
    'numbers 50 concurrent sends of one agency exactly 1…50, and builds the DocumentId from them',
    async () => {
      const { district, communes } = await createDistrict(node, 20, 1);
      const to = [communes[0]!.code];
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => sendDocument(node, district.clerk, directive({ to, promulgation: undefined }))),
      );
      for (const a of answers) expect(a.status, a.text).toBe(201);

      const numbers = answers.map((a) => Number(a.json.code.number)).sort((x, y) => x - y);
      expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set(answers.map((a) => a.json.id)).size).toBe(50);

      // DocumentId = <OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>; the date defaults to today in Vietnam and
      // numbers below 10 may carry a leading 0 (NĐ 30/2020), hence `0*`.
      const today = todayInVietnam().replace(/-/g, '/');
      const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      for (const a of answers) {
        const { documentId, code } = a.json;
        expect(code.notation).toBe('CT-UBND');
        expect(documentId.startsWith(`${district.code},`)).toBe(true);
        expect(documentId.endsWith('/CT-UBND')).toBe(true);
        expect(documentId).toMatch(new RegExp(`^${escape(district.code)},${escape(today)},0*${Number(code.number)}/CT-UBND$`));
      }
      expect(await outgoingIds(district.clerk)).toHaveLength(50);

      // What was stored says the same as the answers: the document, its timeline event, its audit record.
      const conn = node.runtime.orm.em.fork().getConnection();
      for (const a of answers.slice(0, 10)) {
        const stored = await node.call('GET', `/v1/documents/${a.json.id}`, { token: district.clerk });
        expect(stored.json).toMatchObject({ documentId: a.json.documentId, code: { number: a.json.code.number } });
        const [created] = await conn.execute<Array<{ details: { number: number; recipients: number } }>>(
          `select details from document_event where document_id = ? and type = 'document.created'`,
          [a.json.id],
        );
        expect(created?.details).toEqual({ number: Number(a.json.code.number), recipients: 1 });
        const audit = await conn.execute<Array<{ details: { documentId: string; recipients: string[] }; actor_id: string; agency_code: string }>>(
          `select details, actor_id, agency_code from audit_event where action = 'document.created' and subject_id = ?`,
          [a.json.id],
        );
        expect(audit).toHaveLength(1);
        expect(audit[0]!.details).toEqual({ documentId: a.json.documentId, recipients: to });
        expect(audit[0]!.agency_code).toBe(district.code);
      }
    },
    SLOW,
  );
});

describe('the incoming register', () => {
  it(
    'gives each of 8 communes accepting 3 documents at once the arrival numbers 1, 2, 3',
    async () => {
      const { district, communes } = await createDistrict(node, 21, 8);
      const documents: Array<{ id: string; documentId: string; subject: string }> = [];
      for (let i = 0; i < 3; i++) {
        const body = directive({ to: [`children:${district.code}`] });
        const sent = await sendDocument(node, district.clerk, body);
        expect(sent.status, sent.text).toBe(201);
        expect(sent.json.recipients).toHaveLength(8);
        documents.push({ id: sent.json.id, documentId: sent.json.documentId, subject: body.subject as string });
      }
      const allArrived = Object.fromEntries(communes.map((c) => [c.code, { state: 'arrived', statusCode: '01' }]));
      for (const d of documents) await waitForDeliveries(node, district.clerk, d.id, allArrived);

      const items: Array<{ commune: Agency; itemId: string }> = [];
      for (const commune of communes) {
        for (const d of documents) items.push({ commune, itemId: await waitForInboxItem(node, commune.clerk, d.documentId, d.subject) });
      }

      const answers = await Promise.all(items.map(({ commune, itemId }) => postStatus(node, commune.clerk, itemId, { code: '03' })));
      for (const a of answers) expect(a.status, a.text).toBe(200);

      for (const commune of communes) {
        const mine = items.flatMap((item, i) => (item.commune === commune ? [answers[i]!] : []));
        const numbers = mine.map((a) => Number(a.json.arrivalNumber)).sort((x, y) => x - y);
        expect(numbers, commune.code).toEqual([1, 2, 3]);
      }
      for (const [i, { commune, itemId }] of items.entries()) {
        const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
        expect(Number(item.json.arrivalNumber)).toBe(Number(answers[i]!.json.arrivalNumber));
      }
    },
    SLOW,
  );
});

describe('Idempotency-Key', () => {
  it('returns the first answer for the same key and body, and 409 for the same key with another body', async () => {
    const { district, communes } = await createDistrict(node, 22, 1);
    const body = directive({ to: [communes[0]!.code] });
    const headers = { 'idempotency-key': 'ct-ubnd-2026-0001' };

    const first = await sendDocument(node, district.clerk, body, headers);
    expect(first.status, first.text).toBe(201);
    const again = await sendDocument(node, district.clerk, body, headers);
    expect(again.status, again.text).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.code).toEqual(first.json.code);
    expect(again.json.documentId).toBe(first.json.documentId);

    // API.md names only the status (409); CONFLICT is its generic code.
    const other = await sendDocument(node, district.clerk, { ...body, subject: 'V/v một việc khác' }, headers);
    expect(other.status, other.text).toBe(409);

    expect(await outgoingIds(district.clerk)).toEqual([first.json.id]);
    const fresh = await sendDocument(node, district.clerk, body, { 'idempotency-key': 'ct-ubnd-2026-0002' });
    expect(fresh.status).toBe(201);
    expect(fresh.json.id).not.toBe(first.json.id);
    expect(Number(fresh.json.code.number)).toBe(Number(first.json.code.number) + 1);
  });
});

describe('recall', () => {
  it(
    'asks every recipient to take the document back; one withdraws its copy (15), the other refuses (16)',
    async () => {
      const { district, communes } = await createDistrict(node, 23, 2);
      const [c1, c2] = communes as [Agency, Agency];
      const pdf = samplePdf();
      const body = directive({ to: [`children:${district.code}`], attachments: [pdfAttachment('chỉ-thị-thu-hồi.pdf', pdf)] });
      const sent = await sendDocument(node, district.clerk, body);
      expect(sent.status, sent.text).toBe(201);
      const id = sent.json.id as string;
      await waitForDeliveries(node, district.clerk, id, {
        [c1.code]: { state: 'arrived', statusCode: '01' },
        [c2.code]: { state: 'arrived', statusCode: '01' },
      });
      const item1 = await waitForInboxItem(node, c1.clerk, sent.json.documentId, body.subject as string);
      const item2 = await waitForInboxItem(node, c2.clerk, sent.json.documentId, body.subject as string);
      // Commune 1 has already registered it; commune 2 has not looked at it yet.
      expect((await postStatus(node, c1.clerk, item1, { code: '03' })).status).toBe(200);
      await waitForDeliveries(node, district.clerk, id, { [c1.code]: { state: 'accepted', statusCode: '03' } });

      const recall = await node.call('POST', `/v1/documents/${id}/recall`, {
        token: district.clerk,
        body: { reason: 'Ban hành nhầm, sẽ thay thế bằng văn bản khác' },
      });
      expect(recall.status, recall.text).toBe(202);

      // Both communes see the request (state recall_requested, or status 13 — API.md names only the code).
      for (const [c, itemId] of [
        [c1, item1],
        [c2, item2],
      ] as const) {
        await eventually(async () => {
          const item = await node.call('GET', `/v1/inbox/${itemId}`, { token: c.clerk });
          return item.json?.state === 'recall_requested' || item.json?.statusCode === '13';
        }, ASYNC_TIMEOUT_MS);
      }
      // The sender's side: 13 is the sender's own code, so API.md leaves open whether `statusCode`
      // shows it or the recipient's last answer; only the state is asserted.
      await waitForDeliveries(node, district.clerk, id, {
        [c1.code]: { state: 'recall_requested' },
        [c2.code]: { state: 'recall_requested' },
      });

      const withdrawn = await postStatus(node, c1.clerk, item1, { code: '15' });
      expect(withdrawn.status, withdrawn.text).toBe(200);
      expect(withdrawn.json).toMatchObject({ state: 'recalled', statusCode: '15' });
      const kept = await postStatus(node, c2.clerk, item2, { code: '16', description: 'Đã triển khai thực hiện' });
      expect(kept.status, kept.text).toBe(200);
      expect(kept.json).toMatchObject({ state: 'recall_refused', statusCode: '16' });

      // Commune 1's copy is withdrawn: the file is no longer served, the metadata stays.
      const file1 = await getBytes(node, `/v1/inbox/${item1}/attachments/0`, c1.clerk);
      expect([404, 410]).toContain(file1.status);
      const meta1 = await node.call('GET', `/v1/inbox/${item1}`, { token: c1.clerk });
      expect(meta1.status).toBe(200);
      expect(JSON.stringify(meta1.json)).toContain(body.subject as string);
      // A withdrawn copy is final.
      const afterRecall = await postStatus(node, c1.clerk, item1, { code: '04' });
      expect(afterRecall.status, afterRecall.text).toBe(409);
      expect(afterRecall.json.code).toBe('ILLEGAL_TRANSITION');
      // Commune 2 kept its copy.
      const file2 = await getBytes(node, `/v1/inbox/${item2}/attachments/0`, c2.clerk);
      expect(file2.status).toBe(200);
      expect(file2.bytes.equals(pdf)).toBe(true);

      const tracked = await waitForDeliveries(node, district.clerk, id, {
        [c1.code]: { state: 'recalled', statusCode: '15' },
        [c2.code]: { state: 'recall_refused', statusCode: '16' },
      });
      for (const d of tracked.deliveries) expect(d.statusAt).toMatch(ISO_WITH_OFFSET);
    },
    SLOW,
  );
});

describe('multipart', () => {
  it(
    'accepts a metadata part and a file part, and the recipient gets the file byte for byte',
    async () => {
      const { district, communes } = await createDistrict(node, 24, 1);
      const commune = communes[0]!;
      const pdf = samplePdf();
      const fileName = 'công-văn-đính-kèm số 2.pdf';
      const metadata = directive({ type: 'CV', notation: 'UBND-VP', steeringType: 1, to: [commune.code] });

      // API.md: "a `metadata` JSON part and one part per file"; it does not name the file parts, so
      // this one is simply called `file`.
      const form = new FormData();
      form.append('metadata', JSON.stringify(metadata));
      form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), fileName);
      const request = new Request('http://localhost/v1/documents', {
        method: 'POST',
        headers: { authorization: `Bearer ${district.clerk}` },
        body: form,
      });
      const res = await node.runtime.app.request(request);
      const text = await res.text();
      expect(res.status, text).toBe(201);
      const sent: Loose = JSON.parse(text);
      expect(sent).toMatchObject({ id: expect.any(String), documentId: expect.any(String), code: { notation: 'UBND-VP' } });
      expect(Number(sent.code.number)).toBe(1);
      expect(sent.recipients).toEqual([expect.objectContaining({ code: commune.code })]);

      await waitForDeliveries(node, district.clerk, sent.id, { [commune.code]: { state: 'arrived', statusCode: '01' } });
      const itemId = await waitForInboxItem(node, commune.clerk, sent.documentId, metadata.subject as string);
      const detail = await node.call('GET', `/v1/inbox/${itemId}`, { token: commune.clerk });
      expect(detail.json.verification.signatureValid).toBe(true);
      expect(detail.json.attachments).toHaveLength(1);

      const file = await getBytes(node, `/v1/inbox/${itemId}/attachments/0`, commune.clerk);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toMatch(/^application\/pdf\b/);
      expect(dispositionFileName(file.headers.get('content-disposition'))).toBe(fileName);
      expect(file.bytes.equals(pdf)).toBe(true);
    },
    SLOW,
  );
});
