import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarYearInputSchema } from '../src/calendar/calendar.schemas.js';
import { deadlinesFor } from '../src/calendar/calendar.service.js';
import { CALENDAR_TTL_MS, CalendarStore } from '../src/calendar/calendar.store.js';
import { startTestNode, type TestNode, type TestResponse } from './support/runtime.js';

/**
 * Issue 18, the working-day calendar over HTTP (API.md "Calendar, deadlines and agencies that
 * close"): the two questions any user may ask, a year's calendar, and the year's announced changes
 * recorded by an administrator — seen by another process within the cache's time.
 */

let node: TestNode;
let clerk: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely
const ok = (res: TestResponse, status = 200): any => {
  expect(res.status, res.text).toBe(status);
  return res.json;
};
const paths = (res: TestResponse): string[] => ((res.json?.errors ?? []) as Array<{ path: string }>).map((e) => e.path);

/**
 * 2025 as announced: Tết from Saturday 25 January to Sunday 2 February (the five days of Tết Monday
 * 27 to Friday 31); 30/4–1/5 from Wednesday 30 April to Sunday 4 May, Friday 2 May off against
 * Saturday 26 April worked; 2/9 from Saturday 30 August to Tuesday 2 September with Monday 1/9.
 */
const ANNOUNCED_2025 = {
  tetDays: ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'],
  nationalDayAdjacent: '2025-09-01',
  daysOff: [{ date: '2025-05-02', name: 'Nghỉ hoán đổi với thứ Bảy 26/4/2025' }],
  workingDays: [{ date: '2025-04-26', name: 'Làm bù cho thứ Sáu 02/5/2025' }],
};

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false } });
  ok(await node.call('POST', '/v1/agencies', { token: node.adminToken, body: { code: '000.00.18.H33', name: 'UBND huyện Lịch', level: 'district' } }), 201);
  clerk = ok(await node.call('POST', '/v1/users', { token: node.adminToken, body: { agencyCode: '000.00.18.H33', name: 'Văn thư Lịch', roles: ['clerk'] } }), 201).token;
}, 60_000);
afterAll(async () => {
  await node?.close();
});

