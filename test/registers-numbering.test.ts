import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner, type PackageSigner } from '../src/crypto/signer.js';
import { buildEdoc } from '../src/edxml/build.js';
import { signPackage } from '../src/edxml/xmldsig.js';
import { directive, sendDocument, todayInVietnam, type Loose } from './acceptance/helpers.js';
import { edocModel } from './signature/packages.js';
import { startTestNode, type TestNode, type TestResponse } from './support/runtime.js';

/**
 * Issue 13, lawful numbering (NĐ 30/2020 Điều 15, Phụ lục I): the register's year and the date of
 * issue come from the server's clock in Vietnam time, a pre-signed package keeps its own number
 * without jamming the register, the ký hiệu fits the type, and the place of promulgation is the
 * agency's administrative unit. Each agency here is used by one test only, so numbers are known.
 */

// The agencies' own software signs with keys from this CA (the documented path for pre-signed packages).
const ca = generateCa({ commonName: 'Agency software CA (numbering tests)', validityDays: 3650 });

interface TestAgency {
  code: string;
  name: string;
  clerk: string;
  signer: PackageSigner;
}

let node: TestNode;
let recipient: TestAgency;
let serial = 0;

/** A local agency with its own key (uploaded with the certificate) and a clerk. */
async function agency(extra: { administrativeUnit?: string } = {}): Promise<TestAgency> {
  serial += 1;
  const code = `000.${String(serial).padStart(2, '0')}.84.H33`;
  const name = `UBND xã Thử ${serial}`;
  const admin = node.adminToken;
  const created = await node.call('POST', '/v1/agencies', { token: admin, body: { code, name, level: 'commune', ...extra } });
  expect(created.status, created.text).toBe(201);
  const cert = issueAgencyCertificate(ca, { agencyCode: code, agencyName: name, validityDays: 800 });
  const uploaded = await node.call('POST', `/v1/agencies/${code}/certificates`, { token: admin, body: { certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem } });
  expect(uploaded.status, uploaded.text).toBe(201);
  const user = await node.call('POST', '/v1/users', { token: admin, body: { agencyCode: code, name: `Văn thư ${name}`, roles: ['clerk'] } });
  expect(user.status, user.text).toBe(201);
  return { code, name, clerk: user.json.token as string, signer: createPackageSigner(cert.certificatePem, cert.privateKeyPem!) };
}

/** A directive (CT) to the shared recipient, with overrides. */
const compose = (from: TestAgency, overrides: Record<string, unknown> = {}) =>
  sendDocument(node, from.clerk, directive({ to: [recipient.code], promulgation: {}, ...overrides }));

/** An edoc package numbered and signed by the agency's own software. */
function signedPackage(from: TestAgency, codeNumber: string, opts: { date?: string; subject?: string; typeName?: string; notation?: string; place?: string } = {}): string {
  const date = opts.date ?? todayInVietnam().replace(/-/g, '/');
  const model = edocModel({ from: { code: from.code, name: from.name }, to: { code: recipient.code, name: recipient.name }, at: new Date() });
  return signPackage(
    buildEdoc({
      ...model,
      messageHeader: {
        ...model.messageHeader,
        documentId: `${from.code},${date},${codeNumber}/${opts.notation ?? 'QĐ-UBND'}`,
        code: { codeNumber, codeNotation: opts.notation ?? 'QĐ-UBND' },
        promulgationInfo: { place: opts.place ?? 'Thử', promulgationDate: date },
        documentType: { ...model.messageHeader.documentType, typeName: opts.typeName ?? 'Quyết định' },
        subject: opts.subject ?? `Quyết định ${randomBytes(4).toString('hex')}`,
      },
    }),
    from.signer,
  );
}

const importPackage = (from: TestAgency, xml: string) =>
  node.call('POST', '/v1/documents', { token: from.clerk, body: xml, headers: { 'content-type': 'application/xml' } });

/** Runs `send` with this process's clock stopped at `instant` (only Date is faked; timers run). */
async function at(instant: string, send: () => Promise<TestResponse>): Promise<TestResponse> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(instant));
  try {
    return await send();
  } finally {
    vi.useRealTimers();
  }
}

const fieldPaths = (json: Loose): string[] => ((json?.errors ?? []) as Array<{ path: string }>).map((e) => e.path);

