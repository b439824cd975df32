import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, familyCodes, postStatus, sendDocument, todayInVietnam, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 13, the register books (NĐ 30/2020 Phụ lục IV): GET /v1/registers/{out|in}/{year} as JSON,
 * XLSX and PDF, electronic and paper documents of a series in one book. The XLSX is read back with
 * exceljs and the PDF with poppler's pdftotext, as an inspector's tools would; Vietnamese letters
 * must come out as they went in.
 *
 * With LIENTHONG_RENDER_DOCS=1 the first page of each book is rendered into docs/ (pdftoppm).
 */

let node: TestNode;
let district: Agency;
let commune: Agency;
const year = Number(todayInVietnam().slice(0, 4));
const today = todayInVietnam();
const dm = `${today.slice(8, 10)}/${today.slice(5, 7)}`;
const work = mkdtempSync(join(tmpdir(), 'lt-books-'));

/** Subjects with every kind of Vietnamese mark, stacked ones included. */
const SUBJECTS = [
  'Về việc triển khai dịch vụ công trực tuyến toàn trình năm 2026',
  'V/v tăng cường phòng, chống dịch bệnh; bảo đảm an toàn thực phẩm dịp Tết Nguyên đán',
  'Về việc khen thưởng tập thể, cá nhân có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” — Ưu tiên, hỏa tốc, thượng khẩn; ỷ lại, nghĩ ngợi, giữ gìn',
];

async function bytes(path: string, token: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; disposition: string | null; body: Buffer }> {
  const res = await node.runtime.app.request(path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), body: Buffer.from(await res.arrayBuffer()) };
}

function pdfText(pdf: Buffer, name: string): string {
  const file = join(work, name);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
}

/** Renders the first page of the book itself (page 2: page 1 is the title page) into docs/, for the README. */
function renderIntoDocs(pdf: Buffer, name: string): void {
  if (process.env.LIENTHONG_RENDER_DOCS !== '1') return;
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, pdf);
  mkdirSync('docs', { recursive: true });
  for (const [page, suffix] of [
    [1, 'title'],
    [2, ''],
  ] as const) {
    execFileSync('pdftoppm', ['-png', '-r', '100', '-f', String(page), '-l', String(page), '-singlefile', file, join(work, `${name}-${page}`)]);
    copyFileSync(join(work, `${name}-${page}.png`), join('docs', suffix ? `${name}-${suffix}.png` : `${name}.png`));
  }
}

