/**
 * Verification of the signatures inside a PDF (PAdES / CMS, ISO 32000-2 §12.8): the legal
 * signatures of NĐ 30/2020 (Điều 5, Phụ lục I) — the competent person's, then the agency's — as
 * DESIGN.md §5's checklist applies them to PDFs:
 *  1. limits before reading (file size, number of signatures, /Contents size, bytes hashed);
 *  2. each signature dictionary (found by its /ByteRange, read with the bounded lexer): a
 *     /ByteRange of four integers starting at 0 whose one gap is exactly the /Contents string;
 *  3. the CMS over exactly the covered bytes (`verify-cms.ts`): message digest, signature;
 *  4. the signer certificate (`verify-certificate.ts`): path to a trust anchor, validity at the
 *     signing time, key usage; who it names (person or agency);
 *  5. what later incremental updates changed (`structure-updates.ts`): nothing, signatures, form
 *     fields, annotations or content — form fields and annotations are accepted when a later
 *     signature signed them, content never;
 *  6. the document: a valid person's signature, then a valid agency signature of the sending agency.
 *
 * Every problem is a stable code; a hostile file gets a verdict, never an exception. Only
 * `toTrustAnchors` throws, on anchors that are not certificates (a configuration error).
 * The work is synchronous and bounded; a server should still run it off the event loop (as
 * src/edxml/sign-pool.ts does for packages), since hashing a 64 MiB file takes a while.
 */
import type { CmsProblem } from './verify-cms.js';
import { checkCms } from './verify-cms.js';
import type { CertificateProblem, SignerIdentity, TrustAnchor, TrustAnchorInput } from './verify-certificate.js';
import { checkSignerCertificate, describeSigner, toTrustAnchors } from './verify-certificate.js';
import type { PdfDict, PdfValue } from './structure-lexer.js';
import { StructureError, nameOf, stringBytes, textOf } from './structure-lexer.js';
import type { IndirectObject, StructureLimits } from './structure-objects.js';
import { DEFAULT_STRUCTURE_LIMITS, PdfFile, lastStartxref, readIndirectObject, startxrefOfRevisionEndingAt, viewOrReconstruct } from './structure-objects.js';
import type { ChangeLevel, DocumentGraph } from './structure-updates.js';
import { buildDocumentGraph, changesAfter } from './structure-updates.js';

/** Caps on what one verification reads and computes. */
export interface PdfVerifyLimits {
  /** A larger file is refused unread. */
  readonly maxFileBytes: number;
  /** More /ByteRange entries than this and the file is refused (each costs a hash of the file). */
  readonly maxSignatures: number;
  /** Decoded /Contents (the CMS); real ones are 2–16 KiB, signers reserve up to 32 KiB. */
  readonly maxContentsBytes: number;
  /** Bytes hashed over all signatures of the file. */
  readonly maxHashedBytes: number;
  readonly structure: StructureLimits;
}

export const DEFAULT_PDF_LIMITS: PdfVerifyLimits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxSignatures: 20,
  maxContentsBytes: 32 * 1024,
  maxHashedBytes: 256 * 1024 * 1024,
  structure: DEFAULT_STRUCTURE_LIMITS,
};

/** Stable codes for what is wrong with one signature. */
export type PdfSignatureProblem =
  | CmsProblem
  | CertificateProblem
  | 'byte-range-invalid'
  | 'contents-too-large'
  | 'unsupported-subfilter'
  | 'limit-exceeded'
  | 'modified-after-signing'
  | 'form-fields-changed-after-signing'
  | 'annotations-changed-after-signing'
  | 'content-changed-after-signing';

