import { z } from 'zod';
import { DomainError, type ErrorCode, type FieldError } from '../errors.js';
import { fieldLabel, type FieldSection } from './field-names.js';
import type { Language } from './language.js';
import { capitalise, sentence, zodFieldErrors } from './validation-messages.js';

/**
 * What an error says to a person, in English or Vietnamese (issue 15): the problem+json answers
 * (`Accept-Language: vi`) and the web console (which shows the Vietnamese) read it here. The `code`
 * stays the machine's word; `title`, `detail` and each `errors[].message` are the person's.
 */

/** problem+json `title` in Vietnamese, per stable code (the English ones are in src/errors.ts). */
export const TITLE_VI: Readonly<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'Dữ liệu không hợp lệ',
  UNAUTHENTICATED: 'Chưa xác thực',
  FORBIDDEN: 'Không được phép',
  NOT_FOUND: 'Không tìm thấy',
  CONFLICT: 'Xung đột dữ liệu',
  ILLEGAL_TRANSITION: 'Chuyển trạng thái không hợp lệ',
  SECRET_NOT_ALLOWED: 'Không gửi văn bản mật qua hệ thống này',
  UNKNOWN_RECIPIENT: 'Nơi nhận không xác định',
  AGENCY_CLOSED: 'Cơ quan nhận đã ngừng hoạt động',
  PAYLOAD_TOO_LARGE: 'Dữ liệu quá lớn',
  UNSUPPORTED_MEDIA_TYPE: 'Kiểu nội dung không được hỗ trợ',
  BAD_REQUEST: 'Yêu cầu sai định dạng',
  XML_MALFORMED: 'XML sai cú pháp',
  XML_FORBIDDEN: 'XML chứa cấu trúc bị cấm',
  SIGNATURE_INVALID: 'Chữ ký số không hợp lệ',
  CERTIFICATE_UNTRUSTED: 'Chứng thư số không được tin cậy',
  DUPLICATE_PACKAGE: 'Gói tin trùng lặp',
  DUPLICATE_NUMBER: 'Số đã được dùng trong sổ',
  UNAVAILABLE: 'Dịch vụ tạm thời không sẵn sàng',
  RATE_LIMITED: 'Quá nhiều yêu cầu',
  INTERNAL: 'Lỗi nội bộ',
};

/**
 * What each code means, in a Vietnamese sentence: said where the thrower wrote no Vietnamese detail
 * of its own (DomainError `vi`), followed by the specifics its English detail names (codes, ids).
 */
export const MESSAGE_VI: Readonly<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'Dữ liệu gửi lên không hợp lệ.',
  UNAUTHENTICATED: 'Cần đăng nhập: mã truy cập (token) bị thiếu, sai dạng hoặc không tồn tại.',
  FORBIDDEN: 'Bạn không có quyền thực hiện thao tác này.',
  NOT_FOUND: 'Không tìm thấy nội dung được yêu cầu.',
  CONFLICT: 'Thao tác xung đột với dữ liệu đã có.',
  ILLEGAL_TRANSITION: 'Không thể chuyển sang trạng thái này từ trạng thái hiện tại.',
  SECRET_NOT_ALLOWED: 'Văn bản mật (mật, tối mật, tuyệt mật) không được gửi qua hệ thống này; chỉ chấp nhận độ mật "normal" (thường).',
  UNKNOWN_RECIPIENT: 'Nơi nhận không ứng với cơ quan nào đang hoạt động; không có gì được tạo.',
  AGENCY_CLOSED: 'Cơ quan nhận đã ngừng hoạt động (sáp nhập, chia tách hoặc giải thể); hãy gửi cho cơ quan kế thừa. Không có gì được tạo.',
  PAYLOAD_TOO_LARGE: 'Dữ liệu gửi lên vượt quá giới hạn cho phép.',
  UNSUPPORTED_MEDIA_TYPE: 'Kiểu nội dung không được hỗ trợ: hãy gửi application/json, multipart/form-data hoặc application/xml.',
  BAD_REQUEST: 'Yêu cầu sai định dạng (ví dụ JSON sai cú pháp) hoặc không đọc được trọn vẹn.',
  XML_MALFORMED: 'Gói tin XML sai cú pháp.',
  XML_FORBIDDEN: 'Gói tin XML chứa cấu trúc không được phép (DOCTYPE, thực thể, nhiều phần tử gốc…).',
  SIGNATURE_INVALID: 'Chữ ký số của gói tin không hợp lệ.',
  CERTIFICATE_UNTRUSTED: 'Chứng thư số không được tin cậy hoặc không gắn với cơ quan gửi.',
  DUPLICATE_PACKAGE: 'Gói tin này đã được nhận trước đó.',
  DUPLICATE_NUMBER: 'Số văn bản này đã được dùng trong sổ văn bản đi.',
  UNAVAILABLE: 'Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau ít phút.',
  RATE_LIMITED: 'Có quá nhiều yêu cầu; vui lòng thử lại sau.',
  INTERNAL: 'Đã xảy ra lỗi nội bộ; lỗi đã được ghi lại.',
};

