/**
 * The delivery graph, every pair of states and every status code (issue 12). The expected graph is
 * written out here a second time, as a table, so that a change to TRANSITIONS shows as a failing
 * row rather than passing by construction.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { DOCUMENT_STATES, type DocumentState } from './document.entity.js';
import { assertDocumentMove, assertTransition, canMove, DELIVERY_STATES, STATUS_CODES, statusOutcome, type DeliveryState, type StatusCode } from './states.js';

// from → the states it may move to. Anything else is refused.
const EXPECTED: Record<DeliveryState, DeliveryState[]> = {
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

const pairs = DELIVERY_STATES.flatMap((from) => DELIVERY_STATES.map((to) => [from, to, EXPECTED[from].includes(to)] as const));

describe('the delivery graph', () => {
  it.each(pairs)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canMove(from, to)).toBe(allowed);
    if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
    else {
      expect(() => assertTransition(from, to)).toThrow(DomainError);
      try {
        assertTransition(from, to);
      } catch (error) {
        expect((error as DomainError).code).toBe('ILLEGAL_TRANSITION');
        expect((error as DomainError).status).toBe(409);
      }
    }
  });

  it('never lets a refused or recalled delivery move again', () => {
    for (const to of DELIVERY_STATES) {
      expect(canMove('refused', to)).toBe(false);
      expect(canMove('recalled', to)).toBe(false);
    }
  });
});

// What each code does in each state: m = moves to the code's state, s = same (already there),
// k = kept on the timeline, state unchanged (a recipient's status crossing a recall), r = refused.
const CODES: StatusCode[] = [...STATUS_CODES];
const OUTCOMES: Record<DeliveryState, string> = {
  //                 01 02 03 04 05 06 13 15 16
  pending: /*      */ 'm  r  r  r  r  r  m  m  r',
  sending: /*      */ 'm  r  r  r  r  r  m  m  r',
  failed: /*       */ 'm  r  r  r  r  r  m  m  r',
  arrived: /*      */ 's  m  m  r  r  r  m  r  r',
  accepted: /*     */ 'r  r  s  m  m  m  m  r  r',
  assigned: /*     */ 'r  r  r  s  m  m  m  r  r',
  processing: /*   */ 'r  r  r  r  s  m  m  r  r',
  completed: /*    */ 'r  r  r  r  r  s  m  r  r',
  refused: /*      */ 'r  s  r  r  r  r  r  r  r',
  recall_requested: 'k  k  k  k  k  k  s  m  m',
  recalled: /*     */ 'r  r  r  r  r  r  r  s  r',
  recall_refused: /**/ 'r  r  m  m  m  m  r  r  s',
};
const KIND = { m: 'move', s: 'same', k: 'keep', r: 'refuse' } as const;

const cells = DELIVERY_STATES.flatMap((state) => {
  const row = OUTCOMES[state].trim().split(/\s+/);
  return CODES.map((code, i) => [state, code, KIND[row[i] as keyof typeof KIND]] as const);
});

describe('what a received status does', () => {
  it('has a row for every state and a column for every code', () => {
    for (const state of DELIVERY_STATES) expect(OUTCOMES[state].trim().split(/\s+/)).toHaveLength(CODES.length);
  });

  it.each(cells)('a delivery %s given %s: %s', (state, code, kind) => {
    const outcome = statusOutcome(state, code);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'keep' || outcome.kind === 'refuse') expect(outcome.reason).toMatch(new RegExp(`status ${code}`));
  });

  it('says what would have been allowed when it refuses', () => {
    const outcome = statusOutcome('refused', '03');
    expect(outcome).toEqual({ kind: 'refuse', reason: 'status 03 (accepted) cannot apply to a delivery that is refused; it is final' });
  });
});

describe("an outgoing document's own graph", () => {
  // Written out a second time, as for the deliveries: queued → signed → sent → recalled; queued → failed.
  const NEXT: Record<DocumentState, DocumentState[]> = { queued: ['signed', 'failed'], signed: ['sent'], sent: ['recalled'], recalled: [], failed: [] };

  it('allows exactly its moves, every other pair is 409 ILLEGAL_TRANSITION', () => {
    for (const from of DOCUMENT_STATES) {
      for (const to of DOCUMENT_STATES) {
        if (NEXT[from].includes(to)) expect(() => assertDocumentMove(from, to)).not.toThrow();
        else {
          try {
            assertDocumentMove(from, to);
            expect.fail(`${from} → ${to} should be refused`);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe('ILLEGAL_TRANSITION');
          }
        }
      }
    }
  });
});
