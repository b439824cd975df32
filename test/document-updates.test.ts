/**
 * Sending an update (POST /v1/documents/{id}/update, edXML BussinessDocType 2; issue 12): the same
 * number and DocumentId, corrected metadata; each recipient's item shows it as a version to answer
 * with 15 or 16, and the sender sees each answer — without a delivery state moving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASYNC_TIMEOUT_MS, createAgency, directive, getBytes, postStatus, sendDocument, todayInVietnam, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';

let node: TestNode;
let district: Agency;
let a: Agency;
let b: Agency;

beforeAll(async () => {
  node = await startTestNode();
  district = await createAgency(node, { code: '000.00.77.H33', name: 'UBND huyện Sửa', level: 'district' });
  a = await createAgency(node, { code: '000.01.77.H33', name: 'UBND xã Một', level: 'commune', parentCode: '000.00.77.H33' });
  b = await createAgency(node, { code: '000.02.77.H33', name: 'UBND xã Hai', level: 'commune', parentCode: '000.00.77.H33' });
});
afterAll(async () => node?.close());

// Due dates after the date of issue whenever the test runs (one before it is refused, issue 15).
const NEXT_YEAR = Number(todayInVietnam().slice(0, 4)) + 1;
const DUE = `${NEXT_YEAR}-12-31`;
const DUE_LATER = `${NEXT_YEAR + 1}-01-15`;

const events = async (id: string): Promise<Loose[]> => (await node.call('GET', `/v1/documents/${id}/events`, { token: district.clerk })).json.items as Loose[];

describe('an update of a sent document', () => {
  it('reaches every holder as a version to answer; 15 and 16 are recorded per recipient, states unchanged', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [a.code, b.code], subject: 'Kế hoạch tháng 12 (có sai sót)', dueDate: DUE }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [a.code]: { state: 'arrived' }, [b.code]: { state: 'arrived' } });
    const itemA = await waitForInboxItem(node, a.clerk, sent.json.documentId as string);
    const itemB = await waitForInboxItem(node, b.clerk, sent.json.documentId as string);
    const accepted = await postStatus(node, a.clerk, itemA, { code: '03' });
    expect(accepted.status).toBe(200);
    const number = accepted.json.arrivalNumber as number;
    await waitForDeliveries(node, district.clerk, id, { [a.code]: { state: 'accepted' } });

    const updated = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa trích yếu và hạn xử lý', subject: 'Kế hoạch tháng 12', dueDate: DUE_LATER } });
    expect(updated.status, updated.text).toBe(202);
    expect(updated.json.recipients).toBe(2);
    const doc = (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json as Loose;
    expect(doc).toMatchObject({ subject: 'Kế hoạch tháng 12', dueDate: DUE_LATER, documentId: sent.json.documentId });

    // Each holder's item shows the update as a version waiting for its answer.
    for (const [agency, item] of [[a, itemA], [b, itemB]] as const) {
      await eventually(async () => {
        const view = (await node.call('GET', `/v1/inbox/${item}`, { token: agency.clerk })).json as Loose;
        return view.versions?.length === 1 && view.versions[0].state === 'pending' ? view : undefined;
      });
    }
    const edxml = (await getBytes(node, `/v1/inbox/${itemA}/edxml`, a.clerk)).bytes.toString('utf8');
    expect(edxml).toContain('<edXML:BussinessDocType>0</edXML:BussinessDocType>'); // still the version it took

    expect((await postStatus(node, a.clerk, itemA, { code: '15', description: 'Đồng ý cập nhật' })).status).toBe(200);
    expect((await postStatus(node, b.clerk, itemB, { code: '16', description: 'Giữ bản cũ' })).status).toBe(200);
    const viewA = (await node.call('GET', `/v1/inbox/${itemA}`, { token: a.clerk })).json as Loose;
    expect(viewA).toMatchObject({ subject: 'Kế hoạch tháng 12', state: 'accepted', arrivalNumber: number });
    expect((await node.call('GET', `/v1/inbox/${itemB}`, { token: b.clerk })).json.subject).toBe('Kế hoạch tháng 12 (có sai sót)');

    // The sender sees each answer on the timeline; the delivery states did not move.
    const timeline = await eventually(async () => {
      const items = await events(id);
      return items.some((e) => e.type === 'update.accepted') && items.some((e) => e.type === 'update.refused') ? items : undefined;
    });
    expect(timeline.find((e) => e.type === 'update.accepted')).toMatchObject({ recipient: a.code, statusCode: '15' });
    expect(timeline.find((e) => e.type === 'update.refused')).toMatchObject({ recipient: b.code, statusCode: '16' });
    expect(timeline.filter((e) => e.type === 'status.refused')).toEqual([]);
    await waitForDeliveries(node, district.clerk, id, { [a.code]: { state: 'accepted' }, [b.code]: { state: 'arrived' } });
  });

  it('an answer crossing the next update answers the version the recipient took; the next one still goes out and gets its own answer', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [a.code] }));
    expect(sent.status, sent.text).toBe(201);
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [a.code]: { state: 'arrived' } });
    const item = await waitForInboxItem(node, a.clerk, sent.json.documentId as string);
    const versions = async (): Promise<Loose[]> => ((await node.call('GET', `/v1/inbox/${item}`, { token: a.clerk })).json as Loose).versions ?? [];

    const first = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa lần một', subject: 'Bản sửa lần một' } });
    expect(first.status, first.text).toBe(202);
    await eventually(async () => (await versions()).length === 1, ASYNC_TIMEOUT_MS);
    // The clerk takes version 2 while the sender, not knowing yet, makes version 3: the 15 is
    // carried only once version 3 has reached the recipient (the status queue held meanwhile).
    const queue = node.runtime.queues.queue('status');
    await queue.pause();
    let second: Loose;
    try {
      expect((await postStatus(node, a.clerk, item, { code: '15', description: 'Nhận bản sửa lần một' })).status).toBe(200);
      second = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa lần hai', subject: 'Bản sửa lần hai' } });
      expect(second.status, second.text).toBe(202);
      await eventually(async () => (await versions()).length === 2, ASYNC_TIMEOUT_MS);
    } finally {
      await queue.resume();
    }
    // The 15 answered version 2 (update one); version 3 waits for its own answer on both sides.
    const accepted = await eventually(async () => (await events(id)).find((e) => e.type === 'update.accepted'), ASYNC_TIMEOUT_MS);
    expect(accepted.details.updateId).toBe(first.json.updateId);
    expect((await versions()).map((v) => [v.version, v.state, v.current])).toEqual([
      [2, 'accepted', true],
      [3, 'pending', false],
    ]);
    expect((await postStatus(node, a.clerk, item, { code: '16', description: 'Giữ bản sửa lần một' })).status).toBe(200);
    const refused = await eventually(async () => (await events(id)).find((e) => e.type === 'update.refused'), ASYNC_TIMEOUT_MS);
    expect(refused.details.updateId).toBe(second.json.updateId);
  }, ASYNC_TIMEOUT_MS * 4);

  it('takes a body like POST /v1/documents, as long as what makes the DocumentId and the recipients stay', async () => {
    const body = directive({ to: [a.code] });
    const sent = await sendDocument(node, district.clerk, body);
    await waitForDeliveries(node, district.clerk, sent.json.id, { [a.code]: { state: 'arrived' } });
    const same = await node.call('POST', `/v1/documents/${sent.json.id}/update`, { token: district.clerk, body: { ...body, subject: 'Trích yếu đã sửa', reason: 'Sửa trích yếu' } });
    expect(same.status, same.text).toBe(202);
    const moved = await node.call('POST', `/v1/documents/${sent.json.id}/update`, { token: district.clerk, body: { ...body, to: [b.code], notation: 'KH-UBND', reason: 'Đổi' } });
    expect(moved.status).toBe(422);
    expect(moved.json.errors.map((e: Loose) => e.path).sort()).toEqual(['notation', 'to']);
  });

  it('refuses an update that changes nothing, and one of a recalled document', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [a.code] }));
    const id = sent.json.id as string;
    await waitForDeliveries(node, district.clerk, id, { [a.code]: { state: 'arrived' } });
    const same = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Không đổi', subject: sent.json.subject ?? (await node.call('GET', `/v1/documents/${id}`, { token: district.clerk })).json.subject } });
    expect(same.status).toBe(422);
    const unknownField = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Đổi số', notation: 'QĐ-UBND' } });
    expect(unknownField.status).toBe(422);
    expect((await node.call('POST', `/v1/documents/${id}/recall`, { token: district.clerk, body: { reason: 'Thu hồi' } })).status).toBe(202);
    const recalled = await node.call('POST', `/v1/documents/${id}/update`, { token: district.clerk, body: { reason: 'Sửa', subject: 'Khác' } });
    expect(recalled.status).toBe(409);
    expect(recalled.json.code).toBe('ILLEGAL_TRANSITION');
  });
});
