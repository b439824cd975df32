import { DomainError } from '../errors.js';
import type { DocumentState } from './document.entity.js';

/**
 * Delivery states (DESIGN.md §4), seen by the sender per recipient and mirrored by the recipient's
 * inbox item. Status codes of QCVN 102 move them; anything not in TRANSITIONS is refused (409).
 */
export const DELIVERY_STATES = [
  'pending',
  'sending',
  'arrived',
  'accepted',
  'assigned',
  'processing',
  'completed',
  'refused',
  'failed',
  'recall_requested',
  'recalled',
  'recall_refused',
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const STATUS_CODES = ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

/** The state a status code leads to. */
export const STATE_OF_CODE: Record<StatusCode, DeliveryState> = {
  '01': 'arrived',
  '02': 'refused',
  '03': 'accepted',
  '04': 'assigned',
  '05': 'processing',
  '06': 'completed',
  '13': 'recall_requested',
  '15': 'recalled',
  '16': 'recall_refused',
};

/** Meaning of each code, as written into status packages (Description when none is given). */
export const CODE_MEANING: Record<StatusCode, string> = {
  '01': 'Đã đến',
  '02': 'Từ chối tiếp nhận',
  '03': 'Đã tiếp nhận, vào sổ văn bản đến',
  '04': 'Đã phân công xử lý',
  '05': 'Đang xử lý',
  '06': 'Đã hoàn thành',
  '13': 'Đề nghị thu hồi văn bản',
  '15': 'Đồng ý thu hồi văn bản',
  '16': 'Từ chối thu hồi văn bản',
};

/**
 * The graph (DESIGN.md §4), complete: every pair of states not listed here is refused.
 *
 * - pending → sending (handed to a partner, or being delivered here) → arrived (its 01);
 *   failed (transport gave up) → pending again by an operator's retry.
 * - A 01 may overtake: pending → arrived; and a late 01 proves arrival after the transport gave up:
 *   failed → arrived.
 * - The recipient's clerk: arrived → accepted (03, số đến) or refused (02); then assigned (04),
 *   processing (05), completed (06), in this order, a step may be skipped (a commune may report 06
 *   without 04), never gone back.
 * - A recall (13) asks every holder: from arrived … completed, and from pending, sending or failed
 *   when an attempt may have reached a partner (the transport cannot always tell) →
 *   recall_requested, answered recalled (15) or recall_refused (16). A delivery the recipient never
 *   got (never attempted, or withdrawn from a pull list before it was fetched) is recalled at once.
 * - After a refused recall the recipient keeps the document and goes on: recall_refused →
 *   accepted … completed.
 * - refused and recalled are final.
 */
const TRANSITIONS: Record<DeliveryState, readonly DeliveryState[]> = {
  pending: ['sending', 'arrived', 'failed', 'recall_requested', 'recalled'],
  sending: ['arrived', 'failed', 'pending', 'recall_requested', 'recalled'],
  failed: ['pending', 'arrived', 'recall_requested', 'recalled'],
  arrived: ['accepted', 'refused', 'recall_requested'],
  accepted: ['assigned', 'processing', 'completed', 'recall_requested'],
  assigned: ['processing', 'completed', 'recall_requested'],
  processing: ['completed', 'recall_requested'],
  completed: ['recall_requested'],
  refused: [],
  recall_requested: ['recalled', 'recall_refused'],
  recalled: [],
  recall_refused: ['accepted', 'assigned', 'processing', 'completed'],
};

export const canMove = (from: DeliveryState, to: DeliveryState): boolean => TRANSITIONS[from].includes(to);

/** The states `from` may move to (for messages and tests). */
export const nextStates = (from: DeliveryState): readonly DeliveryState[] => TRANSITIONS[from];

/** Throws 409 ILLEGAL_TRANSITION naming both states and what would be allowed. */
export function assertTransition(from: DeliveryState, to: DeliveryState, what = 'delivery'): void {
  if (!canMove(from, to)) {
    const allowed = TRANSITIONS[from];
    throw new DomainError(
      'ILLEGAL_TRANSITION',
      `The ${what} is ${from}; it cannot become ${to}. ${allowed.length ? `Allowed next: ${allowed.join(', ')}.` : 'It is final.'}`,
    );
  }
}

/**
 * What a received status does to a delivery (or an inbox item) in `state`:
 * - `move`: the state becomes `to`;
 * - `same`: it is in that state already (the same status again: nothing changes);
 * - `keep`: the status is recorded on the timeline with `reason`, the state stays — a recipient's
 *   01–06 sent before it saw the sender's recall (13) crosses it: the sender learns it (an arrival
 *   number, say) and still waits for 15 or 16;
 * - `refuse`: the graph refuses it; it is recorded on the timeline as refused with `reason`.
 * `keep` and `refuse` both end the work: nothing is retried for ever.
 */
export type StatusOutcome =
  | { kind: 'move'; to: DeliveryState }
  | { kind: 'same' }
  | { kind: 'keep'; reason: string }
  | { kind: 'refuse'; reason: string };

const RECIPIENT_CODES: readonly StatusCode[] = ['01', '02', '03', '04', '05', '06'];

export function statusOutcome(state: DeliveryState, code: StatusCode): StatusOutcome {
  const to = STATE_OF_CODE[code];
  if (state === to) return { kind: 'same' };
  if (canMove(state, to)) return { kind: 'move', to };
  if (state === 'recall_requested' && RECIPIENT_CODES.includes(code)) {
    return { kind: 'keep', reason: `status ${code} was sent before the recipient saw the recall (13); the delivery waits for 15 or 16` };
  }
  const allowed = TRANSITIONS[state];
  return {
    kind: 'refuse',
    reason: `status ${code} (${to}) cannot apply to a delivery that is ${state}; ${allowed.length ? `allowed next: ${allowed.join(', ')}` : 'it is final'}`,
  };
}

/** States after which nothing more is expected from the recipient (for archiving). */
export const FINAL_STATES: readonly DeliveryState[] = ['completed', 'refused', 'recalled', 'recall_refused', 'failed'];

/** States in which the recipient holds the document (a recall can be asked). */
export const DELIVERED_STATES: readonly DeliveryState[] = ['arrived', 'accepted', 'assigned', 'processing', 'completed'];

/**
 * An outgoing document's own state and its graph (its deliveries have theirs, above): queued
 * (numbered, waiting for its packages) → signed (its packages stored) → sent (routed to its
 * recipients) → recalled; queued → failed when its package could not be made. A document the
 * agency's own software signed is created signed.
 */
const DOCUMENT_NEXT: Readonly<Record<DocumentState, readonly DocumentState[]>> = {
  queued: ['signed', 'failed'],
  signed: ['sent'],
  sent: ['recalled'],
  recalled: [],
  failed: [],
};

/**
 * Throws 409 ILLEGAL_TRANSITION unless a document in `from` may become `to`. Every writer of a
 * document's state asks it first (moveDocument in writer.ts; markSigned and markSent, which write
 * the move as SQL from the state they name).
 */
export function assertDocumentMove(from: DocumentState, to: DocumentState): void {
  if (DOCUMENT_NEXT[from].includes(to)) return;
  const allowed = DOCUMENT_NEXT[from];
  throw new DomainError('ILLEGAL_TRANSITION', `The document is ${from}; it cannot become ${to}. ${allowed.length ? `Allowed next: ${allowed.join(', ')}.` : 'It is final.'}`);
}
