/**
 * Seeded random edoc and status models for the property tests of the DOM-free signer
 * (own-signer.test.ts): Vietnamese text mixed with everything XML escapes or parsers treat specially
 * (&, <, >, quotes, CR, LF, CR LF, TAB, "]]>", U+0085, U+2028, U+2029, astral characters, combining
 * marks, look-alike markup), every optional element of the builder present or absent, one to three
 * recipients, every business type, and zero to three attachments of various sizes.
 *
 * The same seed gives the same models, so a failure names a reproducible case.
 */
import type { Attachment, Bussiness, EdocPackage, Organization, Priority, ResponseFor, StaffInfo, StatusPackage } from '../../src/edxml/model.js';
import { STATUS_CODES } from '../../src/edxml/model.js';

/** mulberry32: small, fast, good enough to pick test cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['Về việc', 'triển khai', 'Quyết định', 'Ủy ban nhân dân', 'tỉnh Kiên Giang', 'Sở Tư pháp', 'ĐBSCL', 'Phó Chủ tịch', 'kế hoạch', 'năm 2026', 'Nguyễn Thị Ỗ', 'thủ tục', 'a\u0300b\u0301'];
const SPECIALS = [
  '&', '<', '>', '"', "'", '\r\n', '\r', '\n', '\t', '  ', ']]>', '&amp;', '&lt;', '&#13;', '<!-- x -->', '<![CDATA[y]]>', '/>', '="', "='",
  '\u0085', '\u2028', '\u2029', '\u00a0', '\ufeff', '\ufffd', '🎉', '\u{1F600}', '%PDF-1.7', 'xmlns="urn:x"', '</edXML:edXMLHeader>', '<Signature>',
];

/** Picks helpers over one random source. */
export class Picker {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p = 0.5): boolean {
    return this.next() < p;
  }
  one<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Text that starts with a word (so required fields are never blank) and mixes in special characters. */
  text(): string {
    let s = this.one(WORDS);
    const n = this.int(0, 6);
    for (let i = 0; i < n; i++) s += this.chance(0.6) ? this.one(SPECIALS) : ` ${this.one(WORDS)}`;
    return s;
  }
  maybe<T>(make: () => T): T | undefined {
    return this.chance() ? make() : undefined;
  }
}

const DATES = ['2026/01/01', '2026/02/28', '2024/02/29', '2026/11/26', '2026/12/31'];

/** Adds `key: value` to `o` only when `value` is defined (the model's optional fields are absent, not undefined). */
function put<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) o[key] = value;
}

function organization(p: Picker, organId: string): Organization {
  const o: Organization = { organId, organName: p.text() };
  put(o, 'organizationInCharge', p.maybe(() => p.text()));
  put(o, 'organAdd', p.maybe(() => p.text()));
  put(o, 'email', p.maybe(() => p.text()));
  put(o, 'telephone', p.maybe(() => p.text()));
  put(o, 'fax', p.maybe(() => p.text()));
  put(o, 'website', p.maybe(() => p.text()));
  return o;
}

function responseFor(p: Picker): ResponseFor {
  const r: ResponseFor = { organId: p.text(), documentId: p.text() };
  put(r, 'code', p.maybe(() => p.text()));
  put(r, 'promulgationDate', p.maybe(() => p.one(DATES)));
  return r;
}

function staffInfo(p: Picker): StaffInfo {
  const s: StaffInfo = {};
  put(s, 'department', p.maybe(() => p.text()));
  put(s, 'staff', p.maybe(() => p.text()));
  put(s, 'email', p.maybe(() => p.text()));
  put(s, 'mobile', p.maybe(() => p.text()));
  return s;
}

function bussiness(p: Picker): Bussiness {
  const base: { documentId?: string; bussinessDocReason?: string; paper?: number; staffInfo?: StaffInfo } = {};
  put(base, 'documentId', p.maybe(() => p.text()));
  put(base, 'bussinessDocReason', p.maybe(() => p.text()));
  put(base, 'paper', p.maybe(() => p.int(0, 1)));
  put(base, 'staffInfo', p.maybe(() => staffInfo(p)));
  switch (p.int(0, 3)) {
    case 0:
      return { ...base, bussinessDocType: 0 };
    case 1:
      return { ...base, bussinessDocType: 1 };
    case 2: {
      const info: { documentInfo?: number; documentReceiver?: number; receiverList: { organId: string; receiverType: number }[] } = {
        receiverList: Array.from({ length: p.int(0, 2) }, () => ({ organId: p.text(), receiverType: p.int(0, 1) })),
      };
      put(info, 'documentInfo', p.maybe(() => p.int(0, 1)));
      put(info, 'documentReceiver', p.maybe(() => p.int(0, 1)));
      return { ...base, bussinessDocType: 2, bussinessDocumentInfo: info };
    }
    default:
      return {
        ...base,
        bussinessDocType: 3,
        replacementInfoList: Array.from({ length: p.int(1, 2) }, () => ({ documentId: p.text(), organIdList: Array.from({ length: p.int(1, 2) }, () => p.text()) })),
      };
  }
}

