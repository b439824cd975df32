import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How webhook requests are signed (as Stripe and GitHub sign theirs): the receiver computes
 * HMAC-SHA256 over `<timestamp>.<body>` with the secret it was given at subscription and compares it
 * with `X-Lienthong-Signature: sha256=<hex>`; the timestamp (`X-Lienthong-Timestamp`, Unix seconds)
 * is signed too, so a captured request cannot be replayed later than the receiver's tolerance.
 */
export const SIGNATURE_HEADER = 'x-lienthong-signature';
export const TIMESTAMP_HEADER = 'x-lienthong-timestamp';
/** How old a timestamp a receiver should accept (our own checker's default). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new webhook secret: 32 random bytes, recognisable by its prefix in a configuration file. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** `sha256=<hex>` of `<timestamp>.<body>`. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** The headers that sign one request at `at`. */
export function signatureHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body) };
}

/**
 * What a receiver does (and the README shows): recompute, compare in constant time, and refuse a
 * timestamp too far from its own clock.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  now = new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!headers.timestamp || !headers.signature || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
