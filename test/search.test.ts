import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, familyCodes, sendDocument, todayInVietnam, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { foldSearchText } from '../src/util/search-text.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 13, search: `?q=` on GET /v1/documents and GET /v1/inbox finds words with or without their
 * marks in the trích yếu, the số/ký hiệu and the names (PostgreSQL full-text over folded text,
 * indexed), with `from`/`to`, `type`, `sender`/`recipient` filters, and pages that neither skip nor
 * repeat documents that share a timestamp.
 */

let node: TestNode;
let district: Agency;
let binhAn: Agency;
let hoaDien: Agency;
const today = todayInVietnam();
const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

const SENT: Array<{ subject: string; type: string; notation: string; to: () => Agency }> = [
  { subject: 'Về việc triển khai dịch vụ công trực tuyến toàn trình', type: 'CT', notation: 'CT-UBND', to: () => binhAn },
  { subject: 'V/v tăng cường phòng, chống dịch bệnh mùa mưa lũ', type: 'CT', notation: 'CT-UBND', to: () => hoaDien },
  { subject: 'Mời họp giao ban công tác chuyển đổi số quý IV', type: 'GM', notation: 'GM-UBND', to: () => binhAn },
  { subject: 'Về việc khen thưởng thành tích phòng chống thiên tai', type: 'CV', notation: 'UBND-VP', to: () => binhAn },
];
const documentIds: string[] = [];

const listInbox = (query: string, token = binhAn.clerk) => node.call('GET', `/v1/inbox?${query}`, { token });
const listDocuments = (query: string) => node.call('GET', `/v1/documents?${query}`, { token: district.clerk });
const subjects = (res: { status: number; text: string; json: Loose }): string[] => {
  expect(res.status, res.text).toBe(200);
  return (res.json.items as Loose[]).map((i) => i.subject as string).sort();
};

beforeAll(async () => {
  node = await startTestNode();
  const codes = familyCodes(63);
  district = await createAgency(node, { code: codes.district, name: 'UBND huyện Kiên Lương', level: 'district' });
  binhAn = await createAgency(node, { code: codes.commune(1), name: 'UBND xã Bình An', level: 'commune', parentCode: codes.district });
  hoaDien = await createAgency(node, { code: codes.commune(2), name: 'UBND xã Hòa Điền', level: 'commune', parentCode: codes.district });
  for (const d of SENT) {
    const res = await sendDocument(node, district.clerk, directive({ subject: d.subject, type: d.type, notation: d.notation, steeringType: 1, to: [d.to().code], promulgation: {} }));
    expect(res.status, res.text).toBe(201);
    documentIds.push(res.json.documentId as string);
  }
  for (const [i, d] of SENT.entries()) await waitForInboxItem(node, d.to().clerk, documentIds[i]!);
}, 60_000);
afterAll(async () => node?.close());

describe('GET /v1/inbox?q=', () => {
  it('finds words with or without their marks, in any case, by the beginning of the last word', async () => {
    const expected = [SENT[0]!.subject];
    expect(subjects(await listInbox('q=triển khai'))).toEqual(expected);
    expect(subjects(await listInbox('q=TRIEN KHAI'))).toEqual(expected);
    expect(subjects(await listInbox(`q=${encodeURIComponent('trien kh')}`))).toEqual(expected);
    expect(subjects(await listInbox(`q=${encodeURIComponent('Triển khai'.normalize('NFD'))}`))).toEqual(expected);
    // Every word must be there.
    expect(subjects(await listInbox('q=trien khai mưa'))).toEqual([]);
    // Only the last word may be a beginning: "lũ" is not "Lương".
    expect(subjects(await listInbox('q=lũ trien'))).toEqual([]);
    expect(subjects(await listInbox('q=phong chong'))).toEqual([SENT[3]!.subject]);
  });

  it('finds the số/ký hiệu, whole or in part, and the sender by name', async () => {
    expect(subjects(await listInbox(`q=${encodeURIComponent('01/CT-UBND')}`))).toEqual([SENT[0]!.subject]);
    expect(subjects(await listInbox(`q=${encodeURIComponent('1/ct-ubnd')}`))).toEqual([SENT[0]!.subject]);
    expect(subjects(await listInbox(`q=${encodeURIComponent('UBND-VP')}`))).toEqual([SENT[3]!.subject]);
    expect(subjects(await listInbox('q=GM'))).toEqual([SENT[2]!.subject]);
    expect(subjects(await listInbox('q=huyen kien luong'))).toHaveLength(3);
    expect(subjects(await listInbox('q=Hòa Điền'))).toEqual([]);
    // Nothing searchable (only punctuation) is no filter; tsquery syntax is only text.
    expect(subjects(await listInbox(`q=${encodeURIComponent('// -- ')}`))).toHaveLength(3);
    expect(subjects(await listInbox(`q=${encodeURIComponent("khai & !' | :*")}`))).toEqual([SENT[0]!.subject]);
  });

  it('filters by the day received, the type and the sender', async () => {
    expect(subjects(await listInbox(`from=${today}&to=${today}`))).toHaveLength(3);
    expect(subjects(await listInbox(`to=${yesterday}`))).toEqual([]);
    expect(subjects(await listInbox('type=CT'))).toEqual([SENT[0]!.subject]);
    expect(subjects(await listInbox('type=gm'))).toEqual([SENT[2]!.subject]);
    expect(subjects(await listInbox(`sender=${district.code}&type=CV&q=khen`))).toEqual([SENT[3]!.subject]);
    expect(subjects(await listInbox(`sender=${hoaDien.code}`))).toEqual([]);
    const bad = await listInbox('from=2026-02-30');
    expect(bad.status).toBe(422);
  });
});

