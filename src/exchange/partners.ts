import type { EntityManager } from '@mikro-orm/postgresql';
import type { Secrets } from '../crypto/secret-box.js';
import { PartnerSchema, type Partner } from '../directory/partner.entity.js';
import { TransportError } from './http-client.js';

/** Consecutive transport failures after which a partner is paused. */
export const CIRCUIT_THRESHOLD = 5;
const CIRCUIT_BASE_MS = 30_000;
const CIRCUIT_MAX_MS = 10 * 60_000;

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
  await em.nativeUpdate(PartnerSchema, { id: partnerId, consecutiveFailures: { $gt: 0 } }, { consecutiveFailures: 0, circuitOpenUntil: null, lastError: null });
}

export async function recordPartnerFailure(em: EntityManager, partnerId: string, error: string): Promise<void> {
  await em.transactional(async (tx) => {
    const partner = await tx.findOne(PartnerSchema, { id: partnerId });
    if (!partner) return;
    partner.consecutiveFailures += 1;
    partner.lastError = error.slice(0, 2000);
    if (partner.consecutiveFailures >= CIRCUIT_THRESHOLD) {
      const pause = Math.min(CIRCUIT_BASE_MS * 2 ** (partner.consecutiveFailures - CIRCUIT_THRESHOLD), CIRCUIT_MAX_MS);
      partner.circuitOpenUntil = new Date(Date.now() + pause);
    }
  });
}