function expect201(res: TestResponse): Loose {
  expect(res.status, res.text).toBe(201);
  return res.json;
}

function vietnamDate(offsetDays: number): string {
  const d = new Date(`${todayInVietnam()}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}

beforeAll(async () => {
  // No worker: nothing in the background reads the clock while a test stops it; numbering is all
  // done in the request.
  node = await startTestNode({ roles: { api: true, worker: false } });
  const anchor = await node.call('POST', '/v1/trust-anchors', { token: node.adminToken, body: { certificatePem: ca.certificatePem } });
  expect(anchor.status, anchor.text).toBeLessThan(300);
  recipient = await agency();
});
afterAll(async () => node?.close());

describe('numbering by the server’s clock (Điều 15.1: from 01 on 1 January, Vietnam time)', () => {
  it('a promulgation date other than today → 422 on promulgation.date, and no number is taken', async () => {
    const sender = await agency();
    for (const date of [vietnamDate(-1), vietnamDate(1), '2024-03-01', '2031-06-01']) {
      const res = await compose(sender, { promulgation: { date } });
      expect(res.status, `${date}: ${res.text}`).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(fieldPaths(res.json)).toEqual(['promulgation.date']);
    }
    const today = expect201(await compose(sender, { promulgation: { date: todayInVietnam() } }));
    expect(today.code.number).toBe(1);
    const omitted = expect201(await compose(sender));
    expect(omitted.code.number).toBe(2);
    expect(omitted.promulgation.date).toBe(todayInVietnam());
    expect(omitted.documentId).toBe(`${sender.code},${todayInVietnam().replace(/-/g, '/')},02/CT-UBND`);
  });

  it('a send at 23:59:59.9 on 31 December and one at 00:00:00.1 on 1 January land in their years’ registers', async () => {
    const sender = await agency();
    const year = Number(todayInVietnam().slice(0, 4));
    const next = year + 1;

    const last = expect201(await at(`${year}-12-31T23:59:59.900+07:00`, () => compose(sender)));
    expect(last.code.number).toBe(1);
    expect(last.promulgation.date).toBe(`${year}-12-31`);
    expect(last.documentId).toBe(`${sender.code},${year}/12/31,01/CT-UBND`);

    const first = expect201(await at(`${next}-01-01T00:00:00.100+07:00`, () => compose(sender)));
    expect(first.code.number).toBe(1);
    expect(first.promulgation.date).toBe(`${next}-01-01`);
    expect(first.documentId).toBe(`${sender.code},${next}/01/01,01/CT-UBND`);

    // A client whose form still says 31 December is refused, not numbered in last year's register.
    const late = await at(`${next}-01-01T00:00:00.200+07:00`, () => compose(sender, { promulgation: { date: `${year}-12-31` } }));
    expect(late.status, late.text).toBe(422);
    expect(fieldPaths(late.json)).toEqual(['promulgation.date']);

    const second = expect201(await at(`${next}-01-01T00:00:00.300+07:00`, () => compose(sender, { promulgation: { date: `${next}-01-01` } })));
    expect(second.code.number).toBe(2);

    // Back to the real clock (this year): this year's register goes on from where it was.
    const now = expect201(await compose(sender));
    expect(now.code.number).toBe(2);
  });
});

describe('pre-signed packages keep their own number', () => {
  it('import 04, then compose → 05; a number used again → 409 DUPLICATE_NUMBER naming the holder; the register keeps going', async () => {
    const sender = await agency();
    const xml = signedPackage(sender, '04');
    const imported = expect201(await importPackage(sender, xml));
    expect(imported.code).toEqual({ number: 4, notation: 'QĐ-UBND', text: '04/QĐ-UBND' });
    expect(imported.state).toBe('signed');

    const composed = expect201(await compose(sender));
    expect(composed.code.number).toBe(5);

    for (const [what, again] of [
      ['the same package', xml],
      ['another package numbered 4', signedPackage(sender, '4')],
    ] as const) {
      const res = await importPackage(sender, again);
      expect(res.status, `${what}: ${res.text}`).toBe(409);
      expect(res.json.code).toBe('DUPLICATE_NUMBER');
      expect(res.json.detail).toContain(imported.documentId);
      expect(res.json.detail).toContain(imported.id);
    }
    // A number the register gave a composed document is taken too.
    const taken = await importPackage(sender, signedPackage(sender, '05'));
    expect(taken.status, taken.text).toBe(409);
    expect(taken.json.code).toBe('DUPLICATE_NUMBER');
    expect(taken.json.detail).toContain(composed.documentId);

    // Never a 500 after: the next composed send, an import further ahead, and the one after it.
    expect(expect201(await compose(sender)).code.number).toBe(6);
    expect(expect201(await importPackage(sender, signedPackage(sender, '10'))).code.number).toBe(10);
    expect(expect201(await compose(sender)).code.number).toBe(11);
    // A package of last year goes to last year's register and leaves this year's alone.
    const lastYear = `${Number(todayInVietnam().slice(0, 4)) - 1}/12/30`;
    expect(expect201(await importPackage(sender, signedPackage(sender, '12', { date: lastYear }))).code.number).toBe(12);
    expect(expect201(await compose(sender)).code.number).toBe(12);
  });

  it('a number that is not a positive integer → 422 on the number, and the register does not move', async () => {
    const sender = await agency();
    for (const codeNumber of ['0', '00', 'abc', '4a', '-2', '1.5']) {
      const res = await importPackage(sender, signedPackage(sender, codeNumber));
      expect(res.status, `${codeNumber}: ${res.text}`).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(fieldPaths(res.json)).toEqual(['messageHeader.code.codeNumber']);
    }
    expect(expect201(await compose(sender)).code.number).toBe(1);
  });

  it('imports and composed sends at the same time: no 500, every number used once', async () => {
    const sender = await agency();
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, () => compose(sender)),
      ...['03', '06', '09'].map((n) => importPackage(sender, signedPackage(sender, n))),
    ]);
    for (const res of answers) {
      expect([201, 409], res.text).toContain(res.status);
      if (res.status === 409) expect(res.json.code).toBe('DUPLICATE_NUMBER');
    }
    const numbers = answers.filter((r) => r.status === 201).map((r) => r.json.code.number as number);
    expect(answers.slice(0, 8).every((r) => r.status === 201)).toBe(true);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(expect201(await compose(sender)).code.number).toBe(Math.max(...numbers) + 1);
  });

  it('paper documents hold numbers too: an import of a paper one’s number → 409 naming it; the paper register goes on after an import', async () => {
    const sender = await agency();
    const paper = (notation = 'QĐ-UBND') =>
      node.call('POST', '/v1/registers/out', {
        token: sender.clerk,
        body: { medium: 'paper', type: 'QĐ', notation, subject: 'Quyết định bằng giấy', signer: 'Chủ tịch', recipients: ['Lưu: VT'] },
      });
    const first = expect201(await paper());
    expect(first.code).toBe('01/QĐ-UBND');
    const taken = await importPackage(sender, signedPackage(sender, '01'));
    expect(taken.status, taken.text).toBe(409);
    expect(taken.json.code).toBe('DUPLICATE_NUMBER');
    expect(taken.json.detail).toContain('01/QĐ-UBND');
    expect(taken.json.detail).toContain(first.id);
    expect(expect201(await importPackage(sender, signedPackage(sender, '03'))).code.number).toBe(3);
    expect(expect201(await paper()).number).toBe(4);
    expect(expect201(await compose(sender)).code.number).toBe(5);
  });

  it('a package dated after today, of a type NĐ 30 does not have, with a ký hiệu of another type or fields too long → 422 naming the field; no number taken', async () => {
    const sender = await agency();
    const refused: Array<[string, string, Parameters<typeof signedPackage>[2]]> = [
      ['a date tomorrow', 'messageHeader.promulgationInfo.promulgationDate', { date: vietnamDate(1).replace(/-/g, '/') }],
      ['a type of its own', 'messageHeader.documentType.typeName', { typeName: 'Văn bản khác' }],
      ['a công văn numbered as a decision', 'messageHeader.code.codeNotation', { typeName: 'Công văn', notation: 'QĐ-UBND' }],
      ['a decision numbered as a công văn', 'messageHeader.code.codeNotation', { notation: 'UBND-VP' }],
      ['a subject of 501 characters', 'messageHeader.subject', { subject: 'ă'.repeat(501) }],
      ['a place of 201 characters', 'messageHeader.promulgationInfo.place', { place: 'P'.repeat(201) }],
    ];
    for (const [what, path, opts] of refused) {
      const res = await importPackage(sender, signedPackage(sender, '02', opts));
      expect(res.status, `${what}: ${res.text}`).toBe(422);
      expect(fieldPaths(res.json), what).toEqual([path]);
    }
    // A công văn with the unit's ký hiệu is fine, and nothing refused moved the register.
    expect(expect201(await importPackage(sender, signedPackage(sender, '01', { typeName: 'Công văn', notation: 'UBND-VP' }))).code.text).toBe('01/UBND-VP');
    expect(expect201(await compose(sender)).code.number).toBe(2);
  });
});

describe('the ký hiệu fits the type (Phụ lục I II.3.b)', () => {
  it('a công văn or thư công with a type’s code → 422 on notation; typed documents keep their rule', async () => {
    const sender = await agency();
    const refused: Array<[string, string]> = [
      ['CV', 'QĐ-UBND'],
      ['CV', 'CT-UBND'],
      ['CV', 'TTR-UBND'],
      ['THU', 'GM-UBND'],
      ['CT', 'QĐ-UBND'],
      ['CT', 'UBND-VP'],
    ];
    for (const [type, notation] of refused) {
      const res = await compose(sender, { type, notation, steeringType: 1 });
      expect(res.status, `${type} ${notation}: ${res.text}`).toBe(422);
      expect(res.json.code).toBe('VALIDATION_FAILED');
      expect(fieldPaths(res.json)).toEqual(['notation']);
    }
    expect(expect201(await compose(sender, { type: 'CV', notation: 'UBND-VP', steeringType: 1 })).code.text).toBe('01/UBND-VP');
    expect(expect201(await compose(sender, { type: 'CT', notation: 'CT-UBND' })).code.text).toBe('02/CT-UBND');
  });
});

describe('the place of promulgation is the administrative unit (Phụ lục I II.4.a)', () => {
  it('an agency’s administrativeUnit is kept, shown, changed and used as the default place; without one, the unit read from the committee’s name', async () => {
    const withUnit = await agency({ administrativeUnit: 'Kiên Lương' });
    const shown = await node.call('GET', `/v1/agencies/${withUnit.code}`, { token: node.adminToken });
    expect(shown.status, shown.text).toBe(200);
    expect(shown.json.administrativeUnit).toBe('Kiên Lương');
    expect(expect201(await compose(withUnit)).promulgation.place).toBe('Kiên Lương');
    // A place the clerk gives wins.
    expect(expect201(await compose(withUnit, { promulgation: { place: 'Rạch Giá' } })).promulgation.place).toBe('Rạch Giá');

    const patched = await node.call('PATCH', `/v1/agencies/${withUnit.code}`, { token: node.adminToken, body: { administrativeUnit: 'Hòn Đất' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.administrativeUnit).toBe('Hòn Đất');
    expect(expect201(await compose(withUnit)).promulgation.place).toBe('Hòn Đất');

    const cleared = await node.call('PATCH', `/v1/agencies/${withUnit.code}`, { token: node.adminToken, body: { administrativeUnit: null } });
    expect(cleared.json.administrativeUnit).toBeNull();
    // "UBND xã Thử 7": the unit is "Thử 7" (src/directory/place.ts), not the agency's name.
    expect(expect201(await compose(withUnit)).promulgation.place).toBe(withUnit.name.replace('UBND xã ', ''));

    const without = await agency();
    expect((await node.call('GET', `/v1/agencies/${without.code}`, { token: node.adminToken })).json.administrativeUnit).toBeNull();
    expect(expect201(await compose(without)).promulgation.place).toBe(without.name.replace('UBND xã ', ''));

    // It goes into every package's PromulgationInfo: no character XML cannot carry, never empty.
    for (const administrativeUnit of ['Bình\u0001An', '  ']) {
      const bad = await node.call('POST', '/v1/agencies', { token: node.adminToken, body: { code: '000.99.84.H33', name: 'UBND xã Lỗi', level: 'commune', administrativeUnit } });
      expect(bad.status, bad.text).toBe(422);
      expect(fieldPaths(bad.json)).toEqual(['administrativeUnit']);
    }
  });
});