/** One signature of the file, as a clerk needs to see it. */
export interface PdfSignatureReport {
  /** 1-based, in the order the signatures were applied (by the end of what each covers). */
  readonly index: number;
  /** The signature field's name (/T), when a field refers to this signature. */
  readonly fieldName: string | null;
  /** A signature (/Sig) or a document timestamp (/DocTimeStamp, RFC 3161). */
  readonly kind: 'signature' | 'timestamp';
  readonly subFilter: string | null;
  /** The signer certificate's CN. */
  readonly signer: string | null;
  /** The signer certificate's O. */
  readonly organisation: string | null;
  /** The agency code the certificate is bound to (subject serialNumber), when it has one. */
  readonly agencyCode: string | null;
  readonly role: 'person' | 'agency' | 'timestamp';
  /** The signing time the signature claims (signed attribute, else the signed /M), or a timestamp's genTime. */
  readonly signedAt: Date | null;
  readonly byteRange: readonly [number, number, number, number] | null;
  /** The signature covers every byte of the file but its own /Contents. */
  readonly coversWholeFile: boolean;
  /**
   * What revisions after this signature changed (`none` when it covers the whole file). Form fields
   * and annotations are a problem only when no later signature signed them.
   */
  readonly changesAfter: ChangeLevel;
  /** The CMS digest matches the covered bytes and its signature verifies. */
  readonly intact: boolean;
  /** The certificate chains to a trust anchor and was fit to sign at the signing time. */
  readonly trusted: boolean;
  /** No problem at all. */
  readonly valid: boolean;
  readonly problems: readonly PdfSignatureProblem[];
  readonly certificate: SignerIdentity | null;
}

/** Stable codes for the document as a whole. */
export type PdfDocumentProblem =
  | 'not-a-pdf'
  | 'file-too-large'
  | 'too-many-signatures'
  | 'no-signature'
  | 'invalid-signature'
  | 'no-person-signature'
  | 'no-agency-signature'
  | 'agency-before-person'
  | 'agency-mismatch';

/** What `verifyPdfSignatures` returns. */
export interface PdfSignaturesVerdict {
  readonly signatures: readonly PdfSignatureReport[];
  readonly problems: readonly PdfDocumentProblem[];
  /**
   * NĐ 30/2020 Điều 5: every signature valid, a person's signature, then the agency's (of
   * `expectedAgencyCode` when given).
   */
  readonly officiallySigned: boolean;
}

/** Options of `verifyPdfSignatures`. */
export interface VerifyPdfOptions {
  /** CA certificates whose paths are trusted: PEM (bundles too), DER, or node-forge certificates. */
  readonly trustAnchors: readonly TrustAnchorInput[];
  /** The sending agency's code (mã định danh): the agency signature must be bound to it. */
  readonly expectedAgencyCode?: string;
  /** The time to check certificates at when a signature claims none (default: now). */
  readonly now?: Date;
  readonly limits?: Partial<PdfVerifyLimits>;
}

/**
 * Verifies every signature of a PDF and the order NĐ 30 requires. Never throws on file contents;
 * throws only when a trust anchor is not a certificate.
 */
export function verifyPdfSignatures(bytes: Uint8Array, options: VerifyPdfOptions): PdfSignaturesVerdict {
  const anchors = toTrustAnchors(options.trustAnchors);
  const limits: PdfVerifyLimits = { ...DEFAULT_PDF_LIMITS, ...options.limits };
  const refuse = (problem: PdfDocumentProblem): PdfSignaturesVerdict => ({ signatures: [], problems: [problem], officiallySigned: false });
  if (bytes.length > limits.maxFileBytes) return refuse('file-too-large');
  const file = new PdfFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), limits.structure);
  if (!file.text.slice(0, 1024).includes('%PDF-')) return refuse('not-a-pdf');
  if (countOccurrences(file.text, '/ByteRange', limits.maxSignatures + 1) > limits.maxSignatures) return refuse('too-many-signatures');

  const found = findSignatureDictionaries(file);
  const ctx: Context = { file, anchors, limits, now: options.now ?? new Date(), hashed: 0, graph: undefined };
  const reports = attestLaterChanges(
    found
      .map((f) => ({ f, end: coveredEnd(f) }))
      .sort((a, b) => a.end - b.end || a.f.at - b.f.at)
      .map(({ f }, i) => checkSignature(ctx, f, i + 1)),
  );
  const problems = documentProblems(reports, options.expectedAgencyCode);
  return { signatures: reports, problems, officiallySigned: problems.length === 0 };
}

interface Context {
  readonly file: PdfFile;
  readonly anchors: readonly TrustAnchor[];
  readonly limits: PdfVerifyLimits;
  readonly now: Date;
  hashed: number;
  graph: DocumentGraph | undefined;
}

/** A signature dictionary found in the file, or a /ByteRange whose object could not be read. */
interface FoundSignature {
  /** Offset of the /ByteRange text (orders unreadable ones). */
  readonly at: number;
  readonly object: IndirectObject | null;
  readonly dict: PdfDict | null;
  /** The field's /T when the dictionary sits directly inside its field. */
  readonly fieldName: string | null;
}

