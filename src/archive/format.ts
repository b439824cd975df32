/**
 * The evidence formats of the archive, shared by the server that writes them and the offline verifier
 * that reads them (README "Evidence and archive"). Everything hashed or signed is canonical JSON
 * (RFC 8785), so the bytes can be rebuilt from the parsed values.
 *
 *   chain entry      { agency, index, prevHash, …, contentSha256 }   hash = SHA-256(canonical entry)
 *   record content   the package digests, statuses, timeline, audit events, certificate fingerprints;
 *                    a document that was updated (edXML BussinessDocType 2) also lists each version
 *                    with its packages and files (format /2, `documentVersions`)
 *   checkpoint       { agency, index, hash, signedAt } signed by the node (RSA-SHA256)
 *   archive file     a store-only ZIP: manifest, entry, content, packages, chain segment, checkpoint,
 *                    certificates, README
 *   chain export     canonical JSON: entries with their contents, and checkpoints
 *   handover record  the node-signed statement of what a closed agency handed over to its successor,
 *                    sealed into both chains (roles `handover` and `takeover`)
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical-json.js';

export const ENTRY_FORMAT = 'lienthong-chain-entry/1';
export const CONTENT_FORMAT = 'lienthong-archive-content/1';
/**
 * The content of a record whose document had more than one version (issue 12: its sender updated it,
 * BussinessDocType 2): format /1 plus `documentVersions`. A record of a document never updated stays
 * /1, byte for byte as before, so its content digest does not change and nothing is sealed again for
 * it; a verifier that knows only /1 refuses a /2 record by its format instead of misreading it.
 */
export const VERSIONED_CONTENT_FORMAT = 'lienthong-archive-content/2';
export const CHECKPOINT_FORMAT = 'lienthong-checkpoint/1';
export const ARCHIVE_FORMAT = 'lienthong-archive/1';
export const CHAIN_EXPORT_FORMAT = 'lienthong-chain-export/1';

/** prevHash of the first entry of every agency's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The identity (subject serialNumber) of the node's archive signing certificate. It has the shape the
 * certificate profile accepts (`XXX.YY.ZZ.LLL`) but never that of a directory agency code (digits,
 * `000.00.33.H33`), so no agency can be registered under it and no agency certificate can pass for
 * the node when a checkpoint is verified.
 */
export const NODE_ARCHIVE_IDENTITY = 'LTN.00.00.ARC';

/** Signature algorithm of checkpoints: RSA PKCS#1 v1.5 with SHA-256 over the canonical payload. */
export const CHECKPOINT_ALGORITHM = 'RSA-SHA256';

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export type ArchiveRole = 'sender' | 'recipient';
export type SealReason = 'final' | 'timeout';

/**
 * A handover (issue 19) is sealed into both chains: the closed agency's record says what it handed
 * over (`handover`), its successor's what it took over (`takeover`). Both carry the same statement,
 * signed by the node.
 */
export type HandoverRole = 'handover' | 'takeover';
export const HANDOVER_REASON = 'handover';
/** Every role of a chain entry. */
export type ChainRole = ArchiveRole | HandoverRole;
export const HANDOVER_ROLES: readonly HandoverRole[] = ['handover', 'takeover'];
export const isHandoverRole = (role: unknown): role is HandoverRole => role === 'handover' || role === 'takeover';

/** One link of an agency's append-only chain. */
export interface ChainEntry {
  format: typeof ENTRY_FORMAT;
  agency: string;
  /** 1, 2, 3 … without gaps. */
  index: number;
  prevHash: string;
  sealedAt: string;
  role: ChainRole;
  /** The outgoing document id (sender), the inbox item id (recipient) or the handover id (handover, takeover). */
  subject: string;
  /** edXML DocumentId; for a handover, `handover <closed code> → <successor code>`. */
  documentId: string;
  /** 1 for the first seal of the subject; a later seal (after a recall, a retried delivery) is 2, 3 … */
  version: number;
  reason: SealReason | typeof HANDOVER_REASON;
  contentSha256: string;
}

/** The hash of an entry: SHA-256 of its canonical bytes (prevHash included, so it chains). */
export const entryHash = (entry: ChainEntry): string => sha256Hex(canonicalBytes(entry));

/** What the verifier reports about a certificate that signed. */
export interface SignerEvidence {
  fingerprintSha256: string;
  subject: string;
  serialNumber: string;
  issuer: string;
}

/** A package of the record: its digest and what the node verified when it sealed. */
export interface PackageEvidence {
  /** `document` (edoc, BussinessDocType 0…3), `recall` (BussinessDocType 1), `status`. */
  role: 'document' | 'recall' | 'status';
  sha256: string;
  size: number;
  /** The agency that signed it (From/OrganId, verified). */
  from: string;
  signer: SignerEvidence;
  signedAt: string;
  signatureAlgorithm: string;
  statusCode: string | null;
  /** Attachments of a document package: name, type and SHA-256 of the decoded bytes. */
  attachments: Array<{ index: number; name: string; contentType: string; size: number; sha256: string }>;
}

