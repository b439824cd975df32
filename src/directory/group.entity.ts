import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from './agency.entity.js';

/** A named set of agencies used as a recipient (`group:CODE`). */
export const GroupSchema = defineEntity({
  name: 'Group',
  tableName: 'agency_group',
  properties: {
    code: p.string().length(100).primary(),
    name: p.string().length(500),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Group = InferEntity<typeof GroupSchema>;

/** Membership of one agency in one group. */
export const GroupMemberSchema = defineEntity({
  name: 'GroupMember',
  tableName: 'agency_group_member',
  properties: {
    groupCode: () => p.manyToOne(GroupSchema).mapToPk().primary().fieldName('group_code').deleteRule('cascade'),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().primary().fieldName('agency_code').index(),
  },
});
export type GroupMember = InferEntity<typeof GroupMemberSchema>;