function countOccurrences(text: string, needle: string, stopAt: number): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0 && n < stopAt; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * Every dictionary with a /ByteRange: scanning for the key and reading the indirect object around
 * it. A /ByteRange inside a stream or a comment is not in an object's dictionary and is skipped;
 * one in an object that cannot be read is kept as a malformed signature (a clerk must see it).
 */
function findSignatureDictionaries(file: PdfFile): FoundSignature[] {
  const found: FoundSignature[] = [];
  const objects = new Set<number>();
  for (let at = file.text.indexOf('/ByteRange'); at >= 0; at = file.text.indexOf('/ByteRange', at + 10)) {
    const header = enclosingObjectHeader(file, at);
    if (header === null) continue;
    if (objects.has(header)) continue;
    let object: IndirectObject;
    try {
      object = readIndirectObject(file, header);
    } catch (e) {
      if (!(e instanceof StructureError)) throw e;
      objects.add(header);
      found.push({ at, object: null, dict: null, fieldName: null });
      continue;
    }
    if (object.end <= at || (object.stream && object.stream.start <= at)) continue; // not in this object's dictionary
    objects.add(header);
    for (const s of signatureDictsIn(object)) found.push({ at, object, ...s });
  }
  return found;
}

const HEADER_TAIL = /(?<![0-9])\d{1,10}[\0\t\n\f\r ]+\d{1,5}[\0\t\n\f\r ]*$/;

/**
 * Offset of the nearest `n g obj` header before `at`, looking at no more than 1000 `obj` words: the
 * way back may cross a /Contents of any size (hex digits hold no `obj`), never an unbounded search.
 */
function enclosingObjectHeader(file: PdfFile, at: number): number | null {
  const { text } = file;
  let p = at;
  for (let tries = 0; tries < 1000; tries++) {
    const i = text.lastIndexOf('obj', p - 1);
    if (i < 0) return null;
    p = i;
    const after = text.charCodeAt(i + 3);
    if (text[i - 1] === 'd' || !(Number.isNaN(after) || /[\0\t\n\f\r ()<>[\]{}/%]/.test(String.fromCharCode(after)))) continue; // endobj, objects…
    const m = HEADER_TAIL.exec(text.slice(Math.max(0, i - 20), i));
    if (m) return i - m[0].length;
  }
  return null;
}

/** The signature dictionaries in an object: itself, or a field's direct /V (some writers nest it). */
function signatureDictsIn(object: IndirectObject): { dict: PdfDict; fieldName: string | null }[] {
  const v = object.value;
  if (v.kind !== 'dict') return [];
  if (v.entries.has('ByteRange')) return [{ dict: v, fieldName: null }];
  const nested = v.entries.get('V');
  if (nested?.kind === 'dict' && nested.entries.has('ByteRange')) return [{ dict: nested, fieldName: textString(v.entries.get('T')) }];
  return [];
}

function textString(v: PdfValue | undefined): string | null {
  if (v?.kind !== 'string') return null;
  try {
    return textOf(stringBytes(v, 4096));
  } catch {
    return null;
  }
}

type ByteRange = readonly [number, number, number, number];

/** The four integers of /ByteRange, or null when it is not four non-negative integers. */
function byteRangeOf(dict: PdfDict | null): ByteRange | null {
  const br = dict?.entries.get('ByteRange');
  if (br?.kind !== 'array' || br.items.length !== 4) return null;
  const n = br.items.map((i) => (i.kind === 'number' && i.integer && i.value >= 0 && Number.isSafeInteger(i.value) ? i.value : -1));
  return n.some((x) => x < 0) ? null : (n as unknown as ByteRange);
}

function coveredEnd(f: FoundSignature): number {
  const br = byteRangeOf(f.dict);
  return br ? br[2] + br[3] : f.at;
}

const SIGNATURE_SUBFILTERS = new Set(['adbe.pkcs7.detached', 'ETSI.CAdES.detached']);
const TIMESTAMP_SUBFILTER = 'ETSI.RFC3161';

type Draft = { -readonly [K in keyof PdfSignatureReport]: PdfSignatureReport[K] };

