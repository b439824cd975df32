import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import { PackageSchema, type Package } from './package.entity.js';

export interface NewPackage {
  sha256: string;
  kind: 'edoc' | 'status';
  senderCode: string;
  documentId: string;
  businessDocType?: number | null;
  statusCode?: string | null;
  bytes: Buffer;
}

/** Stores a package this node just signed: its exact UTF-8 bytes and their SHA-256. */
export async function storeSignedXml(em: EntityManager, xml: string, meta: Omit<NewPackage, 'sha256' | 'bytes'>): Promise<Package> {
  return storePackage(em, { ...meta, ...signedBytes(xml) });
}

/** The exact UTF-8 bytes of a signed text and their SHA-256. */
const signedBytes = (xml: string): { bytes: Buffer; sha256: string } => {
  const bytes = Buffer.from(xml, 'utf8');
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/** Stores package bytes once: the same bytes (same SHA-256) return the existing row. */
export async function storePackage(em: EntityManager, input: NewPackage): Promise<Package> {
  const existing = await em.findOne(PackageSchema, { sha256: input.sha256 });
  if (existing) {
    // The same bytes again after a retention purge emptied the row: keep them again (same SHA-256,
    // so the archive's evidence still matches).
    await em
      .getConnection()
      .execute('update edxml_package set bytes = ? where id = ? and octet_length(bytes) = 0', [input.bytes, existing.id], 'run', em.getTransactionContext());
    return existing;
  }
  return em.create(PackageSchema, packageRow(input));
}

/** A package row as written (the entity holds its bytes as a lazy reference). */
export type PackageRow = Omit<Package, 'bytes'> & { bytes: Buffer };

/** The row of a new package (storePackage; a batch inserts many at once). */
export function packageRow(input: NewPackage): PackageRow {
  return {
    id: randomUUID(),
    sha256: input.sha256,
    kind: input.kind,
    senderCode: input.senderCode,
    documentId: input.documentId,
    businessDocType: input.businessDocType ?? null,
    statusCode: input.statusCode ?? null,
    size: input.bytes.length,
    bytes: input.bytes,
    createdAt: new Date(),
  };
}

/** The row of a package this node just signed (storeSignedXml's, for a batch). */
export function signedPackageRow(xml: string, meta: Omit<NewPackage, 'sha256' | 'bytes'>): PackageRow {
  return packageRow({ ...meta, ...signedBytes(xml) });
}

/** The exact bytes of a stored package; 410 when retention purged them. */
export async function packageBytes(em: EntityManager, id: string): Promise<Buffer> {
  const bytes = await storedPackageBytes(em, id);
  if (bytes.length === 0) {
    // Retention purged the bytes; the hashes, statuses and archive records remain.
    throw new DomainError('NOT_FOUND', 'The package was purged at the end of its retention period; its archive record still holds its SHA-256.', { status: 410 });
  }
  return bytes;
}

/** The stored bytes as they are, empty after a retention purge (the archive tells the two apart). */
export async function storedPackageBytes(em: EntityManager, id: string): Promise<Buffer> {
  // Inside a transaction this must run on the transaction's connection: taking a second pooled
  // connection while holding one deadlocks the pool under load.
  const rows = await em
    .getConnection()
    .execute<Array<{ bytes: Buffer }>>('select bytes from edxml_package where id = ?', [id], 'all', em.getTransactionContext());
  const row = rows[0];
  if (!row) throw new Error(`package ${id} is missing`);
  return row.bytes;
}

export const findPackage = (em: EntityManager, id: string): Promise<Package | null> => em.findOne(PackageSchema, { id });
