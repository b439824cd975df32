import type { Job } from 'bullmq';
import { CalendarStore } from '../../src/calendar/calendar.store.js';
import type { Config } from '../../src/config.js';
import { runDigests } from '../../src/reminders/digest.js';
import { smtpMailer, type Mailer } from '../../src/reminders/mail.js';
import { emptyOutbox, mergeOutbox, type Outbox } from '../../src/reminders/outbox.js';
import { pendingMails } from '../../src/reminders/reminders.repository.js';
import { scanDeadlines } from '../../src/reminders/scan.js';
import { sendReminderMail } from '../../src/reminders/send-mail.js';
import { sendWebhookDelivery } from '../../src/webhooks/send.js';
import { pendingDeliveries } from '../../src/webhooks/webhooks.repository.js';
import type { JobContext, JobProcessor } from '../context.js';

/**
 * The reminders of issue 18 on the workers: the `remind` step finds deadlines that crossed a
 * threshold and the day's digests, and enqueues the sends; `mail` and `webhook` send one each.
 */

/** The working calendar's years, read from PostgreSQL and kept briefly (a copy that expires; calendar.store.ts). */
const calendars = new CalendarStore();

/** One SMTP mailer per process and configuration (it holds no connection between messages). */
let mailer: { key: string; mailer: Mailer } | undefined;
function mailerFor(config: Config): Mailer | undefined {
  if (!config.smtpUrl || !config.mailFrom) return undefined;
  const key = `${config.smtpUrl}\n${config.mailFrom}`;
  if (mailer?.key !== key) mailer = { key, mailer: smtpMailer(config.smtpUrl, config.mailFrom) };
  return mailer.mailer;
}

/** Whether this is the job's last attempt (then a send that could still succeed later is given up). */
const lastAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

export type ReminderStepDeps = Pick<JobContext, 'orm' | 'config' | 'queues' | 'logger'>;

export interface ReminderStepResult {
  visited: number;
  reminders: number;
  digests: { day: string | null; made: number; sent: number };
  enqueued: { mails: number; webhookDeliveries: number };
}

/**
 * The `remind` step at `now` (the job passes the clock; tests pass a fixed one, from several
 * runtimes at once): scan, digests, then enqueue what the committed transactions wrote, with the
 * sends still pending from earlier runs whose enqueue may have been lost (deterministic job ids make
 * a second enqueue of a waiting job a no-op).
 */
export async function runReminderStep(deps: ReminderStepDeps, now: Date): Promise<ReminderStepResult> {
  const em = deps.orm.em.fork();
  const { config } = deps;
  const options = { now, pageSize: config.sweepBatch, budgetMs: config.reminderScanBudgetMs, publicUrl: config.publicUrl, mail: mailerFor(config) !== undefined };
  const scan = await scanDeadlines(em, calendars, options);
  const digests = await runDigests(em, calendars, options);
  const outbox: Outbox = mergeOutbox(mergeOutbox(emptyOutbox(), scan.outbox), digests.outbox);
  // Sends older than the grace period that are still pending: their enqueue may have been lost.
  const before = new Date(now.getTime() - config.sweepGraceMs);
  const [mails, deliveries] = await Promise.all([pendingMails(em, before, config.sweepBatch), pendingDeliveries(em, before, config.sweepBatch)]);
  const mailIds = [...new Set([...outbox.mails, ...(mailerFor(config) ? mails : [])])];
  const deliveryIds = [...new Set([...outbox.webhookDeliveries, ...deliveries])];
  await Promise.all([
    deps.queues.enqueueMany('mail', mailIds.map((mailId) => ({ mailId }))),
    deps.queues.enqueueMany('webhook', deliveryIds.map((deliveryId) => ({ deliveryId }))),
  ]);
  if (scan.created || digests.sent) deps.logger.info({ reminders: scan.created, digests: digests.sent, day: digests.day }, 'reminders written');
  return {
    visited: scan.visited,
    reminders: scan.created,
    digests: { day: digests.day, made: digests.made, sent: digests.sent },
    enqueued: { mails: mailIds.length, webhookDeliveries: deliveryIds.length },
  };
}

/** Finds deadlines that crossed a threshold and the day's digests (enqueued by the sweep). */
export const remind: JobProcessor<'remind'> = async (_payload, ctx) => runReminderStep(ctx, new Date());

/** Sends one reminder's e-mail over SMTP. */
export const mail: JobProcessor<'mail'> = async ({ mailId }, ctx, job) => {
  const smtp = mailerFor(ctx.config);
  // SMTP was configured when the row was written and is not now: the row waits (the sweep enqueues it again).
  if (!smtp) return { mailId, outcome: 'no-smtp' };
  const outcome = await sendReminderMail(ctx.orm.em.fork(), smtp, mailId, { lastAttempt: lastAttempt(job) });
  if (outcome === 'failed') ctx.logger.warn({ mailId }, 'a reminder e-mail was given up (see reminder_mail.last_error)');
  return { mailId, outcome };
};

/** POSTs one signed webhook delivery. */
export const webhook: JobProcessor<'webhook'> = async ({ deliveryId }, ctx, job) => {
  const outcome = await sendWebhookDelivery(
    ctx.orm.em.fork(),
    { openSecret: (blob) => ctx.pipeline.secrets.open(blob), timeoutMs: ctx.config.webhookTimeoutMs },
    deliveryId,
    { lastAttempt: lastAttempt(job) },
  );
  if (outcome === 'failed') ctx.logger.warn({ deliveryId }, 'a webhook delivery failed (see GET /v1/webhooks/{id}/deliveries)');
  return { deliveryId, outcome };
};
