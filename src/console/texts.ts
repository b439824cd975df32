import type { DeliveryState } from '../delivery/states.js';
import type { DocumentState } from '../delivery/document.entity.js';

/** What a person reads in the console (UI.md "State texts"): one place for every page. */

export const DELIVERY_STATE_TEXT: Record<DeliveryState, string> = {
  pending: 'Đang gửi',
  sending: 'Đang gửi',
  arrived: 'Đã đến',
  refused: 'Từ chối',
  accepted: 'Đã tiếp nhận',
  assigned: 'Đã phân công',
  processing: 'Đang xử lý',
  completed: 'Hoàn thành',
  recall_requested: 'Đề nghị thu hồi',
  recalled: 'Đã thu hồi',
  recall_refused: 'Từ chối thu hồi',
  failed: 'Gửi lỗi',
};

export const DOCUMENT_STATE_TEXT: Record<DocumentState, string> = {
  queued: 'Đang gửi',
  signed: 'Đang gửi',
  sent: 'Đã gửi',
  recalled: 'Đã thu hồi',
  failed: 'Gửi lỗi',
};

/** A CSS class per state, for the colour of its badge (never the only carrier of meaning: the text is there). */
export function stateTone(state: DeliveryState | DocumentState): 'ok' | 'wait' | 'bad' | 'done' {
  switch (state) {
    case 'accepted':
    case 'assigned':
    case 'processing':
    case 'arrived':
    case 'sent':
      return 'ok';
    case 'completed':
    case 'recalled':
      return 'done';
    case 'refused':
    case 'failed':
    case 'recall_refused':
      return 'bad';
    default:
      return 'wait';
  }
}

/** edXML Priority (QCVN 102:2016): 0 thường … 4 hỏa tốc hẹn giờ. */
export const PRIORITY_TEXT = ['Thường', 'Khẩn', 'Thượng khẩn', 'Hỏa tốc', 'Hỏa tốc hẹn giờ'] as const;
export const priorityText = (p: number): string => PRIORITY_TEXT[p] ?? PRIORITY_TEXT[0];

const VN = 'Asia/Ho_Chi_Minh';
const dateFormat = new Intl.DateTimeFormat('en-GB', { timeZone: VN, day: '2-digit', month: '2-digit', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: VN, hour: '2-digit', minute: '2-digit', hour12: false });

/** dd/MM/yyyy in Vietnam time. */
export const vnDate = (at: Date | string): string => dateFormat.format(new Date(at));
/** HH:mm dd/MM/yyyy in Vietnam time. */
export const vnDateTime = (at: Date | string): string => `${timeFormat.format(new Date(at))} ${dateFormat.format(new Date(at))}`;
/** A calendar date YYYY-MM-DD (no time zone) as dd/MM/yyyy. */
export const vnDay = (day: string): string => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : day;
};

/** File sizes the way a clerk reads them. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`;
}

/** An edXML date `yyyy/MM/dd` (or ISO `yyyy-MM-dd`) as dd/MM/yyyy. */
export const edxmlDay = (day: string): string => vnDay(day.replace(/\//g, '-'));

/** Roles of a user (directory `roles`), as an agency names them. */
export const ROLE_TEXT: Record<'clerk' | 'signer' | 'admin', string> = { clerk: 'Văn thư', signer: 'Lãnh đạo', admin: 'Quản trị' };

/** Administrative levels of an agency (directory `level`). */
export const LEVEL_TEXT: Record<'province' | 'department' | 'district' | 'commune' | 'other', string> = {
  province: 'Cấp tỉnh',
  department: 'Sở, ban, ngành',
  district: 'Cấp huyện',
  commune: 'Cấp xã',
  other: 'Khác',
};

/** The verdict on a PDF's legal signatures as a văn thư reads it (issue 17). Never says "hợp lệ": that word is the package signature's (UI.md). */
export const PDF_PROBLEM_TEXT: Record<string, string> = {
  'no-signature': 'Tệp PDF không có chữ ký số',
  'no-person-signature': 'Thiếu chữ ký số của người có thẩm quyền',
  'no-agency-signature': 'Thiếu chữ ký số của cơ quan',
  'agency-before-person': 'Cơ quan ký trước người có thẩm quyền',
  'agency-mismatch': 'Chữ ký số cơ quan không phải của cơ quan gửi',
  'invalid-signature': 'Có chữ ký số bị lỗi',
  'not-a-pdf': 'Tệp không đọc được như một tệp PDF',
  'file-too-large': 'Tệp quá lớn để kiểm tra chữ ký',
  'too-many-signatures': 'Tệp có quá nhiều chữ ký để kiểm tra',
  'digest-mismatch': 'tệp bị sửa sau khi ký',
  'bad-signature': 'chữ ký không khớp với chứng thư',
  'untrusted-chain': 'chứng thư không do tổ chức được tin cậy cấp',
  expired: 'chứng thư hết hạn khi ký',
  'key-usage': 'chứng thư không dùng để ký số',
  'content-changed-after-signing': 'nội dung bị thay đổi sau khi ký',
  'annotations-changed-after-signing': 'có chú thích thêm sau khi ký',
  'form-fields-changed-after-signing': 'có trường biểu mẫu sửa sau khi ký',
};

/** Who signed, as the console names the role. */
export const PDF_ROLE_TEXT: Record<string, string> = { person: 'người có thẩm quyền', agency: 'cơ quan', timestamp: 'dấu thời gian' };

/** What a directory sync found (issue 19), in words: only the kinds it found; "không có khác biệt" when none. */
export function syncCountsText(c: { new: number; renamed: number; moved: number; closed: number; absent?: number; errors?: number }): string {
  const parts = [
    c.new ? `${c.new} cơ quan mới` : '',
    c.renamed ? `${c.renamed} cơ quan đổi tên` : '',
    c.moved ? `${c.moved} cơ quan đổi cấp trên hoặc cấp` : '',
    c.closed ? `${c.closed} cơ quan ngừng hoạt động` : '',
    c.absent ? `${c.absent} cơ quan không còn trong danh mục của trục` : '',
    c.errors ? `${c.errors} dòng không dùng được` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'không có khác biệt';
}
