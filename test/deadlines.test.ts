import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, directive, familyCodes, postStatus, sendDocument, waitForDeliveries, waitForInboxItem, type Agency, type Loose } from './acceptance/helpers.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * Issue 18, deadlines on every inbox item and delivery: `deadlines: [{ kind, due, state,
 * overdueWorkingDays }]` on GET /v1/inbox(/{id}) and on each delivery of GET /v1/documents/{id}, the
 * filters `?overdue=`, `?dueSoon=`, `?dueBefore=`, with a fixed clock. Dates a test needs in the past
 * (a directive received before Tết) are written into the rows the way time would have written them:
 * the triggers of the migration see those writes as they see the application's.
 */

/** Vietnam wall-clock time. */
const vn = (local: string) => new Date(`${local}+07:00`);
const iso = (local: string) => vn(local).toISOString();

let now = new Date();
let node: TestNode;
let district: Agency;
let binhAn: Agency;
let hoaDien: Agency;

const sql = <T = Loose>(text: string, params: unknown[] = []) => node.runtime.orm.em.fork().getConnection().execute<T[]>(text, params);
const ok = (res: { status: number; text: string; json: Loose }) => {
  expect(res.status, res.text).toBe(200);
  return res.json;
};
const inbox = async (query: string, who = binhAn) => ok(await node.call('GET', `/v1/inbox?limit=500&${query}`, { token: who.clerk })).items as Loose[];
const ids = (items: Loose[]) => items.map((i) => i.id as string).sort();

/** Sends a directive to `to` and returns the document and the recipients' item ids once they arrived. */
async function send(to: Agency[], overrides: Record<string, unknown> = {}): Promise<{ id: string; documentId: string; items: string[] }> {
  const res = await sendDocument(node, district.clerk, directive({ to: to.map((a) => a.code), ...overrides }));
  expect(res.status, res.text).toBe(201);
  await waitForDeliveries(node, district.clerk, res.json.id, Object.fromEntries(to.map((a) => [a.code, { state: 'arrived' }])));
  const items = [];
  for (const a of to) items.push(await waitForInboxItem(node, a.clerk, res.json.documentId));
  return { id: res.json.id, documentId: res.json.documentId, items };
}

/**
 * Sets when a recipient's 03, 02 or 06 came, on its item and on the sender's delivery, as the
 * triggers would have had the status come at `at` (the API stamps the real time).
 */
async function stamp(documentId: string, recipient: Agency, column: 'registered_at' | 'refused_at' | 'completed_at', at: Date): Promise<void> {
  await sql(`update inbox_item_deadline set ${column} = ? where item_id in (select id from inbox_item where document_id = ? and agency_code = ?)`, [at, documentId, recipient.code]);
  await sql(
    `update delivery_deadline set ${column} = ? where delivery_id in (select d.id from delivery d join outgoing_document o on o.id = d.document_id where d.recipient_code = ? and o.document_id = ?)`,
    [at, recipient.code, documentId],
  );
}

/** Moves an item's arrival (and its delivery's) to `at`, and its due date to `due` (YYYY-MM-DD) when given. */
async function backdate(documentId: string, at: Date, due?: string): Promise<void> {
  await sql(`update inbox_item set received_at = ? where document_id = ?`, [at, documentId]);
  await sql(`update delivery_deadline set arrived_at = ?, computed_at = null where document_id = (select id from outgoing_document where document_id = ?)`, [at, documentId]);
  if (due) {
    await sql(`update inbox_item set metadata = jsonb_set(metadata, '{messageHeader,dueDate}', to_jsonb(?::text)) where document_id = ?`, [due.replaceAll('-', '/'), documentId]);
    await sql(`update outgoing_document set due_date = ? where document_id = ?`, [due, documentId]);
  }
}

beforeAll(async () => {
  node = await startTestNode({ clock: () => now });
  const codes = familyCodes(86);
  district = await createAgency(node, { code: codes.district, name: 'UBND huyện Kiên Lương', level: 'district' });
  binhAn = await createAgency(node, { code: codes.commune(1), name: 'UBND xã Bình An', level: 'commune', parentCode: codes.district });
  hoaDien = await createAgency(node, { code: codes.commune(2), name: 'UBND xã Hòa Điền', level: 'commune', parentCode: codes.district });
}, 60_000);
afterAll(async () => node?.close());

describe('the registration deadline on an inbox item', () => {
  it('a directive received on the afternoon before Tết (Friday 13/2/2026, 17:20) is due at the end of the first working day after Tết (Monday 23/2)', async () => {
    const doc = await send([binhAn]);
    await backdate(doc.documentId, vn('2026-02-13T17:20'));
    now = vn('2026-02-20T10:00'); // during Tết: one working day (Monday's) is left
    const item = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: binhAn.clerk }));
    expect(item.deadlines).toEqual([{ kind: 'registration', due: iso('2026-02-23T17:00'), state: 'due_soon', overdueWorkingDays: 0, metAt: null }]);
    expect(ids(await inbox('dueSoon=true'))).toContain(doc.items[0]);
    expect(ids(await inbox('overdue=true'))).not.toContain(doc.items[0]);

    now = vn('2026-02-24T09:00');
    const listed = (await inbox('')).find((i) => i.id === doc.items[0]);
    expect(listed.deadlines).toEqual([{ kind: 'registration', due: iso('2026-02-23T17:00'), state: 'overdue', overdueWorkingDays: 1, metAt: null }]);
    expect(ids(await inbox('overdue=open'))).toContain(doc.items[0]);
    expect(ids(await inbox('dueSoon=true'))).not.toContain(doc.items[0]);

    // Registered (03) late, on Wednesday 25/2 at 08:00: still overdue — met late, 2 working days — but no longer open.
    expect((await postStatus(node, binhAn.clerk, doc.items[0]!, { code: '03' })).status).toBe(200);
    await stamp(doc.documentId, binhAn, 'registered_at', vn('2026-02-25T08:00'));
    now = vn('2026-03-10T09:00');
    const late = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: binhAn.clerk }));
    expect(late.deadlines).toEqual([{ kind: 'registration', due: iso('2026-02-23T17:00'), state: 'overdue', overdueWorkingDays: 2, metAt: iso('2026-02-25T08:00') }]);
    expect(ids(await inbox('overdue=true'))).toContain(doc.items[0]);
    expect(ids(await inbox('overdue=open'))).not.toContain(doc.items[0]);
  });

  it('an urgent one (thượng khẩn) within two working hours, due soon in the last one, the lunch break not counted', async () => {
    const doc = await send([binhAn], { priority: 2 });
    await backdate(doc.documentId, vn('2026-03-04T10:30'));
    now = vn('2026-03-04T11:00'); // 30 min + 1 h of working time left
    const first = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: binhAn.clerk }));
    expect(first.deadlines).toEqual([{ kind: 'registration', due: iso('2026-03-04T14:30'), state: 'on_time', overdueWorkingDays: 0, metAt: null }]);
    expect(ids(await inbox('dueSoon=true'))).not.toContain(doc.items[0]);
    now = vn('2026-03-04T12:00');
    expect(ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: binhAn.clerk })).deadlines[0].state).toBe('due_soon');
    expect(ids(await inbox('dueSoon=true'))).toContain(doc.items[0]);
  });
});

describe('the processing deadline, on both sides', () => {
  it('past its due date (Wednesday 9/12/2026) over a weekend: overdue 3 working days on Monday 14/12, for the recipient and for the sender following it up', async () => {
    const doc = await send([hoaDien, binhAn]);
    await backdate(doc.documentId, vn('2026-12-03T09:00'), '2026-12-09');
    now = vn('2026-12-14T10:00');
    const item = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: hoaDien.clerk }));
    // Registration was due Thursday 3/12 at 17:00: Friday 4, Monday 7 … Monday 14 are 7 working days.
    expect(item.deadlines).toEqual([
      { kind: 'registration', due: iso('2026-12-03T17:00'), state: 'overdue', overdueWorkingDays: 7, metAt: null },
      { kind: 'processing', due: iso('2026-12-09T17:00'), state: 'overdue', overdueWorkingDays: 3, metAt: null },
    ]);
    const sent = ok(await node.call('GET', `/v1/documents/${doc.id}`, { token: district.clerk }));
    for (const d of sent.deliveries) expect(d.deadlines).toEqual(item.deadlines);

    // Bình An registers it on Friday 4/12 at 08:00, one working day late; Hòa Điền does nothing.
    expect((await postStatus(node, binhAn.clerk, doc.items[1]!, { code: '03' })).status).toBe(200);
    await waitForDeliveries(node, district.clerk, doc.id, { [binhAn.code]: { state: 'accepted' } });
    await stamp(doc.documentId, binhAn, 'registered_at', vn('2026-12-04T08:00'));
    const counted = (await node.call('GET', `/v1/documents?limit=500`, { token: district.clerk })).json.items.find((d: Loose) => d.id === doc.id);
    expect(counted.deadlineCounts).toEqual({ overdue: 2, dueSoon: 0, onTime: 0 });

    // dueBefore: a deadline not met that is due before the day. Bình An's processing (9/12 17:00) is not before 9/12.
    expect(ids(await inbox('dueBefore=2026-12-09', binhAn))).not.toContain(doc.items[1]);
    expect(ids(await inbox('dueBefore=2026-12-10', binhAn))).toContain(doc.items[1]);
    expect(ids(await inbox('dueBefore=2026-12-04', hoaDien))).toContain(doc.items[0]);
    expect(ids(await inbox('dueBefore=2026-12-03', hoaDien))).not.toContain(doc.items[0]);

    // … and completes it on Thursday 10/12 at 09:00, the day after its due date.
    expect((await postStatus(node, binhAn.clerk, doc.items[1]!, { code: '06' })).status).toBe(200);
    await waitForDeliveries(node, district.clerk, doc.id, { [binhAn.code]: { state: 'completed' } });
    await stamp(doc.documentId, binhAn, 'completed_at', vn('2026-12-10T09:00'));
    const documents = async (query: string) => ok(await node.call('GET', `/v1/documents?limit=500&${query}`, { token: district.clerk })).items.map((d: Loose) => d.id);
    // Both recipients are overdue (Bình An met both late); only Hòa Điền's are still open.
    expect(await documents('overdue=true')).toContain(doc.id);
    expect(await documents('overdue=open')).toContain(doc.id);
    const byRecipient = ok(await node.call('GET', `/v1/documents/${doc.id}`, { token: district.clerk })).deliveries;
    const binhAnDelivery = byRecipient.find((d: Loose) => d.recipient === binhAn.code);
    const met = [
      { kind: 'registration', due: iso('2026-12-03T17:00'), state: 'overdue', overdueWorkingDays: 1, metAt: iso('2026-12-04T08:00') },
      { kind: 'processing', due: iso('2026-12-09T17:00'), state: 'overdue', overdueWorkingDays: 1, metAt: iso('2026-12-10T09:00') },
    ];
    expect(binhAnDelivery.deadlines).toEqual(met);
    expect(ok(await node.call('GET', `/v1/inbox/${doc.items[1]}`, { token: binhAn.clerk })).deadlines).toEqual(met);
    // Once Hòa Điền is done too, nothing is open any more.
    expect((await postStatus(node, hoaDien.clerk, doc.items[0]!, { code: '02', description: 'Không thuộc thẩm quyền' })).status).toBe(200);
    await waitForDeliveries(node, district.clerk, doc.id, { [hoaDien.code]: { state: 'refused' } });
    expect(await documents('overdue=open')).not.toContain(doc.id);
    expect(await documents('overdue=true')).toContain(doc.id);
    // A refusal settles the registration and leaves nothing to process.
    const refused = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: hoaDien.clerk }));
    expect(refused.deadlines.map((d: Loose) => d.kind)).toEqual(['registration']);
  });

  it('a delivery that has not arrived has no deadline yet', async () => {
    const res = await sendDocument(node, district.clerk, directive({ to: [binhAn.code], dueDate: undefined }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.deliveries.every((d: Loose) => Array.isArray(d.deadlines) && d.deadlines.length === 0)).toBe(true);
  });
});

describe('the stored deadlines follow the calendar', () => {
  it('a day given off by the administrator moves a deadline, and the filter with it', async () => {
    const doc = await send([binhAn]);
    await backdate(doc.documentId, vn('2026-12-11T18:00')); // Friday after hours: due Monday 14/12
    now = vn('2026-12-14T17:30');
    expect(ids(await inbox('overdue=open'))).toContain(doc.items[0]);
    // A made-up swap for the test: Monday 14/12 off, Saturday 19/12 worked.
    const put = await node.call('PUT', '/v1/calendar/2026', {
      token: node.adminToken,
      body: { daysOff: [{ date: '2026-12-14', name: 'Nghỉ hoán đổi' }], workingDays: [{ date: '2026-12-19', name: 'Làm bù' }] },
    });
    expect(put.status, put.text).toBe(200);
    expect(ids(await inbox('overdue=open'))).not.toContain(doc.items[0]);
    const item = ok(await node.call('GET', `/v1/inbox/${doc.items[0]}`, { token: binhAn.clerk }));
    // Tuesday's whole working day is left: due soon.
    expect(item.deadlines).toEqual([{ kind: 'registration', due: iso('2026-12-15T17:00'), state: 'due_soon', overdueWorkingDays: 0, metAt: null }]);
    const reset = await node.call('PUT', '/v1/calendar/2026', { token: node.adminToken, body: { daysOff: [], workingDays: [] } });
    expect(reset.status, reset.text).toBe(200);
    expect(ids(await inbox('overdue=open'))).toContain(doc.items[0]);
  });
});

describe('the filters', () => {
  it('answer 422 with the field for a value they do not take', async () => {
    for (const [query, field] of [
      ['overdue=yes', 'overdue'],
      ['dueSoon=false', 'dueSoon'],
      ['dueBefore=2026-02-30', 'dueBefore'],
      ['dueBefore=14/12/2026', 'dueBefore'],
    ] as const) {
      for (const path of ['/v1/inbox', '/v1/documents']) {
        const res = await node.call('GET', `${path}?${query}`, { token: binhAn.clerk });
        expect(res.status, `${path}?${query}: ${res.text}`).toBe(422);
        expect(res.json.code).toBe('VALIDATION_FAILED');
        expect(JSON.stringify(res.json.errors)).toContain(field);
      }
    }
  });

  it('find exactly the items whose deadlines, worked out when read, say so — over 300 items and many moments', async () => {
    const template = await send([hoaDien]);
    // 300 items like the template, with arrivals, priorities, due dates and answers drawn at random (seeded).
    let seed = 18;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const start = vn('2026-01-02T00:00').getTime();
    const span = vn('2027-06-30T00:00').getTime() - start;
    const day = (at: number) => new Date(at + 7 * 3_600_000).toISOString().slice(0, 10);
    const rows = Array.from({ length: 300 }, (_, i) => {
      const received = start + Math.floor(random() * span);
      const refused = random() < 0.1 ? received + random() * 3 * 86_400_000 : null;
      const registered = !refused && random() < 0.5 ? received + random() * 5 * 86_400_000 : null;
      const completed = registered && random() < 0.6 ? registered + random() * 20 * 86_400_000 : null;
      const withdrawn = random() < 0.05 ? received + random() * 10 * 86_400_000 : null;
      const due = random() < 0.7 ? day(received + Math.floor(random() * 32 - 2) * 86_400_000) : null;
      const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      return { n: i, received: at(received), priority: Math.floor(random() * 4), due: due?.replaceAll('-', '/') ?? null, registered: at(registered), refused: at(refused), completed: at(completed), withdrawn: at(withdrawn) };
    });
    await sql(
      `insert into edxml_package (id, sha256, kind, sender_code, document_id, business_doc_type, status_code, size, bytes, created_at)
       select md5('deadline-' || r.n)::uuid, encode(sha256(('deadline-' || r.n)::bytea), 'hex'), p.kind, p.sender_code, p.document_id, p.business_doc_type, p.status_code, p.size, p.bytes, p.created_at
         from edxml_package p, jsonb_to_recordset(?::jsonb) as r(n int)
        where p.id = (select package_id from inbox_item where id = ?)`,
      [JSON.stringify(rows.map((r) => ({ n: r.n }))), template.items[0]],
    );
    await sql(
      `insert into inbox_item (id, agency_code, package_id, sender_code, sender_name, document_id, subject, metadata, attachments, verification, state, status_code, status_at,
                               received_at, updated_at)
       select gen_random_uuid(), t.agency_code, md5('deadline-' || r.n)::uuid, t.sender_code, t.sender_name, t.document_id, t.subject || ' #' || r.n,
              jsonb_set(t.metadata, '{messageHeader}', ((t.metadata -> 'messageHeader') - 'dueDate')
                || jsonb_build_object('otherInfo', jsonb_build_object('priority', r.priority))
                || case when r.due is null then '{}'::jsonb else jsonb_build_object('dueDate', r.due) end),
              t.attachments, t.verification, 'arrived', '01', r.received, r.received, now()
         from inbox_item t, jsonb_to_recordset(?::jsonb) as r(n int, received timestamptz, priority int, due text)
        where t.id = ?`,
      [JSON.stringify(rows), template.items[0]],
    );
    // The answers, as the items' statuses would have written them beside the items.
    await sql(
      `update inbox_item_deadline d set registered_at = r.registered, refused_at = r.refused, completed_at = r.completed, withdrawn_at = r.withdrawn
         from inbox_item i, jsonb_to_recordset(?::jsonb) as r(n int, registered timestamptz, refused timestamptz, completed timestamptz, withdrawn timestamptz)
        where d.item_id = i.id and i.subject like '% #' || r.n`,
      [JSON.stringify(rows)],
    );
    const seeded = new Map(rows.map((r) => [r.n, r]));

    // Moments: spread over the span, and just around a few deadlines (where due soon begins and ends).
    const moments = Array.from({ length: 6 }, () => new Date(start + Math.floor(random() * span)));
    now = vn('2026-06-01T10:00');
    const sample = (await inbox('', hoaDien)).filter((i) => i.subject.includes(' #')).slice(0, 4);
    for (const item of sample) {
      for (const d of item.deadlines as Loose[]) {
        const due = Date.parse(d.due);
        moments.push(new Date(due - 60_000), new Date(due), new Date(due + 60_000), new Date(due - 8 * 3_600_000), new Date(due - 27 * 3_600_000));
      }
    }
    let checked = 0;
    for (const moment of moments) {
      now = moment;
      const all = (await inbox('', hoaDien)).filter((i) => i.subject.includes(' #'));
      expect(all).toHaveLength(300);
      const open = (i: Loose, kind: string) => {
        const r = seeded.get(Number(i.subject.split(' #').at(-1)))!;
        return kind === 'registration' ? !r.registered && !r.refused && !r.withdrawn : !r.completed && !r.withdrawn && !r.refused;
      };
      // What the answer says is still to be met is what the seeded dates say.
      for (const i of all) for (const d of i.deadlines as Loose[]) expect(d.metAt === null, `${i.subject} ${d.kind}`).toBe(open(i, d.kind));
      const expected = {
        'overdue=true': all.filter((i) => i.deadlines.some((d: Loose) => d.state === 'overdue')),
        'overdue=open': all.filter((i) => i.deadlines.some((d: Loose) => d.state === 'overdue' && open(i, d.kind))),
        'dueSoon=true': all.filter((i) => i.deadlines.some((d: Loose) => d.state === 'due_soon')),
        'dueBefore=2026-09-01': all.filter((i) => i.deadlines.some((d: Loose) => open(i, d.kind) && Date.parse(d.due) < vn('2026-09-01T00:00').getTime())),
      };
      for (const [query, want] of Object.entries(expected)) {
        const got = (await inbox(query, hoaDien)).filter((i) => i.subject.includes(' #'));
        expect(ids(got), `${query} at ${moment.toISOString()}`).toEqual(ids(want));
        checked += want.length;
      }
    }
    // The moments did meet every kind of answer.
    expect(checked).toBeGreaterThan(100);
  }, 120_000);
});

describe('the OpenAPI document', () => {
  it('describes deadlines on inbox items and deliveries, and the filters, with examples', async () => {
    const doc = ok(await node.call('GET', '/openapi.json'));
    expect(doc.components.schemas.Deadline.example).toEqual({ kind: 'registration', due: '2026-12-08T10:00:00.000Z', state: 'overdue', overdueWorkingDays: 3, metAt: null });
    expect(doc.components.schemas.InboxItem.properties.deadlines.items.$ref).toBe('#/components/schemas/Deadline');
    expect(doc.components.schemas.Delivery.properties.deadlines.items.$ref).toBe('#/components/schemas/Deadline');
    for (const path of ['/v1/inbox', '/v1/documents']) {
      const names = (doc.paths[path].get.parameters as Loose[]).map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['overdue', 'dueSoon', 'dueBefore']));
    }
  });
});
