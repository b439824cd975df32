import { pdfEvidence, pdfSignaturesView } from '../delivery/pdf-evidence.js';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { edxmlDateToIso } from '../edxml/dates.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { checkUploadContentType, checkUploadFileName } from '../packages/attachment-policy.js';
import { storePackage } from '../packages/packages.repository.js';
import type { Delivery, ReplacesValue, OutgoingDocument } from '../delivery/document.entity.js';
import { attachmentsOf, replaceAttachment, setAttachmentPdfSignatures } from './attachments.repository.js';
import { insertDocumentFiles } from '../delivery/document-files.repository.js';
import { deliveryRow, documentEventRows, documentViewRows, insertDeliveries, insertOutgoingDocument } from './outgoing-rows.repository.js';
import { documentByDocumentId } from '../delivery/outgoing.repository.js';
import { agencyRowOrFail } from '../directory/directory.repository.js';
import { inTransaction } from '../db/tx.js';
import { DOCUMENT_TYPE_KEYS, documentType, documentTypeByName, notationProblem, typeSuggestions } from '../registers/document-types.js';
import { MAX_ATTACHMENTS, type DocumentInput } from './documents.schemas.js';
import { insertEvents, recordEvent } from '../delivery/document-events.repository.js';
import { outgoingPage, type DocumentListQuery } from './documents.repository.js';
import { verifyReceived, type PipelineDeps } from '../delivery/verify-received.js';
import { planRecipients, recipientPlanEvents, resolveRecipients, type ClosedMembersWarning } from './recipients.js';
import { claimGivenNumber, givenRegisterNumber, registerOutgoing } from '../registers/numbering.js';
import { chooseSeries } from '../registers/series.js';
import { vietnamToday, vietnamYear } from '../util/vietnam-time.js';
import { deliveriesDeadlines, type DeadlineClock, type ShownDeadline } from '../deadlines/deadlines.service.js';
import { decodeBase64Run, isBase64Run } from '../util/base64.js';
import { promulgationPlace } from '../directory/place.js';

/** The number and date of issue a document was just given, for createDocument's `finishFiles`. */
export interface NumberGiven {
  /** Số as written: `01`. */
  numberText: string;
  /** Ký hiệu: `CT-UBND`. */
  notation: string;
  /** The date of issue, YYYY-MM-DD in Vietnam. */
  date: string;
  /** The instant of registration. */
  at: Date;
  /** Địa danh of the date line. */
  place: string;
}

/** A user of an agency acting on its outgoing documents. */
export interface Clerk {
  principal: Extract<Principal, { kind: 'user' }>;
  requestId: string;
}

export interface UploadedFile {
  name: string;
  contentType: string;
  content: Buffer;
  /** SHA-256 (hex), when the reader hashed it as it streamed in; else made once by fileSha256. */
  sha256?: string;
}

/**
 * A file's SHA-256, computed at most once per upload: hashing a 50 MB file takes the event loop
 * ~100 ms, and the request path needs the digest in three places (issue 11).
 */
export function fileSha256(f: UploadedFile): string {
  f.sha256 ??= createHash('sha256').update(f.content).digest('hex');
  return f.sha256;
}

/** 422 on a field of the document, said in English and Vietnamese after the field's name ("Due date must not…"). */
const fail = (path: string, en: string, vi: string) => invalidField(path, { en, vi }, 'document');

/** A date YYYY-MM-DD as a Vietnamese reader writes it: dd/MM/yyyy. */
const vietnameseDate = (iso: string): string => iso.split('-').reverse().join('/');

/**
 * Checks what zod cannot: the type table, the ký hiệu against the type, dates, files. Returns the
 * files as they are stored: each name and content type as the attachment policy accepts it (NFC,
 * trimmed; the bare lower-case type), or 422 on `attachments.<i>.name` / `.contentType`.
 */
