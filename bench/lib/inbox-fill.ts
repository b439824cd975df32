/**
 * A large inbox for one agency, written straight into PostgreSQL (delivering 10,000–100,000 items
 * through the pipeline would take the bench up to an hour and measure the pipeline, not what reads the
 * inbox). Used by the search (issue 13) and console (issue 14) scenarios.
 *
 * Each item gets a package row of its own (an item points at the package it came in) and reads like a
 * delivered one: a commune as sender (`000.NN.90.H33`, "UBND xã <place>"), a subject "Về việc <topic>
 * năm <year> (đợt n)" from 15 topics, a code `n/<notation>` of 6 document types, state `arrived` with
 * its 01, a valid signature, no attachments, received 30 s apart going back from now. The database's
 * own trigger folds and indexes each row as it does for a delivered one. Ends with `vacuum analyze` of
 * both tables, as autovacuum would after a bulk load.
 */
import type pg from 'pg';

const TOPICS = [
  'triển khai dịch vụ công trực tuyến toàn trình',
  'tăng cường phòng, chống dịch bệnh mùa mưa',
  'phòng chống thiên tai và tìm kiếm cứu nạn',
  'khen thưởng thành tích trong phong trào thi đua',
  'chuyển đổi số trong cơ quan nhà nước',
  'quản lý đất đai và hồ sơ địa chính',
  'an toàn thực phẩm dịp Tết Nguyên đán',
  'bảo vệ môi trường và xử lý rác thải',
  'giao ban công tác cải cách hành chính',
  'kế hoạch phát triển kinh tế – xã hội',
  'tuyển sinh đầu cấp năm học mới',
  'bầu cử đại biểu Hội đồng nhân dân',
  'cấp giấy chứng nhận quyền sử dụng đất',
  'phòng cháy, chữa cháy khu dân cư',
  'sạt lở bờ sông, bờ biển',
];
const TYPES = [
  ['Công văn', 'UBND-VP'],
  ['Quyết định', 'QĐ-UBND'],
  ['Chỉ thị', 'CT-UBND'],
  ['Thông báo', 'TB-UBND'],
  ['Kế hoạch', 'KH-UBND'],
  ['Giấy mời', 'GM-UBND'],
];
const PLACES = ['Bình An', 'Hòa Điền', 'Kiên Lương', 'Dương Hòa', 'Bình Trị', 'Sơn Hải', 'Hòn Nghệ', 'Thổ Sơn', 'Lình Huỳnh', 'Mỹ Thái', 'Nam Thái Sơn', 'Tân Hiệp'];

/**
 * Writes `items` inbox items (and their packages) for `agencyCode`, `batch` rows per statement, into
 * a database that holds no other bulk-loaded inbox (ids and package hashes are derived from 1…items).
 * Returns how many items the agency holds afterwards and the seconds the writing and the vacuum took.
 */
export async function fillInbox(sql: pg.Client, agencyCode: string, items: number, batch = 20_000): Promise<{ count: number; seconds: number }> {
  const started = Date.now();
  const topics = `array[${TOPICS.map((t) => `'${t}'`).join(',')}]`;
  const typeNames = `array[${TYPES.map(([n]) => `'${n}'`).join(',')}]`;
  const notations = `array[${TYPES.map(([, n]) => `'${n}'`).join(',')}]`;
  const places = `array[${PLACES.map((p) => `'${p}'`).join(',')}]`;
  for (let from = 1; from <= items; from += batch) {
    const to = Math.min(items, from + batch - 1);
    await sql.query(
      `insert into edxml_package (id, sha256, kind, sender_code, document_id, business_doc_type, size, bytes, created_at)
       select md5('p' || i)::uuid, encode(sha256(('bench-inbox-' || i)::bytea), 'hex'), 'edoc', '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33', 'bench-' || i, 0, 1, '\\x00', now()
         from generate_series($1::int, $2::int) i`,
      [from, to],
    );
    await sql.query(
      `insert into inbox_item (id, agency_code, package_id, sender_code, sender_name, document_id, subject, metadata, attachments, verification, state, status_code, status_at, received_at, updated_at)
       select md5('i' || i)::uuid, $3, md5('p' || i)::uuid,
              '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33',
              'UBND xã ' || (${places})[1 + i % 12],
              '000.' || lpad((i % 12)::text, 2, '0') || '.90.H33,' || (2020 + i % 7) || '/' || lpad((1 + i % 12)::text, 2, '0') || '/15,' || (1 + i % 997) || '/' || (${notations})[1 + i % 6],
              'Về việc ' || (${topics})[1 + i % 15] || ' năm ' || (2020 + i % 7) || ' (đợt ' || (1 + (i / 15) % 40) || ')',
              jsonb_build_object('messageHeader', jsonb_build_object(
                'code', jsonb_build_object('codeNumber', (1 + i % 997)::text, 'codeNotation', (${notations})[1 + i % 6]),
                'documentType', jsonb_build_object('typeName', (${typeNames})[1 + i % 6]))),
              '[]'::jsonb,
              '{"signatureValid": true, "certificate": {"subject": "CN=bench", "serialNumber": "1", "issuer": "CN=bench", "fingerprintSha256": ""}, "checkedAt": "2026-01-01T00:00:00Z", "sha256": ""}'::jsonb,
              'arrived', '01', now(), now() - make_interval(secs => i * 30), now()
         from generate_series($1::int, $2::int) i`,
      [from, to, agencyCode],
    );
  }
  // What autovacuum does after a bulk load anyway: statistics for the planner, the visibility map.
  await sql.query('vacuum analyze edxml_package');
  await sql.query('vacuum analyze inbox_item');
  const seconds = (Date.now() - started) / 1000;
  const count = Number((await sql.query<{ n: string }>('select count(*) as n from inbox_item where agency_code = $1', [agencyCode])).rows[0]?.n ?? 0);
  return { count, seconds };
}
