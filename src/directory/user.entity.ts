import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from './agency.entity.js';

export const USER_ROLES = ['clerk', 'signer', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * A person of an agency. The bearer token is kept only as its SHA-256; a person who logs in to the
 * console also has a username (unique whatever its case) and an argon2id hash of the password.
 */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'app_user',
  indexes: [{ name: 'app_user_username_unique', expression: 'create unique index "app_user_username_unique" on "app_user" (lower("username"))' }],
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    name: p.string().length(300),
    roles: p.array<UserRole>().columnType('text[]'),
    tokenHash: p.string().length(64).unique(),
    active: p.boolean().default(true),
    username: p.string().length(100).nullable(),
    /** Where reminders reach the person (issue 18: a clerk's deadline reminders and daily digest). */
    email: p.string().length(320).nullable(),
    passwordHash: p.string().length(200).nullable(),
    /** Wrong passwords in a row; reset by a right one. */
    failedLogins: p.integer().default(0),
    lockedUntil: p.datetime().nullable(),
    passwordChangedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type User = InferEntity<typeof UserSchema>;