describe('GET /v1/documents?q=', () => {
  it('finds the trích yếu, the số/ký hiệu and the recipients by name, with or without marks; filters by recipient, type, dates', async () => {
    expect(subjects(await listDocuments('q=hoa dien'))).toEqual([SENT[1]!.subject]);
    expect(subjects(await listDocuments('q=Bình An'))).toHaveLength(3);
    expect(subjects(await listDocuments('q=mua mua lu'))).toEqual([SENT[1]!.subject]);
    expect(subjects(await listDocuments(`q=${encodeURIComponent('02/CT-UBND')}`))).toEqual([SENT[1]!.subject]);
    expect(subjects(await listDocuments(`recipient=${binhAn.code}&q=phong`))).toEqual([SENT[3]!.subject]);
    expect(subjects(await listDocuments('type=GM'))).toEqual([SENT[2]!.subject]);
    expect(subjects(await listDocuments(`from=${today}&to=${today}`))).toHaveLength(4);
    expect(subjects(await listDocuments(`to=${yesterday}`))).toEqual([]);
    expect(subjects(await listDocuments('series=default'))).toHaveLength(4);
  });
});

describe('pages', () => {
  it('documents and inbox items that share a timestamp are neither skipped nor repeated', async () => {
    const db = node.runtime.orm.em.fork().getConnection();
    // Every document and item of these agencies at one instant: only the id orders them.
    await db.execute(`update outgoing_document set created_at = '2026-06-01T03:00:00.123Z' where agency_code = ?`, [district.code]);
    await db.execute(`update inbox_item set received_at = '2026-06-01T03:00:00.123Z' where agency_code = ?`, [binhAn.code]);

    const walk = async (first: string, token: string) => {
      const seen: string[] = [];
      let path: string | null = first;
      while (path) {
        const res = await node.call('GET', path, { token });
        expect(res.status, res.text).toBe(200);
        seen.push(...(res.json.items as Loose[]).map((i) => i.id as string));
        path = res.json.nextCursor ? `${first.split('?')[0]}?limit=1&cursor=${res.json.nextCursor}` : null;
      }
      return seen;
    };
    const documents = await walk('/v1/documents?limit=1', district.clerk);
    expect(documents).toHaveLength(4);
    expect(new Set(documents).size).toBe(4);
    const items = await walk('/v1/inbox?limit=1', binhAn.clerk);
    expect(items).toHaveLength(3);
    expect(new Set(items).size).toBe(3);
  });
});

describe('folding', () => {
  const MARKED = 'àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ';
  const PLAIN = 'aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyAAAAAAAAAAAAAAAAADEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYY';
  const samples = [MARKED, 'UBND huyện Kiên Lương, 000.00.33.H33,2026/01/07,05/QĐ-UBND; “Dân vận khéo” — Hỏa tốc'];

  it('the database folds what it indexes as the API folds what a clerk types (lt_fold = foldSearchText)', async () => {
    const db = node.runtime.orm.em.fork().getConnection();
    for (const text of samples) {
      const [row] = await db.execute<Array<{ folded: string }>>('select lt_fold(?) as folded', [text]);
      expect(row!.folded).toBe(foldSearchText(text));
    }
  });

  it('the fallback table of the migration (a server without unaccent) takes the marks off every Vietnamese letter as unaccent does', async () => {
    const db = node.runtime.orm.em.fork().getConnection();
    const [row] = await db.execute<Array<{ a: string; b: string }>>('select lt_unaccent(?) as a, translate(?, ?, ?) as b', [MARKED, MARKED, MARKED, PLAIN]);
    expect(row!.b).toBe(row!.a);
    expect(row!.a).toBe(PLAIN);
  });
});
