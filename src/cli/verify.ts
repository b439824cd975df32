/**
 * `lienthong verify FILE [--trust PATH]... [--legacy]`: verifies a signed edXML package offline.
 *
 * Offline means no database: the rule "the certificate is the agency's registered certificate"
 * cannot be checked, so this checks everything else of DESIGN.md §5 — the hardening gate, the
 * signature profile and cryptography, the chain to the anchors given (default `certs/trusted/*.pem`
 * plus `certs/dev/ca.pem` when present), validity at the package's signing time, key usage, and that
 * the certificate's agency code equals From/OrganId. That is the one binding of a certificate to its
 * agency an offline check can see; a certificate bound by its registration at a node (a national-CA
 * certificate without our agency code, API.md) verifies only online, and the output says which
 * binding was checked.
 *
 * Exit codes: 0 valid; 1 invalid (the reason is printed as `CODE: detail`); 2 usage or setup error.
 */
import { dateToEdxmlTimestamp } from '../edxml/dates.js';
import { peekDocumentId } from '../edxml/parse.js';
import { BINDING_LABEL, createOfflineCertificateCheck, verifyPackage } from '../edxml/verify-package.js';
import { isDomainError } from '../errors.js';
import { loadInputs, parseVerifyArgs } from './verify-args.js';

/** Where the command writes. */
export interface VerifyIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const USAGE = `Usage: lienthong verify FILE [--trust PATH]... [--legacy]

  Verifies a signed edXML package offline: signature, certificate chain to the anchors given
  (default: certs/trusted/*.pem and certs/dev/ca.pem if present), validity at the signing time,
  and that the certificate belongs to the agency in From/OrganId by the agency code in its
  subject (serialNumber). The agency's registration at a node cannot be checked offline: a
  certificate bound to its agency only by that registration does not verify here.

  --trust PATH  trust the CA certificate(s) in PATH: a PEM file, or a folder of *.pem (repeatable;
                instead of the defaults)
  --legacy      accept rsa-sha1 / sha1 signatures (partners marked legacy)
`;

/** Runs `lienthong verify`; resolves to the exit code. */
export async function runVerify(argv: string[], io: VerifyIo, options: { cwd?: string; now?: () => Date } = {}): Promise<number> {
  const args = parseVerifyArgs(argv);
  if (args === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (typeof args === 'string') {
    io.stderr.write(`lienthong verify: ${args}\n\n${USAGE}`);
    return 2;
  }
  const cwd = options.cwd ?? process.cwd();

  const inputs = await loadInputs(args, cwd, 'lienthong verify', io.stderr);
  if (inputs === 2) return 2;
  const { trust, bytes } = inputs;

  try {
    const v = await verifyPackage(bytes, {
      checkCertificate: createOfflineCertificateCheck(trust),
      allowLegacy: args.legacy,
      ...(options.now ? { now: options.now } : {}),
    });
    const lines = [
      'VALID (offline: the agency registry was not consulted)',
      `  kind:        ${v.kind}`,
      `  agency:      ${v.senderCode}`,
      `  signer:      ${v.certificate.subject}`,
      `  issuer:      ${v.certificate.issuer}`,
      `  certificate: serial ${v.certificate.serialNumber}, SHA-256 ${v.certificate.fingerprintSha256}`,
      `  binding:     ${BINDING_LABEL.subject} (the registration at a node is not checked offline)`,
      `  document:    ${peekDocumentId(v.model)}`,
      ...(v.model.kind === 'status' ? [`  status:      ${v.model.status.statusCode}`] : []),
      `  signed at:   ${dateToEdxmlTimestamp(v.signingTime)} (Vietnam time)`,
      `  algorithm:   ${v.signatureAlgorithm}`,
      `  sha256:      ${v.sha256}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    // Anything that is not a verified package is a refusal: unexpected errors included (fail closed).
    if (isDomainError(e)) io.stderr.write(`INVALID ${e.code}: ${e.message}\n`);
    else io.stderr.write(`INVALID INTERNAL: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
