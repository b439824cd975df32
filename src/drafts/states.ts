import { DomainError } from '../errors.js';
import { DRAFT_STATE_VI } from '../http/problem-messages.js';
import type { Draft, DraftState } from './draft.entity.js';

/**
 * The one writer of a draft's state, and its graph: dự thảo → phê duyệt (the leader's signature) →
 * cấp số và ký số (the agency's). A draft is withdrawn only before it is issued; an issued one is an
 * outgoing document from then on (recall it there).
 */
const NEXT: Readonly<Record<DraftState, readonly DraftState[]>> = {
  draft: ['approved', 'withdrawn'],
  approved: ['issued', 'withdrawn'],
  issued: [],
  withdrawn: [],
};

/** What each move is called, for the refusal of a move the graph does not have. */
const ACTION: Readonly<Record<DraftState, { en: string; vi: string; from: string; fromVi: string }>> = {
  draft: { en: 'put back', vi: 'đưa về dự thảo', from: 'none', fromVi: '' },
  approved: { en: 'approved', vi: 'phê duyệt', from: 'a draft waiting for approval', fromVi: 'dự thảo đang chờ phê duyệt' },
  issued: { en: 'issued', vi: 'cấp số và ký số', from: 'an approved draft', fromVi: 'dự thảo đã được lãnh đạo phê duyệt' },
  withdrawn: { en: 'withdrawn', vi: 'hủy', from: 'a draft not yet issued', fromVi: 'dự thảo chưa ban hành' },
};

export const canMoveDraft = (from: DraftState, to: DraftState): boolean => NEXT[from].includes(to);

/** 409 ILLEGAL_TRANSITION unless the draft may move to `to`. */
export function assertDraftMove(draft: Pick<Draft, 'id' | 'state'>, to: DraftState): void {
  if (canMoveDraft(draft.state, to)) return;
  const action = ACTION[to];
  throw new DomainError('ILLEGAL_TRANSITION', `The draft ${draft.id} is ${draft.state}; only ${action.from} can be ${action.en}.`, {
    vi: `Dự thảo đang ở trạng thái "${DRAFT_STATE_VI[draft.state]}"; chỉ ${action.fromVi} mới ${action.vi} được.`,
  });
}

/** Moves a draft along the graph (the caller holds its row lock). */
export function moveDraft(draft: Draft, to: DraftState, at: Date): void {
  assertDraftMove(draft, to);
  draft.state = to;
  draft.updatedAt = at;
}
