import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReminderStep, type ReminderStepDeps, type ReminderStepResult } from '../queues/processors/reminders.js';
import { CalendarStore } from '../src/calendar/calendar.store.js';
import { processingDeadline } from '../src/calendar/deadlines.js';
import { addDays } from '../src/calendar/days.js';
import { deriveMasterKey } from '../src/crypto/keys.js';
import { openSecret } from '../src/crypto/secret-box.js';
import { createLogger } from '../src/logger.js';
import { digestDay } from '../src/reminders/digest.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { createDistrict, directive, postStatus, sendDocument, todayInVietnam, waitForDeliveries, waitForInboxItem, type Agency } from './acceptance/helpers.js';
import { eventually, startTestNode, type TestNode } from './support/runtime.js';
import { decodeEncodedWords, headersOf, SmtpSink, textBodyOf, type ReceivedMail } from './support/smtp-sink.js';

/**
 * Reminders (issue 18) against real services: PostgreSQL and Redis, two runtimes (two sets of
 * workers) on one database and one queue prefix, a real SMTP server and real HTTP receivers on
 * loopback. The clock is fixed: the test moves it across the deadlines by passing `now` to the
 * reminder step, from both runtimes at once.
 */

/** Vietnam wall-clock time of a day. */
const vn = (day: string, time: string) => new Date(`${day}T${time}:00+07:00`);

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  answered: number | null;
}

/**
 * The agencies' own systems: `/commune` answers 500 to the first attempt of each delivery, then 200;
 * `/district` does not answer the first attempt in time (the node gives up after 1 s), then 200;
 * `/gone` answers 410 (never tried again).
 */
class Receiver {
  readonly requests: Received[] = [];
  private readonly seen = new Set<string>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const record: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: null };
    this.requests.push(record);
    const delivery = String(req.headers['x-lienthong-delivery']);
    const first = !this.seen.has(delivery);
    this.seen.add(delivery);
    const answer = (status: number) => {
      record.answered = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 500 ? 'internal detail that must not be logged' : 'ok');
    };
    if (record.path === '/gone') return answer(410);
    if (record.path === '/commune' && first) return answer(500);
    if (record.path === '/district' && first) {
      // Longer than LIENTHONG_WEBHOOK_TIMEOUT_MS: the node has given up before this, so no answer counts.
      await new Promise((r) => setTimeout(r, 1_500));
      res.destroy();
      return;
    }
    answer(200);
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The receiver's own check, written from the documented scheme (not with the node's code). */
function verifies(secret: string, r: Received): boolean {
  const timestamp = String(r.headers['x-lienthong-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-lienthong-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let smtp: SmtpSink;
let receiver: Receiver;
let node: TestNode;
let second: Runtime;
let district: Agency;
let commune: Agency;
const hooks: Record<'commune' | 'district' | 'gone', { id: string; secret: string }> = {} as never;
let doc1: { id: string; code: string; subject: string; item: string };
let doc2: { id: string; code: string; subject: string; item: string };
let dueDate: string;

beforeAll(async () => {
  smtp = new SmtpSink();
  const smtpUrl = await smtp.start();
  receiver = new Receiver();
  await receiver.start();
  node = await startTestNode({
    env: {
      LIENTHONG_SMTP_URL: smtpUrl,
      LIENTHONG_MAIL_FROM: 'Hệ thống liên thông <lienthong@lienthong.test>',
      LIENTHONG_WEBHOOK_TIMEOUT_MS: '1000',
      LIENTHONG_PUBLIC_URL: 'https://lienthong.test',
      // The test moves the clock itself; the scheduled sweep (real clock) stays out of the way.
      LIENTHONG_SWEEP_EVERY_MS: '600000',
    },
  });
  // A second process: same database, same queue prefix, its own workers.
  second = await createRuntime(node.config, { logger: createLogger('silent') });

  ({ district, communes: [commune] } = (await createDistrict(node, 61, 1)) as { district: Agency; communes: [Agency] });
  const admin = node.adminToken;
  const user = async (agencyCode: string, roles: string[], email?: string) => {
    const res = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode, name: `Người dùng ${roles.join(' ')}`, roles, ...(email ? { email } : {}) } });
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string; token: string; email: string | null };
  };
  expect((await user(commune.code, ['clerk'], 'vanthu1@binhan.test')).email).toBe('vanthu1@binhan.test');
  const later = await user(commune.code, ['clerk']);
  const patched = await node.call('PATCH', `/v1/users/${later.id}`, { token: later.token, body: { email: 'vanthu2@binhan.test' } });
  expect(patched.status, patched.text).toBe(200);
  expect(patched.json.email).toBe('vanthu2@binhan.test');
  // A leader with an address is not a clerk: reminders are e-mailed to clerks.
  await user(commune.code, ['signer'], 'chutich@binhan.test');
  await user(district.code, ['clerk'], 'vanthu@kienluong.test');

  const subscribe = async (token: string, path: string, events?: string[]) => {
    const res = await node.call('POST', '/v1/webhooks', { token, body: { url: `${receiver.url}${path}`, ...(events ? { events } : {}) } });
    expect(res.status, res.text).toBe(201);
    return { id: res.json.id as string, secret: res.json.secret as string };
  };
  hooks.commune = await subscribe(commune.clerk, '/commune');
  hooks.district = await subscribe(district.clerk, '/district');
  hooks.gone = await subscribe(commune.clerk, '/gone', ['reminder.digest']);

  // A directive due in about three weeks, registered (03) by the commune; another one, without a due date, left unregistered.
  dueDate = addDays(todayInVietnam(), 20);
  const send = async (body: Record<string, unknown>) => {
    const res = await sendDocument(node, district.clerk, directive({ to: [commune.code], ...body }));
    expect(res.status, res.text).toBe(201);
    const item = await waitForInboxItem(node, commune.clerk, res.json.documentId as string);
    return { id: res.json.id as string, code: res.json.code.text as string, subject: String(body.subject), item };
  };
  doc1 = await send({ subject: 'V/v triển khai dịch vụ công trực tuyến toàn trình năm 2027', dueDate });
  doc2 = await send({ subject: 'V/v báo cáo kết quả cải cách hành chính quý IV' });
  expect((await postStatus(node, commune.clerk, doc1.item, { code: '03' })).status).toBe(200);
  await waitForDeliveries(node, district.clerk, doc1.id, { [commune.code]: { state: 'accepted' } });
});

