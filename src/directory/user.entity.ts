import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from './agency.entity.js';

export const USER_ROLES = ['clerk', 'signer', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person of an agency. The bearer token is kept only as its SHA-256. */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    name: p.string().length(300),
    roles: p.array<UserRole>().columnType('text[]'),
    tokenHash: p.string().length(64).unique(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type User = InferEntity<typeof UserSchema>;
