/**
 * Steps 1–3 of the verification of a received package (checkPackageXml, DESIGN.md §5) for a package
 * that carries large files, without building a DOM, a canonical form or a model over the files'
 * base64 (issue 16: the DOM path held the package about eleven times over). The long base64 runs are
 * cut out of the bytes before any parser sees them, replaced by short placeholders; the whole checked
 * pipeline — hardening gate, DOM, strict signature profile, xml-crypto's canonicalisation and
 * SignatureValue check, the model parsed from the signed content — runs on that reduced text, except
 * that the Reference digest is taken over the reduced canonical form with each placeholder replaced
 * by the received bytes of its run. This module only ever ACCEPTS: whenever a condition below does not
 * hold, or anything throws, it answers null and the caller runs the full DOM check on the received
 * bytes (which then accepts or refuses on its own). No check is skipped either way.
 *
 * Equivalence: F is the received bytes, R the reduced text, r₁…rₖ the runs, p₁…pₖ their placeholders.
 *
 *   (a) A run is a maximal sequence of at least MIN_RUN bytes from the base64 alphabet
 *       `A–Z a–z 0–9 + / =`, directly preceded by `>` and directly followed by `<`. Each pᵢ is 32
 *       characters of that alphabet drawn at random (crypto) AFTER F was received, found nowhere in F,
 *       and occurring exactly once in R (checked). No run or placeholder holds `<`, `>`, `&`, quotes
 *       or whitespace.
 *   (b) F holds no `<!` at all (no comment, CDATA section or DOCTYPE) and no `<?` but an XML
 *       declaration at offset 0, which is also F's first byte (no BOM, no stray prefix).
 *   (c) R passes assertSafeXml and xmldom (every error fatal): R is well-formed. In a well-formed text
 *       with no comment, CDATA, PI or DOCTYPE every `<` opens a tag, and `<` occurs nowhere inside a
 *       tag's attribute values or in character data. pᵢ is followed by `<`, so it is not inside a tag
 *       (a tag cannot continue past a `<`) and — preceded by `>` — not part of a name; the prolog and
 *       epilog hold only whitespace. So pᵢ is character data of some element, and so is rᵢ in F, at
 *       the same place: F and R have the same tree, element for element and attribute for attribute,
 *       and differ only in those text nodes, each of which holds rᵢ in F where it holds pᵢ in R.
 *       Every check of the gate, the parser and the profile depends on F and R alike (the runs are
 *       ASCII base64: no node, reference, forbidden character or whitespace), except the size, which
 *       is checked on F (F.length ≤ maxBytes, else null).
 *   (d) Exclusive c14n writes a base64 character of character data as itself, so the canonical form
 *       of F is the canonical form of R with each output pᵢ replaced by rᵢ. The digest function
 *       requires each pᵢ exactly once in R's canonical form, in run order (else it throws → null), and
 *       hashes R's canonical form with rᵢ's received bytes (ASCII = their UTF-8) in place of pᵢ:
 *       exactly the bytes the full check hashes. A text node removed by the enveloped-signature
 *       transform leaves its pᵢ out of the canonical form (count 0 → null); since pᵢ is random and
 *       absent from F, no other node, reference or attribute can produce it.
 *   (e) The SignatureValue is checked over the canonical SignedInfo, which holds no run (a run in the
 *       Signature makes its certificate or value a placeholder, which fails → null).
 *   (f) The model is parsed from R's signed content; it equals the model of F's except in the fields
 *       read from those text nodes. Each pᵢ must be the whole `contentBase64` of exactly one attachment
 *       and occur nowhere else in the model (counted over the whole model); rᵢ is put in its place,
 *       and the restored model is validated again (assertValidEdoc: base64 padding, everything else),
 *       as the full path validates F's. The size bound on the canonical form that the full path applies
 *       (parsePackage over the signed content, 4 × the input) is applied to F's canonical length.
 *
 * So whatever this module accepts, the full check accepts with the same certificate, algorithm and
 * model; everything else goes to the full check.
 */
import { createHash } from 'node:crypto';
import type { RsaHash } from '../crypto/signer.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './harden.js';
import type { Attachment, EdxmlPackage } from './model.js';
import { parsePackage } from './parse.js';
import { cutBase64Runs, decodeBase64Run, isBase64Run, type CutRun } from '../util/base64.js';
import { assertValidEdoc } from './validate.js';
import type { PackageXmlCheck, PackageXmlOptions } from './verify-package.js';
import { verifyXmlSignature } from './xmldsig.js';