afterAll(async () => {
  await second?.close();
  await node?.close();
  await receiver?.close();
  await smtp?.close();
});

const depsOf = (runtime: Runtime): ReminderStepDeps => ({ orm: runtime.orm, config: runtime.config, queues: runtime.queues, logger: runtime.logger });

/** The step run four times at once, from both runtimes (as two workers would), at the same instant. */
async function stepsAt(now: Date): Promise<ReminderStepResult[]> {
  const runtimes = [node.runtime, second, node.runtime, second];
  return Promise.all(runtimes.map((r) => runReminderStep(depsOf(r), now)));
}

interface ReminderRow {
  id: string;
  agency_code: string;
  type: string;
  deadline_kind: string | null;
  side: string | null;
  subject_id: string | null;
  digest_day: string | null;
  title: string;
  /** Raw SQL answers times as text. */
  created_at: string;
}

async function reminders(): Promise<ReminderRow[]> {
  return node.runtime.orm.em
    .fork()
    .getConnection()
    .execute<ReminderRow[]>(`select id, agency_code, type, deadline_kind, side, subject_id, to_char(digest_day, 'YYYY-MM-DD') as digest_day, title, created_at from reminder order by created_at, id`);
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return node.runtime.orm.em.fork().getConnection().execute<T[]>(query, params);
}

/** Every e-mail and webhook delivery has come to an end (sent, delivered, failed or cancelled). */
async function sendsSettled(): Promise<boolean> {
  const [row] = await sql<{ n: string }>(`select (select count(*) from reminder_mail where state = 'pending') + (select count(*) from webhook_delivery where state = 'pending') as n`);
  return Number(row?.n) === 0;
}

const mailsOf = (reminderId: string): ReceivedMail[] => smtp.messages.filter((m) => headersOf(m.raw).get('x-lienthong-reminder') === reminderId);
const acceptedPosts = (path: string, eventId: string) => receiver.requests.filter((r) => r.path === path && r.answered === 200 && JSON.parse(r.body).id === eventId);

