import { createTransport } from 'nodemailer';

/** One e-mail to send: plain text in UTF-8 (nodemailer encodes a Vietnamese subject as RFC 2047 words). */
export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  /** Stable per reminder, so a copy sent twice (an answer lost after the server took it) is recognisable. */
  messageId: string;
  headers: Record<string, string>;
}

/** Why a send failed, and whether the same message may go through later (RFC 5321: 4yz, a lost connection). */
export class MailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

/** The port the reminders send e-mail through; SMTP in production, the same class against a test server. */
export interface Mailer {
  send(message: MailMessage): Promise<{ messageId: string }>;
}

/** Timeouts short enough that a dead server frees the job for a retry, long enough for a slow one. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 } as const;

/**
 * A Mailer over SMTP (nodemailer) for `smtp://user:pass@host:587` (STARTTLS when the server offers it)
 * or `smtps://…:465`. One connection per message: reminders are few, and nothing stays open at shutdown.
 */
export function smtpMailer(url: string, from: string): Mailer {
  const u = new URL(url);
  const transport = createTransport({
    host: u.hostname,
    port: u.port ? Number(u.port) : u.protocol === 'smtps:' ? 465 : 587,
    secure: u.protocol === 'smtps:',
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    ...SMTP_TIMEOUTS,
  });
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          messageId: message.messageId,
          headers: message.headers,
          // Some servers refuse 8-bit headers: the subject travels as encoded words, the body as quoted-printable.
          textEncoding: 'quoted-printable',
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw mailError(error);
      }
    },
  };
}

/** A nodemailer error as a MailError, without the server's credentials (they are never in its fields). */
function mailError(error: unknown): MailError {
  const e = error as { message?: string; permanent?: boolean; responseCode?: number; code?: string };
  const reason = e.responseCode ? `SMTP ${e.responseCode}: ${e.message ?? ''}` : `${e.code ?? 'error'}: ${e.message ?? String(error)}`;
  return new MailError(reason.slice(0, 480), e.permanent === true);
}
