import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import type { Draft } from './draft.entity.js';
import { assertDraftMove, canMoveDraft, moveDraft } from './states.js';

describe('the way of a draft (NĐ 30: the leader signs, then the văn thư numbers and seals)', () => {
  it('goes draft → approved → issued, and may be withdrawn only before it is issued', () => {
    expect(canMoveDraft('draft', 'approved')).toBe(true);
    expect(canMoveDraft('approved', 'issued')).toBe(true);
    expect(canMoveDraft('draft', 'withdrawn')).toBe(true);
    expect(canMoveDraft('approved', 'withdrawn')).toBe(true);
    // Never numbered before the leader signed; never undone once issued or withdrawn.
    expect(canMoveDraft('draft', 'issued')).toBe(false);
    expect(canMoveDraft('issued', 'withdrawn')).toBe(false);
    expect(canMoveDraft('withdrawn', 'approved')).toBe(false);
    expect(canMoveDraft('approved', 'approved')).toBe(false);
  });

  it('refuses another move with 409 ILLEGAL_TRANSITION, said in Vietnamese with the state’s text', () => {
    const draft = { id: 'd-1', state: 'issued' } as Pick<Draft, 'id' | 'state'>;
    let error: unknown;
    try {
      assertDraftMove(draft, 'issued');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', status: 409 });
    expect((error as DomainError).vi).toBe('Dự thảo đang ở trạng thái "Đã ban hành"; chỉ dự thảo đã được lãnh đạo phê duyệt mới cấp số và ký số được.');
  });

  it('moves the state and the time of the change', () => {
    const draft = { id: 'd-2', state: 'draft', updatedAt: new Date(0) } as Draft;
    const at = new Date('2026-01-05T03:00:00Z');
    moveDraft(draft, 'approved', at);
    expect(draft).toMatchObject({ state: 'approved', updatedAt: at });
  });
});
