import {
  ArchiveCertificateSchema,
  ArchiveChainHeadSchema,
  ArchiveCheckpointSchema,
  ArchiveNodeKeySchema,
  ArchivePurgeSchema,
  ArchiveRecordSchema,
  ArchiveRetentionSchema,
} from '../archive/archive.entity.js';
import { ConsoleSessionSchema } from '../accounts/session.entity.js';
import { AuditEventSchema } from '../audit/audit-event.entity.js';
import { DeliverySchema, DeliveryUpdateSchema, DocumentAttachmentSchema, DocumentEventSchema, DocumentUpdateSchema, OutgoingDocumentSchema } from '../delivery/document.entity.js';
import { PaperDocumentSchema, RegisterCounterSchema, RegisterSeriesSchema } from '../registers/register.entity.js';
import { InboxItemSchema, InboxVersionSchema, StatusRecordSchema } from '../delivery/inbox.entity.js';
import { PackageSchema } from '../packages/package.entity.js';
import { ExchangeMessageSchema } from '../transport/exchange-message.entity.js';
import { RateWindowSchema } from '../exchange/rate-window.entity.js';
import { AgencyCertificateSchema, NodeCaSchema, TrustAnchorSchema } from '../certificates/certificate.entity.js';
import { AgencySchema } from '../directory/agency.entity.js';
import { GroupMemberSchema, GroupSchema } from '../directory/group.entity.js';
import { PartnerSchema } from '../directory/partner.entity.js';
import { UserSchema } from '../directory/user.entity.js';
import { IdempotencyRecordSchema } from './idempotency-record.entity.js';
import { WorkerHeartbeatSchema } from './worker-heartbeat.entity.js';
import { CalendarYearSchema } from '../calendar/calendar.entity.js';
import { ReminderDigestSchema, ReminderMailSchema, ReminderScanSchema, ReminderSchema } from '../reminders/reminder.entity.js';
import { WebhookAttemptSchema, WebhookDeliverySchema, WebhookSchema } from '../webhooks/webhook.entity.js';
import { AgencySealSchema, AgencyStampTemplateSchema, DraftFileSchema, DraftSchema, SignerKeySchema } from '../drafts/draft.entity.js';
import { HubSeenRequestSchema, HubSystemSchema } from '../hub/hub-system.entity.js';
import { AgencyHandoverItemSchema, AgencyHandoverSchema } from '../directory/handover.entity.js';
import { DirectorySyncNoticeSchema, DirectorySyncSchema } from '../directory/sync.entity.js';

import { DeliveryDeadlineSchema, InboxItemDeadlineSchema } from '../deadlines/deadline.entity.js';
/** Every entity of the service; later modules add theirs here. */
export const ENTITIES = [
  AgencySchema,
  GroupSchema,
  GroupMemberSchema,
  UserSchema,
  ConsoleSessionSchema,
  PartnerSchema,
  AuditEventSchema,
  IdempotencyRecordSchema,
  WorkerHeartbeatSchema,
  AgencyCertificateSchema,
  TrustAnchorSchema,
  NodeCaSchema,
  PackageSchema,
  OutgoingDocumentSchema,
  DocumentAttachmentSchema,
  DeliverySchema,
  DocumentUpdateSchema,
  DeliveryUpdateSchema,
  DocumentEventSchema,
  RegisterCounterSchema,
  RegisterSeriesSchema,
  PaperDocumentSchema,
  InboxItemSchema,
  InboxVersionSchema,
  StatusRecordSchema,
  ExchangeMessageSchema,
  RateWindowSchema,
  ArchiveRecordSchema,
  ArchiveChainHeadSchema,
  ArchiveCheckpointSchema,
  ArchiveCertificateSchema,
  ArchiveNodeKeySchema,
  ArchiveRetentionSchema,
  ArchivePurgeSchema,
  CalendarYearSchema,
  HubSystemSchema,
  HubSeenRequestSchema,
  DraftSchema,
  DraftFileSchema,
  SignerKeySchema,
  AgencySealSchema,
  AgencyStampTemplateSchema,
  ReminderSchema,
  ReminderDigestSchema,
  ReminderMailSchema,
  ReminderScanSchema,
  WebhookSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
  AgencyHandoverSchema,
  AgencyHandoverItemSchema,
  DirectorySyncSchema,
  DirectorySyncNoticeSchema,
  InboxItemDeadlineSchema,
  DeliveryDeadlineSchema,
];
