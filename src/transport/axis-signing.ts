import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How requests to an axis API are signed (AXIS.md "Authentication"): a system id and a secret, and
 * HMAC-SHA256 values over the request. The exact string to sign is the operator's to give, so each
 * way of signing is a named scheme here, chosen per partner (outbound: src/transport/axis-client.ts)
 * or per hub system (inbound: src/hub). Both directions sign and check with these same functions.
 */
export interface AxisSigningKey {
  systemId: string;
  secret: string;
}

export interface SignInput {
  method: string;
  /** The call's path as the SDK names it (`/sendEdoc`), without the base URL's own path. */
  path: string;
  /** The SDK's headers of the call (`from`, `servicetype`, `messagetype`, `docId`, `status`…). */
  headers: Record<string, string>;
  /** SHA-256 of the body bytes, lower-case hex (of nothing for a call without a body). */
  bodySha256: string;
  timestamp: string;
}

/** A scheme: the headers that authenticate a request (the system id, the timestamp and the signature). */
export type AxisSigner = (key: AxisSigningKey, input: SignInput) => Record<string, string>;

export const DEFAULT_AXIS_SIGNING = 'hmac-sha256-v1';

/**
 * The SDK headers `hmac-sha256-v2` covers, in this order, each as `name:value` when the request
 * carries it: the ones that say what a call does (who sends, which list, which docId, which status).
 */
export const AXIS_SIGNED_HEADERS = ['from', 'servicetype', 'messagetype', 'docid', 'status', 'filepath'] as const;

/** The one HMAC of this file: base64 HMAC-SHA256 of the lines joined by "\n". */
const hmacOfLines = (secret: string, lines: string[]): string => createHmac('sha256', secret).update(lines.join('\n')).digest('base64');

/** A header of the input, by name in any case (the outbound client writes `docId`, the wire says `docid`). */
function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * Request signing schemes. Add a scheme here and name it in a partner's credentials (`signing`) or
 * a hub system's `signing`; nothing else changes.
 */
export const AXIS_SIGNERS: Record<string, AxisSigner> = {
  // systemid, timestamp, and HMAC-SHA256 over "systemid\ntimestamp\nMETHOD\npath\nsha256(body)".
  'hmac-sha256-v1': (key, input) => ({
    systemid: key.systemId,
    timestamp: input.timestamp,
    signature: hmacOfLines(key.secret, [key.systemId, input.timestamp, input.method, input.path, input.bodySha256]),
  }),
  // As v1, and the SDK headers of AXIS_SIGNED_HEADERS the request carries, as "name:value" lines
  // before the body's hash: a signature that also says which docId, which status, from whom.
  'hmac-sha256-v2': (key, input) => {
    const covered = AXIS_SIGNED_HEADERS.flatMap((name) => {
      const value = headerValue(input.headers, name);
      return value === undefined ? [] : [`${name}:${value}`];
    });
    return {
      systemid: key.systemId,
      timestamp: input.timestamp,
      signature: hmacOfLines(key.secret, [key.systemId, input.timestamp, input.method, input.path, ...covered, input.bodySha256]),
    };
  },
};

/** The scheme of that name, or undefined when there is none. */
export const axisSigner = (name: string | undefined): AxisSigner | undefined =>
  Object.hasOwn(AXIS_SIGNERS, name ?? DEFAULT_AXIS_SIGNING) ? AXIS_SIGNERS[name ?? DEFAULT_AXIS_SIGNING] : undefined;

/**
 * Whether a received request carries the headers `scheme` makes for it with `key`: the scheme signs
 * the same input again, and every header it makes must be present with the same value (compared in
 * constant time). The caller checks the timestamp's age and that the signature is not replayed.
 */
export function axisSignatureMatches(signer: AxisSigner, key: AxisSigningKey, input: SignInput, received: (name: string) => string | undefined): boolean {
  let same = true;
  for (const [name, expected] of Object.entries(signer(key, input))) {
    const got = Buffer.from(received(name) ?? '', 'utf8');
    const want = Buffer.from(expected, 'utf8');
    // Every header is compared, whatever the first result, so the time taken says nothing.
    same = (got.length === want.length && timingSafeEqual(got, want)) && same;
  }
  return same;
}
