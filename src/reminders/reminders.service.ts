import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import { requireUser, requireUserOrAdmin } from '../http/auth.js';
import { isAdmin, principalKey, type Principal } from '../http/context.js';
import { invalidField } from '../http/problem.js';
import { findReminder, markRead, type ReminderListRow } from './reminders.repository.js';

/** A reminder as GET /v1/reminders shows it. */
export function reminderView(r: ReminderListRow) {
  return {
    id: r.id,
    agencyCode: r.agencyCode,
    type: r.type,
    deadlineKind: (r.deadlineKind as 'registration' | 'processing' | null) ?? null,
    side: r.side,
    subject: r.subjectType && r.subjectId ? { type: r.subjectType, id: r.subjectId, documentId: r.details.outgoingDocumentId ?? null } : null,
    day: r.digestDay,
    due: r.due?.toISOString() ?? null,
    title: r.title,
    details: r.details,
    read: r.readAt !== null,
    readAt: r.readAt?.toISOString() ?? null,
    readBy: r.readBy,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Whose reminders the caller reads: a user's own agency (any role: clerks are reminded, leaders
 * follow); an administrator names the agency.
 */
export function reminderAgency(principal: Principal | undefined, agencyCode: string | undefined): string {
  const p = requireUserOrAdmin(principal);
  if (isAdmin(p) && agencyCode) return agencyCode;
  if (p.kind !== 'user') throw invalidField('agency', { en: 'is required for an administrator: whose reminders', vi: 'là bắt buộc với quản trị viên: nhắc việc của cơ quan nào' });
  const user = requireUser(p, ['clerk', 'signer']);
  if (agencyCode && agencyCode !== user.agencyCode && !isAdmin(p)) {
    throw new DomainError('FORBIDDEN', `Only users of ${agencyCode} (or an administrator) read its reminders.`, { vi: `Chỉ người dùng của ${agencyCode} (hoặc quản trị viên) được xem nhắc việc của cơ quan này.` });
  }
  return user.agencyCode;
}

/** Marks a reminder of the caller's agency read; 404 for another agency's (not ours to reveal). */
export async function readReminder(em: EntityManager, principal: Principal | undefined, id: string, at = new Date()): Promise<ReminderListRow> {
  const p = requireUserOrAdmin(principal);
  const reminder = await findReminder(em, id);
  const mine = reminder && (isAdmin(p) || (p.kind === 'user' && p.agencyCode === reminder.agencyCode));
  if (!reminder || !mine) throw new DomainError('NOT_FOUND', `No reminder ${id}.`);
  if (p.kind === 'user') requireUser(p, ['clerk', 'signer']);
  await markRead(em, id, principalKey(p), at);
  return (await findReminder(em, id))!;
}
