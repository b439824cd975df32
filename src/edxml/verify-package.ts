/**
 * Package verification, DESIGN.md §5, in order:
 *  1. `assertSafeXml` (size, DOCTYPE/entities, one root, depth) before any parser;
 *  2. `verifyXmlSignature`: the strict signature profile and the cryptographic check;
 *  3. the business model is parsed from the SIGNED content (xml-crypto's canonical signed reference),
 *     never from a second parse of the raw bytes, so whatever the verifier and the model parser might
 *     disagree on (comments, parser quirks, wrapped elements) cannot reach domain code; then the
 *     KeyInfo certificate is checked — chain, validity at the package's own signing time, key usage,
 *     and that it is the certificate of the agency named in From/OrganId;
 *  4. the result is a `VerifiedPackage`, a type only this module can make.
 *
 * Steps 1 to 3 up to the model are pure XML work on untrusted bytes (`checkPackageXml`): a server
 * runs them in a memory-capped worker thread (sign-pool.ts), so that no package, however hostile,
 * can hold the event loop or exhaust the process's heap (issue 11). The certificate check and the
 * brand stay with the caller.
 */
import { createHash } from 'node:crypto';
import type { ValidatedCertificate } from '../crypto/trust.js';
import type { TrustStore } from '../crypto/trust.js';
import { fingerprintSha256 } from '../crypto/certificates.js';
import { DomainError } from '../errors.js';
import { edxmlTimestampToDate } from './dates.js';
import type { XmlLimits } from './harden.js';
import type { EdocPackage, EdxmlPackage } from './model.js';
import { parsePackage, peekSender } from './parse.js';
import { checkLeavingRuns, restoreElided, type ElidedCheck } from './verify-elided.js';
import { verifyXmlSignature } from './xmldsig.js';

/**
 * A verified attachment's file and its size, without a string of its base64 (see restoreElided); a
 * stored package parsed with its files left in its bytes.
 */
export { attachmentBytes, attachmentSize, parseStoredPackage } from './verify-elided.js';

/** What a certificate check reports about the signer certificate it accepted. */
export interface CheckedCertificate {
  readonly subject: string;
  readonly serialNumber: string;
  readonly issuer: string;
  readonly fingerprintSha256: string;
}

/** Decides whether `certificatePem` may sign for `agencyCode` at `at`. */
export interface CertificateCheck {
  /** throws CERTIFICATE_UNTRUSTED */
  (input: { certificatePem: string; agencyCode: string; at: Date }): Promise<CheckedCertificate>;
}

declare const VERIFIED: unique symbol;

/**
 * A package whose signature, signer certificate and sender were verified. Only `verifyPackage` makes
 * one (the brand cannot be written outside this module), so a function that takes a VerifiedPackage
 * cannot be handed unverified XML by mistake. `isVerifiedPackage` checks at run time.
 */
export interface VerifiedPackage {
  readonly [VERIFIED]: true;
  readonly kind: 'edoc' | 'status';
  /** Parsed from the signed content only. Deeply frozen. */
  readonly model: EdxmlPackage;
  /** From/OrganId, the agency whose certificate signed. */
  readonly senderCode: string;
  readonly certificate: CheckedCertificate & { readonly certificatePem: string };
  /** Lower-case hex SHA-256 of the exact input bytes. */
  readonly sha256: string;
  /** A private copy of the exact input bytes: store and forward these, never a re-serialisation. */
  readonly bytes: Buffer;
  /** The package's own signing time (TraceHeader Timestamp for edoc, Timestamp for status). */
  readonly signingTime: Date;
  readonly signatureAlgorithm: string;
  readonly checkedAt: Date;
}

/** What the XML steps of verification (1–3, up to the model) yield; nothing here is trusted yet. */
export interface PackageXmlCheck {
  /** Lower-case hex SHA-256 of the exact input bytes. */
  readonly sha256: string;
  /** Parsed from the signed content only. */
  readonly model: EdxmlPackage;
  /** The KeyInfo certificate: a candidate until the certificate check accepts it. */
  readonly certificatePem: string;
  readonly signatureAlgorithm: string;
}

