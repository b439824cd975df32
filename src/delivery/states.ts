import { DomainError } from '../errors.js';

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

// arrived(01) → accepted(03) → assigned(04) → processing(05) → completed(06); refused(02) from
// arrived; a recall (13) from any delivered state, answered 15 or 16; failed is retried to pending.
const TRANSITIONS: Record<DeliveryState, readonly DeliveryState[]> = {
  pending: ['sending', 'arrived', 'failed'],
  sending: ['arrived', 'failed', 'pending'],
  failed: ['pending'],
  arrived: ['accepted', 'refused', 'recall_requested'],
  accepted: ['assigned', 'recall_requested'],
  assigned: ['processing', 'recall_requested'],
  processing: ['completed', 'recall_requested'],
  completed: ['recall_requested'],
  refused: [],
  recall_requested: ['recalled', 'recall_refused'],
  recalled: [],
  recall_refused: [],
};

export const canMove = (from: DeliveryState, to: DeliveryState): boolean => TRANSITIONS[from].includes(to);

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

/** States after which nothing more is expected from the recipient (for archiving). */
export const FINAL_STATES: readonly DeliveryState[] = ['completed', 'refused', 'recalled', 'recall_refused', 'failed'];

/** States in which the recipient holds the document (a recall can be asked). */
export const DELIVERED_STATES: readonly DeliveryState[] = ['arrived', 'accepted', 'assigned', 'processing', 'completed'];
