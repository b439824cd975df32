import type { Language } from './language.js';

/**
 * The fields of the API's inputs in plain words, in English and Vietnamese, for validation messages
 * (issue 15: "every validation error names the field in plain words"). Keys are dotted paths as in
 * problem+json `errors[].path`, with `*` for a list index; `{1}`, `{2}` in a label stand for the
 * 1-based positions of those indexes (`to.2` → "recipient 3" / "nơi nhận thứ 3"). Labels start in
 * lower case: messages capitalise them where a sentence starts.
 *
 * The same name means different things in different requests (`code` is an agency's code, a group's,
 * or a status), so each kind of request has its own section, looked up before COMMON.
 */
export type FieldLabel = Readonly<Record<Language, string>>;
type Dictionary = Readonly<Record<string, FieldLabel>>;

const STAFF: Dictionary = {
  staff: { en: 'staff member', vi: 'cán bộ xử lý' },
  'staff.department': { en: "staff member's department", vi: 'đơn vị của cán bộ xử lý' },
  'staff.name': { en: "staff member's name", vi: 'họ tên cán bộ xử lý' },
  'staff.email': { en: "staff member's email", vi: 'email của cán bộ xử lý' },
  'staff.mobile': { en: "staff member's mobile number", vi: 'số điện thoại di động của cán bộ xử lý' },
};

/** POST /v1/documents (JSON body or multipart `metadata`), /update, /replace, /recall (documents.schemas.ts, documents.routes.ts). */
const DOCUMENT: Dictionary = {
  type: { en: 'document type', vi: 'loại văn bản' },
  notation: { en: 'notation (ký hiệu)', vi: 'ký hiệu' },
  subject: { en: 'subject', vi: 'trích yếu' },
  content: { en: 'summary', vi: 'nội dung tóm tắt' },
  promulgation: { en: 'promulgation', vi: 'thông tin ban hành' },
  'promulgation.place': { en: 'place of issue', vi: 'địa danh ban hành' },
  'promulgation.date': { en: 'date of issue', vi: 'ngày ban hành' },
  signer: { en: 'signer', vi: 'người ký' },
  'signer.fullName': { en: "signer's full name", vi: 'họ tên người ký' },
  'signer.position': { en: "signer's position", vi: 'chức vụ người ký' },
  'signer.competence': { en: "signer's authority (TM., KT., …)", vi: 'thẩm quyền ký (TM., KT., …)' },
  priority: { en: 'urgency', vi: 'độ khẩn' },
  confidentiality: { en: 'confidentiality', vi: 'độ mật' },
  steeringType: { en: 'steering type', vi: 'loại chỉ đạo' },
  dueDate: { en: 'due date', vi: 'hạn xử lý' },
  to: { en: 'recipient list', vi: 'danh sách nơi nhận' },
  'to.*': { en: 'recipient {1}', vi: 'nơi nhận thứ {1}' },
  toPlaces: { en: '"Nơi nhận" list', vi: 'danh sách "Nơi nhận"' },
  'toPlaces.*': { en: '"Nơi nhận" line {1}', vi: 'dòng "Nơi nhận" thứ {1}' },
  responseFor: { en: 'list of documents answered', vi: 'danh sách văn bản được trả lời' },
  'responseFor.*': { en: 'answered document {1}', vi: 'văn bản được trả lời thứ {1}' },
  'responseFor.*.organId': { en: 'agency code of answered document {1}', vi: 'mã cơ quan của văn bản được trả lời thứ {1}' },
  'responseFor.*.documentId': { en: 'DocumentId of answered document {1}', vi: 'mã văn bản (DocumentId) của văn bản được trả lời thứ {1}' },
  'responseFor.*.code': { en: 'number and notation of answered document {1}', vi: 'số, ký hiệu của văn bản được trả lời thứ {1}' },
  'responseFor.*.promulgationDate': { en: 'date of issue of answered document {1}', vi: 'ngày ban hành của văn bản được trả lời thứ {1}' },
  ...STAFF,
  attachments: { en: 'attachment list', vi: 'danh sách tệp đính kèm' },
  'attachments.*': { en: 'attachment {1}', vi: 'tệp đính kèm thứ {1}' },
  'attachments.*.name': { en: 'file name of attachment {1}', vi: 'tên tệp đính kèm thứ {1}' },
  'attachments.*.contentType': { en: 'file type of attachment {1}', vi: 'kiểu tệp đính kèm thứ {1}' },
  'attachments.*.contentBase64': { en: 'content (base64) of attachment {1}', vi: 'nội dung (base64) của tệp đính kèm thứ {1}' },
  reason: { en: 'reason', vi: 'lý do' },
  metadata: { en: 'metadata part', vi: 'phần metadata' },
  'messageHeader.code.codeNumber': { en: 'number in the package (CodeNumber)', vi: 'số văn bản trong gói tin (CodeNumber)' },
  state: { en: 'state', vi: 'trạng thái' },
  recipient: { en: 'recipient', vi: 'nơi nhận' },
};

