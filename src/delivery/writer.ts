/**
 * The one writer of a delivery's and an inbox item's state (issue 12, DESIGN.md §4): every change
 * goes through here, and here through the graph of states.ts. Two kinds of change:
 *
 * - `move`: something this node decided (a job delivered, an operator retried, a clerk answered, the
 *   sender recalled). A move the graph refuses is a bug or a race lost to another writer: it throws
 *   409 ILLEGAL_TRANSITION, and the caller's transaction rolls back.
 * - `applyStatus`: a signed status received from the other side (local or remote). It never throws
 *   for the graph: it returns what the status did (statusOutcome), so that the caller records a
 *   refused or crossing status on the timeline and its job ends — a status is a fact that happened
 *   on the other side, not a request that can be retried into a different answer.
 */
import type { Delivery, OutgoingDocument } from './document.entity.js';
import type { InboxItem } from './inbox.entity.js';
import { arrivalNumberIn } from './arrival-number.js';
import { assertDocumentMove, assertTransition, statusOutcome, type DeliveryState, type StatusCode, type StatusOutcome } from './states.js';

/** What both a delivery (sender's side) and an inbox item (recipient's side) carry of their state. */
type Stateful = Pick<Delivery, 'state' | 'statusCode' | 'statusAt'> | Pick<InboxItem, 'state' | 'statusCode' | 'statusAt'>;

const what = (target: Stateful): string => ('recipientCode' in target ? 'delivery' : 'inbox item');

/**
 * Moves `target` to `to` (no-op when it is there already), or throws 409 ILLEGAL_TRANSITION. With
 * a status code, the code and its time are recorded too.
 */
export function move(target: Stateful, to: DeliveryState, status?: { code: StatusCode | null; at: Date }): void {
  if (target.state === to) return;
  assertTransition(target.state, to, what(target));
  target.state = to;
  if (status) {
    target.statusCode = status.code;
    target.statusAt = status.at;
  }
  // A status from the other side supersedes a transport error from an earlier attempt.
  if (status && 'lastError' in target) (target as { lastError: string | null }).lastError = null;
}

/**
 * Applies a received status `code` (signed at `at`) to `target` through the graph and returns what
 * it did. Only `move` changes the state; the caller records `keep` and `refuse` with their reason.
 * A 03 the graph does not refuse also gives the sender's delivery the recipient's số đến, from the
 * signed Description: a 03 crossing a recall keeps the state but the number was given all the same.
 */
export function applyStatus(target: Stateful, code: StatusCode, at: Date, description?: string | null): StatusOutcome {
  const outcome = statusOutcome(target.state, code);
  if (outcome.kind === 'move') move(target, outcome.to, { code, at });
  if (code === '03' && outcome.kind !== 'refuse' && 'recipientCode' in target) {
    const number = arrivalNumberIn(description);
    if (number !== null) (target as Delivery).arrivalNumber = number;
  }
  return outcome;
}

/** The timeline event type of a status applied on the sender's side, by outcome. */
export function statusEventType(outcome: StatusOutcome): 'status' | 'status.kept' | 'status.refused' {
  return outcome.kind === 'keep' ? 'status.kept' : outcome.kind === 'refuse' ? 'status.refused' : 'status';
}

/**
 * Moves an outgoing document (a managed row, locked by the caller) to `to` along its graph
 * (states.ts assertDocumentMove), or throws 409 ILLEGAL_TRANSITION.
 */
export function moveDocument(doc: Pick<OutgoingDocument, 'state'>, to: OutgoingDocument['state']): void {
  assertDocumentMove(doc.state, to);
  doc.state = to;
}
