import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
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
export async function storeSignedXml(em: EntityManager, xml: string | Buffer, meta: Omit<NewPackage, 'sha256' | 'bytes'>): Promise<StoredPackage> {
  return storePackage(em, { ...meta, ...signedBytes(xml) });
}

/** The exact UTF-8 bytes of a signed text (or the bytes themselves) and their SHA-256. */
const signedBytes = (xml: string | Buffer): { bytes: Buffer; sha256: string } => {
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/** A stored package as storePackage returns it: its row without the bytes (the caller has them). */
export type StoredPackage = Omit<Package, 'bytes'>;

/**
 * Stores package bytes once: the same bytes (same SHA-256) return the existing row. The bytes go to
 * PostgreSQL as one binary parameter (sqlOn), written at once on `em`'s connection — not by the
 * unit of work at flush, which would inline them as hex (issue 16: three times the package).
 */
export async function storePackage(em: EntityManager, input: NewPackage): Promise<StoredPackage> {
  const sql = sqlOn(em);
  const [existing] = (await selectRows(em, PackageSchema, 'sha256 = ?', [input.sha256])) as StoredPackage[];
  if (existing) {
    // The same bytes again after a retention purge emptied the row: keep them again (same SHA-256,
    // so the archive's evidence still matches).
    await sql('update edxml_package set bytes = ? where id = ? and octet_length(bytes) = 0', [input.bytes, existing.id]);
    return existing;
  }
  const { bytes, ...row } = packageRow(input);
  await sql(
    'insert into edxml_package (id, sha256, kind, sender_code, document_id, business_doc_type, status_code, size, bytes, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [row.id, row.sha256, row.kind, row.senderCode, row.documentId, row.businessDocType, row.statusCode, row.size, bytes, row.createdAt],
  );
  return row;
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
export function signedPackageRow(xml: string | Buffer, meta: Omit<NewPackage, 'sha256' | 'bytes'>): PackageRow {
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

/** A stored package's SHA-256, and whether retention emptied its bytes, without reading them; null when there is none. */
export async function storedPackageDigest(em: EntityManager, id: string): Promise<{ sha256: string; purged: boolean } | null> {
  const [row] = await sqlOn(em)<Array<{ sha256: string; purged: boolean }>>('select sha256, octet_length(bytes) = 0 as purged from edxml_package where id = ?', [id]);
  return row ?? null;
}

/** Bytes read per statement: a bytea comes back as hex text, so a whole large package would be a string twice its size. */
export const PACKAGE_READ_SLICE = 512 * 1024;

/**
 * The stored bytes as they are, empty after a retention purge (the archive tells the two apart).
 * Read in slices of PACKAGE_READ_SLICE into one buffer of the package's size: the driver's hex text
 * of a slice is all that exists beside it (issue 16). The bytes of a package never change (a purge
 * empties them; storePackage puts the same bytes back): a slice that comes back short means a purge
 * ran meanwhile, and the read starts again. A package of more than one slice is read into shared
 * memory, which a checking thread reads without being handed a copy.
 */
export async function storedPackageBytes(em: EntityManager, id: string): Promise<Buffer> {
  // Inside a transaction this runs on the transaction's connection (sqlOn): taking a second
  // pooled connection while holding one deadlocks the pool under load.
  const sql = sqlOn(em);
  for (let attempt = 0; ; attempt++) {
    const [first] = await sql<Array<{ size: number; part: Buffer }>>('select octet_length(bytes) as size, substring(bytes from 1 for ?) as part from edxml_package where id = ?', [
      PACKAGE_READ_SLICE,
      id,
    ]);
    if (!first) throw new Error(`package ${id} is missing`);
    const size = Number(first.size);
    if (size <= PACKAGE_READ_SLICE) return first.part;
    // In shared memory: a checking thread reads it where it is, without a copy (sign-pool.ts).
    const whole = Buffer.from(new SharedArrayBuffer(size));
    let filled = first.part.copy(whole, 0);
    while (filled < size) {
      const want = Math.min(PACKAGE_READ_SLICE, size - filled);
      const [next] = await sql<Array<{ part: Buffer }>>('select substring(bytes from ? for ?) as part from edxml_package where id = ?', [filled + 1, want, id]);
      if (!next || next.part.length !== want) break; // purged meanwhile: read again
      filled += next.part.copy(whole, filled);
    }
    if (filled === size) return whole;
    if (attempt >= 2) throw new Error(`package ${id} changed while it was read`);
  }
}

export const findPackage = (em: EntityManager, id: string): Promise<Package | null> => em.findOne(PackageSchema, { id });