/**
 * The specifics an English detail names and a sentence must keep in any language: agency codes and
 * recipients (`group:…`, `children:…`), DocumentIds, ids, quoted values.
 */
const SPECIFICS =
  /(?:(?:group|children):)?\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}(?:,\d{4}\/\d{2}\/\d{2},[^\s,;)]+)?|(?:group|children):[A-Za-z0-9._-]*[A-Za-z0-9]|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|"[^"\n]{1,80}"/gi;

/** The specifics of an English detail, each once, in order. */
export function specificsOf(detail: string): string[] {
  return [...new Set(detail.match(SPECIFICS) ?? [])];
}

/** A code's Vietnamese sentence, with the specifics of its English detail. */
function codeSentenceVi(code: ErrorCode, englishDetail: string): string {
  const specifics = specificsOf(englishDetail);
  const base = MESSAGE_VI[code];
  return specifics.length ? `${base.replace(/\.$/, '')}: ${specifics.join(', ')}.` : base;
}

/**
 * Field messages thrown before issue 15 as bare English predicates ("required", "no agency X"), in
 * Vietnamese. What is not here is said as "<field> không hợp lệ (<English>)".
 */
const PREDICATES_VI: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^required$/, () => 'là bắt buộc'],
  [/^required for mode push$/, () => 'là bắt buộc với đối tác nhận theo cách push'],
  [/^not a PEM certificate$/, () => 'không phải là chứng thư số dạng PEM'],
  [/^exactly one PEM certificate$/, () => 'phải chứa đúng một chứng thư số dạng PEM'],
  [/^no agency (.+)$/, (m) => `không có cơ quan nào mang mã ${m[1]}`],
  [/^at most (.+)$/, (m) => `tối đa là ${m[1]}`],
  [/^from ≤ to$/, () => 'phải nhỏ hơn hoặc bằng to'],
  [/^not a cursor of this list$/, () => 'không phải là con trỏ của danh sách này; hãy bắt đầu lại không có cursor'],
];

/**
 * A field error's message in `lang`, naming the field. Messages written since issue 15 are sentences
 * in both languages; an older bare predicate ("required") is said after the field's name
 * ("Certificate (PEM): not a PEM certificate").
 */
export function fieldErrorMessage(error: FieldError, lang: Language, section?: FieldSection): string {
  if (lang === 'vi' && error.vi) return error.vi;
  const bare = /^\p{Ll}/u.test(error.message);
  if (lang === 'en') return bare ? `${capitalise(fieldLabel(error.path, 'en', section))}: ${error.message}` : error.message;
  const label = capitalise(fieldLabel(error.path, 'vi', section));
  for (const [re, say] of PREDICATES_VI) {
    const m = re.exec(error.message);
    if (m) return `${label}: ${say(m)}.`;
  }
  return sentence(label, `không hợp lệ (${error.message.replace(/\.$/, '')})`);
}