export function checkDocumentInput(input: DocumentInput, files: UploadedFile[], maxBytes: number): UploadedFile[] {
  // Secret documents never travel over this system (DESIGN.md §4; Luật Bảo vệ bí mật nhà nước).
  if (input.confidentiality !== 'normal') {
    throw new DomainError(
      'SECRET_NOT_ALLOWED',
      `Documents classified "${input.confidentiality}" (mật, tối mật, tuyệt mật) are never sent over this system; only "normal" is accepted.`,
      { vi: `Văn bản có độ mật "${input.confidentiality}" (mật, tối mật, tuyệt mật) không bao giờ được gửi qua hệ thống này; chỉ chấp nhận "normal" (thường).` },
    );
  }
  const type = documentType(input.type);
  if (!type) throw unknownType(input.type);
  const notation = notationProblem(type, input.notation);
  if (notation) throw fail('notation', `must fit the document type: ${notation}`, `phải hợp với loại văn bản: ${notationProblem(type, input.notation, 'vi')!}`);
  if (files.length > MAX_ATTACHMENTS) throw fail('attachments', `must have at most ${MAX_ATTACHMENTS} files`, `không được quá ${MAX_ATTACHMENTS} tệp`);
  let total = 0;
  const accepted = files.map((f, i) => {
    // Refused rather than renamed or retyped: see the decision in packages/attachment-policy.ts.
    const name = checkUploadFileName(f.name);
    if (!name.ok) throw fail(`attachments.${i}.name`, name.problem, name.vi);
    // Without a type of its own (or as application/octet-stream), the file's extension tells it.
    const contentType = checkUploadContentType(f.contentType, name.value);
    if (!contentType.ok) throw fail(`attachments.${i}.contentType`, contentType.problem, contentType.vi);
    if (f.content.length === 0) throw fail(`attachments.${i}`, `(${name.value}) is empty`, `(${name.value}) là tệp rỗng`);
    total += f.content.length;
    return { name: name.value, contentType: contentType.value, content: f.content, ...(f.sha256 ? { sha256: f.sha256 } : {}) };
  });
  // Base64 in the package grows a file by a third; keep the whole package under the size limit.
  if (Math.ceil(total / 3) * 4 + 64 * 1024 > maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `The attachments (${total} bytes) would make a package over ${maxBytes} bytes.`);
  }
  return accepted;
}

/**
 * 422 on `type` for a key that is not in the table, with the types the clerk may have meant (`QD` →
 * "did you mean QĐ (Quyết định)?"), and the accepted keys.
 */
function unknownType(given: string): DomainError {
  const suggestions = typeSuggestions(given);
  const named = (lang: 'en' | 'vi') => {
    const each = suggestions.map((t) => `${t.key} (${t.name})`);
    const last = each.pop()!;
    return each.length ? `${each.join(', ')} ${lang === 'en' ? 'or' : 'hay'} ${last}` : last;
  };
  const accepted = DOCUMENT_TYPE_KEYS.join(', ');
  const en = `is "${given}", which is not a type we know. ${suggestions.length ? `Did you mean ${named('en')}? ` : ''}Accepted: ${accepted}`;
  const vi = `"${given}" không có trong danh mục. ${suggestions.length ? `Có phải ý bạn là ${named('vi')}? ` : ''}Các loại được chấp nhận: ${accepted}`;
  return fail('type', en, vi);
}

/**
 * Decodes JSON attachments, refusing what is not base64. `kept`: the bytes of long base64 strings
 * the body parser left as bytes, by the placeholder that stands for them (src/http/json-body.ts).
 */
export function decodeAttachments(input: DocumentInput, kept: ReadonlyMap<string, Buffer> = new Map()): UploadedFile[] {
  return input.attachments.map((a, i) => {
    const run = kept.get(a.contentBase64);
    if (run) {
      if (!isBase64Run(run)) throw fail(`attachments.${i}.contentBase64`, 'is not valid base64', 'không phải là base64 hợp lệ');
      return { name: a.name, contentType: a.contentType ?? '', content: decodeBase64Run(run) };
    }
    // Tested first, so that a multi-megabyte single-line payload is not copied.
    const clean = /\s/.test(a.contentBase64) ? a.contentBase64.replace(/\s+/g, '') : a.contentBase64;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw fail(`attachments.${i}.contentBase64`, 'is not valid base64', 'không phải là base64 hợp lệ');
    // No type given: the attachment policy reads it from the name (checkDocumentInput).
    return { name: a.name, contentType: a.contentType ?? '', content: Buffer.from(clean, 'base64') };
  });
}

/**
 * Composes an outgoing document: number from the outgoing register, deliveries for every resolved
 * recipient, in one transaction. Signing and sending happen in the background (`sign` → `route` →
 * `deliver`). `now` is the moment of registration (this server's clock; tests set it).
 */