beforeAll(async () => {
  node = await startTestNode();
  const codes = familyCodes(52);
  district = await createAgency(node, { code: codes.district, name: 'UBND huyện Kiên Lương', level: 'district' });
  commune = await createAgency(node, { code: codes.commune(1), name: 'UBND xã Bình An', level: 'commune', parentCode: codes.district });
  await createAgency(node, { code: codes.commune(2), name: 'UBND xã Hòa Điền', level: 'commune', parentCode: codes.district });

  // The district: two composed documents, a paper one between them.
  const documentIds: string[] = [];
  for (const [i, subject] of SUBJECTS.slice(0, 2).entries()) {
    const sent = await sendDocument(node, district.clerk, directive({ subject, to: [`children:${codes.district}`], toPlaces: ['Như trên', 'Lưu: VT, VP'], promulgation: {} }));
    expect(sent.status, sent.text).toBe(201);
    documentIds.push(sent.json.documentId as string);
    if (i === 0) {
      const paper = await node.call('POST', '/v1/registers/out', {
        token: district.clerk,
        body: { medium: 'paper', type: 'QĐ', notation: 'QĐ-UBND', subject: SUBJECTS[2], signer: 'Chủ tịch Nguyễn Văn Ánh', recipients: ['Như Điều 3', 'Sở Nội vụ'], keeper: 'Văn thư; Phòng Nội vụ', copies: 12, note: 'Bản gốc lưu tại Văn thư' },
      });
      expect(paper.status, paper.text).toBe(201);
    }
  }
  // The commune: a paper document, then the first directive accepted (03) and assigned (04).
  const paperIn = await node.call('POST', '/v1/registers/in', {
    token: commune.clerk,
    body: { medium: 'paper', author: 'Sở Tài nguyên và Môi trường tỉnh Kiên Giang', code: '215/STNMT-QLĐĐ', date: today, subject: 'V/v rà soát hồ sơ địa chính đất đai', holder: 'Ông Trần Văn Bảy', handedOn: today },
  });
  expect(paperIn.status, paperIn.text).toBe(201);
  const itemId = await waitForInboxItem(node, commune.clerk, documentIds[0]!);
  expect((await postStatus(node, commune.clerk, itemId, { code: '03' })).status).toBe(200);
  expect((await postStatus(node, commune.clerk, itemId, { code: '04', staff: { department: 'Công chức Văn hóa – Xã hội', name: 'Lê Thị Hồng Nhung' } })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await node?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the outgoing book', () => {
  it('JSON: electronic and paper documents by number, with the columns of Phụ lục IV; paged by number', async () => {
    const res = await node.call('GET', `/v1/registers/out/${year}`, { token: district.clerk });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ agency: { code: district.code, name: 'UBND huyện Kiên Lương', parentName: null }, kind: 'out', series: { code: 'default', name: 'Sổ đăng ký văn bản đi' }, year, nextCursor: null });
    expect(res.json.items.map((r: Loose) => [r.number, r.medium, r.code])).toEqual([
      [1, 'electronic', '01/CT-UBND'],
      [2, 'paper', '02/QĐ-UBND'],
      [3, 'electronic', '03/CT-UBND'],
    ]);
    expect(res.json.items[0]).toMatchObject({
      date: today,
      typeName: 'Chỉ thị',
      subject: SUBJECTS[0],
      signer: 'TM. Chủ tịch Nguyễn Văn A',
      recipients: ['UBND xã Bình An', 'UBND xã Hòa Điền', 'Như trên'],
      keeper: 'VT, VP',
      copies: 2,
    });
    expect(res.json.items[1]).toMatchObject({ typeName: 'Quyết định', signer: 'Chủ tịch Nguyễn Văn Ánh', recipients: ['Như Điều 3', 'Sở Nội vụ'], keeper: 'Văn thư; Phòng Nội vụ', copies: 12 });

    const page1 = await node.call('GET', `/v1/registers/out/${year}.json?limit=2`, { token: district.clerk });
    expect(page1.json.items.map((r: Loose) => r.number)).toEqual([1, 2]);
    const page2 = await node.call('GET', `/v1/registers/out/${year}?limit=2&cursor=${page1.json.nextCursor}`, { token: district.clerk });
    expect(page2.json.items.map((r: Loose) => r.number)).toEqual([3]);
    expect(page2.json.nextCursor).toBeNull();
  });

  it('XLSX: a title page and the book, read back with exceljs', async () => {
    const file = await bytes(`/v1/registers/out/${year}.xlsx`, district.clerk);
    expect(file.status, file.body.toString()).toBe(200);
    expect(file.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(file.disposition).toContain(`so-di-${year}.xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.body as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Bìa sổ', 'Sổ văn bản đi']);
    const cover = workbook.worksheets[0]!.getColumn(1).values.filter(Boolean);
    expect(cover).toEqual(expect.arrayContaining(['UBND HUYỆN KIÊN LƯƠNG', 'SỔ ĐĂNG KÝ VĂN BẢN ĐI', `Năm ${year}`, 'Từ số 01 đến số 03']));
    const sheet = workbook.worksheets[1]!;
    const rowValues = (n: number) => (sheet.getRow(n).values as unknown[]).slice(1);
    expect(rowValues(1)).toEqual([
      'Số, ký hiệu văn bản',
      'Ngày tháng văn bản',
      'Tên loại và trích yếu nội dung văn bản',
      'Người ký',
      'Nơi nhận văn bản',
      'Đơn vị, người nhận bản lưu',
      'Số lượng bản',
      'Ghi chú',
    ]);
    expect(rowValues(2)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sheet.rowCount).toBe(5);
    expect(rowValues(3)).toEqual(['01/CT-UBND', dm, `Chỉ thị\n${SUBJECTS[0]}`, 'TM. Chủ tịch Nguyễn Văn A', 'UBND xã Bình An; UBND xã Hòa Điền; Như trên', 'VT, VP', '2', 'Điện tử']);
    expect(rowValues(4)).toEqual(['02/QĐ-UBND', dm, `Quyết định\n${SUBJECTS[2]}`, 'Chủ tịch Nguyễn Văn Ánh', 'Như Điều 3; Sở Nội vụ', 'Văn thư; Phòng Nội vụ', '12', 'Bản giấy; Bản gốc lưu tại Văn thư']);
  });

  it('PDF (by suffix or by Accept): the title page and every row, with the Vietnamese letters intact (pdftotext)', async () => {
    const bySuffix = await bytes(`/v1/registers/out/${year}.pdf`, district.clerk);
    expect(bySuffix.status, bySuffix.body.toString()).toBe(200);
    expect(bySuffix.type).toBe('application/pdf');
    expect(bySuffix.disposition).toContain(`so-di-${year}.pdf`);
    const byAccept = await bytes(`/v1/registers/out/${year}`, district.clerk, { accept: 'application/pdf' });
    expect(byAccept.type).toBe('application/pdf');
    expect(byAccept.body.subarray(0, 5).toString()).toBe('%PDF-');

    const text = pdfText(bySuffix.body, 'out.pdf').normalize('NFC');
    const flat = text.replace(/\s+/g, ' ');
    for (const expected of ['UBND HUYỆN KIÊN LƯƠNG', 'SỔ ĐĂNG KÝ VĂN BẢN ĐI', `Năm ${year}`, 'Từ số 01 đến số 03', 'Quyển số: 01', 'Số, ký hiệu văn bản', 'Đơn vị, người nhận bản lưu', 'Số lượng bản']) {
      expect(flat).toContain(expected);
    }
    for (const code of ['01/CT-UBND', '02/QĐ-UBND', '03/CT-UBND']) expect(flat).toContain(code);
    // Words with stacked marks, as pdftotext reads them back.
    for (const word of ['triển khai', 'trực tuyến', 'Nguyên đán', 'Ưu tiên', 'hỏa tốc', 'thượng khẩn', 'ỷ lại', 'nghĩ ngợi', 'giữ gìn', 'Nguyễn Văn Ánh', 'Hòa Điền']) {
      expect(flat).toContain(word);
    }
    // The fonts are embedded: nothing is left to the reader's machine.
    const fonts = execFileSync('pdffonts', [join(work, 'out.pdf')], { encoding: 'utf8' });
    const embedded = fonts.split('\n').slice(2).filter(Boolean);
    expect(embedded.length).toBeGreaterThan(0);
    for (const line of embedded) expect(line).toMatch(/DejaVuSerifCondensed.*\byes\b/);
    renderIntoDocs(bySuffix.body, 'register-book-out');
  });

  it('another agency’s clerk may not read it; an administrator names the agency; a series the agency lacks → 404', async () => {
    expect((await node.call('GET', `/v1/registers/out/${year}?agency=${district.code}`, { token: commune.clerk })).status).toBe(403);
    expect((await node.call('GET', `/v1/registers/out/${year}`, { token: node.adminToken })).status).toBe(422);
    expect((await node.call('GET', `/v1/registers/out/${year}?agency=${district.code}`, { token: node.adminToken })).json.items).toHaveLength(3);
    expect((await node.call('GET', `/v1/registers/out/${year}?series=VBQPPL`, { token: district.clerk })).status).toBe(404);
    expect((await node.call('GET', `/v1/registers/sideways/${year}`, { token: district.clerk })).status).toBe(404);
    expect((await node.call('GET', `/v1/registers/out/${year}.doc`, { token: district.clerk })).status).toBe(404);
    // An empty year is an empty book, with its title page.
    const empty = await bytes(`/v1/registers/out/${year - 3}.pdf`, district.clerk);
    expect(pdfText(empty.body, 'empty.pdf')).toContain('Sổ chưa có văn bản nào.');
  });
});

describe('the incoming book', () => {
  it('JSON, XLSX and PDF: the paper document and the accepted one, Đơn vị hoặc người nhận from the 04', async () => {
    const res = await node.call('GET', `/v1/registers/in/${year}`, { token: commune.clerk });
    expect(res.status, res.text).toBe(200);
    expect(res.json.agency).toEqual({ code: commune.code, name: 'UBND xã Bình An', parentName: 'UBND huyện Kiên Lương' });
    expect(res.json.items).toMatchObject([
      { number: 1, medium: 'paper', arrivedOn: today, author: 'Sở Tài nguyên và Môi trường tỉnh Kiên Giang', code: '215/STNMT-QLĐĐ', documentDate: today, holder: 'Ông Trần Văn Bảy', handedOn: today },
      { number: 2, medium: 'electronic', arrivedOn: today, author: 'UBND huyện Kiên Lương', code: '01/CT-UBND', documentDate: today, typeName: 'Chỉ thị', subject: SUBJECTS[0], holder: 'Công chức Văn hóa – Xã hội — Lê Thị Hồng Nhung', handedOn: today },
    ]);

    const xlsx = await bytes(`/v1/registers/in/${year}`, commune.clerk, { accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(xlsx.disposition).toContain(`so-den-${year}.xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.body as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Sổ văn bản đến')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['Ngày đến', 'Số đến', 'Tác giả', 'Số, ký hiệu', 'Ngày tháng', 'Tên loại và trích yếu nội dung', 'Đơn vị hoặc người nhận', 'Ngày chuyển', 'Ký nhận', 'Ghi chú']);
    expect((sheet.getRow(4).values as unknown[]).slice(1, 8)).toEqual([dm, '2', 'UBND huyện Kiên Lương', '01/CT-UBND', dm, `Chỉ thị\n${SUBJECTS[0]}`, 'Công chức Văn hóa – Xã hội — Lê Thị Hồng Nhung']);
    expect(workbook.getWorksheet('Bìa sổ')!.getColumn(1).values).toEqual(expect.arrayContaining(['UBND HUYỆN KIÊN LƯƠNG', 'UBND XÃ BÌNH AN', 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN']));

    const pdf = await bytes(`/v1/registers/in/${year}.pdf`, commune.clerk);
    // A code may wrap at its hyphen in a narrow column.
    const flat = pdfText(pdf.body, 'in.pdf').normalize('NFC').replace(/\s+/g, ' ').replace(/- /g, '-');
    for (const expected of ['UBND XÃ BÌNH AN', 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN', 'Tác giả', 'Đơn vị hoặc người nhận', 'Ký nhận', '215/STNMT-QLĐĐ', 'Sở Tài nguyên và Môi trường', 'Lê Thị Hồng Nhung', 'rà soát hồ sơ địa chính đất đai']) {
      expect(flat).toContain(expected);
    }
    renderIntoDocs(pdf.body, 'register-book-in');
    expect(readdirSync(work).length).toBeGreaterThan(0);
  });
});

describe('the OpenAPI document', () => {
  it('documents the registers, the books with their formats, and the search parameters', async () => {
    const doc = (await node.call('GET', '/openapi.json')).json;
    for (const path of ['/v1/agencies/{code}/registers', '/v1/registers/out', '/v1/registers/in', '/v1/registers/{kind}/{year}']) expect(Object.keys(doc.paths)).toContain(path);
    const book = doc.paths['/v1/registers/{kind}/{year}'].get;
    expect(Object.keys(book.responses['200'].content)).toEqual(['application/json', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    expect(book.description).toContain('2026.xlsx');
    const params = (path: string) => (doc.paths[path].get.parameters as Array<{ name: string }>).map((p) => p.name);
    expect(params('/v1/inbox')).toEqual(expect.arrayContaining(['q', 'from', 'to', 'type', 'sender']));
    expect(params('/v1/documents')).toEqual(expect.arrayContaining(['q', 'from', 'to', 'type', 'recipient', 'series']));
  });
});