/** POST /v1/inbox/{id}/status (StatusInput of inbox.routes.ts) and the inbox list. */
const STATUS: Dictionary = {
  code: { en: 'status code', vi: 'mã trạng thái' },
  description: { en: 'description', vi: 'mô tả' },
  ...STAFF,
  state: { en: 'state', vi: 'trạng thái' },
  since: { en: 'start time ("since")', vi: 'mốc thời gian bắt đầu ("since")' },
};

/** POST and PATCH /v1/agencies (AgencyInput, AgencyPatch of directory.schemas.ts) and the list's filters. */
const AGENCY: Dictionary = {
  code: { en: 'agency code', vi: 'mã định danh cơ quan' },
  name: { en: 'agency name', vi: 'tên cơ quan' },
  administrativeUnit: { en: 'administrative unit (địa danh)', vi: 'địa danh' },
  level: { en: 'level', vi: 'cấp' },
  parentCode: { en: 'parent agency code', vi: 'mã cơ quan cấp trên' },
  parent: { en: 'parent agency code', vi: 'mã cơ quan cấp trên' },
  address: { en: 'address', vi: 'địa chỉ' },
  email: { en: 'email', vi: 'email' },
  phone: { en: 'phone number', vi: 'số điện thoại' },
  fax: { en: 'fax number', vi: 'số fax' },
  website: { en: 'website', vi: 'trang thông tin điện tử' },
  endpoint: { en: 'endpoint', vi: 'điểm nhận văn bản' },
  'endpoint.type': { en: 'endpoint type', vi: 'loại điểm nhận văn bản' },
  'endpoint.partnerId': { en: "endpoint's partner id", vi: 'mã đối tác của điểm nhận văn bản' },
  validFrom: { en: 'valid-from date', vi: 'ngày bắt đầu hiệu lực' },
  validTo: { en: 'valid-to date', vi: 'ngày hết hiệu lực' },
  active: { en: 'active flag', vi: 'trạng thái hoạt động' },
  successorCode: { en: 'successor agency code', vi: 'mã cơ quan kế thừa' },
  closedAt: { en: 'closing date', vi: 'ngày ngừng hoạt động' },
  successorCodes: { en: 'successor agency codes', vi: 'danh sách cơ quan kế thừa' },
  'successorCodes.*': { en: 'successor agency code {1}', vi: 'mã cơ quan kế thừa thứ {1}' },
  decision: { en: 'decision', vi: 'quyết định' },
  'decision.number': { en: "decision's number", vi: 'số của quyết định' },
  'decision.date': { en: "decision's date", vi: 'ngày ban hành quyết định' },
  'decision.link': { en: 'link to the decision', vi: 'đường dẫn đến quyết định' },
  redirectClosed: { en: 'redirect to the successor', vi: 'chuyển cho cơ quan kế thừa' },
};

/** POST /v1/groups (GroupInput). */
const GROUP: Dictionary = {
  code: { en: 'group code', vi: 'mã nhóm' },
  name: { en: 'group name', vi: 'tên nhóm' },
  members: { en: 'member list', vi: 'danh sách thành viên' },
  'members.*': { en: 'member {1}', vi: 'thành viên thứ {1}' },
};

/** POST /v1/users (UserInput). */
const USER: Dictionary = {
  agencyCode: { en: 'agency code', vi: 'mã cơ quan' },
  name: { en: "user's name", vi: 'họ tên người dùng' },
  roles: { en: 'role list', vi: 'danh sách vai trò' },
  'roles.*': { en: 'role {1}', vi: 'vai trò thứ {1}' },
  username: { en: 'user name', vi: 'tên đăng nhập' },
  password: { en: 'password', vi: 'mật khẩu' },
  active: { en: 'active flag', vi: 'trạng thái hoạt động' },
};