export async function createDocument(
  em: EntityManager,
  pki: PkiService,
  clerk: Clerk,
  input: DocumentInput,
  files: UploadedFile[],
  now: Date = new Date(),
  /** For a replacement (BussinessDocType 3): the document it replaces. */
  replaces: ReplacesValue | null = null,
  /**
   * Writes the register's number and date into the files once they are known (src/drafts: "Cấp số và
   * ký số"): called right after the number is taken, in the same transaction, and its files replace
   * the attachments one for one. Should it fail, the rollback gives the number back: no gap.
   */
  finishFiles?: (n: NumberGiven) => Promise<UploadedFile[]>,
): Promise<DocumentView> {
  const senderCode = clerk.principal.agencyCode;
  // NĐ 30/2020 Điều 15.1: numbers follow the order and time of issue, from 01 on 1 January to 31
  // December. The date of issue and the register's year are the day of registration in Vietnam,
  // read here — never a date the client sends: a back- or future-dated document is not issued here.
  const date = vietnamToday(now);
  const year = vietnamYear(now);
  if (input.promulgation.date !== undefined && input.promulgation.date !== date) {
    throw fail(
      'promulgation.date',
      `must be today in Asia/Ho_Chi_Minh (${date}) or left out: the date and the number are taken at registration`,
      `phải là ngày hôm nay theo giờ Việt Nam (${vietnameseDate(date)}) hoặc để trống: ngày và số văn bản được lấy khi đăng ký`,
    );
  }
  // A deadline before the day the document is issued could never be met (it is sent as it is).
  if (input.dueDate !== undefined && input.dueDate < date) {
    throw fail(
      'dueDate',
      `(${input.dueDate}) must not be before the date of issue, ${date} (today in Vietnam)`,
      `(${vietnameseDate(input.dueDate)}) không được trước ngày ban hành ${vietnameseDate(date)} (hôm nay, giờ Việt Nam)`,
    );
  }
  return inTransaction(em, async (tx) => {
    const sender = await agencyRowOrFail(tx, senderCode);
    if (!sender.active) throw new DomainError('FORBIDDEN', `Agency ${senderCode} is not active.`, { vi: `Cơ quan ${senderCode} không còn hoạt động.` });
    // Agencies closed at registration are refused naming their successor, or redirected to it (issue 19).
    const plan = await planRecipients(tx, senderCode, input.to, { at: now, redirectClosed: input.redirectClosed ?? false });
    const recipients = plan.recipients;
    // The series: the one the clerk named, else the one whose rule takes the type (src/registers).
    const series = await chooseSeries(tx, senderCode, 'out', documentType(input.type)!.key, input.register);
    // Fail now, not in the background, when the agency cannot sign.
    await pki.signerFor(tx, senderCode, now);
    const id = randomUUID();
    // Written first with a provisional number (negative: never a register number) and DocumentId;
    // the real number is taken last, below.
    const doc = await insertOutgoingDocument(tx, {
      id,
      agencyCode: senderCode,
      documentId: `provisional:${id}`,
      series,
      year,
      number: -randomInt(1, 2 ** 31 - 1),
      numberText: '',
      notation: input.notation,
      type: documentType(input.type)!.key,
      subject: input.subject,
      content: input.content ?? null,
      // Phụ lục I II.4.a: the place is the administrative unit's name (địa danh; src/directory/place.ts).
      promulgationPlace: input.promulgation.place ?? promulgationPlace(sender),
      promulgationDate: date,
      signer: input.signer,
      priority: input.priority,
      steeringType: input.steeringType,
      dueDate: input.dueDate ?? null,
      toPlaces: input.toPlaces,
      responseFor: input.responseFor,
      recipientSpec: input.to,
      state: 'queued',
      source: 'api',
      packageId: null,
      recallPackageId: null,
      recallReason: null,
      replaces,
      lastError: null,
      createdBy: clerk.principal.id,
      staff: input.staff ?? null,
      createdAt: now,
      updatedAt: now,
    });
    const deliveries = recipients.map((r) => deliveryRow(doc.id, r, null, now, plan.redirectedFrom.get(r.code)));
    await insertDeliveries(tx, deliveries);
    await insertEvents(tx, recipientPlanEvents(doc.id, deliveries, plan));
    // The legal signatures inside its PDFs, as they are sent (issue 17). Files sent as given are
    // checked now, before the register's counter is locked, and stored with their evidence; files
    // that finishFiles issues are checked once the number is in them, below.
    const anchors = (await pki.trust(tx)).store.anchorsPem();
    let evidence = finishFiles ? [] : pdfEvidence(files, anchors, senderCode, now);
    // The files after their document's row, their bytes as binary parameters (issue 16).
    await insertDocumentFiles(
      tx,
      doc.id,
      files.map((f, index) => ({ index, name: f.name, contentType: f.contentType, sha256: fileSha256(f), content: f.content, pdfSignatures: evidence[index] ?? null })),
    );
    // The register number as the very last statement before COMMIT, with the event and the audit
    // record that name it (registerOutgoing): the counter row's lock is held only from there.
    const registered = await registerOutgoing(tx, {
      id: doc.id,
      agencyCode: senderCode,
      year,
      series,
      documentIdPrefix: `${senderCode},${date.replace(/-/g, '/')},`,
      documentIdSuffix: `/${input.notation}`,
      recipients: recipients.map((r) => r.code),
      actor: { kind: clerk.principal.kind, id: clerk.principal.id, agencyCode: clerk.principal.agencyCode },
      requestId: clerk.requestId ?? null,
      at: now,
    });
    if (finishFiles) {
      const finished = await finishFiles({ numberText: registered.numberText, notation: input.notation, date, at: now, place: doc.promulgationPlace });
      if (finished.length !== files.length) throw new Error('finishFiles must return one file per attachment');
      for (const [index, f] of finished.entries()) {
        await replaceAttachment(tx, doc.id, { index, name: f.name, contentType: f.contentType, sha256: fileSha256(f), content: f.content });
      }
      files = finished;
      evidence = pdfEvidence(files, anchors, senderCode, now);
      for (const [index, e] of evidence.entries()) if (e) await setAttachmentPdfSignatures(tx, doc.id, index, e);
    }
    const checked = evidence.flatMap((e, index) => (e ? [{ index, name: files[index]!.name, officiallySigned: e.officiallySigned, problems: e.problems, signers: e.signatures.map((g) => ({ signer: g.signer, role: g.role, valid: g.valid })) }] : []));
    if (checked.length) await insertEvents(tx, [{ documentId: doc.id, type: 'document.pdf-signatures-checked', details: { attachments: checked } }]);
    // The row as inserted keeps its provisional values (registerOutgoing wrote the real ones); the answer shows the registered ones.
    const numbered = { ...doc, series, number: registered.number, numberText: registered.numberText, documentId: registered.documentId };
    const view = documentView(numbered, deliveries, new Map(recipients.map((r) => [r.code, r.name])), [], files.map((f, index) => ({ ...fileView(f, index), ...pdfSignaturesView(evidence[index] ?? undefined) })));
    return plan.warnings.length ? { ...view, warnings: plan.warnings } : view;
  });
}