export interface StatusEvidence {
  id: string;
  code: string;
  from: string;
  direction: 'in' | 'out';
  deliveryId: string | null;
  /** The agency the status was addressed to. */
  recipient: string | null;
  description: string | null;
  at: string;
  packageSha256: string;
}

/** A file of a version: name, type, size and SHA-256 of its bytes (and, for the current one, its PDF evidence). */
export interface VersionFileEvidence {
  index: number;
  name: string;
  contentType: string;
  size: number;
  /** SHA-256 of the file's bytes: the sender's stored file; for a recipient, as its package carries it. */
  sha256: string;
  pdfSignatures?: unknown;
}

/**
 * One version of the document in a record of format /2, oldest first: 1 the document as first sent or
 * received, 2, 3 … each update of its sender. Every package it names is one of the record's
 * `document` packages, and every `document` package belongs to exactly one version.
 */
export interface VersionEvidence {
  number: number;
  kind: 'original' | 'update';
  /** The update's id (sender: DocumentUpdate; recipient: InboxVersion); null for version 1. */
  id: string | null;
  /** Sender: when the version was registered or the update made; recipient: when it arrived. */
  at: string;
  /** BussinessDocReason of an update. */
  reason: string | null;
  subject: string;
  /** SHA-256 of the packages that carried it: the sender's, one per destination; the recipient's, the one it received. */
  packages: string[];
  /** Its files, in package order. */
  attachments: VersionFileEvidence[];
  /** Recipient: `received` (version 1) or the clerk's answer to the update (pending, accepted 15, refused 16). */
  state?: string;
  answeredAt?: string | null;
  /** Recipient: the version the item showed when sealed. */
  current?: boolean;
  /** Sender, updates: the fields it changed, and each recipient's answer. */
  changed?: string[];
  answers?: Array<{ recipient: string; state: string; answeredAt: string | null; packageSha256: string | null }>;
}

/** The sealed evidence of one document for one agency. */
export interface RecordContent {
  format: typeof CONTENT_FORMAT | typeof VERSIONED_CONTENT_FORMAT;
  agency: string;
  role: ArchiveRole;
  subject: string;
  documentId: string;
  /** The document as the agency knows it: outgoing document fields, or the inbox item's. */
  document: Record<string, unknown>;
  packages: PackageEvidence[];
  deliveries: Array<Record<string, unknown>>;
  statuses: StatusEvidence[];
  /** The delivery timeline (sender) — every state change, status and retry, oldest first. */
  events: Array<Record<string, unknown>>;
  /** Audit events about this document (who did what, when), oldest first. */
  audit: Array<Record<string, unknown>>;
  /** SHA-256 fingerprints of every certificate needed to verify the packages, anchors included. */
  certificates: string[];
  /** Format /2 only: every version of the document this agency sent or received (VersionEvidence). */
  documentVersions?: VersionEvidence[];
}

export const HANDOVER_FORMAT = 'lienthong-handover/1';
export const HANDOVER_CONTENT_FORMAT = 'lienthong-handover-record/1';

/** A sealed archive record that a handover moved, where it stands in its chain. */
export interface SealedRef {
  agency: string;
  index: number;
  hash: string;
}

/**
 * What a handover moved, when and under which decision: the statement the node signs (RSA-SHA256 over
 * its canonical JSON) and seals into both chains. Every moved thing is named by id and digest.
 */
export interface HandoverStatement {
  format: typeof HANDOVER_FORMAT;
  /** The handover id (the records' subject). */
  id: string;
  from: { code: string; name: string; closedAt: string | null };
  to: { code: string; name: string };
  /** The legal act that closed the agency, as the directory records it. */
  decision: { number: string; date: string; link?: string } | null;
  at: string;
  /** Who asked for it (`admin:bootstrap`, `user:<id>`). */
  by: string;
  /** Open inbox items, now the successor's (same ids, statuses and audit trail). */
  inboxItems: Array<{ id: string; documentId: string; sender: string; state: string; arrivalNumber: number | null; packageSha256: string; sealed: SealedRef | null }>;
  /** Outgoing documents with open deliveries, followed up by the successor from now on. */
  documents: Array<{ id: string; documentId: string; code: string; packageSha256: string | null; deliveries: Array<{ recipient: string; state: string }>; sealed: SealedRef | null }>;
  /** The closed agency's users, deactivated. */
  users: Array<{ id: string; name: string }>;
  /** What was not moved, and why (the successor holds the same package already). */
  skipped: Array<{ kind: 'inbox-item' | 'document'; id: string; reason: string }>;
}

/** The node's signature over a handover statement. */
export interface HandoverSignature {
  algorithm: typeof CHECKPOINT_ALGORITHM;
  /** base64 RSA signature over canonical(statement). */
  value: string;
  certificatePem: string;
  /** The issuing CA(s) of the certificate, leaf's issuer first. */
  chainPem: string[];
}

/** The content of a handover record (role `handover` in the closed agency's chain, `takeover` in its successor's). */
export interface HandoverContent {
  format: typeof HANDOVER_CONTENT_FORMAT;
  agency: string;
  role: HandoverRole;
  subject: string;
  documentId: string;
  statement: HandoverStatement;
  signature: HandoverSignature;
}

