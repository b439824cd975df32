import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserRole } from '../directory/user.entity.js';

/** Who is calling, resolved from the bearer token. */
export type Principal =
  /** The bootstrap token of LIENTHONG_ADMIN_TOKEN: node-wide admin, no agency. */
  | { kind: 'admin'; id: 'bootstrap' }
  | { kind: 'user'; id: string; agencyCode: string; roles: UserRole[] }
  | { kind: 'partner'; id: string; agencies: string[] };

/** Hono variables of every request. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** This request's own ORM context (STYLE.md: never the global EntityManager). */
    em: EntityManager;
    principal: Principal | undefined;
  };
}

/** Admin means the bootstrap token or a user holding the admin role (node-wide, DESIGN.md §7). */
export const isAdmin = (p: Principal | undefined): boolean =>
  p?.kind === 'admin' || (p?.kind === 'user' && p.roles.includes('admin'));

/** A stable key naming the principal, for idempotency records and audit events. */
export const principalKey = (p: Principal): string => `${p.kind}:${p.id}`;