/**
 * Registers a package the agency's own software already signed (Content-Type application/xml): it
 * is verified like a received one, must come from the caller's agency, and is routed as is. Its
 * software numbered it, so it keeps its number in the register of its promulgation year, and the
 * counter stays ahead of it; a number already used there → 409 DUPLICATE_NUMBER, one that is not a
 * positive integer → 422.
 */
export async function createFromEdxml(em: EntityManager, deps: PipelineDeps, clerk: Clerk, bytes: Buffer, options: { handOver?: boolean } = {}): Promise<DocumentView> {
  const senderCode = clerk.principal.agencyCode;
  const verified = await verifyReceived(em, deps, bytes, options);
  if (verified.model.kind !== 'edoc') throw new DomainError('VALIDATION_FAILED', 'Expected an edoc package; status packages go to the exchange API.');
  if (verified.senderCode !== senderCode) {
    throw new DomainError('FORBIDDEN', `The package is from ${verified.senderCode}; you send for ${senderCode}.`, {
      vi: `Gói tin là của ${verified.senderCode}; bạn gửi văn bản cho ${senderCode}.`,
    });
  }
  const edoc = verified.model.edoc;
  const header = edoc.messageHeader;
  if (edoc.traceHeaderList.bussiness.bussinessDocType !== 0) {
    throw new DomainError('VALIDATION_FAILED', 'Only new documents (BussinessDocType 0) can be registered this way; use the recall endpoint to recall.');
  }
  const to = header.to.map((t) => t.organId);
  const number = givenRegisterNumber(header.code.codeNumber);
  if (number === null) {
    const shown = header.code.codeNumber.slice(0, 40);
    throw fail(
      'messageHeader.code.codeNumber',
      `("${shown}") is not a register number: a positive integer such as 04 or 15`,
      `("${shown}") không phải là số trong sổ: phải là số nguyên dương, ví dụ 04 hoặc 15`,
    );
  }
  const date = edxmlDateToIso(header.promulgationInfo.promulgationDate);
  const year = Number(date.slice(0, 4));
  checkImportedHeader(header, date);
  return inTransaction(em, async (tx) => {
    const recipients = await resolveRecipients(tx, senderCode, to);
    // Its software chose the number, not the series: the agency's rule for its type does.
    const type = documentTypeByName(header.documentType.typeName);
    const series = await chooseSeries(tx, senderCode, 'out', type?.key, undefined);
    // From here to COMMIT the register's counter row is locked (claimGivenNumber).
    const holder = await claimGivenNumber(tx, senderCode, year, number, series);
    if (holder) {
      throw new DomainError(
        'DUPLICATE_NUMBER',
        `Number ${number} of the ${year} outgoing register of ${senderCode} is already used by document ${holder.documentId} (id ${holder.id}).`,
        {
          errors: [
            {
              path: 'messageHeader.code.codeNumber',
              message: `Number ${number} is already used by ${holder.documentId} (id ${holder.id}).`,
              vi: `Số ${number} đã được dùng cho văn bản ${holder.documentId} (id ${holder.id}).`,
            },
          ],
          vi: `Số ${number} của sổ văn bản đi năm ${year} của ${senderCode} đã được dùng cho văn bản ${holder.documentId} (id ${holder.id}).`,
        },
      );
    }
    if (await documentByDocumentId(tx, header.documentId)) {
      throw new DomainError('CONFLICT', `Document ${header.documentId} is already registered.`, { vi: `Văn bản ${header.documentId} đã được đăng ký.` });
    }
    const pkg = await storePackage(tx, {
      sha256: verified.sha256,
      kind: 'edoc',
      senderCode,
      documentId: header.documentId,
      businessDocType: 0,
      bytes: verified.bytes,
    });
    const now = new Date();
    const doc = await insertOutgoingDocument(tx, {
      id: randomUUID(),
      agencyCode: senderCode,
      documentId: header.documentId,
      series,
      year,
      number,
      numberText: header.code.codeNumber,
      notation: header.code.codeNotation,
      type: type!.key, // checkImportedHeader refused an unknown one
      subject: header.subject,
      content: header.content ?? null,
      promulgationPlace: header.promulgationInfo.place,
      promulgationDate: date,
      signer: { fullName: header.signerInfo.fullName, position: header.signerInfo.position, ...(header.signerInfo.competence ? { competence: header.signerInfo.competence } : {}) },
      priority: header.otherInfo.priority,
      steeringType: header.steeringType ?? 1,
      dueDate: header.dueDate ? edxmlDateToIso(header.dueDate) : null,
      toPlaces: [...header.toPlaces],
      responseFor: header.responseFor.map((r) => ({ ...r })),
      recipientSpec: to,
      state: 'signed',
      source: 'edxml',
      packageId: pkg.id,
      recallPackageId: null,
      recallReason: null,
      lastError: null,
      createdBy: clerk.principal.id,
      staff: null,
      createdAt: now,
      updatedAt: now,
    });
    const deliveries = recipients.map((r) => deliveryRow(doc.id, r, pkg.id, now));
    await insertDeliveries(tx, deliveries);
    recordEvent(tx, { documentId: doc.id, type: 'document.registered', state: 'signed', details: { sha256: verified.sha256 } });
    recordAudit(tx, {
      actor: clerk.principal,
      action: 'document.registered',
      subjectType: 'document',
      subjectId: doc.id,
      details: { documentId: doc.documentId, sha256: verified.sha256 },
      requestId: clerk.requestId,
    });
    return documentView(doc, deliveries, new Map(recipients.map((r) => [r.code, r.name])), [], []);
  });
}