export interface CheckpointPayload {
  format: typeof CHECKPOINT_FORMAT;
  agency: string;
  index: number;
  hash: string;
  signedAt: string;
}

/** A signed checkpoint with what is needed to check it. */
export interface SignedCheckpoint {
  payload: CheckpointPayload;
  algorithm: typeof CHECKPOINT_ALGORITHM;
  /** base64 RSA signature over canonical(payload). */
  signature: string;
  certificatePem: string;
  /** The issuing CA(s) of the certificate, leaf's issuer first. */
  chainPem: string[];
}

export interface ManifestFile {
  name: string;
  sha256: string;
  size: number;
}

/** manifest.json: the index of the archive file, rebuilt and compared by the verifier. */
export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  agency: string;
  role: ChainRole;
  subject: string;
  documentId: string;
  link: { index: number; prevHash: string; hash: string };
  checkpoint: { index: number; hash: string; signedAt: string };
  files: ManifestFile[];
  /** Packages whose bytes were purged under the agency's retention period (their digests stay sealed). */
  purged: Array<ManifestFile & { purgedAt: string }>;
  verify: string;
}

export const MANIFEST_NAME = 'manifest.json';
export const README_NAME = 'README.txt';
export const ENTRY_NAME = 'record/entry.json';
export const CONTENT_NAME = 'record/content.json';
export const SEGMENT_NAME = 'chain/segment.json';
export const CHECKPOINT_NAME = 'chain/checkpoint.json';
export const VERIFY_HINT = 'npx lienthong verify FILE --trust NODE-CA.pem';

/** Where a package of the record lives in the archive file. */
export function packageFileName(p: Pick<PackageEvidence, 'role' | 'sha256' | 'statusCode' | 'from'>): string {
  const short = p.sha256.slice(0, 16);
  return p.role === 'status' ? `packages/status-${p.statusCode ?? 'xx'}-${p.from}-${short}.edxml` : `packages/${p.role}-${short}.edxml`;
}

export const certificateFileName = (fingerprint: string): string => `certificates/${fingerprint}.pem`;

/** Only document packages (the ones carrying attachments) may be purged under retention. */
export const isPurgeable = (p: Pick<PackageEvidence, 'role'>): boolean => p.role === 'document';

/** The fixed README inside every archive file: how a third party checks it without this server. */
export const ARCHIVE_README = `lienthong evidence archive (${ARCHIVE_FORMAT})

This file proves what an agency sent or received through lienthong, to whom, when, and what each
recipient answered, without trusting the server that produced it.

  manifest.json         index of the files below (SHA-256 and size of each)
  record/entry.json     the chain entry: agency, index, prevHash, contentSha256 …
                        its hash = SHA-256 of these exact bytes (canonical JSON, RFC 8785)
  record/content.json   the sealed evidence: package digests, every status, the delivery timeline,
                        the audit events and the certificate fingerprints; SHA-256 = contentSha256
  packages/*.edxml      the signed edXML packages, byte for byte (XMLDSig, RSA-SHA256)
  chain/segment.json    the later entries of the agency's chain up to the checkpoint
  chain/checkpoint.json the chain head {agency, index, hash, signedAt} signed by the node
  certificates/*.pem    the certificates the signatures chain through

To verify: ${VERIFY_HINT}
(the node CA certificate is the trust anchor; obtain it from the node operator, not from this file).
`;

/** Builds the manifest from what the archive holds (the writer and the verifier both call this). */
export function buildManifest(input: {
  entry: ChainEntry;
  hash: string;
  checkpoint: CheckpointPayload;
  files: ManifestFile[];
  purged: Array<ManifestFile & { purgedAt: string }>;
}): Manifest {
  return {
    format: ARCHIVE_FORMAT,
    agency: input.entry.agency,
    role: input.entry.role,
    subject: input.entry.subject,
    documentId: input.entry.documentId,
    link: { index: input.entry.index, prevHash: input.entry.prevHash, hash: input.hash },
    checkpoint: { index: input.checkpoint.index, hash: input.checkpoint.hash, signedAt: input.checkpoint.signedAt },
    files: input.files,
    purged: input.purged,
    verify: VERIFY_HINT,
  };
}

/** The chain export (`GET /v1/archive/{agency}/chain`). */
export interface ChainExport {
  format: typeof CHAIN_EXPORT_FORMAT;
  agency: string;
  from: number;
  to: number;
  /** Entries from..to, each with its record content (a handover record's is a HandoverContent). */
  records: Array<{ entry: ChainEntry; content: RecordContent | HandoverContent }>;
  /** Entries after `to` up to the last checkpoint (headers only), so that checkpoint can be reached. */
  tail: ChainEntry[];
  /** Every checkpoint whose index lies in from..(last tail index), ascending. */
  checkpoints: SignedCheckpoint[];
  /** PEM of every certificate the records name, by fingerprint. */
  certificates: Record<string, string>;
}
