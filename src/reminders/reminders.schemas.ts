import { z } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { PageQuery } from '../http/pagination.js';
import { REMINDER_SIDES, REMINDER_SUBJECTS, REMINDER_TYPES } from './reminder.entity.js';

const Counterpart = z.object({ code: z.string(), name: z.string().nullable() });

const DigestEntrySchema = z.object({
  side: z.enum(REMINDER_SIDES),
  subjectType: z.enum(REMINDER_SUBJECTS),
  subjectId: z.string(),
  deadlineKind: z.enum(['registration', 'processing']),
  state: z.enum(['due_soon', 'overdue']),
  due: z.string(),
  overdueWorkingDays: z.number().int(),
  documentCode: z.string(),
  documentSubject: z.string(),
  counterpart: Counterpart,
});

export const ReminderSchema = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    type: z.enum(REMINDER_TYPES).openapi({ description: 'due_soon: before a deadline; overdue: once it passed; digest: the daily list at 07:30 on working days' }),
    deadlineKind: z.enum(['registration', 'processing']).nullable().openapi({ description: 'registration (vào sổ, NĐ 30/2020) or processing (hạn xử lý); null for a digest' }),
    side: z.enum(REMINDER_SIDES).nullable().openapi({ description: "recipient: about the agency's inbox item; sender: about a recipient of a document it sent" }),
    subject: z
      .object({ type: z.enum(REMINDER_SUBJECTS), id: z.string(), documentId: z.string().nullable().openapi({ description: 'The outgoing document (sender side)' }) })
      .nullable(),
    day: z.string().nullable().openapi({ description: "A digest's day, YYYY-MM-DD (Vietnam)" }),
    due: z.string().nullable(),
    title: z.string().openapi({ example: 'Quá hạn xử lý: 12/CT-UBND — V/v triển khai dịch vụ công trực tuyến toàn trình' }),
    details: z
      .object({
        documentCode: z.string().optional(),
        documentId: z.string().optional(),
        documentSubject: z.string().optional(),
        counterpart: Counterpart.optional(),
        outgoingDocumentId: z.string().optional(),
        overdueWorkingDays: z.number().int().optional(),
        entries: z.array(DigestEntrySchema).optional(),
        counts: z.object({ dueSoon: z.number().int(), overdue: z.number().int() }).optional(),
        more: z.number().int().optional(),
        link: z.string().optional(),
      })
      .openapi({ description: 'What the reminder says: the document, the other side, the overdue working days; a digest lists its entries' }),
    read: z.boolean(),
    readAt: z.string().nullable(),
    readBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Reminder');

export const ReminderListQuery = PageQuery.extend({
  agency: AgencyCode.optional().openapi({ description: "Whose reminders: the caller's agency; an administrator names one" }),
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ description: '`true`: unread ones only' }),
  type: z.enum(REMINDER_TYPES).optional(),
});
