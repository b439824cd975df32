/**
 * Bearer tokens of users and partners: how they are made, stored (as SHA-256 only) and resolved to
 * a principal. The edge (src/http/auth.ts) authenticates with the resolver made here.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../http/context.js';
import { findPartnerByTokenHash, findUserByTokenHash } from './directory.repository.js';

/** A new bearer token: 32 random bytes, base64url, with a prefix that makes leaks greppable. */
export function newToken(): string {
  return `lt_${randomBytes(32).toString('base64url')}`;
}

/** The shape of every user and partner token newToken makes: `lt_` and 43 base64url characters. */
const ISSUED_TOKEN = /^lt_[A-Za-z0-9_-]{43}$/;

/** Tokens are stored only as SHA-256 (hex); a database leak does not leak credentials. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Where a token's hash is looked up: the directory (a test counts the lookups). */
export interface TokenLookups {
  user: typeof findUserByTokenHash;
  partner: typeof findPartnerByTokenHash;
}
const DIRECTORY: TokenLookups = { user: findUserByTokenHash, partner: findPartnerByTokenHash };

/**
 * Resolves a token to a principal, or undefined. The bootstrap comparison is constant-time, and
 * made for every token. A token of another shape than newToken's cannot be a user's or partner's:
 * it is refused without a query, so a flood of malformed tokens costs the node no database
 * round trip (issue 11). The shape is no secret; the tokens' values are compared by hash alone.
 */
export async function resolvePrincipal(
  em: EntityManager,
  token: string,
  adminTokenHash: Buffer | undefined,
  lookups: TokenLookups = DIRECTORY,
): Promise<Principal | undefined> {
  const hash = hashToken(token);
  const hashBytes = Buffer.from(hash, 'hex');
  if (adminTokenHash && timingSafeEqual(hashBytes, adminTokenHash)) return { kind: 'admin', id: 'bootstrap' };
  if (!ISSUED_TOKEN.test(token)) return undefined;
  // Lookups go by the SHA-256 of the token: a timing difference can only reveal bits of a hash
  // of a 256-bit random value, which is useless to an attacker.
  const user = await lookups.user(em, hash);
  if (user) return { kind: 'user', id: user.id, agencyCode: user.agencyCode, roles: user.roles };
  const partner = await lookups.partner(em, hash);
  if (partner) return { kind: 'partner', id: partner.id, agencies: partner.agencies };
  return undefined;
}

/** The resolver the edge authenticates with: the bootstrap admin token (if any), then users and partners. */
export function tokenResolver(adminToken: string | undefined): (em: EntityManager, token: string) => Promise<Principal | undefined> {
  const adminTokenHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
  return (em, token) => resolvePrincipal(em, token, adminTokenHash);
}