/** Runs shorter than this are left in place: only files are worth cutting out. */
export const MIN_RUN = 64 * 1024;

const LT = 0x3c;
const GT = 0x3e;
/** Occurrences of `needle` in `text` (at most 2 counted). */
function occurrences(text: string, needle: string): number {
  const first = text.indexOf(needle);
  if (first < 0) return 0;
  return text.indexOf(needle, first + 1) < 0 ? 1 : 2;
}

/** Condition (d): the digest of F's canonical form, from R's; throws when a placeholder is not there exactly once, in order. */
function digestWithRuns(canonical: string, hash: RsaHash, input: Buffer, runs: readonly CutRun[]): string {
  const h = createHash(hash);
  let last = 0;
  for (const run of runs) {
    const at = canonical.indexOf(run.placeholder);
    if (at < last || occurrences(canonical, run.placeholder) !== 1) throw new Error('an elided run is not in the signed content exactly once, in order');
    h.update(canonical.slice(last, at), 'utf8');
    h.update(input.subarray(run.start, run.end));
    last = at + run.placeholder.length;
  }
  h.update(canonical.slice(last), 'utf8');
  return h.digest('base64');
}

/** Where a file's base64 was cut out: attachment `attachment` holds a placeholder for F[start, end). */
export interface ElidedRun {
  readonly attachment: number;
  readonly start: number;
  readonly end: number;
}

/** checkPackageXml's result with the runs left in F: `elided` says where (restoreElided puts them in). */
export interface ElidedCheck extends PackageXmlCheck {
  readonly elided?: readonly ElidedRun[];
}

/**
 * Condition (f), without copying a run: which attachment each run is, once the model of R checks
 * out with F's runs in place (each run canonical base64, read slice by slice). Undefined otherwise.
 */
function locateRuns(model: EdxmlPackage, input: Buffer, runs: readonly CutRun[]): ElidedRun[] | undefined {
  if (model.kind !== 'edoc') return undefined;
  const whole = JSON.stringify(model);
  const attachments = model.edoc.attachments;
  const located: ElidedRun[] = [];
  for (const run of runs) {
    if (occurrences(whole, run.placeholder) !== 1) return undefined;
    const i = attachments.findIndex((a) => a.contentBase64 === run.placeholder);
    if (i < 0 || !isBase64Run(input.subarray(run.start, run.end))) return undefined;
    located.push({ attachment: i, start: run.start, end: run.end });
  }
  // The model's other checks; a placeholder is itself canonical base64, as the run in its place is.
  assertValidEdoc(model.edoc);
  return located;
}

/** The run of F that holds an attachment's base64, for attachments restoreElided made. */
const RUNS = new WeakMap<Attachment, Buffer>();

/**
 * The result with each run's base64 put in its attachment, read from F when it is asked for: each
 * such attachment's `contentBase64` is a getter over its run (a new string at each read: read it
 * once, or better, use attachmentBytes / attachmentSize, which make none). F must not change while
 * the result lives (verifyPackage checks its private copy).
 */
export function restoreElided(check: ElidedCheck, input: Buffer): PackageXmlCheck {
  const { elided, ...result } = check;
  if (!elided?.length || result.model.kind !== 'edoc') return result;
  const attachments = [...result.model.edoc.attachments];
  for (const r of elided) {
    const run = input.subarray(r.start, r.end);
    const { contentBase64: _placeholder, ...rest } = attachments[r.attachment]!;
    const restored = Object.defineProperty(rest, 'contentBase64', { get: () => run.toString('latin1'), enumerable: true }) as Attachment;
    RUNS.set(restored, run);
    attachments[r.attachment] = restored;
  }
  return { ...result, model: { ...result.model, edoc: { ...result.model.edoc, attachments } } };
}

/** An attachment's file, decoded from its run without a string of its base64 when it has one. */
export function attachmentBytes(a: Attachment): Buffer {
  const run = RUNS.get(a);
  return run ? decodeBase64Run(run) : Buffer.from(a.contentBase64, 'base64');
}

