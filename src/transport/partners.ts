import type { EntityManager } from '@mikro-orm/postgresql';
import type { Secrets } from '../crypto/secret-box.js';
import { PartnerSchema, type Partner } from '../directory/partner.entity.js';
import type { AxisCredentials } from './axis-client.js';
import { TransportError } from './http-client.js';

/** Consecutive transport failures after which a partner is paused. */
export const CIRCUIT_THRESHOLD = 5;
const CIRCUIT_BASE_MS = 30_000;
const CIRCUIT_MAX_MS = 10 * 60_000;

/**
 * A partner we cannot talk to as it is registered (no credentials, no address): trying again cannot
 * help until an operator changes it. Recorded on the partner (`lastError`), never as a circuit failure.
 */
export class PartnerSetupError extends TransportError {
  constructor(partnerId: string, problem: string) {
    super(`partner ${partnerId} ${problem}: change it with PATCH /v1/partners/${partnerId}`, false);
    this.name = 'PartnerSetupError';
  }
}

/** An axis partner's credentials (AXIS.md: a system id and the secret requests are signed with). */
export function axisCredentials(partner: Partner, secrets: Secrets): AxisCredentials {
  const creds = partnerCredentials(partner, secrets);
  const missing = (['systemId', 'secret'] as const).filter((key) => typeof creds[key] !== 'string' || creds[key] === '');
  if (missing.length) throw new PartnerSetupError(partner.id, `has no ${missing.map((k) => `credentials.${k}`).join(' and ')} (the axis signs every request with them)`);
  return creds as unknown as AxisCredentials;
}

/** The partner's outbound credentials, decrypted with the master key. */
export function partnerCredentials(partner: Partner, secrets: Secrets): Record<string, unknown> {
  if (!partner.credentialsEncrypted) return {};
  return JSON.parse(secrets.open(partner.credentialsEncrypted)) as Record<string, unknown>;
}

/**
 * Circuit breaker: a partner that keeps failing is paused (calls fail fast, without touching the
 * network) for 30 s, doubling up to 10 min; the first call after the pause is the probe. State is in
 * PostgreSQL so every worker process sees the same circuit.
 */
export function assertCircuitClosed(partner: Partner, now = new Date()): void {
  if (partner.circuitOpenUntil && partner.circuitOpenUntil > now) {
    throw new TransportError(
      `partner ${partner.id} is paused until ${partner.circuitOpenUntil.toISOString()} after ${partner.consecutiveFailures} failures (last: ${partner.lastError ?? 'unknown'})`,
      true,
    );
  }
}

export async function recordPartnerSuccess(em: EntityManager, partnerId: string): Promise<void> {
  await em.nativeUpdate(
    PartnerSchema,
    { id: partnerId, $or: [{ consecutiveFailures: { $gt: 0 } }, { lastError: { $ne: null } }] },
    { consecutiveFailures: 0, circuitOpenUntil: null, lastError: null, lastErrorAt: null },
  );
}

/**
 * Records what went wrong with a partner other than transport trouble (its registration, an answer
 * we cannot use): shown on GET /v1/partners/{id}, without pausing the partner. True when it differs
 * from the error recorded before, so the caller logs a problem once and not at every poll.
 */
export async function recordPartnerProblem(em: EntityManager, partnerId: string, error: string): Promise<boolean> {
  const message = error.slice(0, 2000);
  const changed = await em.nativeUpdate(PartnerSchema, { id: partnerId, $or: [{ lastError: null }, { lastError: { $ne: message } }] }, { lastError: message, lastErrorAt: new Date() });
  if (!changed) await em.nativeUpdate(PartnerSchema, { id: partnerId }, { lastErrorAt: new Date() });
  return changed > 0;
}

export async function recordPartnerFailure(em: EntityManager, partnerId: string, error: string): Promise<void> {
  await em.transactional(async (tx) => {
    const partner = await tx.findOne(PartnerSchema, { id: partnerId });
    if (!partner) return;
    partner.consecutiveFailures += 1;
    partner.lastError = error.slice(0, 2000);
    partner.lastErrorAt = new Date();
    if (partner.consecutiveFailures >= CIRCUIT_THRESHOLD) {
      const pause = Math.min(CIRCUIT_BASE_MS * 2 ** (partner.consecutiveFailures - CIRCUIT_THRESHOLD), CIRCUIT_MAX_MS);
      partner.circuitOpenUntil = new Date(Date.now() + pause);
    }
  });
}