/** POST and PATCH /v1/partners (PartnerInput, PartnerPatch). */
const PARTNER: Dictionary = {
  id: { en: 'partner id', vi: 'mã đối tác' },
  name: { en: 'partner name', vi: 'tên đối tác' },
  kind: { en: 'partner kind', vi: 'loại đối tác' },
  baseUrl: { en: 'base URL', vi: 'địa chỉ gửi đến (baseUrl)' },
  credentials: { en: 'set of credentials', vi: 'thông tin xác thực' },
  agencies: { en: "partner's agency list", vi: 'danh sách cơ quan của đối tác' },
  'agencies.*': { en: 'agency {1} of the partner', vi: 'cơ quan thứ {1} của đối tác' },
  legacy: { en: 'legacy (SHA-1) mode', vi: 'chế độ tương thích cũ (SHA-1)' },
  mode: { en: 'mode (push or pull)', vi: 'cách trao đổi (push hoặc pull)' },
  maxAttempts: { en: 'maximum number of attempts', vi: 'số lần gửi tối đa' },
  active: { en: 'active flag', vi: 'trạng thái hoạt động' },
};

/** Certificates and trust anchors. */
const CERTIFICATE: Dictionary = {
  certificatePem: { en: 'certificate (PEM)', vi: 'chứng thư số (PEM)' },
  privateKeyPem: { en: 'private key (PEM)', vi: 'khóa bí mật (PEM)' },
  chainPem: { en: 'certificate chain (PEM)', vi: 'chuỗi chứng thư số (PEM)' },
  code: { en: 'agency code', vi: 'mã định danh cơ quan' },
};

/** The archive's chain export and retention. */
const ARCHIVE: Dictionary = {
  agency: { en: 'agency code', vi: 'mã định danh cơ quan' },
  from: { en: 'first record (from)', vi: 'bản ghi đầu (from)' },
  to: { en: 'last record (to)', vi: 'bản ghi cuối (to)' },
  attachmentsDays: { en: 'days attachments are kept', vi: 'số ngày lưu tệp đính kèm' },
};

/** What any request may carry: list queries, path ids, headers. */
const COMMON: Dictionary = {
  '(body)': { en: 'request body', vi: 'nội dung yêu cầu' },
  cursor: { en: 'cursor', vi: 'con trỏ trang (cursor)' },
  limit: { en: 'page size (limit)', vi: 'số mục mỗi trang (limit)' },
  id: { en: 'id', vi: 'mã' },
  code: { en: 'code', vi: 'mã' },
  name: { en: 'name', vi: 'tên' },
  state: { en: 'state', vi: 'trạng thái' },
  'idempotency-key': { en: 'Idempotency-Key header', vi: 'tiêu đề Idempotency-Key' },
};

export const FIELD_SECTIONS = {
  document: DOCUMENT,
  status: STATUS,
  agency: AGENCY,
  group: GROUP,
  user: USER,
  partner: PARTNER,
  certificate: CERTIFICATE,
  archive: ARCHIVE,
} as const;

/** The kind of request whose fields a path names (a section of the dictionary). */
export type FieldSection = keyof typeof FIELD_SECTIONS;

/** Which section a request's fields are read in, from its URL path; none for other routes. */
const SECTION_BY_ROUTE: ReadonlyArray<[RegExp, FieldSection]> = [
  [/^\/v1\/documents(\/|$)/, 'document'],
  [/^\/v1\/inbox(\/|$)/, 'status'],
  [/^\/v1\/agencies\/[^/]+\/certificates(\/|$)|^\/v1\/trust-anchors(\/|$)/, 'certificate'],
  [/^\/v1\/agencies(\/|$)/, 'agency'],
  [/^\/v1\/groups(\/|$)/, 'group'],
  [/^\/v1\/users(\/|$)/, 'user'],
  [/^\/v1\/partners(\/|$)/, 'partner'],
  [/^\/v1\/archive(\/|$)/, 'archive'],
];

export function fieldSectionOf(urlPath: string): FieldSection | undefined {
  return SECTION_BY_ROUTE.find(([re]) => re.test(urlPath))?.[1];
}

/**
 * A field's name in plain words (`signer.fullName` → "signer's full name" / "họ tên người ký"), or
 * undefined when the dictionary does not know the path.
 */
export function knownFieldLabel(path: string, lang: Language, section?: FieldSection): string | undefined {
  const segments = path.split('.');
  const indexes = segments.filter((s) => /^\d+$/.test(s)).map((s) => Number(s) + 1);
  const pattern = segments.map((s) => (/^\d+$/.test(s) ? '*' : s)).join('.');
  const entry = (section ? FIELD_SECTIONS[section][pattern] : undefined) ?? COMMON[pattern];
  if (!entry) return undefined;
  return entry[lang].replace(/\{(\d)\}/g, (_, n: string) => String(indexes[Number(n) - 1] ?? ''));
}

/**
 * A field's name in plain words, or — for a path the dictionary does not know — the path itself,
 * quoted (`"foo.bar"`), so that a message always names the field.
 */
export function fieldLabel(path: string, lang: Language, section?: FieldSection): string {
  return knownFieldLabel(path, lang, section) ?? `"${path}"`;
}
