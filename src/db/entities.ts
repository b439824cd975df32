import { AuditEventSchema } from '../audit/audit-event.entity.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { GroupMemberSchema, GroupSchema } from '../directory/group.entity.js';
import { PartnerSchema } from '../directory/partner.entity.js';
import { UserSchema } from '../directory/user.entity.js';
import { IdempotencyRecordSchema } from './idempotency-record.entity.js';
import { WorkerHeartbeatSchema } from './worker-heartbeat.entity.js';

/** Every entity of the service; later modules add theirs here. */
export const ENTITIES = [
  AgencySchema,
  GroupSchema,
  GroupMemberSchema,
  UserSchema,
  PartnerSchema,
  AuditEventSchema,
  IdempotencyRecordSchema,
  WorkerHeartbeatSchema,
];