/** The columns an imported package's header lands in, by its path: longer values are refused, not cut. */
const IMPORTED_LENGTHS: Array<[string, (h: EdocHeader) => string, number]> = [
  ['messageHeader.documentId', (h) => h.documentId, 300],
  ['messageHeader.code.codeNotation', (h) => h.code.codeNotation, 100],
  ['messageHeader.subject', (h) => h.subject, 500],
  ['messageHeader.promulgationInfo.place', (h) => h.promulgationInfo.place, 200],
];
type EdocHeader = Extract<Awaited<ReturnType<typeof verifyReceived>>['model'], { kind: 'edoc' }>['edoc']['messageHeader'];

/**
 * What a package the agency's own software signed must be to enter the register (issue 13): a type
 * of NĐ 30 with a ký hiệu that fits it (Phụ lục I II.3.b, as for a composed one), a date of issue
 * that is not after today in Vietnam (a document is not numbered ahead of its day), and fields
 * that fit their columns. 422 naming the header field.
 */
function checkImportedHeader(header: EdocHeader, date: string): void {
  const today = vietnamToday();
  if (date > today) {
    throw fail(
      'messageHeader.promulgationInfo.promulgationDate',
      `(${date}) is after today in Asia/Ho_Chi_Minh (${today}): a document is registered on or after its date of issue`,
      `(${vietnameseDate(date)}) sau ngày hôm nay theo giờ Việt Nam (${vietnameseDate(today)}): văn bản chỉ được đăng ký từ ngày ban hành`,
    );
  }
  const type = documentTypeByName(header.documentType.typeName);
  if (!type) {
    const names = [...DOCUMENT_TYPE_KEYS].map((k) => documentType(k)!.name).join(', ');
    throw fail(
      'messageHeader.documentType.typeName',
      `("${header.documentType.typeName.slice(0, 60)}") is not a type of NĐ 30/2020: ${names}`,
      `("${header.documentType.typeName.slice(0, 60)}") không phải là loại văn bản theo Nghị định 30/2020: ${names}`,
    );
  }
  const notation = notationProblem(type, header.code.codeNotation);
  if (notation) {
    throw fail('messageHeader.code.codeNotation', `must fit the document type: ${notation}`, `phải hợp với loại văn bản: ${notationProblem(type, header.code.codeNotation, 'vi')!}`);
  }
  for (const [path, value, max] of IMPORTED_LENGTHS) {
    const length = [...value(header)].length;
    if (length > max) throw fail(path, `is ${length} characters long; at most ${max} are kept`, `dài ${length} ký tự; tối đa ${max} ký tự`);
  }
}

