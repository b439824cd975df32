import type { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it, vi } from 'vitest';
import { hashToken, newToken, resolvePrincipal } from './tokens.js';

/** The directory's token lookups, counted; they find nothing. */
const lookups = vi.hoisted(() => ({ count: 0 }));
vi.mock('./directory.repository.js', () => ({
  findUserByTokenHash: async () => {
    lookups.count += 1;
    return null;
  },
  findPartnerByTokenHash: async () => {
    lookups.count += 1;
    return null;
  },
}));

/** No lookup reaches a database here: the repository is replaced above. */
function countingEm(): { em: EntityManager; lookups: () => number } {
  lookups.count = 0;
  return { em: {} as EntityManager, lookups: () => lookups.count };
}

describe('resolvePrincipal', () => {
  const adminToken = 'an-operator-chosen-bootstrap-token-of-any-shape';
  const adminHash = Buffer.from(hashToken(adminToken), 'hex');

  it('refuses a token that newToken cannot have made without a database lookup', async () => {
    const issued = newToken();
    const malformed = [
      'A'.repeat(8_000),
      `${adminToken.slice(0, -1)}X`,
      issued.slice(0, -1),
      `${issued}A`,
      `LT_${issued.slice(3)}`,
      `lt_${'!'.repeat(43)}`,
      'abc',
    ];
    for (const token of malformed) {
      const { em, lookups } = countingEm();
      expect(await resolvePrincipal(em, token, adminHash)).toBeUndefined();
      expect(lookups()).toBe(0);
    }
  });

  it('still accepts the bootstrap token whatever its shape, and looks a well-formed token up', async () => {
    const admin = countingEm();
    expect(await resolvePrincipal(admin.em, adminToken, adminHash)).toEqual({ kind: 'admin', id: 'bootstrap' });
    expect(admin.lookups()).toBe(0);
    const unknown = countingEm();
    expect(await resolvePrincipal(unknown.em, newToken(), adminHash)).toBeUndefined();
    expect(unknown.lookups()).toBe(2); // a user, then a partner
  });
});
