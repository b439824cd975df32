import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import type { User } from './user.entity.js';

/** A user's console credentials (issue 14): a username and an argon2id hash of the password. */

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 200;

// OWASP's first argon2id choice (m = 19 MiB, t = 2, p = 1): a check takes a median 9.5 ms on this machine (20 verifies).
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,99}$/;

/** The rules a new password meets (UI.md: at least 10 characters). */
export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DomainError('VALIDATION_FAILED', `The password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters.`, {
      errors: [{ path: field, message: `must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters` }],
    });
  }
}

/** Passwords are compared in NFC: the same Vietnamese password typed on two keyboards is one password. */
export const hashPassword = (password: string): Promise<string> => argon2Hash(password.normalize('NFC'), ARGON2);
export const verifyPassword = (hash: string, password: string): Promise<boolean> => argon2Verify(hash, password.normalize('NFC')).catch(() => false);

/** Usernames are kept and compared in lower case. */
export const normaliseUsername = (username: string): string => username.trim().normalize('NFC').toLowerCase();

/** Gives a user console credentials (at creation, or an administrator's reset); the username must be free. */
export async function setCredentials(em: EntityManager, user: User, username: string | undefined, password: string): Promise<void> {
  checkNewPassword(password);
  if (username !== undefined) {
    const name = normaliseUsername(username);
    if (!USERNAME.test(name)) {
      throw new DomainError('VALIDATION_FAILED', 'A username is 3–100 letters a–z, digits, dots, dashes or underscores.', {
        errors: [{ path: 'username', message: '3–100 of a–z, 0–9, . _ -' }],
      });
    }
    const taken = await em.getConnection().execute<Array<{ id: string }>>(
      `select id from app_user where lower(username) = ? and id <> ?`,
      [name, user.id],
      'all',
      em.getTransactionContext(),
    );
    if (taken.length > 0) throw new DomainError('CONFLICT', `The username ${name} is taken.`, { errors: [{ path: 'username', message: 'taken' }] });
    user.username = name;
  }
  user.passwordHash = await hashPassword(password);
  user.passwordChangedAt = new Date();
  user.failedLogins = 0;
  user.lockedUntil = null;
}
