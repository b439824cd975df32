import type { DigestEntry, ReminderDetails, ReminderSide, ReminderType } from './reminder.entity.js';

/**
 * The Vietnamese words of reminders: the headline (console, e-mail subject, webhook `title`) and the
 * e-mail body. Pure functions of what the reminder row holds, so a retry writes the same e-mail.
 */

const VIETNAM_OFFSET_MS = 7 * 3_600_000;
/** Headlines stay readable in a mail client's list; trích yếu may be 500 characters. */
const MAX_SUBJECT_CHARS = 160;

/** `17:00 ngày 31/12/2026`: an instant on the Vietnam wall clock. */
export function vietnameseTime(at: Date | string): string {
  const local = new Date(new Date(at).getTime() + VIETNAM_OFFSET_MS).toISOString();
  return `${local.slice(11, 16)} ngày ${vietnameseDay(local.slice(0, 10))}`;
}

/** `31/12/2026` for `2026-12-31`. */
export const vietnameseDay = (day: string): string => day.split('-').reverse().join('/');

const shorten = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);

/** What the deadline is, as the headline says it: "vào sổ" (registration, NĐ 30/2020 Điều 22) or "xử lý". */
const DEADLINE_WORD: Record<'registration' | 'processing', string> = { registration: 'vào sổ', processing: 'xử lý' };

/** "Sắp đến hạn xử lý", "Quá hạn vào sổ"… */
export function deadlinePhrase(type: 'due_soon' | 'overdue', kind: 'registration' | 'processing'): string {
  return `${type === 'due_soon' ? 'Sắp đến hạn' : 'Quá hạn'} ${DEADLINE_WORD[kind]}`;
}

export interface DeadlineHeadline {
  type: 'due_soon' | 'overdue';
  deadlineKind: 'registration' | 'processing';
  side: ReminderSide;
  documentCode: string;
  documentSubject: string;
  counterpart: { code: string; name: string | null };
}

/**
 * `Quá hạn xử lý: 12/CT-UBND — Về việc …`; the sender's own reminder names the recipient after the
 * number, since one document goes to many: `Quá hạn xử lý: 12/CT-UBND (UBND xã Bình An) — Về việc …`.
 */
export function deadlineTitle(h: DeadlineHeadline): string {
  const who = h.side === 'sender' ? ` (${h.counterpart.name ?? h.counterpart.code})` : '';
  return `${deadlinePhrase(h.type, h.deadlineKind)}: ${h.documentCode}${who} — ${shorten(h.documentSubject, MAX_SUBJECT_CHARS)}`;
}

/** `Tổng hợp hạn xử lý ngày 08/12/2026: 2 quá hạn, 1 sắp đến hạn`. */
export function digestTitle(day: string, counts: { dueSoon: number; overdue: number }): string {
  return `Tổng hợp hạn xử lý ngày ${vietnameseDay(day)}: ${counts.overdue} quá hạn, ${counts.dueSoon} sắp đến hạn`;
}

/** The e-mail subject: the headline behind the service's tag, on one line. */
export const mailSubject = (title: string): string => `[lienthong] ${title}`.replace(/[\r\n]+/g, ' ');

/** "quá hạn 3 ngày làm việc", "đã quá hạn", "sắp đến hạn". */
function stateText(state: 'due_soon' | 'overdue', overdueWorkingDays: number): string {
  if (state === 'due_soon') return 'sắp đến hạn';
  return overdueWorkingDays > 0 ? `quá hạn ${overdueWorkingDays} ngày làm việc` : 'đã quá hạn';
}

const FOOTER = ['', '—', 'Thư tự động của hệ thống liên thông văn bản (lienthong); xin đừng trả lời thư này.'];

export interface MailInput {
  type: ReminderType;
  deadlineKind: string | null;
  side: ReminderSide | null;
  agencyName: string;
  due: Date | null;
  digestDay: string | null;
  title: string;
  details: ReminderDetails;
}

/** The plain-text body of a reminder's e-mail. */
export function mailBody(r: MailInput): string {
  const lines = [`Kính gửi văn thư ${r.agencyName},`, ''];
  if (r.type === 'digest') {
    lines.push(...digestLines(r));
  } else {
    const d = r.details;
    const kind = (r.deadlineKind ?? 'processing') as 'registration' | 'processing';
    lines.push(
      r.side === 'sender'
        ? `Văn bản ${d.documentCode ?? ''} do cơ quan gửi tới ${d.counterpart?.name ?? d.counterpart?.code ?? ''} ${r.type === 'due_soon' ? 'sắp đến hạn' : 'đã quá hạn'} ${DEADLINE_WORD[kind]} tại nơi nhận.`
        : `Văn bản ${d.documentCode ?? ''} của ${d.counterpart?.name ?? d.counterpart?.code ?? ''} ${r.type === 'due_soon' ? 'sắp đến hạn' : 'đã quá hạn'} ${DEADLINE_WORD[kind]}.`,
      '',
      `Số/ký hiệu: ${d.documentCode ?? ''}`,
      `Trích yếu: ${d.documentSubject ?? ''}`,
      `${r.side === 'sender' ? 'Nơi nhận' : 'Cơ quan gửi'}: ${d.counterpart?.name ?? ''} (${d.counterpart?.code ?? ''})`,
      `Hạn ${DEADLINE_WORD[kind]}: ${r.due ? vietnameseTime(r.due) : ''}`,
      `Tình trạng: ${stateText(r.type, d.overdueWorkingDays ?? 0)}.`,
    );
    if (d.link) lines.push('', `Xem văn bản: ${d.link}`);
  }
  return [...lines, ...FOOTER].join('\n');
}

function digestLines(r: MailInput): string[] {
  const entries = r.details.entries ?? [];
  const counts = r.details.counts ?? { dueSoon: 0, overdue: 0 };
  const lines = [`Tình hình hạn xử lý văn bản ngày ${vietnameseDay(r.digestDay ?? '')}: ${counts.overdue} quá hạn, ${counts.dueSoon} sắp đến hạn.`];
  const section = (side: ReminderSide, heading: string) => {
    const mine = entries.filter((e) => e.side === side);
    if (!mine.length) return;
    lines.push('', heading);
    for (const e of mine) lines.push(`- ${digestLine(e)}`);
  };
  section('recipient', 'Văn bản đến:');
  section('sender', 'Văn bản đi (theo dõi nơi nhận):');
  if (r.details.more) lines.push('', `… và ${r.details.more} văn bản khác.`);
  if (r.details.link) lines.push('', `Xem trên hệ thống: ${r.details.link}`);
  return lines;
}

/** `12/CT-UBND (UBND xã Bình An) — V/v … — hạn xử lý 17:00 ngày 31/12/2026 — quá hạn 3 ngày làm việc`. */
export function digestLine(e: DigestEntry): string {
  const who = e.side === 'sender' ? ` (${e.counterpart.name ?? e.counterpart.code})` : '';
  return `${e.documentCode}${who} — ${shorten(e.documentSubject, MAX_SUBJECT_CHARS)} — hạn ${DEADLINE_WORD[e.deadlineKind]} ${vietnameseTime(e.due)} — ${stateText(e.state, e.overdueWorkingDays)}`;
}
