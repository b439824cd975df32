import type { EntityManager } from '@mikro-orm/postgresql';
import { MailError, type Mailer } from './mail.js';
import { beginMailAttempt, mailToSend, settleMail } from './reminders.repository.js';
import { mailBody, mailSubject } from './texts.js';

/** Thrown when the SMTP server may take the message later (4yz, no connection): BullMQ retries with back-off. */
export class MailRetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailRetry';
  }
}

export type MailOutcome = 'sent' | 'failed' | 'skipped';

/** The Message-ID of a reminder's e-mail: the same on every attempt. */
export const reminderMessageId = (reminderId: string): string => `<reminder.${reminderId}@lienthong>`;

/**
 * Sends the e-mail of a reminder (the `mail` job). A message the server refused for good (5yz) fails
 * at once; one it may take later is retried until the last attempt. A row no longer pending (sent by
 * an earlier run of the job) is left alone, so a job enqueued twice sends once.
 */
export async function sendReminderMail(em: EntityManager, mailer: Mailer, mailId: string, options: { lastAttempt: boolean; now?: () => Date }): Promise<MailOutcome> {
  const now = options.now ?? (() => new Date());
  const mail = await mailToSend(em, mailId);
  if (!mail || mail.state !== 'pending') return 'skipped';
  const attempt = await beginMailAttempt(em, mailId);
  if (attempt === null) return 'skipped';
  const r = mail.reminder;
  try {
    const sent = await mailer.send({
      to: mail.recipients,
      subject: mailSubject(r.title),
      text: mailBody({ ...r, agencyName: mail.agencyName }),
      messageId: reminderMessageId(r.id),
      headers: { 'X-Lienthong-Reminder': r.id, 'X-Lienthong-Reminder-Type': r.type },
    });
    await settleMail(em, mailId, { state: 'sent', error: null, messageId: sent.messageId, at: now() });
    return 'sent';
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const permanent = error instanceof MailError && error.permanent;
    if (permanent || options.lastAttempt) {
      await settleMail(em, mailId, { state: 'failed', error: permanent ? reason : `${reason} (gave up after ${attempt} attempts)`, at: now() });
      return 'failed';
    }
    await settleMail(em, mailId, { state: 'pending', error: reason, at: now() });
    throw new MailRetry(`reminder e-mail ${mailId}: ${reason}`);
  }
}