/** Options of `checkPackageXml`; plain data, so that they travel to a worker thread. */
export interface PackageXmlOptions {
  readonly limits?: Partial<XmlLimits>;
  readonly allowLegacy?: boolean;
}

/**
 * Steps 1–3 of DESIGN.md §5 up to the model: the hardening gate, the signature profile and the
 * cryptographic check, and the model parsed from the signed content. Synchronous and free of I/O
 * and keys: what a verification thread runs.
 */
export function checkPackageXml(bytes: Uint8Array, options: PackageXmlOptions = {}): PackageXmlCheck {
  const input = asBuffer(bytes);
  return restoreElided(checkPackageXmlLeavingRuns(input, options), input);
}

/**
 * checkPackageXml for a caller that holds the same bytes and completes the result with
 * restoreElided(result, bytes): the files' base64 it cut out stays in the bytes. What a checking
 * thread runs (sign-pool.ts), so that a large file's base64 is not copied into the thread's heap,
 * into its reply, and into the caller's heap again.
 */
export function checkPackageXmlLeavingRuns(bytes: Uint8Array, options: PackageXmlOptions = {}): ElidedCheck {
  const input = asBuffer(bytes);
  const sha256 = createHash('sha256').update(input).digest('hex');
  // A package with large files: the same checks with the files' base64 cut out before the parsers,
  // when that is provably the same verdict (verify-elided.ts); anything else, the full check below.
  return checkLeavingRuns(input, options, sha256) ?? checkPackageXmlInFull(input, options, sha256);
}

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** checkPackageXml on the whole text: the hardening gate, the DOM verifier, the model. */
export function checkPackageXmlInFull(input: Buffer, options: PackageXmlOptions = {}, sha256 = createHash('sha256').update(input).digest('hex')): PackageXmlCheck {
  // 1. The hardening gate, before any parser, and 2. the signature profile, the digest and the
  // SignatureValue (the certificate still a candidate): verifyXmlSignature runs the gate first.
  const sig = verifyXmlSignature(input, { allowLegacy: options.allowLegacy === true, ...(options.limits ? { limits: options.limits } : {}) });
  // 3. The model, from the signed content only. Canonical XML can be longer than its source (`>` in
  // text becomes `&gt;`), so its size bound follows the input size; the other limits are the same.
  const model = parsePackage(sig.signedXml, { ...options.limits, maxBytes: Math.max(4 * input.length, 4096) });
  return { sha256, model, certificatePem: sig.certificatePem, signatureAlgorithm: sig.signatureAlgorithm };
}

/** Dependencies of `verifyPackage`. */
export interface VerifyPackageDeps {
  readonly checkCertificate: CertificateCheck;
  readonly limits?: Partial<XmlLimits>;
  /** Accept rsa-sha1/sha1 (partner explicitly marked legacy). */
  readonly allowLegacy?: boolean;
  readonly now?: () => Date;
  /**
   * The caller hands the bytes over: it made them for this call (read them from the database, say)
   * and nothing else holds them, so no private copy is made (a large package would be held twice).
   */
  readonly handOver?: boolean;
  /** Steps 1–3 elsewhere (a memory-capped thread, sign-pool.ts); `checkPackageXml` in this thread by default. */
  readonly checkXml?: (bytes: Buffer, options: PackageXmlOptions) => Promise<PackageXmlCheck>;
}

const verified = new WeakSet<object>();

/** True only for objects made by `verifyPackage` in this process. */
export function isVerifiedPackage(value: unknown): value is VerifiedPackage {
  return typeof value === 'object' && value !== null && verified.has(value);
}

/** Received packages longer than this are copied into shared memory (verifyPackage). */
const SHARED_COPY_MIN = 512 * 1024;

