import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the SMTP server received it: the envelope and the raw bytes, untouched. */
export interface ReceivedMail {
  from: string | null;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps every message it is given:
 * what reminders are tested against, instead of a mock of the mailer.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      // Plain SMTP on loopback: no STARTTLS offered (its built-in certificate is for nothing but tests), no login.
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const from = session.envelope.mailFrom;
          this.messages.push({ from: from ? from.address : null, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
          callback();
        });
      },
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The headers of a raw message, unfolded (RFC 5322 §2.2.3), by lower-case name; the raw value kept. */
export function headersOf(raw: Buffer): Map<string, string> {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`), written here from the RFC and not
 * taken from the mail library under test: adjacent words separated by white space join, and their
 * bytes are decoded together, so a character split across two words comes out whole.
 */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  const parts: Buffer[] = [];
  let last = 0;
  let previousWasWord = false;
  for (let m = word.exec(value); m; m = word.exec(value)) {
    const between = value.slice(last, m.index);
    if (!(previousWasWord && /^\s*$/.test(between))) parts.push(Buffer.from(between, 'latin1'));
    if (m[1]!.toLowerCase() !== 'utf-8') throw new Error(`unexpected charset ${m[1]}`);
    parts.push(m[2]!.toUpperCase() === 'B' ? Buffer.from(m[3]!, 'base64') : qBytes(m[3]!.replace(/_/g, ' ')));
    previousWasWord = true;
    last = word.lastIndex;
  }
  parts.push(Buffer.from(value.slice(last), 'latin1'));
  return Buffer.concat(parts).toString('utf8');
}

const qBytes = (text: string): Buffer => {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes);
};

/** The body of a single-part message, its Content-Transfer-Encoding undone, as UTF-8 text. */
export function textBodyOf(raw: Buffer): string {
  const text = raw.toString('latin1');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  const encoding = headersOf(raw).get('content-transfer-encoding')?.toLowerCase();
  if (encoding === 'quoted-printable') return qBytes(body.replace(/=\r\n/g, '')).toString('utf8');
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  return Buffer.from(body, 'latin1').toString('utf8');
}
