import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Secrets } from '../crypto/secret-box.js';
import { findPartner } from '../directory/directory.repository.js';
import type { Partner } from '../directory/partner.entity.js';
import { DomainError } from '../errors.js';
import { AXIS_SIGNED_HEADERS, axisSignatureMatches, axisSigner, type SignInput } from '../transport/axis-signing.js';
import type { HubSystem } from './hub-system.entity.js';
import { findHubSystem, takeSignature, touchHubSystem } from './hub.repository.js';

/**
 * Authentication of the axis SDK's requests (AXIS.md): every request carries `systemid`, a timestamp
 * and HMAC-SHA256 values over the call, its headers and the hash of its body, made with the system's
 * secret by the scheme the system is registered with (src/transport/axis-signing.ts, the same
 * functions the outbound adapter signs with). A request is accepted when:
 *  1. its system is known and its partner active — asked of the headers, before the body is read;
 *  2. its timestamp is within ±clockSkewSeconds of this node's clock;
 *  3. the scheme, given the same input and the system's secret, makes the same headers;
 *  4. its signature was never taken before (PostgreSQL, across api processes): a replay within the
 *     window is refused, and outside it step 2 refuses it.
 * Every refusal is UNAUTHENTICATED (401, the SDK's "wrong credentials").
 */

export interface HubCaller {
  system: HubSystem;
  /** The pull partner the system acts through: its agencies, its pull list, its receipts. */
  partner: Partner;
  timestamp: string;
  at: Date;
}

export interface HubAuthOptions {
  secrets: Secrets;
  clockSkewSeconds: number;
}

type HeaderOf = (name: string) => string | undefined;

const refuse = (detail: string) => new DomainError('UNAUTHENTICATED', detail);

/**
 * The timestamp a request was signed at: ISO 8601 with its zone (what the SDK's clients send), or
 * Unix time in seconds or milliseconds. A time without a zone is refused: it means a different
 * instant on each side.
 */
export function parseTimestamp(value: string): Date | null {
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000);
  if (/^\d{13}$/.test(value)) return new Date(Number(value));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** Steps 1 and 2, from the headers alone: who claims to call, and whether the claim is fresh. */
export async function identifyCaller(em: EntityManager, header: HeaderOf, options: HubAuthOptions, now = new Date()): Promise<HubCaller> {
  const systemId = header('systemid');
  const timestamp = header('timestamp');
  if (!systemId || !timestamp) throw refuse('An axis call carries the headers systemid, timestamp and its signature (AXIS.md).');
  const system = systemId.length <= 100 ? await findHubSystem(em, systemId) : null;
  if (!system) throw refuse(`Unknown system ${systemId.slice(0, 100)}: an administrator registers it with POST /v1/hub-systems.`);
  const partner = await findPartner(em, system.partnerId);
  if (!partner?.active) throw refuse(`System ${system.id} acts through partner ${system.partnerId}, which is not active.`);
  const at = parseTimestamp(timestamp);
  if (!at) throw refuse('The timestamp header is not a time (ISO 8601 with its zone, or Unix seconds or milliseconds).');
  const drift = Math.round((at.getTime() - now.getTime()) / 1000);
  if (Math.abs(drift) > options.clockSkewSeconds) {
    throw refuse(`The request was signed ${Math.abs(drift)} s ${drift < 0 ? 'ago' : 'ahead of this node’s clock'}; at most ${options.clockSkewSeconds} s are accepted.`);
  }
  return { system, partner, timestamp, at };
}

/**
 * Steps 3 and 4: the signature over the call and its body, taken once. The path signed is the call's
 * (`/sendEdoc`), as a DMS signs it for the axis whatever its base URL; the path of the URL it called
 * (prefix included) is accepted too, for clients that sign the URL's path.
 */
export async function verifyCaller(
  em: EntityManager,
  caller: HubCaller,
  request: { method: string; callPath: string; urlPath: string; header: HeaderOf; body: Buffer },
  options: HubAuthOptions,
): Promise<void> {
  const signer = axisSigner(caller.system.signing);
  if (!signer) throw refuse(`System ${caller.system.id} names an unknown signing scheme ${caller.system.signing}.`);
  const key = { systemId: caller.system.id, secret: options.secrets.open(caller.system.secretEncrypted) };
  const headers = Object.fromEntries(AXIS_SIGNED_HEADERS.flatMap((name) => (request.header(name) === undefined ? [] : [[name, request.header(name)!]])));
  const input = (path: string): SignInput => ({
    method: request.method.toUpperCase(),
    path,
    headers,
    bodySha256: createHash('sha256').update(request.body).digest('hex'),
    timestamp: caller.timestamp,
  });
  const paths = request.urlPath === request.callPath ? [request.callPath] : [request.callPath, request.urlPath];
  const signed = paths.find((path) => axisSignatureMatches(signer, key, input(path), request.header));
  if (!signed) throw refuse(`The signature does not match this request (scheme ${caller.system.signing}, system ${caller.system.id}).`);
  // The key of the replay cache: the authentication headers as received (they matched).
  const presented = Object.keys(signer(key, input(signed)))
    .sort()
    .map((name) => `${name}:${request.header(name) ?? ''}`)
    .join('\n');
  const hash = createHash('sha256').update(presented).digest('hex');
  const expiresAt = new Date(caller.at.getTime() + options.clockSkewSeconds * 1000);
  if (!(await takeSignature(em, caller.system.id, hash, expiresAt))) {
    throw refuse('This signed request was received before (a replay): each request is signed anew, with its own timestamp.');
  }
  await touchHubSystem(em, caller.system.id);
}