/** Checks one signature dictionary, in the order of DESIGN.md §5: structure, CMS, certificate, later changes. */
function checkSignature(ctx: Context, found: FoundSignature, index: number): PdfSignatureReport {
  const { dict } = found;
  const subFilter = dict ? (nameOf(dict, 'SubFilter') ?? null) : null;
  const kind: PdfSignatureReport['kind'] = (dict && nameOf(dict, 'Type') === 'DocTimeStamp') || subFilter === TIMESTAMP_SUBFILTER ? 'timestamp' : 'signature';
  const problems = new Set<PdfSignatureProblem>();
  const report: Draft = {
    index,
    fieldName: found.fieldName ?? fieldNameOf(ctx, found),
    kind,
    subFilter,
    signer: null,
    organisation: null,
    agencyCode: null,
    role: kind === 'timestamp' ? 'timestamp' : 'person',
    signedAt: null,
    byteRange: null,
    coversWholeFile: false,
    changesAfter: 'none',
    intact: false,
    trusted: false,
    valid: false,
    problems: [],
    certificate: null,
  };
  const done = (): PdfSignatureReport => ({ ...report, valid: problems.size === 0 && report.intact && report.trusted, problems: [...problems] });
  if (!dict) {
    problems.add('malformed');
    return done();
  }
  const supported = kind === 'timestamp' ? subFilter === TIMESTAMP_SUBFILTER : subFilter !== null && SIGNATURE_SUBFILTERS.has(subFilter);
  if (!supported) problems.add('unsupported-subfilter');

  const range = checkedByteRange(ctx.file, dict, ctx.limits.maxContentsBytes);
  if ('problem' in range) {
    problems.add(range.problem);
    return done();
  }
  report.byteRange = range.byteRange;
  const [, b, c, d] = range.byteRange;
  report.coversWholeFile = c + d === ctx.file.bytes.length;
  if (!report.coversWholeFile) report.changesAfter = laterChanges(ctx, c + d, problems);
  if (!supported) return done();

  ctx.hashed += b + d;
  if (ctx.hashed > ctx.limits.maxHashedBytes) {
    problems.add('limit-exceeded');
    return done();
  }
  const cms = checkCms(range.contents, [ctx.file.bytes.subarray(0, b), ctx.file.bytes.subarray(c, c + d)], kind);
  cms.problems.forEach((p) => problems.add(p));
  report.intact = cms.intact;
  report.signedAt = cms.timestampTime ?? cms.signingTime ?? pdfDate(dict) ?? null;
  if (!cms.signerCertificate) return done();

  const identity = describeSigner(cms.signerCertificate);
  report.certificate = identity;
  report.signer = identity?.commonName ?? null;
  report.organisation = identity?.organisation ?? null;
  report.agencyCode = identity?.agencyCode ?? null;
  if (identity && kind === 'signature') report.role = identity.role;
  const cert = checkSignerCertificate(cms.signerCertificate, cms.certificates, ctx.anchors, report.signedAt ?? ctx.now, kind);
  cert.problems.forEach((p) => problems.add(p));
  report.trusted = cert.problems.length === 0;
  return done();
}

function fieldNameOf(ctx: Context, found: FoundSignature): string | null {
  if (!found.object) return null;
  return graphOf(ctx).signatureFields.get(found.object.num) ?? null;
}

/** The last revision's graph, built once per file and only when needed. */
function graphOf(ctx: Context): DocumentGraph {
  ctx.graph ??= buildDocumentGraph(ctx.file, viewOrReconstruct(ctx.file, lastStartxref(ctx.file), ctx.file.bytes.length));
  return ctx.graph;
}

/**
 * /ByteRange [0 b c d] with exactly one gap [b, c) that is the /Contents hex string, delimiters
 * included (the placeholder convention every signer follows), and c + d inside the file. A range
 * that starts later, overlaps, or leaves out anything but /Contents would sign less than it shows.
 */
function checkedByteRange(file: PdfFile, dict: PdfDict, maxContents: number): { byteRange: ByteRange; contents: Buffer } | { problem: PdfSignatureProblem } {
  const br = byteRangeOf(dict);
  const contents = dict.entries.get('Contents');
  if (!br || contents?.kind !== 'string') return { problem: br ? 'malformed' : 'byte-range-invalid' };
  const [a, b, c, d] = br;
  if (a !== 0 || b === 0 || c < b || c + d > file.bytes.length) return { problem: 'byte-range-invalid' };
  if (!contents.hex || contents.src !== file.bytes || contents.start !== b || contents.end !== c) return { problem: 'byte-range-invalid' };
  // Two hex digits a byte; twice that again is more white space than any writer puts in.
  if (c - b - 2 > 4 * maxContents) return { problem: 'contents-too-large' };
  let decoded: Buffer;
  try {
    decoded = stringBytes(contents, maxContents);
  } catch {
    return { problem: 'contents-too-large' };
  }
  return { byteRange: br, contents: trimPadding(decoded) };
}

