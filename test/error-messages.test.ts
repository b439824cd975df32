import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, samplePdf, sendDocument, todayInVietnam, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 15, "Mistakes a clerk makes get machine answers": validation messages name the field in plain
 * words, in English or (Accept-Language: vi) Vietnamese, one per mistake; near-miss type codes get a
 * suggestion; codes are upper-cased and text is NFC at the edge; a due date before the date of issue
 * is refused; a file without a content type is typed by its extension.
 */
const DISTRICT = '000.00.86.H33';
const COMMUNE = '000.01.86.H33';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

let node: TestNode;
let district: Agency;

/** The field errors of a 422, by path. */
const byPath = (json: Loose): Record<string, string> => Object.fromEntries(((json?.errors ?? []) as Array<{ path: string; message: string }>).map((e) => [e.path, e.message]));

const vi = { 'accept-language': 'vi' };

function yesterdayInVietnam(): string {
  const d = new Date(`${todayInVietnam()}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

async function multipart(metadata: unknown, files: Array<{ name: string; type?: string; bytes: Buffer }>, headers: Record<string, string> = {}): Promise<{ status: number; json: Loose }> {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], f.type === undefined ? {} : { type: f.type }), f.name);
  const res = await node.runtime.app.request(
    new Request('http://localhost/v1/documents', { method: 'POST', headers: { authorization: `Bearer ${district.clerk}`, ...headers }, body: form }),
  );
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  node = await startTestNode({ roles: { api: true, worker: false } });
  district = await createAgency(node, { code: DISTRICT, name: 'UBND huyện Thông Báo', level: 'district' });
  // Typed in lower case, with spaces around it: the directory keeps it in upper case.
  const commune = await node.call('POST', '/v1/agencies', {
    token: node.adminToken,
    body: { code: ` ${COMMUNE.toLowerCase()} `, name: 'UBND xã Bình An'.normalize('NFD'), level: 'commune', parentCode: DISTRICT.toLowerCase() },
  });
  expect(commune.status, commune.text).toBe(201);
  expect(commune.json).toMatchObject({ code: COMMUNE, parentCode: DISTRICT, name: 'UBND xã Bình An'.normalize('NFC') });
  expect((await node.call('POST', `/v1/agencies/${COMMUNE}/certificates`, { token: node.adminToken, body: {} })).status).toBe(201);
});
afterAll(async () => node?.close());

describe('validation messages', () => {
  it('name the field in plain words, one message per mistake, in English by default', async () => {
    const { subject: _subject, ...noSubject } = directive({ to: [COMMUNE] });
    const res = await sendDocument(node, district.clerk, { ...noSubject, dueDate: '2026-02-30', priority: 9, surprise: 1 });
    expect(res.status, res.text).toBe(422);
    expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED', title: 'Validation failed', status: 422 });
    expect(res.headers.get('content-language')).toBe('en');
    const errors = byPath(res.json);
    expect(Object.keys(errors).sort()).toEqual(['dueDate', 'priority', 'subject', 'surprise']);
    expect(errors.subject).toBe('Subject is required.');
    // One message for one bad date (not a format error and a calendar error).
    expect(errors.dueDate).toBe('Due date is not a real date (2026-02-30).');
    expect(errors.priority).toBe('Urgency must be at most 4.');
    expect(errors.surprise).toContain('is not a field of this request');
    expect(res.json.detail).toMatch(/^The document is not valid: /);
    expect(res.text).not.toMatch(/Invalid input|expected string|received undefined/);
  });

  it('are in Vietnamese with Accept-Language: vi (q-values respected)', async () => {
    const { subject: _subject, ...noSubject } = directive({ to: [COMMUNE] });
    const body = { ...noSubject, dueDate: '31/12/2026', signer: { fullName: 'Nguyễn Văn A' } };
    for (const language of ['vi', 'vi-VN,vi;q=0.9,en;q=0.8', 'en;q=0.5, vi;q=0.8']) {
      const res = await sendDocument(node, district.clerk, body, { 'accept-language': language });
      expect(res.status, res.text).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(res.json.title).toBe('Dữ liệu không hợp lệ');
      expect(res.headers.get('content-language')).toBe('vi');
      expect(byPath(res.json)).toEqual({
        subject: 'Trích yếu là bắt buộc.',
        dueDate: 'Hạn xử lý phải là ngày viết theo dạng YYYY-MM-DD, ví dụ 2026-12-31.',
        'signer.position': 'Chức vụ người ký là bắt buộc.',
      });
      expect(res.json.detail).toMatch(/^Văn bản không hợp lệ: Trích yếu là bắt buộc\./);
    }
    const english = await sendDocument(node, district.clerk, body, { 'accept-language': 'vi;q=0.1, en' });
    expect(byPath(english.json).subject).toBe('Subject is required.');
  });

  it('of the directory and the inbox routes name their fields too', async () => {
    const agency = await node.call('POST', '/v1/agencies', { token: node.adminToken, body: { code: '12.H33', name: '', level: 'village' }, headers: vi });
    expect(agency.status, agency.text).toBe(422);
    expect(byPath(agency.json)).toEqual({
      code: 'Mã định danh cơ quan phải có dạng XXX.YY.ZZ.Lnn, ví dụ 000.00.33.H33.',
      name: 'Tên cơ quan không được để trống.',
      level: expect.stringMatching(/^Cấp phải là một trong các giá trị /),
    });
    const group = await node.call('POST', '/v1/groups', { token: node.adminToken, body: { code: 'KL XA', name: 'Nhóm', members: ['x'] } });
    expect(byPath(group.json)).toMatchObject({ code: expect.stringMatching(/^Group code may hold only letters/), 'members.0': expect.stringMatching(/^Member 1 must have the shape/) });
    const status = await node.call('POST', '/v1/inbox/00000000-0000-4000-8000-000000000000/status', { token: district.clerk, body: { code: '07' }, headers: vi });
    expect(status.status, status.text).toBe(422);
    expect(byPath(status.json).code).toMatch(/^Mã trạng thái phải là một trong các giá trị 02, 03/);
  });

  it('keep the problem shape and codes of domain refusals, with the specifics in Vietnamese too', async () => {
    const res = await sendDocument(node, district.clerk, directive({ to: [COMMUNE, '999.99.86.Z99'] }), vi);
    expect(res.status, res.text).toBe(422);
    expect(res.json.code).toBe('UNKNOWN_RECIPIENT');
    expect(res.json.detail).toContain('999.99.86.Z99');
    expect(res.json.detail).toMatch(/không ứng với cơ quan nào đang hoạt động/);
    expect(byPath(res.json)).toEqual({ 'to.1': 'Nơi nhận thứ 2 (999.99.86.Z99) không ứng với cơ quan nào đang hoạt động.' });
    expect(Object.keys(res.json).sort()).toEqual(['code', 'detail', 'errors', 'requestId', 'status', 'title', 'type']);

    const secret = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], confidentiality: 'mat' }), vi);
    expect(secret.json.code).toBe('SECRET_NOT_ALLOWED');
    expect(secret.json.detail).toContain('"mat"');
    const none = await node.call('GET', '/v1/documents/00000000-0000-4000-8000-000000000000', { token: district.clerk, headers: vi });
    expect(none.json).toMatchObject({ code: 'NOT_FOUND', title: 'Không tìm thấy' });
  });
});

describe('type codes', () => {
  it('a near miss gets a suggestion, in either language', async () => {
    const en = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], type: 'QD', notation: 'QĐ-UBND' }));
    expect(en.status, en.text).toBe(422);
    expect(byPath(en.json).type).toMatch(/^Document type is "QD", which is not a type we know\. Did you mean QĐ \(Quyết định\)\?/);
    const viAnswer = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], type: 'Q.D' }), vi);
    expect(byPath(viAnswer.json).type).toMatch(/^Loại văn bản "Q\.D" không có trong danh mục\. Có phải ý bạn là QĐ \(Quyết định\)\?/);
    const unknown = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], type: 'XYZ' }));
    expect(unknown.json.detail).toContain('QĐ');
    expect(unknown.json.detail).not.toContain('Did you mean');
  });

  it('a key typed in another case is the key (qđ is QĐ, ttr is TTr)', async () => {
    const sent = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], type: ' qđ ', notation: 'QĐ-UBND' }));
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json.type).toBe('QĐ');
  });
});

describe('normalised at the edge', () => {
  it('recipient codes are upper-cased and trimmed, and Vietnamese text arriving in NFD is stored in NFC', async () => {
    const subject = 'Về việc triển khai dịch vụ công trực tuyến toàn trình';
    const sent = await sendDocument(
      node,
      district.clerk,
      directive({ to: [` ${COMMUNE.toLowerCase()}`], subject: subject.normalize('NFD'), signer: { fullName: 'Nguyễn Thị Ánh'.normalize('NFD'), position: 'Chủ tịch' } }),
    );
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json.recipients).toEqual([{ code: COMMUNE, state: 'pending' }]);
    const doc = await node.call('GET', `/v1/documents/${sent.json.id as string}`, { token: district.clerk });
    expect(doc.json.subject).toBe(subject.normalize('NFC'));
    expect(doc.json.subject).not.toBe(subject.normalize('NFD'));
    expect(doc.json.signer.fullName).toBe('Nguyễn Thị Ánh'.normalize('NFC'));
    expect(doc.json.to).toEqual([COMMUNE]);
    // A path parameter too.
    expect((await node.call('GET', `/v1/agencies/${COMMUNE.toLowerCase()}`, { token: node.adminToken })).json.code).toBe(COMMUNE);
  });
});

describe('due date', () => {
  it('before the date of issue → 422 on dueDate; the date of issue itself is fine', async () => {
    const early = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], dueDate: yesterdayInVietnam() }));
    expect(early.status, early.text).toBe(422);
    expect(early.json.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(byPath(early.json))).toEqual(['dueDate']);
    expect(byPath(early.json).dueDate).toBe(`Due date (${yesterdayInVietnam()}) must not be before the date of issue, ${todayInVietnam()} (today in Vietnam).`);
    // Without a promulgation date in the request, the server's date of issue counts.
    const { promulgation: _p, ...withoutDate } = directive({ to: [COMMUNE], dueDate: yesterdayInVietnam() });
    const viAnswer = await sendDocument(node, district.clerk, withoutDate, vi);
    expect(viAnswer.status, viAnswer.text).toBe(422);
    expect(byPath(viAnswer.json).dueDate).toMatch(/^Hạn xử lý \(\d{2}\/\d{2}\/\d{4}\) không được trước ngày ban hành \d{2}\/\d{2}\/\d{4}/);
    const sameDay = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], dueDate: todayInVietnam() }));
    expect(sameDay.status, sameDay.text).toBe(201);
  });
});

describe('attachment types', () => {
  const docx = Buffer.from('PK\u0003\u0004 a Word file', 'latin1');

  it('a .docx sent without a content type (or as application/octet-stream) is typed by its extension', async () => {
    const sent = await multipart(directive({ to: [COMMUNE] }), [
      { name: 'Báo cáo.docx', type: 'application/octet-stream', bytes: docx },
      { name: 'Tờ trình.PDF', bytes: samplePdf() },
    ]);
    expect(sent.status, JSON.stringify(sent.json)).toBe(201);
    expect(sent.json.attachments).toEqual([
      expect.objectContaining({ name: 'Báo cáo.docx', contentType: DOCX }),
      expect.objectContaining({ name: 'Tờ trình.PDF', contentType: 'application/pdf' }),
    ]);
    // A part with no Content-Type header at all (curl -F, hand-written clients): text/plain by RFC 7578.
    const boundary = 'x-boundary';
    const raw = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${JSON.stringify(directive({ to: [COMMUNE] }))}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="Công văn.docx"\r\n\r\n`),
      docx,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const bare = await node.runtime.app.request('/v1/documents', {
      method: 'POST',
      headers: { authorization: `Bearer ${district.clerk}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: new Uint8Array(raw),
    });
    const bareJson = (await bare.json()) as Loose;
    expect(bare.status, JSON.stringify(bareJson)).toBe(201);
    expect(bareJson.attachments).toEqual([expect.objectContaining({ name: 'Công văn.docx', contentType: DOCX })]);

    const json = await sendDocument(node, district.clerk, directive({ to: [COMMUNE], attachments: [{ name: 'ke-hoach.xlsx', contentBase64: docx.toString('base64') }] }));
    expect(json.status, json.text).toBe(201);
    expect(json.json.attachments[0].contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  });

  it('an extension that names no accepted type → a short 422 saying what is accepted', async () => {
    const res = await multipart(directive({ to: [COMMUNE] }), [{ name: 'ghi-chu.txt', type: 'application/octet-stream', bytes: Buffer.from('x') }], vi);
    expect(res.status, JSON.stringify(res.json)).toBe(422);
    expect(res.json.code).toBe('VALIDATION_FAILED');
    const message = byPath(res.json)['attachments.0.contentType']!;
    expect(message).toMatch(/^Kiểu tệp đính kèm thứ 1 là application\/octet-stream/);
    expect(message).toContain('.txt');
    expect(message).toContain('Word (.doc, .docx)');
    expect(message.length).toBeLessThan(300);
    // A declared type off the allow-list is still refused, whatever the extension.
    const html = await multipart(directive({ to: [COMMUNE] }), [{ name: 'trang.pdf', type: 'text/html', bytes: Buffer.from('<p>') }]);
    expect(html.status).toBe(422);
    expect(byPath(html.json)['attachments.0.contentType']).toMatch(/^File type of attachment 1 is "text\/html", which is not accepted/);
  });
});