describe('GET /v1/calendar/working-days and /add-working-days', () => {
  it('list every day from `from` to `to`, exactly: Tết Bính Ngọ 2026 by the law alone', async () => {
    const res = ok(await node.call('GET', '/v1/calendar/working-days?from=2026-02-12&to=2026-02-24', { token: clerk }));
    expect(res).toEqual({
      from: '2026-02-12',
      to: '2026-02-24',
      workingDays: 4,
      days: [
        { date: '2026-02-12', working: true },
        { date: '2026-02-13', working: true },
        { date: '2026-02-14', working: false },
        { date: '2026-02-15', working: false },
        { date: '2026-02-16', working: false, holiday: 'Tết Nguyên đán' },
        { date: '2026-02-17', working: false, holiday: 'Tết Nguyên đán' },
        { date: '2026-02-18', working: false, holiday: 'Tết Nguyên đán' },
        { date: '2026-02-19', working: false, holiday: 'Tết Nguyên đán' },
        { date: '2026-02-20', working: false, holiday: 'Tết Nguyên đán' },
        { date: '2026-02-21', working: false },
        { date: '2026-02-22', working: false },
        { date: '2026-02-23', working: true },
        { date: '2026-02-24', working: true },
      ],
    });
  });

  it('count working days: over Tết, across the year boundary, back, and 0 on a day off', async () => {
    const add = async (from: string, days: number) => ok(await node.call('GET', `/v1/calendar/add-working-days?from=${from}&days=${days}`, { token: clerk }));
    expect(await add('2026-02-13', 1)).toEqual({ from: '2026-02-13', days: 1, date: '2026-02-23' });
    expect(await add('2026-12-31', 1)).toEqual({ from: '2026-12-31', days: 1, date: '2027-01-04' });
    expect(await add('2027-01-04', -1)).toEqual({ from: '2027-01-04', days: -1, date: '2026-12-31' });
    expect(await add('2026-02-14', 0)).toEqual({ from: '2026-02-14', days: 0, date: '2026-02-23' });
    // Ten years' worth loads the years it runs over.
    expect((await add('2026-01-02', 3660)).date).toMatch(/^204[01]-\d{2}-\d{2}$/);
  });

  it('need a token (401), and a user or an administrator', async () => {
    for (const path of ['/v1/calendar/working-days?from=2026-01-01&to=2026-01-31', '/v1/calendar/add-working-days?from=2026-01-01&days=1', '/v1/calendar/2026']) {
      const res = await node.call('GET', path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    ok(await node.call('GET', '/v1/calendar/working-days?from=2026-01-01&to=2026-01-31', { token: node.adminToken }));
  });

  it('answer 422 with the field for a bad date, an empty or too long range, a bad count, a year outside the calendar', async () => {
    const bad = async (query: string) => {
      const res = await node.call('GET', `/v1/calendar/${query}`, { token: clerk, headers: { 'accept-language': 'vi' } });
      expect(res.status, query).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.code).toBe('VALIDATION_FAILED');
      return res;
    };
    expect(paths(await bad('working-days?from=2026-02-30&to=2026-03-01'))).toEqual(['from']);
    expect(paths(await bad('working-days?from=2026-3-1&to=2026-03-01'))).toEqual(['from']);
    expect(paths(await bad('working-days?from=2026-03-01'))).toEqual(['to']);
    const backwards = await bad('working-days?from=2026-03-02&to=2026-03-01');
    expect(paths(backwards)).toEqual(['to']);
    expect(backwards.json.errors[0].message).toContain('01/03/2026');
    const tooLong = await bad('working-days?from=2026-01-01&to=2036-12-31');
    expect(paths(tooLong)).toEqual(['to']);
    expect(tooLong.json.errors[0].message).toContain('3700');
    expect(paths(await bad('working-days?from=2020-12-25&to=2021-01-05'))).toEqual(['from']);
    expect(paths(await bad('add-working-days?from=2026-01-01&days=abc'))).toEqual(['days']);
    expect(paths(await bad('add-working-days?from=2026-01-01&days='))).toEqual(['days']);
    expect(paths(await bad('add-working-days?from=2026-01-01'))).toEqual(['days']);
    expect(paths(await bad('add-working-days?from=2026-01-01&days=1.5'))).toEqual(['days']);
    expect(paths(await bad('add-working-days?from=2026-01-01&days=4000'))).toEqual(['days']);
    expect(paths(await bad('add-working-days?from=2199-06-01&days=3000'))).toEqual(['days']);
    expect(paths(await bad('2020'))).toEqual(['year']);
    expect(paths(await bad('hai-nghin'))).toEqual(['year']);
  });
});

describe('GET and PUT /v1/calendar/{year}', () => {
  it('a year nobody recorded: the law’s holidays with their names, the default hours', async () => {
    const year = ok(await node.call('GET', '/v1/calendar/2026', { token: clerk }));
    expect(year).toEqual({
      year: 2026,
      holidays: [
        { date: '2026-01-01', name: 'Tết Dương lịch' },
        { date: '2026-02-16', name: 'Tết Nguyên đán' },
        { date: '2026-02-17', name: 'Tết Nguyên đán' },
        { date: '2026-02-18', name: 'Tết Nguyên đán' },
        { date: '2026-02-19', name: 'Tết Nguyên đán' },
        { date: '2026-02-20', name: 'Tết Nguyên đán' },
        { date: '2026-04-26', name: 'Giỗ Tổ Hùng Vương' },
        { date: '2026-04-27', name: 'Nghỉ bù', compensates: '2026-04-26' },
        { date: '2026-04-30', name: 'Ngày Chiến thắng' },
        { date: '2026-05-01', name: 'Ngày Quốc tế Lao động' },
        { date: '2026-09-02', name: 'Quốc khánh' },
        { date: '2026-09-03', name: 'Quốc khánh' },
      ],
      tetDays: null,
      nationalDayAdjacent: null,
      daysOff: [],
      workingDays: [],
      workingHours: [
        { from: '07:30', to: '11:30' },
        { from: '13:30', to: '17:00' },
      ],
      updatedAt: null,
      updatedBy: null,
    });
  });

  it('PUT needs a token (401) and an administrator (403 for a clerk)', async () => {
    expect((await node.call('PUT', '/v1/calendar/2025', { body: ANNOUNCED_2025 })).status).toBe(401);
    const forbidden = await node.call('PUT', '/v1/calendar/2025', { token: clerk, body: ANNOUNCED_2025 });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('FORBIDDEN');
  });

  it('an administrator records 2025 as announced; the days follow, and the change is audited', async () => {
    const saved = ok(await node.call('PUT', '/v1/calendar/2025', { token: node.adminToken, body: { ...ANNOUNCED_2025, workingHours: [{ from: '07:00', to: '11:30' }, { from: '13:00', to: '16:30' }] } }));
    expect(saved).toMatchObject({ year: 2025, ...ANNOUNCED_2025, updatedBy: 'admin:bootstrap' });
    expect(saved.holidays.filter((h: { name: string }) => h.name === 'Tết Nguyên đán').map((h: { date: string }) => h.date)).toEqual(ANNOUNCED_2025.tetDays);
    expect(saved.workingHours).toEqual([{ from: '07:00', to: '11:30' }, { from: '13:00', to: '16:30' }]);

    const off = async (from: string, to: string) => {
      const res = ok(await node.call('GET', `/v1/calendar/working-days?from=${from}&to=${to}`, { token: clerk }));
      return (res.days as Array<{ date: string; working: boolean }>).filter((d) => !d.working).map((d) => d.date);
    };
    expect(await off('2025-01-23', '2025-02-04')).toEqual(['2025-01-25', '2025-01-26', '2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02']);
    expect(await off('2025-04-25', '2025-05-05')).toEqual(['2025-04-27', '2025-04-30', '2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04']);
    expect(await off('2025-08-29', '2025-09-03')).toEqual(['2025-08-30', '2025-08-31', '2025-09-01', '2025-09-02']);

    const [audit] = await node.runtime.orm.em.fork().getConnection().execute<Array<{ action: string; subject_id: string }>>(
      `select action, subject_id from audit_event where subject_type = 'calendar_year' order by id desc limit 1`,
    );
    expect(audit).toEqual({ action: 'calendar.year_saved', subject_id: '2025' });

    // PUT replaces: an empty body puts 2025 back to the law alone.
    const cleared = ok(await node.call('PUT', '/v1/calendar/2025', { token: node.adminToken, body: {} }));
    expect([cleared.tetDays, cleared.daysOff, cleared.workingDays]).toEqual([null, [], []]);
    expect(await off('2025-04-25', '2025-05-05')).toEqual(['2025-04-26', '2025-04-27', '2025-04-30', '2025-05-01', '2025-05-03', '2025-05-04']);
  });

  it('refuses what does not fit the year, with every problem on its field', async () => {
    const res = await node.call('PUT', '/v1/calendar/2026', {
      token: node.adminToken,
      body: {
        tetDays: ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-03-20'],
        nationalDayAdjacent: '2026-09-04',
        daysOff: [{ date: '2027-01-02', name: 'Năm sau' }],
        workingDays: [{ date: '2026-04-30', name: 'Ngày lễ' }],
        workingHours: [{ from: '13:30', to: '17:00' }, { from: '07:30', to: '11:30' }],
      },
    });
    expect(res.status, res.text).toBe(422);
    expect(paths(res)).toEqual(['tetDays.4', 'nationalDayAdjacent', 'daysOff.0.date', 'workingDays.0.date', 'workingHours.1.from']);
    const shape = await node.call('PUT', '/v1/calendar/2026', { token: node.adminToken, body: { tetDays: ['2026-02-16'], workingHours: [{ from: '7:30', to: '17:00' }], extra: 1 } });
    expect(shape.status).toBe(422);
    expect(paths(shape)).toEqual(expect.arrayContaining(['tetDays', 'workingHours.0.from', 'extra']));
    // A holiday by law cannot be made a working day, even alone.
    const holiday = await node.call('PUT', '/v1/calendar/2026', { token: node.adminToken, body: { workingDays: [{ date: '2026-04-27', name: 'Thứ Hai' }] } });
    expect(paths(holiday)).toEqual(['workingDays.0.date']);
    expect(holiday.json.errors[0].message).toContain('Nghỉ bù');
    // Nothing was stored.
    expect(ok(await node.call('GET', '/v1/calendar/2026', { token: clerk })).updatedAt).toBeNull();
  });

  it('another process sees a change within the cache time, not before; the one that took it at once', async () => {
    const put = async (date: string) =>
      ok(await node.call('PUT', '/v1/calendar/2027', { token: node.adminToken, body: { daysOff: [{ date: '2027-02-05', name: 'Nghỉ hoán đổi' }], workingDays: [{ date, name: 'Làm bù' }] } }));
    let now = Date.now();
    const other = new CalendarStore({ clock: () => now });
    // One long-lived context, as a worker's sweep has: its identity map must not hide the change.
    const em = node.runtime.orm.em.fork();
    const worked = async () => (await other.year(em, 2027)).workingDays.map((d) => d.date);

    await put('2027-02-20');
    expect(await worked()).toEqual(['2027-02-20']);
    await put('2027-02-27');
    expect(ok(await node.call('GET', '/v1/calendar/2027', { token: clerk })).workingDays).toEqual([{ date: '2027-02-27', name: 'Làm bù' }]);
    now += CALENDAR_TTL_MS - 1;
    expect(await worked()).toEqual(['2027-02-20']);
    now += 2;
    expect(await worked()).toEqual(['2027-02-27']);
  });
});

describe('CalendarStore.run', () => {
  it('loads a year a computation runs into and runs it again; beyond the calendar’s years it says so', async () => {
    const store = new CalendarStore();
    const em = node.runtime.orm.em.fork();
    // Wednesday 30/12/2026 + 5: Thursday 31, then 1/1/2027 off, Monday 4 to Thursday 7 January.
    expect(await store.run(em, [2026, 2026], (calendar) => calendar.addWorkingDays('2026-12-30', 5))).toBe('2027-01-07');
    await expect(store.run(em, [2199, 2199], (calendar) => calendar.addWorkingDays('2199-12-30', 5))).rejects.toThrow(/covers 2021–2199, not 2200/);
  });
});

describe('deadlinesFor (what the inbox and document serializers call)', () => {
  it('computes each item’s deadlines on one load of the calendar, with the recorded year data; an item before 2021 has none', async () => {
    const vn = (local: string) => new Date(`${local}+07:00`);
    const store = new CalendarStore();
    // 2028 as an administrator might record it: Friday 2 June given off (a made-up swap, for the test).
    ok(await node.call('PUT', '/v1/calendar/2028', { token: node.adminToken, body: { daysOff: [{ date: '2028-06-02', name: 'Nghỉ hoán đổi' }], workingDays: [{ date: '2028-06-10', name: 'Làm bù' }] } }));
    const lists = await deadlinesFor(
      node.runtime.orm.em.fork(),
      store,
      [
        { arrivedAt: vn('2028-06-01T17:30'), priority: 0, dueDate: '2028-06-02', registeredAt: vn('2028-06-05T08:00') },
        { arrivedAt: vn('2019-12-30T09:00'), priority: 0, dueDate: '2020-01-10' },
      ],
      vn('2028-06-07T09:00'),
    );
    expect(lists).toEqual([
      [
        // Thursday 1 June after hours: Friday 2 is off, so Monday 5 June; the due date Friday 2 moves to Monday 5 as well.
        { kind: 'registration', due: vn('2028-06-05T17:00').toISOString(), state: 'on_time', overdueWorkingDays: 0 },
        { kind: 'processing', due: vn('2028-06-05T17:00').toISOString(), state: 'overdue', overdueWorkingDays: 2 },
      ],
      [],
    ]);
  });
});

describe('the OpenAPI document', () => {
  it('documents the four routes, with an example body the schema and the route accept', async () => {
    const doc = ok(await node.call('GET', '/openapi.json'));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/calendar/working-days', '/v1/calendar/add-working-days', '/v1/calendar/{year}']));
    expect(Object.keys(doc.paths['/v1/calendar/{year}'])).toEqual(expect.arrayContaining(['get', 'put']));
    const example = doc.components.schemas.CalendarYearInput?.example;
    expect(CalendarYearInputSchema.safeParse(example).success, JSON.stringify(example)).toBe(true);
    const query = (path: string) => Object.fromEntries((doc.paths[path].get.parameters as Array<{ name: string; schema: { example?: unknown }; example?: unknown }>).map((p) => [p.name, p.example ?? p.schema.example]));
    expect(query('/v1/calendar/working-days')).toEqual({ from: '2026-02-12', to: '2026-02-24' });
    expect(query('/v1/calendar/add-working-days')).toEqual({ from: '2026-02-13', days: 1 });
    // "Try it out" with the documented examples works.
    ok(await node.call('PUT', '/v1/calendar/2025', { token: node.adminToken, body: example }));
    ok(await node.call('GET', '/v1/calendar/add-working-days?from=2026-02-13&days=1', { token: clerk }));
  });
});

