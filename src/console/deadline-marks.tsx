import type { ShownDeadline as Deadline } from '../deadlines/deadlines.service.js';
import { vnDate, vnDateTime } from './texts.js';

/**
 * Deadlines as a văn thư reads them (issue 18): the deadline, then where it stands, in words — the
 * colour only repeats what the words say. Worded apart from the state texts of UI.md (no "Hoàn
 * thành", "Từ chối"…): those appear once where a state is shown.
 */

/** Whether the deadline is still to be met (the registration not done, the processing not finished). */
export type Openness = (d: Deadline) => boolean;

/** Open until met (`metAt`). */
export const stillOpen: Openness = (d) => d.metAt === null;

const KIND_TEXT: Record<Deadline['kind'], string> = { registration: 'Hạn vào sổ', processing: 'Hạn xử lý' };

/** The deadline's instant as it is set: a time for the registration (two hours for an urgent one), a day for the processing. */
export const dueText = (d: Deadline): string => (d.kind === 'registration' ? vnDateTime(d.due) : vnDate(d.due));

/** "Quá hạn 3 ngày làm việc", "Sắp đến hạn", "Còn hạn", "Đúng hạn", "Đã xong, trễ 2 ngày làm việc". */
export function deadlineStateText(d: Deadline, open: boolean): string {
  const days = d.overdueWorkingDays > 0 ? ` ${d.overdueWorkingDays} ngày làm việc` : '';
  if (d.state === 'overdue') return open ? `Quá hạn${days}` : `Đã xong, trễ${days || ' hạn'}`;
  if (d.state === 'due_soon') return 'Sắp đến hạn';
  return open ? 'Còn hạn' : 'Đúng hạn';
}

const tone = (d: Deadline, open: boolean): string => (d.state === 'overdue' ? (open ? 'bad' : 'late') : d.state === 'due_soon' ? 'wait' : 'ok');

/** One deadline on a line: "Hạn xử lý: 12/12/2026 — Quá hạn 3 ngày làm việc". */
export function DeadlineLine(props: { deadline: Deadline; open: boolean }) {
  const { deadline: d, open } = props;
  return (
    <span class={`deadline ${tone(d, open)}`}>
      {KIND_TEXT[d.kind]}: {dueText(d)} — <strong>{deadlineStateText(d, open)}</strong>
    </span>
  );
}

/** Where a deadline stands alone, for a page that shows the deadline itself beside it. */
export function DeadlineState(props: { deadline: Deadline; open: boolean }) {
  return (
    <span class={`deadline ${tone(props.deadline, props.open)}`}>
      <strong>{deadlineStateText(props.deadline, props.open)}</strong>
    </span>
  );
}

/** Every deadline of an item or a recipient, one per line; a dash without any. */
export function DeadlineLines(props: { deadlines: readonly Deadline[]; open: Openness }) {
  if (props.deadlines.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="deadlines">
      {props.deadlines.map((d) => (
        <li>
          <DeadlineLine deadline={d} open={props.open(d)} />
        </li>
      ))}
    </ul>
  );
}

/**
 * The one deadline a list row shows: an open overdue one first, then one due soon, then the next
 * one still open; when all are met, the last of them.
 */
export function headlineDeadline(deadlines: readonly Deadline[], open: Openness): Deadline | undefined {
  const openOnes = deadlines.filter(open);
  return (
    openOnes.find((d) => d.state === 'overdue') ??
    openOnes.find((d) => d.state === 'due_soon') ??
    [...openOnes].sort((a, b) => Date.parse(a.due) - Date.parse(b.due))[0] ??
    deadlines.find((d) => d.state === 'overdue') ??
    deadlines.at(-1)
  );
}