/** Signing times later than now + this are refused: a future-dated package would outlive its certificate's checks. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    // Values only: a getter (an attachment's base64 read from the bytes, restoreElided) is not called.
    for (const d of Object.values(Object.getOwnPropertyDescriptors(v))) if ('value' in d) stack.push(d.value);
  }
  return value;
}

/**
 * The edoc's signing time: the last TraceHeader written by the sender itself (OrganId = From/OrganId).
 * Hops added by other systems are not the signer's claim.
 */
function edocSigningTimestamp(edoc: EdocPackage): string {
  const sender = edoc.messageHeader.from.organId;
  const own = edoc.traceHeaderList.traceHeaders.filter((t) => t.organId === sender);
  const last = own[own.length - 1];
  if (!last) throw new DomainError('VALIDATION_FAILED', `no TraceHeader of the sender ${sender}: the signing time is unknown`);
  return last.timestamp;
}

/**
 * Verifies a received package (DESIGN.md §5) and returns it as a VerifiedPackage. Throws
 * PAYLOAD_TOO_LARGE / XML_FORBIDDEN / XML_MALFORMED / SIGNATURE_INVALID / VALIDATION_FAILED /
 * CERTIFICATE_UNTRUSTED.
 */
export async function verifyPackage(input: Buffer, deps: VerifyPackageDeps): Promise<VerifiedPackage> {
  if (!Buffer.isBuffer(input)) throw new TypeError('verifyPackage expects the received bytes as a Buffer');
  // A private copy: the caller cannot change the bytes between the check and their use, nor later
  // (a large file's base64 is read from them, restoreElided). A large one in shared memory, which a
  // checking thread reads where it is (sign-pool.ts).
  let bytes = input;
  if (!deps.handOver) {
    bytes = input.length > SHARED_COPY_MIN ? Buffer.from(new SharedArrayBuffer(input.length)) : Buffer.allocUnsafe(input.length);
    input.copy(bytes);
  }
  const now = deps.now?.() ?? new Date();

  // 1–3. The XML steps, up to the model parsed from the signed content.
  const options: PackageXmlOptions = { allowLegacy: deps.allowLegacy === true, ...(deps.limits ? { limits: deps.limits } : {}) };
  const xml = deps.checkXml ? await deps.checkXml(bytes, options) : checkPackageXml(bytes, options);
  const { model, sha256 } = xml;
  const sig = { certificatePem: xml.certificatePem, signatureAlgorithm: xml.signatureAlgorithm };

  const senderCode = peekSender(model);
  const signingTime = edxmlTimestampToDate(model.kind === 'status' ? model.status.timestamp : edocSigningTimestamp(model.edoc));
  // A signing time in the future would let a certificate that is about to expire (or not yet
  // valid) pass the "valid at signing time" check; a few minutes cover clock drift between nodes.
  if (signingTime.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) {
    throw new DomainError('SIGNATURE_INVALID', `signing time ${signingTime.toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`);
  }
  const checked = await deps.checkCertificate({ certificatePem: sig.certificatePem, agencyCode: senderCode, at: signingTime });
  // A check that vouches for some other certificate (a bug in a custom CertificateCheck, a cache keyed
  // wrongly) must not turn into an accepted package.
  if (checked.fingerprintSha256 !== fingerprintSha256(sig.certificatePem)) {
    throw new DomainError('CERTIFICATE_UNTRUSTED', 'the certificate check reported on a different certificate than the one that signed');
  }

  // 4. The branded result.
  const result = {
    kind: model.kind,
    model: deepFreeze(model),
    senderCode,
    certificate: Object.freeze({
      subject: checked.subject,
      serialNumber: checked.serialNumber,
      issuer: checked.issuer,
      fingerprintSha256: checked.fingerprintSha256,
      certificatePem: sig.certificatePem,
    }),
    sha256,
    bytes,
    signingTime,
    signatureAlgorithm: sig.signatureAlgorithm,
    checkedAt: now,
  } as Omit<VerifiedPackage, typeof VERIFIED> as VerifiedPackage;
  verified.add(Object.freeze(result));
  return result;
}

