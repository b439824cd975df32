/**
 * Offline verification of archive files and chain exports (`lienthong verify`, `lienthong
 * verify-chain`), handover records included (issue 19): no database, no network. Trust comes only from the anchors the caller gives; the
 * certificates inside the file are candidates that must chain to them.
 *
 * Every check is reported, passing or failing, so one changed byte is named precisely (the entry
 * it is in, the digest that no longer matches, the link that broke) and the rest of the evidence is
 * still assessed. The file is valid only when no check fails.
 */
import { derToPem, fingerprintSha256, pemToDer } from '../crypto/certificates.js';
import { verifyRsaSha256 } from '../crypto/signer.js';
import type { TrustStore } from '../crypto/trust.js';
import { dateToEdxmlTimestamp } from '../edxml/dates.js';
import type { XmlLimits } from '../edxml/harden.js';
import { attachmentBytes, createOfflineCertificateCheck, MAX_FUTURE_SKEW_MS, verifyPackage } from '../edxml/verify-package.js';
import { isDomainError } from '../errors.js';
import { canonicalBytes, parseCanonical } from './canonical-json.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_README,
  buildManifest,
  certificateFileName,
  CHAIN_EXPORT_FORMAT,
  CHECKPOINT_ALGORITHM,
  CHECKPOINT_FORMAT,
  CHECKPOINT_NAME,
  CONTENT_FORMAT,
  CONTENT_NAME,
  VERSIONED_CONTENT_FORMAT,
  ENTRY_FORMAT,
  HANDOVER_CONTENT_FORMAT,
  HANDOVER_FORMAT,
  HANDOVER_REASON,
  isHandoverRole,
  ENTRY_NAME,
  entryHash,
  GENESIS_HASH,
  isPurgeable,
  MANIFEST_NAME,
  NODE_ARCHIVE_IDENTITY,
  packageFileName,
  README_NAME,
  SEGMENT_NAME,
  sha256Hex,
  type ChainEntry,
  type ChainExport,
  type HandoverContent,
  type Manifest,
  type ManifestFile,
  type PackageEvidence,
  type RecordContent,
  type SignedCheckpoint,
  type VersionEvidence,
} from './format.js';
import { crc32, dosDateTime, layoutDifference, readZip, ZipFormatError, type ReadZip } from './zip.js';

export interface Check {
  status: 'ok' | 'fail' | 'note';
  /** What was checked: `container`, `record`, `packages/…`, `chain`, `checkpoint`, … */
  subject: string;
  detail: string;
}

export interface VerificationReport {
  /** Lines describing what the file is (agency, record, document). */
  heading: string[];
  checks: Check[];
  valid: boolean;
}

