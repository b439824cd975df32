import type { EntityManager } from '@mikro-orm/postgresql';
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../errors.js';
import type { UserRole } from '../directory/user.entity.js';
import { isAdmin, type AppEnv, type Principal } from './context.js';

/** Reads `Authorization: Bearer …` (or HTTP Basic, whose password is the token: for browsers). */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * Resolves a bearer token to a principal, or undefined. The directory knows the tokens; the edge only
 * asks (the runtime hands it the directory's resolver), so the edge does not depend on the directory.
 */
export type TokenResolver = (em: EntityManager, token: string) => Promise<Principal | undefined>;

/**
 * Authenticates the request from its token. With `required`, a request without a valid token is
 * answered 401 here, before anything reads its body; without it, a request with no Authorization
 * header goes on anonymously (routes decide), and a bad token is still 401.
 */
export function authenticate(resolve: TokenResolver, options: { required?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('principal')) return next(); // already authenticated by an earlier middleware
    const header = c.req.header('authorization');
    if (header === undefined && !options.required) return next();
    const token = tokenFromHeader(header);
    const principal = token ? await resolve(c.get('em'), token) : undefined;
    if (!principal) {
      throw new DomainError(
        'UNAUTHENTICATED',
        header === undefined ? 'This endpoint needs `Authorization: Bearer <token>`.' : 'The bearer token is missing, malformed or unknown.',
      );
    }
    c.set('principal', principal);
    await next();
  };
}

/**
 * Route middleware: a role check that runs before the route's validator reads and parses the body
 * (`createRoute({ middleware: [allow(requireAdmin)] })`), so a caller who may not use a route learns
 * 403 without the node parsing what it sent. The handler still takes its typed principal from the
 * same check.
 */
export function allow(check: (principal: Principal | undefined) => unknown): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    check(c.get('principal'));
    await next();
  };
}

/** The caller, or 401. */
export function requirePrincipal(principal: Principal | undefined): Principal {
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'This endpoint needs `Authorization: Bearer <token>`.');
  return principal;
}

/** The caller if node-wide admin, else 401/403. */
export function requireAdmin(principal: Principal | undefined): Principal {
  const p = requirePrincipal(principal);
  if (!isAdmin(p)) throw new DomainError('FORBIDDEN', 'Only an administrator may do this.');
  return p;
}

/** The caller if a user of an agency with one of `roles` (admins pass too), else 401/403. */
export function requireUser(principal: Principal | undefined, roles: UserRole[]): Extract<Principal, { kind: 'user' }> {
  const p = requirePrincipal(principal);
  if (p.kind !== 'user') throw new DomainError('FORBIDDEN', 'Only a user of an agency may do this.');
  if (!p.roles.some((r) => roles.includes(r) || r === 'admin')) {
    throw new DomainError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}.`);
  }
  return p;
}

/** The caller unless it is a partner token (partners reach only the exchange API). */
export function requireUserOrAdmin(principal: Principal | undefined): Principal {
  const p = requirePrincipal(principal);
  if (p.kind === 'partner') throw new DomainError('FORBIDDEN', 'Partner tokens reach only the exchange API.');
  return p;
}