/** The CMS without the zero padding that fills the rest of the reserved /Contents. */
function trimPadding(der: Buffer): Buffer {
  if (der[0] !== 0x30 || der.length < 2) return der;
  const first = der[1] as number;
  if (first === 0x80) return der; // indefinite length (BER): the parser finds the end
  let length = first;
  let header = 2;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4 || der.length < 2 + n) return der;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[2 + i] as number);
    header = 2 + n;
  }
  return header + length <= der.length ? der.subarray(0, header + length) : der;
}

/** What the revisions after the signed one changed; adds the matching problem. */
function laterChanges(ctx: Context, signedEnd: number, problems: Set<PdfSignatureProblem>): ChangeLevel {
  const startxref = startxrefOfRevisionEndingAt(ctx.file, signedEnd);
  if (startxref === null) {
    // The signed bytes do not end a revision: there is no "before" to compare the rest with.
    problems.add('modified-after-signing');
    return 'content';
  }
  let level: ChangeLevel;
  try {
    level = changesAfter(ctx.file, viewOrReconstruct(ctx.file, startxref, signedEnd), graphOf(ctx)).level;
  } catch (e) {
    if (!(e instanceof StructureError)) throw e;
    problems.add('modified-after-signing');
    return 'content';
  }
  if (level === 'content') problems.add('content-changed-after-signing');
  return level;
}

/**
 * Form fill-in and annotations after a signature are accepted when a later signature signed them:
 * the NĐ 30 flow itself — the leader signs, the văn thư writes the number and date into the draft's
 * fields and applies the agency's signature over all of it. The later signature must be intact,
 * trusted, and followed by nothing but signatures; otherwise the changes are nobody's, and every
 * signature before them says so. Content changes are never accepted: they alter what the earlier
 * signer approved, whoever signed after.
 */
function attestLaterChanges(reports: PdfSignatureReport[]): PdfSignatureReport[] {
  return reports.map((s) => {
    if (s.changesAfter !== 'form-fields' && s.changesAfter !== 'annotations') return s;
    const attested = reports.some((later) => later.index > s.index && later.kind === 'signature' && later.intact && later.trusted && (later.changesAfter === 'none' || later.changesAfter === 'signatures'));
    if (attested) return s;
    const problems = [...s.problems, s.changesAfter === 'form-fields' ? ('form-fields-changed-after-signing' as const) : ('annotations-changed-after-signing' as const)];
    return { ...s, problems, valid: false };
  });
}

/** The signature dictionary's /M (covered by the signature, but claimed by the signer all the same). */
function pdfDate(dict: PdfDict): Date | undefined {
  const text = textString(dict.entries.get('M'));
  const m = text && /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo = '01', da = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s));
  const offset = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : sign === '+' ? 1 : 0);
  const date = new Date(utc - offset);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * NĐ 30/2020 Điều 5 and Phụ lục I: the competent person signs, then the văn thư applies the
 * agency's signature (Điều 13–14, 32.2). The agency signature that counts is the last valid one; it
 * must come after a valid person's signature, and belong to the sending agency when it is known.
 */
function documentProblems(signatures: readonly PdfSignatureReport[], expectedAgencyCode: string | undefined): PdfDocumentProblem[] {
  const problems: PdfDocumentProblem[] = [];
  if (signatures.length === 0) return ['no-signature'];
  if (signatures.some((s) => !s.valid)) problems.push('invalid-signature');
  const persons = signatures.filter((s) => s.valid && s.role === 'person');
  const agency = signatures.filter((s) => s.valid && s.role === 'agency').at(-1);
  if (persons.length === 0) problems.push('no-person-signature');
  if (!agency) problems.push('no-agency-signature');
  if (agency && persons.length > 0 && !persons.some((p) => p.index < agency.index)) problems.push('agency-before-person');
  if (agency && expectedAgencyCode !== undefined && agency.agencyCode !== expectedAgencyCode) problems.push('agency-mismatch');
  return problems;
}