/** A field error as answered: `{ path, message }` in `lang`. */
export interface LocalisedFieldError {
  path: string;
  message: string;
}

/** How the part of the request that failed is called, in Vietnamese (validationError's `where`). */
const WHERE_VI: Readonly<Record<string, string>> = {
  request: 'yêu cầu',
  'request body': 'nội dung yêu cầu',
  document: 'văn bản',
  query: 'tham số truy vấn',
  param: 'tham số đường dẫn',
  header: 'tiêu đề yêu cầu',
  cookie: 'cookie',
  form: 'biểu mẫu',
};

/** The detail of a 422 listing its field errors: "The document is not valid: Subject is required. …". */
export function validationDetail(errors: readonly FieldError[], where: string, lang: Language, section?: FieldSection): string {
  const messages = errors.map((e) => fieldErrorMessage(e, lang, section)).join(' ');
  if (lang === 'en') return `The ${where} is not valid: ${messages}`;
  return sentence(WHERE_VI[where] ?? 'yêu cầu', `không hợp lệ: ${messages}`);
}

/** The stable code of anything thrown: a DomainError's own, VALIDATION_FAILED for a ZodError, else INTERNAL. */
const codeOf = (error: unknown): ErrorCode => (error instanceof DomainError ? error.code : error instanceof z.ZodError ? 'VALIDATION_FAILED' : 'INTERNAL');

/**
 * The human message of an error in `lang` — the problem+json `detail`:
 * - a DomainError: its detail (English), or the Vietnamese its thrower wrote, else its field errors'
 *   Vietnamese messages (a 422), else its code's Vietnamese sentence with the specifics the English names;
 * - a ZodError (a form checked with one of the API's schemas): every field's message;
 * - anything else: the message of INTERNAL, without internals.
 * `section` names whose field names the messages use (field-names.ts), where the error does not say.
 */
export function problemMessage(error: unknown, lang: Language, section?: FieldSection): string {
  if (error instanceof z.ZodError) return validationDetail(zodFieldErrors(error, { section }), 'request', lang, section);
  if (!(error instanceof DomainError)) return lang === 'vi' ? MESSAGE_VI.INTERNAL : 'An internal error occurred; it has been logged.';
  if (lang === 'en') return error.message;
  if (error.vi) return error.vi;
  if (error.code === 'VALIDATION_FAILED' && error.errors?.length) return validationDetail(error.errors, 'request', 'vi', section);
  return codeSentenceVi(error.code, error.message);
}

/**
 * The field errors of an error in `lang` — problem+json `errors` — each naming its field (`section`:
 * whose field names, see field-names.ts); empty when the error concerns no field.
 */
export function problemFieldErrors(error: unknown, lang: Language, section?: FieldSection): LocalisedFieldError[] {
  const errors = error instanceof z.ZodError ? zodFieldErrors(error, { section }) : error instanceof DomainError ? (error.errors ?? []) : [];
  return errors.map((e) => ({ path: e.path, message: fieldErrorMessage(e, lang, section) }));
}

/** problem+json `title` in `lang`. */
export function problemTitle(error: unknown, lang: Language): string {
  const code = codeOf(error);
  if (lang === 'vi') return TITLE_VI[code];
  return error instanceof DomainError ? error.title : new DomainError(code, '').title;
}

/**
 * The states of a draft (src/drafts) in Vietnamese, as the console shows them and as the drafts'
 * refusals name them (409 ILLEGAL_TRANSITION): dự thảo → phê duyệt (lãnh đạo ký) → cấp số, ký số.
 */
export const DRAFT_STATE_VI: Readonly<Record<'draft' | 'approved' | 'issued' | 'withdrawn', string>> = {
  draft: 'Chờ phê duyệt',
  approved: 'Đã phê duyệt, chờ cấp số',
  issued: 'Đã ban hành',
  withdrawn: 'Đã hủy',
};