/** An attachment's file size in bytes, from the length of its (canonical) base64. */
export function attachmentSize(a: Attachment): number {
  const run = RUNS.get(a);
  const length = run ? run.length : a.contentBase64.length;
  const last = (i: number): number => (run ? (run[run.length - i] ?? 0) : a.contentBase64.charCodeAt(length - i));
  const padding = length === 0 ? 0 : last(1) !== 0x3d ? 0 : last(2) === 0x3d ? 2 : 1;
  return (length / 4) * 3 - padding;
}

/** Conditions (a) and (b): F's runs with their placeholders, and R; undefined when they do not hold. */
function cutRuns(input: Buffer): { runs: readonly CutRun[]; reduced: Buffer } | undefined {
  if (input.length < MIN_RUN) return undefined;
  // (b)
  if (input[0] !== LT || input.indexOf('<!', 0, 'latin1') >= 0) return undefined;
  const pi = input.indexOf('<?', 0, 'latin1');
  if (pi > 0 || (pi === 0 && input.indexOf('<?', 1, 'latin1') >= 0)) return undefined;
  // (a)
  return cutBase64Runs(input, GT, LT, MIN_RUN);
}

/**
 * parsePackage for a package this node stores and verified when it arrived (or signed itself), with
 * its files' base64 left in the bytes when the reduction applies: read them with attachmentBytes.
 * Serving one file of a large package parsed the whole text before (the base64 of every file as
 * strings, and the text itself two bytes a character). The same reduction as the check (conditions
 * a–c, f) without the signature check, which the stored bytes passed; the whole text is parsed when
 * a condition does not hold.
 */
export function parseStoredPackage(input: Buffer, limits?: Partial<XmlLimits>): EdxmlPackage {
  let elided: EdxmlPackage | undefined;
  try {
    const cut = cutRuns(input);
    const model = cut && parsePackage(cut.reduced, limits);
    const located = cut && model && locateRuns(model, input, cut.runs);
    if (located) elided = restoreElided({ sha256: '', model: model!, certificatePem: '', signatureAlgorithm: '', elided: located }, input).model;
  } catch {
    elided = undefined; // the whole parse decides
  }
  return elided ?? parsePackage(input, limits);
}

/**
 * checkPackageXml's result for `input`, computed on the text with its long base64 runs cut out, when
 * every condition in this file's header holds; undefined otherwise (the caller then runs the full
 * check). `sha256` is the input's. Never throws.
 */
export function checkElided(input: Buffer, options: PackageXmlOptions, sha256: string): PackageXmlCheck | undefined {
  const check = checkLeavingRuns(input, options, sha256);
  return check && restoreElided(check, input);
}

/**
 * checkElided with the runs left where they are in `input` (`elided` says where): for a checking
 * thread whose caller holds the same bytes, so that the files' base64 is not copied into the
 * thread's heap, into the reply, and into the caller's heap again. Never throws.
 */
export function checkLeavingRuns(input: Buffer, options: PackageXmlOptions, sha256: string): ElidedCheck | undefined {
  try {
    const maxBytes = options.limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
    if (input.length > maxBytes) return undefined;
    const cut = cutRuns(input);
    if (!cut) return undefined;
    const { runs, reduced } = cut;

    // (c)–(e): the checked pipeline of checkPackageXml, on R, with the digest of (d).
    // verifyXmlSignature runs the hardening gate on R before its parser.
    const sig = verifyXmlSignature(reduced, {
      allowLegacy: options.allowLegacy === true,
      ...(options.limits ? { limits: options.limits } : {}),
      digestOf: (canonical, hash) => digestWithRuns(canonical, hash, input, runs),
    });
    // (f) The full path's bound on the signed content, on F's canonical length.
    const canonicalBytes = Buffer.byteLength(sig.signedXml, 'utf8') + runs.reduce((n, r) => n + (r.end - r.start) - r.placeholder.length, 0);
    const modelMaxBytes = Math.max(4 * input.length, 4096);
    if (canonicalBytes > modelMaxBytes) return undefined;
    const model = parsePackage(sig.signedXml, { ...options.limits, maxBytes: modelMaxBytes });
    const elided = locateRuns(model, input, runs);
    if (!elided) return undefined;
    return { sha256, model, certificatePem: sig.certificatePem, signatureAlgorithm: sig.signatureAlgorithm, elided };
  } catch {
    return undefined; // whatever went wrong, the full check decides
  }
}
