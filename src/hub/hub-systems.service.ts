import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { Secrets } from '../crypto/secret-box.js';
import { findPartner } from '../directory/directory.repository.js';
import type { Partner } from '../directory/partner.entity.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { axisSigner, DEFAULT_AXIS_SIGNING } from '../transport/axis-signing.js';
import { HubSystemSchema, type HubSystem } from './hub-system.entity.js';
import { deleteHubSystem, findHubSystem } from './hub.repository.js';

/** Who acts, and the request it came with, for the audit trail. */
export interface HubActor {
  principal: Principal;
  requestId: string;
}

export interface HubSystemView {
  id: string;
  name: string;
  partnerId: string;
  /** The agencies the system serves: its partner's. */
  agencies: string[];
  signing: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export const hubSystemView = (s: HubSystem, partner: Pick<Partner, 'agencies'> | null): HubSystemView => ({
  id: s.id,
  name: s.name,
  partnerId: s.partnerId,
  agencies: partner?.agencies ?? [],
  signing: s.signing,
  createdAt: s.createdAt.toISOString(),
  lastUsedAt: s.lastUsedAt ? s.lastUsedAt.toISOString() : null,
});

const invalid = (path: string, message: string, detail: string) => new DomainError('VALIDATION_FAILED', detail, { errors: [{ path, message }] });

/**
 * Registers a document system on the hub and answers its secret, once (it is stored sealed with the
 * master key and never shown again). The system acts through a pull partner: its agencies are the
 * partner's, documents for them wait in the partner's pull list.
 */
export async function createHubSystem(
  em: EntityManager,
  actor: HubActor,
  input: { id?: string | undefined; name: string; partnerId: string; signing?: string | undefined },
  secrets: Secrets,
): Promise<HubSystemView & { secret: string }> {
  const signing = input.signing ?? DEFAULT_AXIS_SIGNING;
  if (!axisSigner(signing)) throw invalid('signing', 'not a signing scheme of this node', `No signing scheme ${signing}.`);
  return em.transactional(async (tx) => {
    const partner = await findPartner(tx, input.partnerId);
    if (!partner) throw invalid('partnerId', `no partner ${input.partnerId}`, `No partner ${input.partnerId}: register it first with POST /v1/partners (mode pull).`);
    if (partner.mode !== 'pull') {
      throw invalid(
        'partnerId',
        'must be a pull partner',
        `Partner ${partner.id} is a push partner: a document system polls for what waits for its agencies, so it acts through a partner with mode pull.`,
      );
    }
    const id = input.id ?? `dms-${randomBytes(6).toString('hex')}`;
    if (await findHubSystem(tx, id)) throw new DomainError('CONFLICT', `Hub system ${id} already exists.`);
    const secret = randomBytes(32).toString('base64url');
    const system = tx.create(HubSystemSchema, {
      id,
      name: input.name,
      partnerId: partner.id,
      secretEncrypted: secrets.seal(secret),
      signing,
      createdAt: new Date(),
      lastUsedAt: null,
    });
    recordAudit(tx, {
      actor: actor.principal,
      action: 'hub-system.created',
      subjectType: 'hub-system',
      subjectId: id,
      details: { name: input.name, partnerId: partner.id, signing },
      requestId: actor.requestId,
    });
    await tx.flush();
    return { ...hubSystemView(system, partner), secret };
  });
}

/** Removes a system: its requests are refused from now on (its partner and pull list stay). */
export async function removeHubSystem(em: EntityManager, actor: HubActor, id: string): Promise<void> {
  await em.transactional(async (tx) => {
    const system = await findHubSystem(tx, id);
    if (!system) throw new DomainError('NOT_FOUND', `No hub system ${id}.`);
    await deleteHubSystem(tx, id);
    recordAudit(tx, {
      actor: actor.principal,
      action: 'hub-system.deleted',
      subjectType: 'hub-system',
      subjectId: id,
      details: { partnerId: system.partnerId },
      requestId: actor.requestId,
    });
    await tx.flush();
  });
}