describe('reminders (issue 18)', () => {
  it('go exactly once per deadline and agency with two workers: console list, Vietnamese e-mails over SMTP, signed webhooks retried on 500 and timeouts', async () => {
    const em = node.runtime.orm.em.fork();
    const due = await new CalendarStore().run(em, [Number(dueDate.slice(0, 4)), Number(dueDate.slice(0, 4)) + 1], (c) => processingDeadline(c, dueDate));
    const dueDay = new Date(due.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
    const nextWorkingDay = await new CalendarStore().run(em, [Number(dueDay.slice(0, 4)), Number(dueDay.slice(0, 4)) + 1], (c) => c.addWorkingDays(dueDay, 1));
    expect(due).toEqual(vn(dueDay, '17:00'));

    // Before 07:30 no digest is due; on the deadline's working day from 07:30 it is.
    expect(await digestDay(em, new CalendarStore(), vn(dueDay, '07:29'))).toBeNull();
    expect(await digestDay(em, new CalendarStore(), vn(dueDay, '07:30'))).toBe(dueDay);

    // ── The morning of the due day: the directive is due soon, the other one is past its registration.
    const tA = vn(dueDay, '07:45');
    const atA = await stepsAt(tA);
    let rows = await reminders();
    const createdAtA = rows.filter((r) => new Date(r.created_at).getTime() === tA.getTime());
    const key = (r: ReminderRow) => `${r.agency_code} ${r.type} ${r.deadline_kind ?? ''} ${r.side ?? ''} ${r.subject_id ?? r.digest_day}`;
    const deliveries = await sql<{ id: string; document_id: string }>(`select id, document_id from delivery where recipient_code = ?`, [commune.code]);
    const delivery1 = deliveries.find((d) => d.document_id === doc1.id)!.id;
    const delivery2 = deliveries.find((d) => d.document_id === doc2.id)!.id;
    expect(createdAtA.map(key).sort()).toEqual(
      [
        `${commune.code} due_soon processing recipient ${doc1.item}`,
        `${commune.code} overdue registration recipient ${doc2.item}`,
        `${district.code} due_soon processing sender ${delivery1}`,
        `${district.code} overdue registration sender ${delivery2}`,
        `${commune.code} digest   ${dueDay}`,
        `${district.code} digest   ${dueDay}`,
      ].sort(),
    );
    // Four steps at once wrote each reminder once between them.
    expect(atA.reduce((n, r) => n + r.reminders, 0)).toBe(4);
    expect(atA.reduce((n, r) => n + r.digests.sent, 0)).toBe(2);
    expect(atA.every((r) => r.digests.day === dueDay)).toBe(true);
    // The sender is never told that a registration is merely due soon (that is the day it arrives).
    expect(rows.filter((r) => r.side === 'sender' && r.deadline_kind === 'registration' && r.type === 'due_soon')).toEqual([]);

    // ── The next working day: the directive is overdue.
    const tB = vn(nextWorkingDay, '08:00');
    const atB = await stepsAt(tB);
    expect(atB.reduce((n, r) => n + r.reminders, 0)).toBe(2);
    expect(atB.reduce((n, r) => n + r.digests.sent, 0)).toBe(2);
    rows = await reminders();
    const createdAtB = rows.filter((r) => new Date(r.created_at).getTime() === tB.getTime());
    expect(createdAtB.map(key).sort()).toEqual(
      [
        `${commune.code} overdue processing recipient ${doc1.item}`,
        `${district.code} overdue processing sender ${delivery1}`,
        `${commune.code} digest   ${nextWorkingDay}`,
        `${district.code} digest   ${nextWorkingDay}`,
      ].sort(),
    );
    const overdue = createdAtB.find((r) => r.agency_code === commune.code && r.type === 'overdue')!;
    expect(overdue.title).toBe(`Quá hạn xử lý: ${doc1.code} — ${doc1.subject}`);

    // ── Later scans, and a Sunday: nothing new (the keys hold; no digest on a day off).
    let sunday = nextWorkingDay;
    while (new Date(`${sunday}T12:00:00Z`).getUTCDay() !== 0) sunday = addDays(sunday, 1);
    const again = [...(await stepsAt(new Date(tB.getTime() + 3_600_000))), ...(await stepsAt(vn(sunday, '09:00')))];
    expect(again.reduce((n, r) => n + r.reminders + r.digests.made, 0)).toBe(0);
    expect(again.slice(4).every((r) => r.digests.day === null)).toBe(true);
    expect((await reminders()).length).toBe(rows.length);

    // ── Every send comes to an end, by the workers of both runtimes.
    await eventually(sendsSettled, 60_000, 200);
    const ours = [...createdAtA, ...createdAtB];

    // E-mails: one per reminder, to the agency's clerks with an address (not its leader), subject in Vietnamese.
    for (const r of ours) {
      const mails = mailsOf(r.id);
      expect(mails, `${key(r)}: ${mails.length} e-mails`).toHaveLength(1);
      const mail = mails[0]!;
      expect(mail.to.sort()).toEqual(r.agency_code === commune.code ? ['vanthu1@binhan.test', 'vanthu2@binhan.test'] : ['vanthu@kienluong.test']);
      const rawSubject = headersOf(mail.raw).get('subject')!;
      // Encoded for transport: the header itself is 7-bit, the Vietnamese is in RFC 2047 words.
      expect(rawSubject).toMatch(/^[\x20-\x7e]+$/);
      expect(rawSubject).toMatch(/=\?UTF-8\?[BQ]\?/i);
      expect(decodeEncodedWords(rawSubject)).toBe(`[lienthong] ${r.title}`);
    }
    const overdueMail = mailsOf(overdue.id)[0]!;
    expect(decodeEncodedWords(headersOf(overdueMail.raw).get('subject')!)).toBe(`[lienthong] Quá hạn xử lý: ${doc1.code} — ${doc1.subject}`);
    expect(decodeEncodedWords(headersOf(overdueMail.raw).get('from')!)).toBe('Hệ thống liên thông <lienthong@lienthong.test>');
    const body = textBodyOf(overdueMail.raw);
    expect(body).toContain(`Trích yếu: ${doc1.subject}`);
    expect(body).toContain(`Cơ quan gửi: ${district.name} (${district.code})`);
    expect(body).toContain(`Hạn xử lý: 17:00 ngày ${dueDay.split('-').reverse().join('/')}`);
    expect(body).toContain(`Xem văn bản: https://lienthong.test/inbox/${doc1.item}`);
    const digestMail = mailsOf(createdAtA.find((r) => r.agency_code === district.code && r.type === 'digest')!.id)[0]!;
    expect(decodeEncodedWords(headersOf(digestMail.raw).get('subject')!)).toBe(
      `[lienthong] Tổng hợp hạn xử lý ngày ${dueDay.split('-').reverse().join('/')}: 1 quá hạn, 1 sắp đến hạn`,
    );
    expect(textBodyOf(digestMail.raw)).toContain(`- ${doc1.code} (${commune.name}) — ${doc1.subject} — hạn xử lý 17:00 ngày`);

    // Webhooks: each reminder once to its agency's system, signed; retried after a 500 and after a timeout.
    for (const r of ours) {
      const path = r.agency_code === commune.code ? '/commune' : '/district';
      const secret = r.agency_code === commune.code ? hooks.commune.secret : hooks.district.secret;
      const posts = acceptedPosts(path, r.id);
      expect(posts, `${key(r)}: ${posts.length} accepted posts`).toHaveLength(1);
      const post = posts[0]!;
      expect(verifies(secret, post)).toBe(true);
      expect(verifies(hooks.gone.secret, post)).toBe(false);
      const event = JSON.parse(post.body);
      expect(event).toMatchObject({ id: r.id, type: `reminder.${r.type}`, agencyCode: r.agency_code, data: { title: r.title } });
      expect(post.headers['x-lienthong-event']).toBe(`reminder.${r.type}`);
      // The attempt before it was refused with 500 (commune) or not answered in time (district), with the same body.
      const all = receiver.requests.filter((q) => q.path === path && JSON.parse(q.body).id === r.id);
      expect(all).toHaveLength(2);
      expect(all[0]!.body).toBe(post.body);
    }
    const log = await node.call('GET', `/v1/webhooks/${hooks.commune.id}/deliveries?limit=500`, { token: commune.clerk });
    expect(log.status, log.text).toBe(200);
    const entry = log.json.items.find((d: { eventId: string }) => d.eventId === overdue.id);
    expect(entry).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200, eventType: 'reminder.overdue' });
    expect(entry.log.map((a: { status: number | null }) => a.status)).toEqual([500, 200]);
    expect(JSON.stringify(log.json)).not.toContain('internal detail');
    const districtLog = await node.call('GET', `/v1/webhooks/${hooks.district.id}/deliveries`, { token: district.clerk });
    const timedOut = districtLog.json.items.find((d: { eventId: string }) => d.eventId === createdAtB.find((r) => r.agency_code === district.code && r.type === 'overdue')!.id);
    expect(timedOut.log.map((a: { status: number | null; error: string | null }) => [a.status, a.error])).toEqual([
      [null, 'no answer within 1000 ms'],
      [200, null],
    ]);
    // A 410 is not tried again; the webhook subscribed to digests only got digests.
    const goneLog = await node.call('GET', `/v1/webhooks/${hooks.gone.id}/deliveries`, { token: commune.clerk });
    const goneDigestA = goneLog.json.items.find((d: { eventId: string }) => d.eventId === createdAtA.find((r) => r.agency_code === commune.code && r.type === 'digest')!.id);
    expect(goneDigestA).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 410 });
    expect(goneLog.json.items.every((d: { eventType: string }) => d.eventType === 'reminder.digest')).toBe(true);
    // Another agency's clerk does not see a webhook's log.
    expect((await node.call('GET', `/v1/webhooks/${hooks.gone.id}/deliveries`, { token: district.clerk })).status).toBe(404);

    // ── The console's list: newest first, with a read flag, per agency.
    const list = await node.call('GET', '/v1/reminders?limit=100', { token: commune.clerk });
    expect(list.status, list.text).toBe(200);
    const mine = list.json.items.filter((r: { createdAt: string }) => [tA.toISOString(), tB.toISOString()].includes(r.createdAt));
    expect(mine.map((r: { createdAt: string }) => r.createdAt)).toEqual([...mine.map((r: { createdAt: string }) => r.createdAt)].sort().reverse());
    expect(list.json.items.every((r: { agencyCode: string }) => r.agencyCode === commune.code)).toBe(true);
    const shown = list.json.items.find((r: { id: string }) => r.id === overdue.id);
    expect(shown).toMatchObject({
      type: 'overdue',
      deadlineKind: 'processing',
      side: 'recipient',
      subject: { type: 'inbox_item', id: doc1.item },
      read: false,
      title: `Quá hạn xử lý: ${doc1.code} — ${doc1.subject}`,
      details: { documentCode: doc1.code, counterpart: { code: district.code }, link: `https://lienthong.test/inbox/${doc1.item}` },
    });
    expect((await node.call('POST', `/v1/reminders/${overdue.id}/read`, { token: district.clerk })).status).toBe(404);
    const read = await node.call('POST', `/v1/reminders/${overdue.id}/read`, { token: commune.clerk });
    expect(read.status, read.text).toBe(200);
    expect(read.json).toMatchObject({ id: overdue.id, read: true });
    const unread = await node.call('GET', '/v1/reminders?unread=true&limit=500', { token: commune.clerk });
    expect(unread.json.items.map((r: { id: string }) => r.id)).not.toContain(overdue.id);
    expect(unread.json.items.length).toBe(list.json.items.length - 1);
    // An administrator names the agency; without one the question has no answer.
    expect((await node.call('GET', '/v1/reminders', { token: node.adminToken })).status).toBe(422);
    expect((await node.call('GET', `/v1/reminders?agency=${district.code}`, { token: node.adminToken })).json.items.length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('webhooks: a clerk subscribes its own agency, the secret is sealed at rest and shown once, a deleted webhook gets nothing more', async () => {
    const body = { url: `${receiver.url}/commune`, events: ['reminder.overdue'] };
    const created = await node.call('POST', '/v1/webhooks', { token: commune.clerk, body, headers: { 'idempotency-key': 'hook-1' } });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ agencyCode: commune.code, url: body.url, events: ['reminder.overdue'] });
    const secret = created.json.secret as string;
    expect(secret).toMatch(/^whsec_/);
    // A replay of the same request does not show the secret again.
    const replay = await node.call('POST', '/v1/webhooks', { token: commune.clerk, body, headers: { 'idempotency-key': 'hook-1' } });
    expect(replay.json).toMatchObject({ id: created.json.id, secret: null, secretShownOnce: true });
    // Sealed with the master key: never in clear in any column of the database.
    const [row] = await sql<{ secret_sealed: string }>(`select secret_sealed from webhook where id = ?`, [created.json.id]);
    expect(row!.secret_sealed).not.toContain(secret);
    expect(openSecret(row!.secret_sealed, deriveMasterKey(node.config.masterKey!))).toBe(secret);
    const dump = await sql<{ t: string }>(`select (select string_agg(w::text, ' ') from webhook w) || (select coalesce(string_agg(a::text, ' '), '') from audit_event a) || (select coalesce(string_agg(i::text, ' '), '') from idempotency_record i) as t`);
    expect(dump[0]!.t).not.toContain(secret);
    // Listing never shows it.
    const list = await node.call('GET', '/v1/webhooks', { token: commune.clerk });
    expect(list.json.items.map((w: { id: string }) => w.id)).toContain(created.json.id);
    expect(list.text).not.toContain('whsec_');
    expect(list.json.items.every((w: { agencyCode: string }) => w.agencyCode === commune.code)).toBe(true);

    // Who may: a clerk for its own agency; an administrator names one; a leader or another agency may not.
    expect((await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { ...body, agencyCode: district.code } })).status).toBe(403);
    expect((await node.call('POST', '/v1/webhooks', { token: node.adminToken, body })).status).toBe(422);
    const forDistrict = await node.call('POST', '/v1/webhooks', { token: node.adminToken, body: { ...body, agencyCode: district.code } });
    expect(forDistrict.status, forDistrict.text).toBe(201);
    const signer = await node.call('POST', '/v1/users', { token: node.adminToken, body: { agencyCode: commune.code, name: 'Lãnh đạo', roles: ['signer'] } });
    expect((await node.call('POST', '/v1/webhooks', { token: signer.json.token, body })).status).toBe(403);
    expect((await node.call('GET', `/v1/webhooks/${created.json.id}`, { token: district.clerk })).status).toBe(404);
    // URLs: http(s), no credentials (they would be kept in clear), no fragment; events from the list.
    for (const url of ['ftp://example.test/x', 'https://user:pw@example.test/x', 'https://example.test/x#frag', 'not a url']) {
      const bad = await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { url } });
      expect(bad.status, url).toBe(422);
      expect(bad.json.code).toBe('VALIDATION_FAILED');
    }
    expect((await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { url: body.url, events: ['document.sent'] } })).status).toBe(422);

    // A secret that no longer opens (sealed under another master key) fails its deliveries at once, without a loop of retries.
    const broken = await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { url: `${receiver.url}/commune`, events: ['reminder.overdue'] } });
    expect(broken.status, broken.text).toBe(201);
    await sql(`update webhook set secret_sealed = ? where id = ?`, [`s1:${'A'.repeat(16)}:${'B'.repeat(22)}:${'C'.repeat(40)}`, broken.json.id]);

    // Deleted: gone from the list and the API, and no delivery is made for it any more.
    expect((await node.call('DELETE', `/v1/webhooks/${created.json.id}`, { token: district.clerk })).status).toBe(404);
    expect((await node.call('DELETE', `/v1/webhooks/${created.json.id}`, { token: commune.clerk })).status).toBe(204);
    expect((await node.call('GET', `/v1/webhooks/${created.json.id}`, { token: commune.clerk })).status).toBe(404);
    expect((await node.call('GET', '/v1/webhooks', { token: commune.clerk })).json.items.map((w: { id: string }) => w.id)).not.toContain(created.json.id);
    const item = await waitForInboxItem(
      node,
      commune.clerk,
      (await sendDocument(node, district.clerk, directive({ to: [commune.code], subject: 'V/v rà soát hồ sơ tồn đọng', dueDate: todayInVietnam() }))).json.documentId as string,
    );
    const later = addDays(todayInVietnam(), 40);
    await runReminderStep(depsOf(node.runtime), vn(later, '06:00'));
    const [made] = await sql<{ n: string }>(`select count(*) as n from reminder where subject_id = ? and type = 'overdue'`, [item]);
    expect(Number(made!.n)).toBeGreaterThan(0);
    const [toDeleted] = await sql<{ n: string }>(`select count(*) as n from webhook_delivery where webhook_id = ?`, [created.json.id]);
    expect(Number(toDeleted!.n)).toBe(0);
    const failed = await eventually(async () => {
      const log = await node.call('GET', `/v1/webhooks/${broken.json.id}/deliveries`, { token: commune.clerk });
      const items = log.json.items as Array<{ state: string; lastError: string | null; log: unknown[] }>;
      return items.length > 0 && items.every((d) => d.state === 'failed') ? items : undefined;
    }, 30_000);
    expect(failed[0]).toMatchObject({ state: 'failed', lastError: "the webhook secret cannot be opened with this node's master key", log: [] });

    // At most ten live webhooks per agency: each reminder goes to every one of them.
    let live = (await node.call('GET', '/v1/webhooks', { token: commune.clerk })).json.items.length as number;
    while (live < 10) {
      expect((await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { url: `${receiver.url}/gone`, events: ['reminder.digest'] } })).status).toBe(201);
      live += 1;
    }
    const tooMany = await node.call('POST', '/v1/webhooks', { token: commune.clerk, body: { url: `${receiver.url}/gone` } });
    expect(tooMany.status).toBe(409);
    expect(tooMany.json.code).toBe('CONFLICT');
  }, 60_000);
});
