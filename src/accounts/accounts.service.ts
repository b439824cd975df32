import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { checkNewPassword, hashPassword, normaliseUsername, setCredentials, verifyPassword } from '../directory/credentials.js';
import { UserSchema, type User } from '../directory/user.entity.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { ConsoleSessionSchema } from './session.entity.js';

/**
 * People of an agency log in to the console with a username and a password (issue 14, UI.md):
 * argon2id hashes, a lock-out after repeated wrong passwords, and sessions in PostgreSQL.
 */

/** Wrong passwords in a row before the account is locked, and for how long. */
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MINUTES = 15;
/** A session ends after this long without a request, and in any case this long after login. */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** last_seen_at is written at most this often (not on every page). */
const TOUCH_EVERY_MS = 60 * 1000;

/** A hash of a random password: checking against it costs what a real check costs (no user enumeration by timing). */
let decoyHash: Promise<string> | undefined;
const decoy = () => (decoyHash ??= hashPassword(randomBytes(16).toString('hex')));

export type LoginResult =
  | { ok: true; user: User; session: { cookie: string; csrfToken: string; expiresAt: Date } }
  | { ok: false; reason: 'wrong' | 'locked'; lockedUntil?: Date };

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Checks a username and password. A wrong one counts towards the lock-out; LOCK_AFTER_FAILURES in
 * a row lock the account for LOCK_MINUTES, during which even the right password is refused (and
 * says so). The answer never says which of the two was wrong.
 */
export async function login(em: EntityManager, username: string, password: string, now = new Date()): Promise<LoginResult> {
  const name = normaliseUsername(username);
  return em.transactional(async (tx) => {
    const rows = await tx.getConnection().execute<Array<{ id: string }>>(`select id from app_user where lower(username) = ? for update`, [name], 'all', tx.getTransactionContext());
    const user = rows[0] ? await tx.findOne(UserSchema, { id: rows[0].id }) : null;
    if (!user || !user.active || !user.passwordHash) {
      await verifyPassword(await decoy(), password);
      return { ok: false, reason: 'wrong' };
    }
    if (user.lockedUntil && user.lockedUntil > now) return { ok: false, reason: 'locked', lockedUntil: user.lockedUntil };
    const right = await verifyPassword(user.passwordHash, password);
    if (!right) {
      user.failedLogins += 1;
      if (user.failedLogins >= LOCK_AFTER_FAILURES) {
        user.lockedUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
        user.failedLogins = 0;
        recordAudit(tx, {
          actor: { kind: 'user', id: user.id, agencyCode: user.agencyCode, roles: user.roles },
          action: 'user.locked',
          subjectType: 'user',
          subjectId: user.id,
          agencyCode: user.agencyCode,
          details: { minutes: LOCK_MINUTES },
          requestId: 'console',
        });
        await tx.flush();
        return { ok: false, reason: 'locked', lockedUntil: user.lockedUntil };
      }
      await tx.flush();
      return { ok: false, reason: 'wrong' };
    }
    user.failedLogins = 0;
    user.lockedUntil = null;
    const cookie = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
    tx.create(ConsoleSessionSchema, { idHash: sha256(cookie), userId: user.id, csrfToken, createdAt: now, lastSeenAt: now, expiresAt });
    await tx.flush();
    return { ok: true, user, session: { cookie, csrfToken, expiresAt } };
  });
}

export interface SessionPrincipal {
  principal: Extract<Principal, { kind: 'user' }>;
  csrfToken: string;
  userName: string;
  username: string;
}

/**
 * The user of a session cookie, or undefined when the session is unknown, expired (idle or too old)
 * or its user deactivated. Slides the idle expiry, writing at most once a minute.
 */
export async function resolveSession(em: EntityManager, cookie: string, now = new Date()): Promise<SessionPrincipal | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
  const session = await em.findOne(ConsoleSessionSchema, { idHash: sha256(cookie) });
  if (!session) return undefined;
  if (session.expiresAt <= now || session.createdAt.getTime() + SESSION_MAX_MS <= now.getTime()) {
    await em.nativeDelete(ConsoleSessionSchema, { idHash: session.idHash });
    return undefined;
  }
  const user = await em.findOne(UserSchema, { id: session.userId });
  if (!user || !user.active) return undefined;
  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, session.createdAt.getTime() + SESSION_MAX_MS));
    await em.nativeUpdate(ConsoleSessionSchema, { idHash: session.idHash }, { lastSeenAt: now, expiresAt });
  }
  return {
    principal: { kind: 'user', id: user.id, agencyCode: user.agencyCode, roles: user.roles },
    csrfToken: session.csrfToken,
    userName: user.name,
    username: user.username ?? '',
  };
}

/** Ends one session (logout). */
export async function endSession(em: EntityManager, cookie: string): Promise<void> {
  await em.nativeDelete(ConsoleSessionSchema, { idHash: sha256(cookie) });
}

/** Sessions past their expiry, deleted by the sweep. */
export async function deleteExpiredSessions(em: EntityManager, now = new Date()): Promise<number> {
  return em.nativeDelete(ConsoleSessionSchema, { expiresAt: { $lte: now } });
}

/**
 * Changes a password: an administrator for anyone, or the user itself with its current password
 * (UI.md). The user's other sessions end; `keepSession` (the cookie of the one making the change) stays.
 */
export async function changePassword(
  em: EntityManager,
  actor: Principal,
  userId: string,
  input: { password: string; currentPassword?: string | undefined },
  options: { keepSession?: string; requestId: string },
): Promise<void> {
  const isAdminActor = actor.kind === 'admin' || (actor.kind === 'user' && actor.roles.includes('admin'));
  const self = actor.kind === 'user' && actor.id === userId;
  if (!isAdminActor && !self) throw new DomainError('FORBIDDEN', 'Only an administrator or the user itself may change this password.');
  checkNewPassword(input.password);
  await em.transactional(async (tx) => {
    const user = await tx.findOne(UserSchema, { id: userId });
    if (!user) throw new DomainError('NOT_FOUND', `No user ${userId}.`);
    if (!isAdminActor) {
      const right = user.passwordHash && input.currentPassword !== undefined && (await verifyPassword(user.passwordHash, input.currentPassword));
      if (!right) {
        throw new DomainError('VALIDATION_FAILED', 'The current password is not right.', { errors: [{ path: 'currentPassword', message: 'not right' }] });
      }
    }
    await setCredentials(tx, user, undefined, input.password);
    const keep = options.keepSession ? sha256(options.keepSession) : '';
    await tx.nativeDelete(ConsoleSessionSchema, { userId, idHash: { $ne: keep } });
    recordAudit(tx, {
      actor,
      action: 'user.password-changed',
      subjectType: 'user',
      subjectId: userId,
      agencyCode: user.agencyCode,
      details: { by: self ? 'self' : 'admin' },
      requestId: options.requestId,
    });
    await tx.flush();
  });
}