export interface DocumentView {
  id: string;
  documentId: string;
  agencyCode: string;
  type: string;
  code: { number: number; notation: string; text: string };
  /** The register it is numbered in: its series and year. */
  register: { series: string; year: number };
  subject: string;
  content: string | null;
  promulgation: { place: string; date: string };
  signer: { fullName: string; position: string; competence?: string };
  priority: number;
  steeringType: number;
  dueDate: string | null;
  toPlaces: string[];
  to: string[];
  state: OutgoingDocument['state'];
  recipients: Array<{ code: string; state: Delivery['state'] }>;
  deliveries: Array<{
    id: string;
    recipient: string;
    recipientName: string | null;
    state: Delivery['state'];
    statusCode: string | null;
    statusAt: string | null;
    arrivalNumber: number | null;
    /** The closed agency it was addressed to, when this successor got it instead (issue 19). */
    redirectedFrom: string | null;
    attempts: number;
    lastError: string | null;
    statuses: Array<{ id: string; code: string; at: string; description: string | null }>;
    /** The recipient's deadlines (issue 18); none before its 01. */
    deadlines: ShownDeadline[];
  }>;
  attachments: Array<{ index: number; name: string; contentType: string; size: number; sha256: string }>;
  lastError: string | null;
  recallReason: string | null;
  createdAt: string;
  updatedAt: string;
  /** In the answer that creates it only: groups whose closed members were left out. */
  warnings?: ClosedMembersWarning[];
}

const fileView = (f: UploadedFile, index: number) => ({
  index,
  name: f.name,
  contentType: f.contentType,
  size: f.content.length,
  sha256: fileSha256(f),
});