/** Attachment sizes in bytes: empty, base64 padding of each kind, and across the signer's 16 KiB chunks. */
export const ATTACHMENT_SIZES = [0, 1, 2, 3, 57, 1_000, 20_000, 70_000] as const;

function attachment(p: Picker, i: number, bytes: number): Attachment {
  const payload = Buffer.alloc(bytes);
  for (let k = 0; k < bytes; k++) payload[k] = Math.floor(p.next() * 256);
  const a: Attachment = { contentId: `cid:${i}-${p.int(0, 9999)}`, attachmentName: `${p.text()}.pdf`, contentBase64: payload.toString('base64') };
  put(a, 'description', p.maybe(() => p.text()));
  put(a, 'contentType', p.maybe(() => p.one(['application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain; charset="utf-8"'])));
  return a;
}

/** A random edoc from `from` (its organId must be the signer's agency for verifyPackage), signed at `timestamp`. */
export function randomEdoc(p: Picker, from: { code: string; name: string }, timestamp: string, sizes: readonly number[] = ATTACHMENT_SIZES): EdocPackage {
  const sender = organization(p, from.code);
  sender.organName = from.name;
  const attachments = Array.from({ length: p.int(0, 3) }, (_, i) => attachment(p, i, p.one(sizes)));
  const otherInfo: EdocPackage['messageHeader']['otherInfo'] = { priority: p.int(0, 4) as Priority, appendixes: Array.from({ length: p.int(0, 2) }, () => p.text()) };
  put(otherInfo, 'sphereOfPromulgation', p.maybe(() => p.text()));
  put(otherInfo, 'typerNotation', p.maybe(() => p.text()));
  put(otherInfo, 'promulgationAmount', p.maybe(() => p.int(0, 500)));
  put(otherInfo, 'pageAmount', p.maybe(() => p.int(0, 500)));
  put(otherInfo, 'direction', p.maybe(() => p.chance()));
  const documentType: EdocPackage['messageHeader']['documentType'] = { type: p.int(1, 3), typeName: p.text() };
  put(documentType, 'typeDetail', p.maybe(() => p.int(0, 30)));
  const signerInfo: EdocPackage['messageHeader']['signerInfo'] = { position: p.text(), fullName: p.text() };
  put(signerInfo, 'competence', p.maybe(() => p.text()));
  const messageHeader: EdocPackage['messageHeader'] = {
    from: sender,
    to: Array.from({ length: p.int(1, 3) }, () => organization(p, p.text())),
    documentId: p.text(),
    code: { codeNumber: p.text(), codeNotation: p.text() },
    promulgationInfo: { place: p.text(), promulgationDate: p.one(DATES) },
    documentType,
    subject: p.text(),
    signerInfo,
    otherInfo,
    responseFor: Array.from({ length: p.int(0, 2) }, () => responseFor(p)),
    toPlaces: Array.from({ length: p.int(0, 3) }, () => p.text()),
  };
  put(messageHeader, 'content', p.maybe(() => p.text()));
  put(messageHeader, 'dueDate', p.maybe(() => p.one(DATES)));
  put(messageHeader, 'steeringType', p.maybe(() => p.int(1, 3)));
  return {
    messageHeader,
    traceHeaderList: {
      traceHeaders: [{ organId: from.code, timestamp }, ...Array.from({ length: p.int(0, 1) }, () => ({ organId: p.text(), timestamp }))],
      bussiness: bussiness(p),
    },
    manifest: attachments.map((a) => {
      const r: EdocPackage['manifest'][number] = { contentId: a.contentId, attachmentName: a.attachmentName };
      put(r, 'contentType', a.contentType);
      put(r, 'description', p.maybe(() => p.text()));
      return r;
    }),
    attachments,
  };
}

/** A random status from `from`, at `timestamp`. */
export function randomStatus(p: Picker, from: { code: string; name: string }, timestamp: string): StatusPackage {
  const sender = organization(p, from.code);
  const s: StatusPackage = { from: sender, responseFor: responseFor(p), statusCode: p.one(STATUS_CODES), timestamp };
  put(s, 'staffInfo', p.maybe(() => staffInfo(p)));
  put(s, 'description', p.maybe(() => p.text()));
  return s;
}

/** Element names that are optional somewhere in the builder: the generated set must have each both present and absent. */
export const OPTIONAL_ELEMENTS = [
  'OrganizationInCharge', 'OrganAdd', 'Email', 'Telephone', 'Fax', 'Website', 'Content', 'Competence', 'DueDate', 'SphereOfPromulgation',
  'TyperNotation', 'PromulgationAmount', 'PageAmount', 'Direction', 'Appendixes', 'ResponseFor', 'SteeringType', 'ToPlaces', 'BussinessDocReason',
  'Paper', 'StaffInfo', 'Department', 'Staff', 'Mobile', 'BussinessDocumentInfo', 'DocumentInfo', 'DocumentReceiver', 'ReceiverList',
  'ReplacementInfoList', 'Reference', 'AttachmentEncoded', 'TypeDetail', 'Description', 'ContentType', 'Code',
] as const;