function summary(v: ValidatedCertificate): CheckedCertificate {
  return { subject: v.subject, serialNumber: v.serialNumber, issuer: v.issuer, fingerprintSha256: v.fingerprintSha256 };
}

/**
 * How a certificate is bound to the agency it signs for (DESIGN.md §5 step 3):
 * - `subject`: the agency code in its subject serialNumber (our CA's convention) equals From/OrganId;
 *   all an offline check can know;
 * - `registered`: the node's registry holds exactly this certificate (fingerprint) for that agency;
 *   the national CA's certificates for organisations carry no agency code, and the admin's
 *   registration is then the binding (API.md, POST /v1/agencies/{code}/certificates).
 */
export type AgencyBinding = 'subject' | 'registered';

/** How `lienthong verify` and other reports name each binding. */
export const BINDING_LABEL: Record<AgencyBinding, string> = {
  subject: 'agency code in the certificate subject',
  registered: 'registered at the node',
};

/**
 * Chain + validity at `at` + key usage, then "the certificate is issued to this agency". A
 * certificate that names an agency names the package's (a valid certificate of agency B must not sign
 * a package claiming to come from agency A), whatever the binding. One that names none passes here
 * only for the `registered` binding, whose caller then requires the registry's own certificate.
 */
function validateForAgency(
  trustStore: TrustStore,
  input: { certificatePem: string; agencyCode: string; at: Date },
  intermediates: readonly string[],
  binding: AgencyBinding,
): ValidatedCertificate {
  const v = trustStore.validate(input.certificatePem, { at: input.at, intermediates });
  if (v.agencyCode !== null && v.agencyCode !== input.agencyCode) {
    throw new DomainError('CERTIFICATE_UNTRUSTED', `certificate is issued to agency ${v.agencyCode}, but the package is from ${input.agencyCode} (From/OrganId)`);
  }
  if (v.agencyCode === null && binding === 'subject') {
    throw new DomainError(
      'CERTIFICATE_UNTRUSTED',
      `certificate "${v.subject}" carries no agency code (subject serialNumber); the binding checked is the ${BINDING_LABEL.subject}, ` +
        `so a certificate bound to ${input.agencyCode} only by its registration at a node verifies only there`,
    );
  }
  return v;
}

/**
 * The online CertificateCheck: chain to `trustStore`, valid at the signing time, digitalSignature,
 * AND the certificate is one the registry holds for the agency of From/OrganId (fingerprint match) —
 * so a certificate the CA issued but the agency never registered, or one an operator removed
 * (compromise, replacement), is refused. The registration is the binding: the certificate may carry
 * no agency code (a national-CA certificate), but one that names another agency is refused.
 */
export function createRegistryCertificateCheck(deps: {
  trustStore: TrustStore;
  registeredCertificates: (agencyCode: string) => Promise<string[]>;
  intermediates?: readonly string[];
}): CertificateCheck {
  return async (input) => {
    const v = validateForAgency(deps.trustStore, input, deps.intermediates ?? [], 'registered');
    const registered = await deps.registeredCertificates(input.agencyCode);
    const fingerprints = new Set(
      registered.flatMap((pem) => {
        try {
          return [fingerprintSha256(pem)];
        } catch {
          return []; // an unreadable registry entry matches nothing
        }
      }),
    );
    if (!fingerprints.has(v.fingerprintSha256)) {
      throw new DomainError('CERTIFICATE_UNTRUSTED', `certificate ${v.fingerprintSha256} is not a registered certificate of agency ${input.agencyCode}`);
    }
    return summary(v);
  };
}

/**
 * The offline CertificateCheck (CLI, archive audits): chain, validity, key usage and agency code =
 * From/OrganId (the `subject` binding). It cannot know which certificates the agency registered.
 */
export function createOfflineCertificateCheck(trustStore: TrustStore, intermediates: readonly string[] = []): CertificateCheck {
  return async (input) => summary(validateForAgency(trustStore, input, intermediates, 'subject'));
}