export interface VerifyOptions {
  /** The trust anchors given by the person verifying (never the ones inside the file). */
  trust: TrustStore;
  now?: Date;
  limits?: Partial<XmlLimits>;
  /** Accept rsa-sha1 / sha1 package signatures (partners marked legacy); off by default. */
  allowLegacy?: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;

class Report {
  readonly heading: string[] = [];
  readonly checks: Check[] = [];
  ok(subject: string, detail: string): void {
    this.checks.push({ status: 'ok', subject, detail });
  }
  fail(subject: string, detail: string): void {
    this.checks.push({ status: 'fail', subject, detail });
  }
  note(subject: string, detail: string): void {
    this.checks.push({ status: 'note', subject, detail });
  }
  done(): VerificationReport {
    const valid = this.checks.length > 0 && !this.checks.some((c) => c.status === 'fail');
    return { heading: this.heading, checks: this.checks, valid };
  }
}

// ─── shapes ─────────────────────────────────────────────────────────────────────────────────

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** The reason a value is not a chain entry of this format, or null. */
function entryProblem(v: unknown): string | null {
  if (!isObject(v)) return 'is not a JSON object';
  if (v.format !== ENTRY_FORMAT) return `has format ${JSON.stringify(v.format)}, expected ${ENTRY_FORMAT}`;
  if (typeof v.agency !== 'string' || !isIndex(v.index)) return 'lacks its agency or index';
  if (typeof v.prevHash !== 'string' || !HEX64.test(v.prevHash) || typeof v.contentSha256 !== 'string' || !HEX64.test(v.contentSha256)) return 'has a malformed prevHash or contentSha256';
  if (typeof v.sealedAt !== 'string' || Number.isNaN(Date.parse(v.sealedAt))) return 'has no valid sealedAt';
  if ((v.role !== 'sender' && v.role !== 'recipient' && !isHandoverRole(v.role)) || typeof v.subject !== 'string' || typeof v.documentId !== 'string') return 'lacks its role, subject or documentId';
  // A handover record (issue 19) has its own reason; a document's record one of the seal's.
  const reasonFits = isHandoverRole(v.role) ? v.reason === HANDOVER_REASON : v.reason === 'final' || v.reason === 'timeout';
  if (!isIndex(v.version) || !reasonFits) return 'lacks its version or reason';
  return null;
}

/** The reason a value is not the content of a handover record, or null. */
function handoverContentProblem(v: unknown): string | null {
  if (!isObject(v)) return 'is not a JSON object';
  if (v.format !== HANDOVER_CONTENT_FORMAT) return `has format ${JSON.stringify(v.format)}, expected ${HANDOVER_CONTENT_FORMAT}`;
  const st = v.statement;
  if (!isObject(st) || st.format !== HANDOVER_FORMAT) return `lacks its ${HANDOVER_FORMAT} statement`;
  if (!isObject(st.from) || !isObject(st.to) || typeof st.from.code !== 'string' || typeof st.to.code !== 'string' || typeof st.id !== 'string' || typeof st.at !== 'string' || Number.isNaN(Date.parse(st.at))) {
    return 'has a statement without its agencies, id or time';
  }
  for (const key of ['inboxItems', 'documents', 'users', 'skipped'] as const) if (!Array.isArray(st[key])) return `has a statement without its ${key} list`;
  const sig = v.signature;
  if (!isObject(sig) || sig.algorithm !== CHECKPOINT_ALGORITHM || typeof sig.value !== 'string' || typeof sig.certificatePem !== 'string' || !Array.isArray(sig.chainPem) || !sig.chainPem.every((c) => typeof c === 'string')) {
    return `lacks its ${CHECKPOINT_ALGORITHM} signature, certificate or chain`;
  }
  return null;
}

/**
 * Checks a handover record's statement: the node certificate chains to an anchor at the time of the
 * handover and carries the node archive identity, its signature covers the canonical statement, the
 * statement is the one of this record (its id is the subject) and names this chain's agency on the
 * side the role says (`handover`: the closed agency; `takeover`: its successor).
 */
function checkHandover(report: Report, label: string, c: HandoverContent, options: VerifyOptions): void {
  const st = c.statement;
  if (st.id !== c.subject) {
    report.fail(label, `the statement is that of handover ${st.id}, the record seals handover ${c.subject}`);
    return;
  }
  const side = c.role === 'handover' ? st.from.code : st.to.code;
  if (side !== c.agency) {
    report.fail(label, `a ${c.role} record of ${c.agency} holds a statement whose ${c.role === 'handover' ? 'closed agency' : 'successor'} is ${side}`);
    return;
  }
  const at = new Date(st.at);
  const now = options.now ?? new Date();
  if (at.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) {
    report.fail(label, `is dated ${st.at}, in the future`);
    return;
  }
  let subject: string;
  try {
    const v = options.trust.validate(c.signature.certificatePem, { at, intermediates: c.signature.chainPem });
    if (v.agencyCode !== NODE_ARCHIVE_IDENTITY) {
      report.fail(label, `is signed by "${v.subject}", which is not a node archive certificate (identity ${NODE_ARCHIVE_IDENTITY})`);
      return;
    }
    subject = `${v.subject}, chain to trust anchor "${v.anchorSubject}"`;
  } catch (error) {
    report.fail(label, `signer certificate: ${reason(error)}`);
    return;
  }
  let good: boolean;
  try {
    good = verifyRsaSha256(c.signature.certificatePem, canonicalBytes(st), Buffer.from(c.signature.value, 'base64'));
  } catch (error) {
    report.fail(label, `signature cannot be checked: ${reason(error)}`);
    return;
  }
  if (!good) {
    report.fail(label, 'the signature does not verify: the statement of what was handed over was altered, or was not signed by this certificate');
    return;
  }
  const decision = st.decision ? ` under ${st.decision.number} of ${st.decision.date}` : '';
  report.ok(
    label,
    `${c.role === 'handover' ? 'handed over' : 'took over'}: ${st.from.code} → ${st.to.code}${decision} at ${st.at}: ${st.inboxItems.length} inbox item(s), ` +
      `${st.documents.length} document(s) to follow up, ${st.users.length} user(s) deactivated${st.skipped.length ? `, ${st.skipped.length} skipped` : ''}; signed by ${subject}`,
  );
}

function contentProblem(v: unknown): string | null {
  if (!isObject(v)) return 'is not a JSON object';
  if (v.format !== CONTENT_FORMAT && v.format !== VERSIONED_CONTENT_FORMAT) return `has format ${JSON.stringify(v.format)}, expected ${CONTENT_FORMAT} or ${VERSIONED_CONTENT_FORMAT}`;
  for (const key of ['packages', 'deliveries', 'statuses', 'events', 'audit', 'certificates'] as const) {
    if (!Array.isArray(v[key])) return `lacks its ${key} list`;
  }
  for (const p of v.packages as unknown[]) {
    if (!isObject(p) || typeof p.sha256 !== 'string' || !HEX64.test(p.sha256) || typeof p.from !== 'string' || !isObject(p.signer) || !['document', 'recall', 'status'].includes(p.role as string)) {
      return 'has a malformed package entry';
    }
  }
  // Format /2 lists the document's versions (issue 12); /1 has none.
  if (v.format === CONTENT_FORMAT) return 'documentVersions' in v ? `lists documentVersions, which only ${VERSIONED_CONTENT_FORMAT} has` : null;
  if (!Array.isArray(v.documentVersions) || v.documentVersions.length === 0) return 'lacks its documentVersions list';
  for (const d of v.documentVersions as unknown[]) {
    const wellFormed =
      isObject(d) &&
      isIndex(d.number) &&
      (d.kind === 'original' || d.kind === 'update') &&
      Array.isArray(d.packages) &&
      d.packages.every((x) => typeof x === 'string' && HEX64.test(x)) &&
      Array.isArray(d.attachments) &&
      d.attachments.every((a) => isObject(a) && typeof a.sha256 === 'string');
    if (!wellFormed) return 'has a malformed documentVersions entry';
  }
  return null;
}

/**
 * What a versioned record (format /2) must say of its versions: numbered one after another from the
 * first it holds (1, the document as first sent or received, is the only `original`); every package
 * a version names is one of the record's document packages, carrying exactly that version's files
 * (by SHA-256, in order), and every document package carries some version; the sender's stored files
 * (a composed document's) are its last version's; a recipient's item shows exactly one version.
 * Returns the problems found, none for a record of format /1.
 */
function versionProblems(c: RecordContent): string[] {
  if (c.format !== VERSIONED_CONTENT_FORMAT) return [];
  const versions: VersionEvidence[] = c.documentVersions ?? [];
  const documents = new Map(c.packages.filter((p) => p.role === 'document').map((p) => [p.sha256, p]));
  const problems: string[] = [];
  const digests = (files: ReadonlyArray<{ sha256?: unknown }>) => files.map((f) => String(f.sha256)).join(',');
  versions.forEach((v, i) => {
    const before = versions[i - 1];
    if (before && v.number !== before.number + 1) problems.push(`version ${v.number} follows version ${before.number}`);
    if ((v.kind === 'original') !== (v.number === 1)) problems.push(`version ${v.number} is marked ${v.kind}, but only version 1 is the original`);
    if (v.packages.length === 0) problems.push(`version ${v.number} names no package`);
    for (const sha of v.packages) {
      const p = documents.get(sha);
      if (!p) problems.push(`version ${v.number} names package ${short(sha)}, which the record does not seal as a document package`);
      else if (digests(p.attachments) !== digests(v.attachments)) problems.push(`the files of version ${v.number} are not the ones package ${short(sha)} carries (their SHA-256 digests differ)`);
    }
  });
  const named = new Set(versions.flatMap((v) => v.packages));
  for (const sha of documents.keys()) if (!named.has(sha)) problems.push(`document package ${short(sha)} carries no version the record lists`);
  const uploaded = (c.document as { attachments?: unknown }).attachments;
  const last = versions[versions.length - 1];
  if (c.role === 'sender' && c.document.source === 'api' && Array.isArray(uploaded) && last && digests(uploaded.filter(isObject)) !== digests(last.attachments)) {
    problems.push(`the files the sender holds are not those of its last version, ${last.number}`);
  }
  if (c.role === 'recipient' && versions.filter((v) => v.current === true).length !== 1) problems.push('the item does not show exactly one of its versions');
  return problems;
}

function checkpointProblem(v: unknown): string | null {
  if (!isObject(v) || !isObject(v.payload)) return 'is not a signed checkpoint object';
  const p = v.payload;
  if (p.format !== CHECKPOINT_FORMAT) return `has payload format ${JSON.stringify(p.format)}, expected ${CHECKPOINT_FORMAT}`;
  if (typeof p.agency !== 'string' || !isIndex(p.index) || typeof p.hash !== 'string' || !HEX64.test(p.hash) || typeof p.signedAt !== 'string' || Number.isNaN(Date.parse(p.signedAt))) {
    return 'has a malformed payload';
  }
  if (v.algorithm !== CHECKPOINT_ALGORITHM) return `uses algorithm ${JSON.stringify(v.algorithm)}, only ${CHECKPOINT_ALGORITHM} is accepted`;
  if (typeof v.signature !== 'string' || typeof v.certificatePem !== 'string' || !Array.isArray(v.chainPem) || !v.chainPem.every((c) => typeof c === 'string')) {
    return 'lacks its signature, certificate or chain';
  }
  return null;
}

const short = (hash: string): string => `${hash.slice(0, 16)}…`;

// ─── shared checks ──────────────────────────────────────────────────────────────────────────

/**
 * Checks a checkpoint: the node certificate chains to an anchor at the signing time, carries the node
 * archive identity, and its RSA-SHA256 signature covers the canonical payload.
 */
function checkCheckpoint(report: Report, label: string, cp: SignedCheckpoint, options: VerifyOptions): boolean {
  const at = new Date(cp.payload.signedAt);
  const now = options.now ?? new Date();
  if (at.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) {
    report.fail(label, `is dated ${cp.payload.signedAt}, in the future`);
    return false;
  }
  let subject: string;
  try {
    const v = options.trust.validate(cp.certificatePem, { at, intermediates: cp.chainPem });
    if (v.agencyCode !== NODE_ARCHIVE_IDENTITY) {
      report.fail(label, `is signed by "${v.subject}", which is not a node archive certificate (identity ${NODE_ARCHIVE_IDENTITY})`);
      return false;
    }
    subject = `${v.subject}, chain to trust anchor "${v.anchorSubject}"`;
  } catch (error) {
    report.fail(label, `signer certificate: ${reason(error)}`);
    return false;
  }
  let good: boolean;
  try {
    good = verifyRsaSha256(cp.certificatePem, canonicalBytes(cp.payload), Buffer.from(cp.signature, 'base64'));
  } catch (error) {
    report.fail(label, `signature cannot be checked: ${reason(error)}`);
    return false;
  }
  if (!good) {
    report.fail(label, `the signature does not verify: the signed head {agency ${cp.payload.agency}, index ${cp.payload.index}, hash ${short(cp.payload.hash)}, signedAt ${cp.payload.signedAt}} was altered, or was not signed by this certificate`);
    return false;
  }
  report.ok(label, `head #${cp.payload.index} (${short(cp.payload.hash)}) of ${cp.payload.agency} signed at ${cp.payload.signedAt} by ${subject}`);
  return true;
}

function reason(error: unknown): string {
  if (isDomainError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** A certificate file: one PEM certificate whose SHA-256 fingerprint is its name. */
function readCertificateFile(name: string, data: Buffer): { fingerprint: string; pem: string } | string {
  const text = data.toString('utf8');
  let pem: string;
  try {
    pem = derToPem(pemToDer(text));
  } catch (error) {
    return `is not one PEM certificate: ${reason(error)}`;
  }
  // Bytes outside the certificate (a comment, an extra line) would go unverified: refuse them.
  if (pem !== text) return 'holds bytes besides its one PEM certificate';
  const fingerprint = fingerprintSha256(pem);
  if (name !== certificateFileName(fingerprint)) return `has SHA-256 fingerprint ${fingerprint}, not the one its name says`;
  return { fingerprint, pem };
}

// ─── the archive file ───────────────────────────────────────────────────────────────────────

/** Verifies an archive file (`GET /v1/documents/{id}/archive`). */
export async function verifyArchiveFile(bytes: Buffer, options: VerifyOptions): Promise<VerificationReport> {
  const report = new Report();
  let zip: ReadZip;
  try {
    zip = readZip(bytes);
  } catch (error) {
    report.fail('container', error instanceof ZipFormatError ? error.message : `cannot be read: ${reason(error)}`);
    return report.done();
  }
  const files = new Map(zip.entries.map((e) => [e.name, e]));
  let crcOk = true;
  for (const e of zip.entries) {
    const actual = crc32(e.data);
    if (actual !== e.recordedCrc) {
      crcOk = false;
      report.fail('container', `${e.name}: its bytes do not match the CRC-32 the container recorded for it (recorded ${hex8(e.recordedCrc)}, computed ${hex8(actual)}): the file was altered`);
    }
  }

  // The chain entry: what the record's hash is computed over.
  let entry: ChainEntry | undefined;
  let hash: string | undefined;
  const entryFile = files.get(ENTRY_NAME);
  if (!entryFile) report.fail('record', `${ENTRY_NAME} is missing`);
  else {
    const parsed = parseCanonical(entryFile.data, ENTRY_NAME);
    const problem = parsed.ok ? entryProblem(parsed.value) : parsed.reason;
    if (!parsed.ok || problem) report.fail('record', parsed.ok ? `${ENTRY_NAME} ${problem}` : parsed.reason);
    else {
      entry = parsed.value as ChainEntry;
      hash = sha256Hex(entryFile.data);
      report.heading.push(
        `archive of ${entry.agency}, record #${entry.index} (${entry.role}, version ${entry.version}, sealed ${entry.sealedAt}${entry.reason === 'timeout' ? ' before the document was finished' : ''})`,
        `document ${entry.documentId}`,
      );
    }
  }

  const stamp = entry ? dosDateTime(new Date(entry.sealedAt)) : zip.stamp;
  const layout = layoutDifference(bytes, zip, stamp);
  if (layout) report.fail('container', layout);
  else if (crcOk) report.ok('container', `ZIP with ${zip.entries.length} entries in the canonical layout, every CRC-32 matching`);
  if (entry && hash) report.ok('record', `${ENTRY_NAME} is canonical; its hash is ${hash}`);

  const readme = files.get(README_NAME);
  if (!readme) report.fail(README_NAME, 'is missing');
  else if (!readme.data.equals(Buffer.from(ARCHIVE_README, 'utf8'))) report.fail(README_NAME, `differs from the fixed text of ${ARCHIVE_FORMAT}`);

  // The record content: what the entry seals by digest.
  let content: RecordContent | undefined;
  const contentFile = files.get(CONTENT_NAME);
  if (!contentFile) report.fail('record', `${CONTENT_NAME} is missing`);
  else {
    const parsed = parseCanonical(contentFile.data, CONTENT_NAME);
    const problem = parsed.ok ? contentProblem(parsed.value) : parsed.reason;
    if (!parsed.ok || problem) report.fail('record', parsed.ok ? `${CONTENT_NAME} ${problem}` : parsed.reason);
    else content = parsed.value as RecordContent;
    const digest = sha256Hex(contentFile.data);
    if (entry && digest !== entry.contentSha256) {
      report.fail('record', `${CONTENT_NAME} has SHA-256 ${digest}, but the sealed entry says contentSha256 ${entry.contentSha256}: the content was altered`);
    } else if (entry && content) {
      const same = content.agency === entry.agency && content.role === entry.role && content.subject === entry.subject && content.documentId === entry.documentId;
      if (!same) report.fail('record', `${CONTENT_NAME} names another agency, role, subject or document than the entry`);
      else report.ok('record', `${CONTENT_NAME} matches contentSha256 of the entry`);
    }
  }

  // Certificates carried in the file (candidates; trust comes from the anchors given).
  const pool: string[] = [];
  const certNames = new Set<string>();
  for (const e of zip.entries.filter((x) => x.name.startsWith('certificates/'))) {
    certNames.add(e.name);
    const read = readCertificateFile(e.name, e.data);
    if (typeof read === 'string') report.fail(e.name, read);
    else {
      pool.push(read.pem);
      if (content && !content.certificates.includes(read.fingerprint)) report.fail(e.name, 'is not one of the certificates the sealed record names');
    }
  }
  if (content) {
    const missing = content.certificates.filter((f) => !files.has(certificateFileName(f)));
    if (missing.length) report.fail('certificates', `the record names ${missing.length} certificate(s) the file does not hold: ${missing.join(', ')}`);
    else report.ok('certificates', `${content.certificates.length} certificate(s), each matching its SHA-256 fingerprint`);
  }

  // Manifest first: it says which packages were purged under retention.
  let manifest: Manifest | undefined;
  const manifestFile = files.get(MANIFEST_NAME);
  if (!manifestFile) report.fail(MANIFEST_NAME, 'is missing');
  else {
    const parsed = parseCanonical(manifestFile.data, MANIFEST_NAME);
    if (!parsed.ok) report.fail(MANIFEST_NAME, parsed.reason);
    else if (!isObject(parsed.value) || parsed.value.format !== ARCHIVE_FORMAT || !Array.isArray(parsed.value.purged) || !Array.isArray(parsed.value.files)) {
      report.fail(MANIFEST_NAME, `is not a ${ARCHIVE_FORMAT} manifest`);
    } else manifest = parsed.value as unknown as Manifest;
  }
  const purgedClaims = new Map((manifest?.purged ?? []).filter(isObject).map((p) => [String(p.name), p as ManifestFile & { purgedAt: string }]));

  // Packages: digest against the record, then the signature offline.
  const packageNames = new Set<string>();
  // In a versioned record, what each document package must be: a first version or an update.
  const versionKinds = new Map((content?.documentVersions ?? []).flatMap((v) => v.packages.map((sha) => [sha, v.kind] as const)));
  if (content) {
    for (const p of content.packages) {
      const name = packageFileName(p);
      packageNames.add(name);
      const file = files.get(name);
      if (!file) {
        const claim = purgedClaims.get(name);
        if (claim && isPurgeable(p) && claim.sha256 === p.sha256 && claim.size === p.size) {
          // The sealed record says when the recipient destroyed its copy by accepting a recall (15).
          const destroyed = content.role === 'recipient' && content.document.withdrawnAt === claim.purgedAt;
          report.note(
            name,
            `${destroyed ? 'copy destroyed when the recall was accepted (15)' : "bytes purged under the agency's retention period"} on ${claim.purgedAt}; SHA-256 ${p.sha256} stays sealed, with the signer the node verified when sealing (${p.signer.subject}, signed ${p.signedAt})` +
              (p.attachments.length ? ` and ${p.attachments.length} attachment digest(s)` : ''),
          );
        } else report.fail(name, `is missing (the sealed record lists this ${p.role} package, SHA-256 ${p.sha256})`);
        continue;
      }
      await checkPackage(report, name, p, file.data, pool, options, { documentId: content.documentId, kind: versionKinds.get(p.sha256) });
    }
    // A versioned record (issue 12): each version with its packages and files.
    const problems = versionProblems(content);
    if (problems.length) report.fail('versions', `${problems.join('; ')}: the record does not account for the versions of its document`);
    else if (content.documentVersions) {
      const v = content.documentVersions;
      report.ok('versions', `${v.length} version(s) of the document (${v.map((x) => `${x.number} ${x.kind}${x.current ? ', shown' : ''}`).join('; ')}), each with its packages and the files they carry`);
    }
    // The files the sender uploaded are the attachments that went out, digest for digest (a package
    // signed by the agency's own software, source `edxml`, had no upload to compare with). A versioned
    // record compares each version's instead (versionProblems).
    const uploaded = (content.document as { attachments?: unknown }).attachments;
    if (content.role === 'sender' && content.document.source === 'api' && Array.isArray(uploaded) && content.format === CONTENT_FORMAT) {
      const want = uploaded.map((a) => (isObject(a) ? a.sha256 : undefined));
      for (const p of content.packages.filter((x) => x.role === 'document')) {
        const got = p.attachments.map((a) => a.sha256);
        if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
          report.fail(packageFileName(p), 'the attachments it carries are not the files the sender uploaded (their sealed SHA-256 digests differ)');
        }
      }
    }
    const sealedShas = new Set(content.packages.map((p) => p.sha256));
    const orphan = content.statuses.filter((s) => !sealedShas.has(s.packageSha256));
    if (orphan.length) report.fail('record', `${orphan.length} status(es) name a package the record does not list`);
    else report.ok('record', `${content.statuses.length} status(es), ${content.events.length} timeline event(s), ${content.audit.length} audit event(s) sealed`);
  }

  // The chain: the record's link, the later entries, the checkpoint at their end.
  let reach: { index: number; hash: string } | undefined = entry && hash ? { index: entry.index, hash } : undefined;
  const segmentFile = files.get(SEGMENT_NAME);
  if (!segmentFile) report.fail('chain', `${SEGMENT_NAME} is missing`);
  else {
    const parsed = parseCanonical(segmentFile.data, SEGMENT_NAME);
    if (!parsed.ok) report.fail('chain', parsed.reason);
    else if (!Array.isArray(parsed.value)) report.fail('chain', `${SEGMENT_NAME} is not a list of chain entries`);
    else if (entry && hash) {
      reach = walkChain(report, 'chain', entry.agency, { index: entry.index, hash }, parsed.value as unknown[]);
      if (reach) {
        const later = parsed.value.length;
        report.ok('chain', `record #${entry.index} links to ${entry.index === 1 ? 'the genesis hash' : short(entry.prevHash)}${later ? `; ${later} later record(s) link on to #${reach.index}` : ''}`);
      }
    }
  }

  let checkpoint: SignedCheckpoint | undefined;
  const cpFile = files.get(CHECKPOINT_NAME);
  if (!cpFile) report.fail('checkpoint', `${CHECKPOINT_NAME} is missing`);
  else {
    const parsed = parseCanonical(cpFile.data, CHECKPOINT_NAME);
    const problem = parsed.ok ? checkpointProblem(parsed.value) : parsed.reason;
    if (!parsed.ok || problem) report.fail('checkpoint', parsed.ok ? `${CHECKPOINT_NAME} ${problem}` : parsed.reason);
    else {
      checkpoint = parsed.value as SignedCheckpoint;
      checkCheckpoint(report, 'checkpoint', checkpoint, options);
      if (entry && checkpoint.payload.agency !== entry.agency) report.fail('checkpoint', `is for agency ${checkpoint.payload.agency}, the record for ${entry.agency}`);
      else if (reach && (checkpoint.payload.index !== reach.index || checkpoint.payload.hash !== reach.hash)) {
        report.fail('checkpoint', `signs record #${checkpoint.payload.index} with hash ${short(checkpoint.payload.hash)}, but the chain in this file reaches #${reach.index} with hash ${short(reach.hash)}: a record was changed, removed or inserted`);
      } else if (reach && entry) report.ok('chain', `record #${entry.index} is covered by the checkpoint of #${checkpoint.payload.index}`);
    }
  }

  // Nothing in the file that the record does not account for.
  const expected = new Set([MANIFEST_NAME, README_NAME, ENTRY_NAME, CONTENT_NAME, SEGMENT_NAME, CHECKPOINT_NAME, ...packageNames, ...certNames]);
  for (const e of zip.entries) if (!expected.has(e.name)) report.fail('container', `unexpected file ${e.name} (not part of the sealed record)`);
  if (content) {
    const order = [MANIFEST_NAME, README_NAME, ENTRY_NAME, CONTENT_NAME, ...content.packages.map(packageFileName).filter((n) => files.has(n)), SEGMENT_NAME, CHECKPOINT_NAME, ...content.certificates.map(certificateFileName)];
    const names = zip.entries.map((e) => e.name);
    if (names.length === order.length && names.some((n, i) => n !== order[i])) report.fail('container', 'the files are not in the order of this format');
  }

  // The manifest must be exactly what the files make.
  if (manifest && entry && hash && checkpoint && content) {
    const purged = [...purgedClaims.values()].filter((c) => content.packages.some((p) => packageFileName(p) === c.name && !files.has(c.name)));
    const rebuilt = buildManifest({
      entry,
      hash,
      checkpoint: checkpoint.payload,
      files: zip.entries.filter((e) => e.name !== MANIFEST_NAME).map((e) => ({ name: e.name, sha256: sha256Hex(e.data), size: e.data.length })),
      purged: purged.map((p) => ({ name: p.name, sha256: p.sha256, size: p.size, purgedAt: p.purgedAt })),
    });
    const diff = firstDifferentPath(rebuilt, manifest);
    if (diff) report.fail(MANIFEST_NAME, `${diff}: the manifest does not describe the files it sits with`);
    else report.ok(MANIFEST_NAME, `describes the ${rebuilt.files.length} files and the chain link exactly`);
  }
  return report.done();
}

/**
 * Digest, then the XMLDSig signature offline, then that the signed package is the one sealed — and,
 * for a version of a versioned record (`version.kind`), that it is that version of this document: its
 * DocumentId, and BussinessDocType 2 for an update, 0 or 3 for the first version.
 */
async function checkPackage(
  report: Report,
  name: string,
  p: PackageEvidence,
  data: Buffer,
  pool: string[],
  options: VerifyOptions,
  version: { documentId: string; kind: VersionEvidence['kind'] | undefined } = { documentId: '', kind: undefined },
): Promise<void> {
  const digest = sha256Hex(data);
  if (digest !== p.sha256) {
    report.fail(name, `has SHA-256 ${digest}, but the sealed record says ${p.sha256}: the package was altered`);
    return;
  }
  try {
    const v = await verifyPackage(data, {
      checkCertificate: createOfflineCertificateCheck(options.trust, pool),
      ...(options.now ? { now: () => options.now as Date } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      allowLegacy: options.allowLegacy === true,
    });
    const kind = p.role === 'status' ? 'status' : 'edoc';
    if (v.kind !== kind || v.senderCode !== p.from || v.certificate.fingerprintSha256 !== p.signer.fingerprintSha256) {
      report.fail(name, `verifies, but as a ${v.kind} package of ${v.senderCode}, not the ${p.role} package of ${p.from} the record seals`);
      return;
    }
    if (v.model.kind === 'status' && v.model.status.statusCode !== p.statusCode) {
      report.fail(name, `carries status ${v.model.status.statusCode}, the record seals ${p.statusCode}`);
      return;
    }
    if (v.model.kind === 'edoc') {
      const digests = v.model.edoc.attachments.map((a) => sha256Hex(attachmentBytes(a)));
      const sealed = p.attachments.map((a) => a.sha256);
      if (digests.length !== sealed.length || digests.some((d, i) => d !== sealed[i])) {
        report.fail(name, 'its attachments do not have the SHA-256 digests the record seals');
        return;
      }
      if (version.kind) {
        const type = v.model.edoc.traceHeaderList.bussiness.bussinessDocType;
        const fits = version.kind === 'update' ? type === 2 : type === 0 || type === 3;
        if (!fits || v.model.edoc.messageHeader.documentId !== version.documentId) {
          report.fail(name, `is the package of ${v.model.edoc.messageHeader.documentId} with BussinessDocType ${type}, not the ${version.kind === 'update' ? 'update' : 'first version'} of ${version.documentId} the record seals`);
          return;
        }
      }
    }
    const what = v.model.kind === 'status' ? `status ${v.model.status.statusCode}` : `document${p.attachments.length ? ` with ${p.attachments.length} attachment(s), digests matching` : ''}`;
    report.ok(name, `${what}: signature valid, signed by ${v.certificate.subject} at ${dateToEdxmlTimestamp(v.signingTime)} (Vietnam time), chain to a trust anchor`);
  } catch (error) {
    report.fail(name, reason(error));
  }
}

/**
 * Walks entries after `start`: each must be the next index of the same agency and link to the hash
 * of the one before. Returns where the walk ends, or undefined after reporting the break.
 */
function walkChain(report: Report, subject: string, agency: string, start: { index: number; hash: string }, entries: unknown[]): { index: number; hash: string } | undefined {
  let at = start;
  for (const raw of entries) {
    const problem = entryProblem(raw);
    if (problem) {
      report.fail(subject, `the entry after #${at.index} ${problem}`);
      return undefined;
    }
    const e = raw as ChainEntry;
    if (e.agency !== agency) {
      report.fail(subject, `entry #${e.index} belongs to agency ${e.agency}, not ${agency}`);
      return undefined;
    }
    if (e.index !== at.index + 1) {
      report.fail(subject, e.index > at.index + 1 ? `record #${at.index + 1} is missing: #${at.index} is followed by #${e.index}` : `record #${e.index} appears after #${at.index}: the chain is out of order`);
      return undefined;
    }
    if (e.prevHash !== at.hash) {
      report.fail(subject, `record #${e.index} links to prevHash ${short(e.prevHash)}, but record #${at.index} hashes to ${short(at.hash)}: a record was changed or replaced`);
      return undefined;
    }
    at = { index: e.index, hash: entryHash(e) };
  }
  return at;
}

// ─── the chain export ───────────────────────────────────────────────────────────────────────

/** Verifies a chain export (`GET /v1/archive/{agency}/chain`) end to end. */
export async function verifyChainExport(bytes: Buffer, options: VerifyOptions): Promise<VerificationReport> {
  const report = new Report();
  const parsed = parseCanonical(bytes, 'the chain export');
  if (!parsed.ok) {
    report.fail('file', parsed.reason);
    return report.done();
  }
  const ex = parsed.value as ChainExport;
  if (!isObject(ex) || ex.format !== CHAIN_EXPORT_FORMAT || typeof ex.agency !== 'string' || !isIndex(ex.from) || !isIndex(ex.to) || !Array.isArray(ex.records) || !Array.isArray(ex.tail) || !Array.isArray(ex.checkpoints) || !isObject(ex.certificates)) {
    report.fail('file', `is not a ${CHAIN_EXPORT_FORMAT} document`);
    return report.done();
  }
  report.heading.push(`chain of ${ex.agency}, records #${ex.from} to #${ex.to}`);

  // Certificates: each keyed by its own fingerprint.
  for (const [fingerprint, pem] of Object.entries(ex.certificates)) {
    try {
      if (typeof pem !== 'string' || fingerprintSha256(pem) !== fingerprint) report.fail('certificates', `the certificate listed as ${fingerprint} has another fingerprint`);
    } catch (error) {
      report.fail('certificates', `the certificate listed as ${fingerprint} cannot be read: ${reason(error)}`);
    }
  }

  // Records: index by index, each linking to the one before, each content matching its entry.
  const hashes = new Map<number, string>();
  let at: { index: number; hash: string } | undefined;
  let broken = false;
  for (const [i, record] of ex.records.entries()) {
    const expectedIndex = ex.from + i;
    if (!isObject(record)) {
      report.fail('chain', `item ${i} of records is not a record`);
      broken = true;
      break;
    }
    const problem = entryProblem(record.entry);
    if (problem) {
      report.fail('chain', `the entry of record #${expectedIndex} ${problem}`);
      broken = true;
      break;
    }
    const e = record.entry as ChainEntry;
    if (e.agency !== ex.agency) {
      report.fail('chain', `record #${e.index} belongs to agency ${e.agency}, not ${ex.agency}`);
      broken = true;
      break;
    }
    if (e.index !== expectedIndex) {
      report.fail('chain', e.index > expectedIndex ? `record #${expectedIndex} is missing: ${expectedIndex > ex.from ? `#${expectedIndex - 1} is followed by #${e.index}` : `the export starts at #${e.index}, not #${ex.from}`}` : `record #${e.index} appears where #${expectedIndex} should be: the chain is out of order`);
      broken = true;
      break;
    }
    if (at && e.prevHash !== at.hash) {
      report.fail('chain', `record #${e.index} links to prevHash ${short(e.prevHash)}, but record #${at.index} hashes to ${short(at.hash)}: a record was changed or replaced`);
      broken = true;
      break;
    }
    if (!at && e.index === 1 && e.prevHash !== GENESIS_HASH) {
      report.fail('chain', 'record #1 does not link to the genesis hash (64 zeros)');
      broken = true;
      break;
    }
    const handover = isHandoverRole(e.role);
    const contentProblemText = handover ? handoverContentProblem(record.content) : contentProblem(record.content);
    if (contentProblemText) report.fail(`record #${e.index}`, `content ${contentProblemText}`);
    else if (handover) {
      const c = record.content as HandoverContent;
      const digest = sha256Hex(canonicalBytes(c));
      if (digest !== e.contentSha256) report.fail(`record #${e.index}`, `content has SHA-256 ${digest}, the entry seals ${e.contentSha256}: the content was altered`);
      else if (c.agency !== e.agency || c.subject !== e.subject || c.role !== e.role || c.documentId !== e.documentId) report.fail(`record #${e.index}`, 'content names another agency, role or subject than its entry');
      else checkHandover(report, `record #${e.index}`, c, options);
    } else {
      const c = record.content as RecordContent;
      const digest = sha256Hex(canonicalBytes(c));
      if (digest !== e.contentSha256) report.fail(`record #${e.index}`, `content has SHA-256 ${digest}, the entry seals ${e.contentSha256}: the content was altered`);
      else if (c.agency !== e.agency || c.subject !== e.subject || c.role !== e.role) report.fail(`record #${e.index}`, 'content names another agency, role or subject than its entry');
      else {
        const unknown = c.certificates.filter((f) => !(f in ex.certificates));
        if (unknown.length) report.fail(`record #${e.index}`, `names ${unknown.length} certificate(s) the export does not hold`);
        const problems = versionProblems(c);
        if (problems.length) report.fail(`record #${e.index}`, `${problems.join('; ')}: the record does not account for the versions of its document`);
      }
    }
    at = { index: e.index, hash: entryHash(e) };
    hashes.set(e.index, at.hash);
  }
  if (!broken && at && at.index !== ex.to) report.fail('chain', `record #${at.index + 1} is missing: the export declares records up to #${ex.to} but ends at #${at.index}`);
  if (!broken && !at) report.fail('chain', 'the export holds no record');
  const contentFailures = report.checks.filter((c) => c.status === 'fail' && c.subject.startsWith('record #')).length;
  if (!broken && ex.records.length && !contentFailures) report.ok('records', `${ex.records.length} record content(s), each matching the contentSha256 of its entry`);
  if (!broken && at && at.index === ex.to) {
    report.ok('chain', `records #${ex.from}–#${ex.to} are contiguous, each linking to the hash of the one before${ex.from > 1 ? ` (record #${ex.from} links to ${short((ex.records[0] as { entry: ChainEntry }).entry.prevHash)}, outside this export)` : ' from the genesis'}`);
    const end = walkChain(report, 'chain', ex.agency, at, ex.tail);
    if (end) {
      let tailAt = ex.to;
      for (const e of ex.tail as ChainEntry[]) hashes.set(++tailAt, entryHash(e));
      if (ex.tail.length) report.ok('chain', `${ex.tail.length} later entr${ex.tail.length === 1 ? 'y' : 'ies'} link on to #${end.index}`);
    } else broken = true;
  }

  // Checkpoints: each valid, each signing the hash the chain has at its index; one covers the end.
  let covered = false;
  for (const [i, raw] of ex.checkpoints.entries()) {
    const problem = checkpointProblem(raw);
    if (problem) {
      report.fail('checkpoint', `checkpoint ${i + 1} ${problem}`);
      continue;
    }
    const cp = raw as SignedCheckpoint;
    const label = `checkpoint #${cp.payload.index}`;
    if (!checkCheckpoint(report, label, cp, options)) continue;
    if (cp.payload.agency !== ex.agency) {
      report.fail(label, `is for agency ${cp.payload.agency}`);
      continue;
    }
    const ours = hashes.get(cp.payload.index);
    if (ours === undefined) {
      if (!broken) report.fail(label, `signs record #${cp.payload.index}, which this export does not hold`);
      continue;
    }
    if (ours !== cp.payload.hash) {
      report.fail(label, `signs hash ${short(cp.payload.hash)} for record #${cp.payload.index}, but the chain in this file has ${short(ours)}: the chain was rewritten`);
      continue;
    }
    if (cp.payload.index >= ex.to) covered = true;
  }
  if (!broken && !covered) report.fail('checkpoint', `no valid checkpoint covers record #${ex.to}: removal of the last records cannot be excluded`);
  return report.done();
}

// ─── helpers ────────────────────────────────────────────────────────────────────────────────

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** The first path at which two JSON values differ, with both values, or null when equal. */
function firstDifferentPath(expected: unknown, actual: unknown, path = ''): string | null {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const d = firstDifferentPath(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const key of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()) {
      const d = firstDifferentPath(expected[key], actual[key], path ? `${path}.${key}` : key);
      if (d) return d;
    }
    return null;
  }
  if (JSON.stringify(expected) === JSON.stringify(actual)) return null;
  return `${path || '(root)'} is ${JSON.stringify(actual)}, the files make it ${JSON.stringify(expected)}`;
}
