import type { EntityManager } from '@mikro-orm/postgresql';
import type { Partner } from '../directory/partner.entity.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { AxisClient } from '../transport/axis-client.js';
import { isReceivedFromAxis } from './exchange.repository.js';
import { ingestPackage } from './ingest.js';
import { assertCircuitClosed, axisCredentials, recordPartnerFailure, recordPartnerProblem, recordPartnerSuccess } from '../transport/partners.js';
import { TransportError } from '../transport/http-client.js';

export interface PollOutcome {
  received: number;
  duplicates: number;
  refused: number;
  statusIds: string[];
}

/** Problems (not transport trouble) that a poll recorded on its partner for the first time, the database said. */
const newProblems = new WeakSet<Error>();

/**
 * Whether a poll's error is a problem this poll recorded on the partner first (recordPartnerProblem
 * changed the row): what the caller logs once. Two polls of the same partner at once (a job retried
 * while its first run still went on) read the same error before, but only one of them changes the row.
 */
export const isNewProblem = (error: Error): boolean => newProblems.has(error);

/**
 * Receiving from the axis is poll, fetch, acknowledge (AXIS.md): list what waits (edoc, then
 * status), fetch each package, store it through the same verified path as the exchange API, then
 * `updateStatus done` — or `fail` with the reason when it does not verify (it never reaches an
 * inbox). A package offered again is recognised (by the axis docId, or by its bytes) and
 * acknowledged again without a second delivery.
 */
export async function pollAxis(em: EntityManager, deps: PipelineDeps, partner: Partner, logger: Logger): Promise<PollOutcome> {
  if (partner.kind !== 'axis' || !partner.baseUrl || !partner.active) return { received: 0, duplicates: 0, refused: 0, statusIds: [] };
  assertCircuitClosed(partner);
  const outcome: PollOutcome = { received: 0, duplicates: 0, refused: 0, statusIds: [] };
  try {
    const client = new AxisClient(partner.baseUrl, axisCredentials(partner, deps.secrets));
    for (const messageType of ['edoc', 'status'] as const) {
      for (const item of await client.receivedList(messageType)) {
        const known = await isReceivedFromAxis(em.fork(), partner.id, item.docId);
        if (known) {
          outcome.duplicates += 1;
          await client.updateStatus(item.docId, 'done');
          continue;
        }
        const bytes = await client.getEdoc(item.docId);
        try {
          const result = await ingestPackage(em.fork(), deps, partner, bytes, { externalId: item.docId });
          if (result.duplicate) outcome.duplicates += 1;
          else outcome.received += 1;
          outcome.statusIds.push(...result.statusIds);
          await client.updateStatus(item.docId, 'done');
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          // The package itself is wrong (signature, certificate, recipient…): tell the axis, keep going.
          outcome.refused += 1;
          logger.warn({ partner: partner.id, docId: item.docId, code: error.code, detail: error.message }, 'axis package refused');
          await client.updateStatus(item.docId, 'fail', `${error.code}: ${error.message}`);
        }
      }
    }
    await recordPartnerSuccess(em.fork(), partner.id);
  } catch (error) {
    // Transport trouble counts towards the circuit breaker; anything else (the partner's registration,
    // an answer we cannot use) is recorded on the partner as it is, for GET /v1/partners/{id}.
    if (error instanceof TransportError && error.retryable) await recordPartnerFailure(em.fork(), partner.id, error.message);
    else if (await recordPartnerProblem(em.fork(), partner.id, error instanceof Error ? error.message : String(error))) {
      if (error instanceof Error) newProblems.add(error);
    }
    throw error;
  }
  return outcome;
}