export function documentView(
  doc: OutgoingDocument,
  deliveries: Delivery[],
  names: Map<string, string>,
  statuses: Array<{ id: string; deliveryId?: string | null; code: string; createdAt: Date; description?: string | null; carried: boolean; direction?: 'in' | 'out' }>,
  attachments: DocumentView['attachments'],
  /** Each delivery's deadlines, by delivery id (none when absent: a delivery that has not arrived). */
  deadlines?: ReadonlyMap<string, ShownDeadline[]>,
): DocumentView {
  const sorted = [...deliveries].sort((a, b) => (a.recipientCode < b.recipientCode ? -1 : 1));
  return {
    id: doc.id,
    documentId: doc.documentId,
    agencyCode: doc.agencyCode,
    type: doc.type,
    code: { number: doc.number, notation: doc.notation, text: `${doc.numberText}/${doc.notation}` },
    register: { series: doc.series, year: doc.year },
    subject: doc.subject,
    content: doc.content ?? null,
    promulgation: { place: doc.promulgationPlace, date: doc.promulgationDate },
    signer: doc.signer,
    priority: doc.priority,
    steeringType: doc.steeringType,
    dueDate: doc.dueDate ?? null,
    toPlaces: doc.toPlaces,
    to: doc.recipientSpec,
    state: doc.state,
    recipients: sorted.map((d) => ({ code: d.recipientCode, state: d.state })),
    deliveries: sorted.map((d) => ({
      id: d.id,
      recipient: d.recipientCode,
      recipientName: names.get(d.recipientCode) ?? null,
      state: d.state,
      statusCode: d.statusCode ?? null,
      statusAt: d.statusAt?.toISOString() ?? null,
      arrivalNumber: d.arrivalNumber ?? null,
      redirectedFrom: d.redirectedFrom ?? null,
      attempts: d.attempts,
      lastError: d.lastError ?? null,
      statuses: statuses
        .filter((s) => s.deliveryId === d.id && (s.carried || s.code === '13'))
        .map((s) => ({ id: s.id, code: s.code, at: s.createdAt.toISOString(), description: s.description ?? null })),
      deadlines: deadlines?.get(d.id) ?? [],
    })),
    attachments,
    lastError: doc.lastError ?? null,
    recallReason: doc.recallReason ?? null,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** The full view of one document (deliveries, statuses, attachments, and each recipient's deadlines at `clock.now()`). */
export async function loadDocumentView(em: EntityManager, doc: OutgoingDocument, clock?: DeadlineClock): Promise<DocumentView> {
  const { deliveries, agencies, statuses } = await documentViewRows(em, doc.id);
  const files = await attachmentsOf(em, doc.id);
  return documentView(
    doc,
    deliveries,
    new Map(agencies.map((a) => [a.code, a.name])),
    statuses,
    files.map((f) => ({ index: f.index, name: f.name, contentType: f.contentType, size: f.size, sha256: f.sha256, ...pdfSignaturesView(f.pdfSignatures ?? undefined) })),
    clock ? await deliveriesDeadlines(em, clock.calendar, doc, deliveries, clock.now()) : undefined,
  );
}

/** The document's timeline, oldest first. */
export async function documentEvents(em: EntityManager, documentId: string) {
  const rows = await documentEventRows(em, documentId);
  return rows.map((e) => ({
    id: e.id,
    at: e.at.toISOString(),
    type: e.type,
    recipient: e.recipientCode ?? null,
    deliveryId: e.deliveryId ?? null,
    state: e.state ?? null,
    statusCode: e.statusCode ?? null,
    statusId: e.statusId ?? null,
    details: e.details ?? null,
  }));
}

/**
 * What a list of outgoing documents is asked for: a state, words to find (with or without their
 * marks, in the trích yếu, the số/ký hiệu, the recipients' names), dates, type, recipient, series,
 * and where the last page ended (documents.repository.ts).
 */
export type OutgoingQuery = DocumentListQuery;

/** The agency's outgoing documents, newest first: GET /v1/documents and the console's Văn bản đi. */
export async function listOutgoing(em: EntityManager, agencyCode: string, query: OutgoingQuery): Promise<{ items: OutgoingDocument[]; more: boolean }> {
  const rows = await outgoingPage(em, agencyCode, query);
  return { items: rows.slice(0, query.limit), more: rows.length > query.limit };
}
