import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { UserSchema } from '../directory/user.entity.js';

/**
 * A console session (issue 14). The cookie holds a random value; only its SHA-256 is kept, so a
 * database leak does not hand out live sessions. Kept in PostgreSQL: any api process serves any user.
 */
export const ConsoleSessionSchema = defineEntity({
  name: 'ConsoleSession',
  tableName: 'console_session',
  properties: {
    idHash: p.string().length(64).primary(),
    userId: () => p.manyToOne(UserSchema).mapToPk().fieldName('user_id').index().deleteRule('cascade'),
    /** The synchronizer token every state-changing form of this session must carry. */
    csrfToken: p.string().length(64),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
    expiresAt: p.datetime().index(),
  },
});
export type ConsoleSession = InferEntity<typeof ConsoleSessionSchema>;
