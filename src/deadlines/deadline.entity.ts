import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { DeliverySchema, OutgoingDocumentSchema } from '../delivery/document.entity.js';
import { InboxItemSchema } from '../delivery/inbox.entity.js';

/**
 * The deadlines of an inbox item (issue 18), kept beside it rather than in it: writing 100,000 rows'
 * deadlines after a calendar change rewrites only these narrow rows and their few indexes, not the
 * items with their search index (a tenth of the time).
 *
 * - When the 03, the 02, the 06 came, and the recall accepted (15), and what the deadlines depend on
 *   (arrival, priority, due date): written by the triggers of migration 20261207130000_deadlines from
 *   the item's columns, never by code.
 * - The registration and processing deadlines, and when each starts to be "due soon": worked out on
 *   the working-day calendar and written by src/deadlines (deadlines.repository.ts); null when there
 *   is none. `computedAt` null: to be worked out (a new item, a new due date or priority, a calendar
 *   year changed).
 *
 * The state (`on_time`, `due_soon`, `overdue`) is worked out when read; these columns let a list's
 * filter (`?overdue=`, `?dueSoon=`, `?dueBefore=`) and the counters be indexed conditions.
 */
export const InboxItemDeadlineSchema = defineEntity({
  name: 'InboxItemDeadline',
  tableName: 'inbox_item_deadline',
  indexes: [
    {
      name: 'inbox_item_deadline_registration_open_index',
      expression:
        'create index "inbox_item_deadline_registration_open_index" on "inbox_item_deadline" ("agency_code", "registration_due") where "registered_at" is null and "refused_at" is null and "withdrawn_at" is null',
    },
    {
      name: 'inbox_item_deadline_processing_open_index',
      expression:
        'create index "inbox_item_deadline_processing_open_index" on "inbox_item_deadline" ("agency_code", "processing_due") where "processing_due" is not null and "completed_at" is null and "refused_at" is null and "withdrawn_at" is null',
    },
    { name: 'inbox_item_deadline_pending_index', expression: 'create index "inbox_item_deadline_pending_index" on "inbox_item_deadline" ("item_id") where "computed_at" is null' },
  ],
  properties: {
    itemId: () => p.manyToOne(InboxItemSchema).mapToPk().primary().fieldName('item_id').deleteRule('cascade'),
    /** The item's agency (the recipient), as the item has it. */
    agencyCode: p.string().length(13),
    /** What the deadlines are worked out from, copied from the item by its trigger: when it arrived, its priority and hạn xử lý. */
    arrivedAt: p.datetime(),
    priority: p.smallint(),
    dueDate: p.date().nullable(),
    registeredAt: p.datetime().nullable(),
    refusedAt: p.datetime().nullable(),
    completedAt: p.datetime().nullable(),
    withdrawnAt: p.datetime().nullable(),
    registrationDue: p.datetime().nullable(),
    registrationWarnAt: p.datetime().nullable(),
    processingDue: p.datetime().nullable(),
    processingWarnAt: p.datetime().nullable(),
    computedAt: p.datetime().nullable(),
  },
});
export type InboxItemDeadline = InferEntity<typeof InboxItemDeadlineSchema>;

/**
 * The deadlines of a delivery as its sender follows them up (theo dõi, đôn đốc), kept as an inbox
 * item's are (InboxItemDeadlineSchema); none before the recipient's 01 (or first status), `arrivedAt`.
 */
export const DeliveryDeadlineSchema = defineEntity({
  name: 'DeliveryDeadline',
  tableName: 'delivery_deadline',
  indexes: [
    {
      name: 'delivery_deadline_registration_open_index',
      expression:
        'create index "delivery_deadline_registration_open_index" on "delivery_deadline" ("registration_due") where "registered_at" is null and "refused_at" is null and "withdrawn_at" is null',
    },
    {
      name: 'delivery_deadline_processing_open_index',
      expression:
        'create index "delivery_deadline_processing_open_index" on "delivery_deadline" ("processing_due") where "processing_due" is not null and "completed_at" is null and "refused_at" is null and "withdrawn_at" is null',
    },
    { name: 'delivery_deadline_pending_index', expression: 'create index "delivery_deadline_pending_index" on "delivery_deadline" ("delivery_id") where "computed_at" is null' },
  ],
  properties: {
    deliveryId: () => p.manyToOne(DeliverySchema).mapToPk().primary().fieldName('delivery_id').deleteRule('cascade'),
    documentId: () => p.manyToOne(OutgoingDocumentSchema).mapToPk().fieldName('document_id').deleteRule('cascade').index(),
    /** The document's priority and hạn xử lý, copied by the triggers (an update of the document may change them). */
    priority: p.smallint(),
    dueDate: p.date().nullable(),
    arrivedAt: p.datetime().nullable(),
    registeredAt: p.datetime().nullable(),
    refusedAt: p.datetime().nullable(),
    completedAt: p.datetime().nullable(),
    withdrawnAt: p.datetime().nullable(),
    registrationDue: p.datetime().nullable(),
    registrationWarnAt: p.datetime().nullable(),
    processingDue: p.datetime().nullable(),
    processingWarnAt: p.datetime().nullable(),
    computedAt: p.datetime().nullable(),
  },
});
export type DeliveryDeadline = InferEntity<typeof DeliveryDeadlineSchema>;
