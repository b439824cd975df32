import type { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { hashToken, newToken, resolvePrincipal, type TokenLookups } from './tokens.js';

/** Directory lookups that find nothing and count how often they are asked. */
function counting(): { lookups: TokenLookups; count: () => number } {
  let count = 0;
  const none = async () => {
    count += 1;
    return null;
  };
  return { lookups: { user: none, partner: none }, count: () => count };
}
const em = {} as EntityManager;

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
      const { lookups, count } = counting();
      expect(await resolvePrincipal(em, token, adminHash, lookups)).toBeUndefined();
      expect(count()).toBe(0);
    }
  });

  it('still accepts the bootstrap token whatever its shape, and looks a well-formed token up', async () => {
    const admin = counting();
    expect(await resolvePrincipal(em, adminToken, adminHash, admin.lookups)).toEqual({ kind: 'admin', id: 'bootstrap' });
    expect(admin.count()).toBe(0);
    const unknown = counting();
    expect(await resolvePrincipal(em, newToken(), adminHash, unknown.lookups)).toBeUndefined();
    expect(unknown.count()).toBe(2); // a user, then a partner
  });
});
