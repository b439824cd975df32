import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PkiService } from '../certificates/pki.service.js';
import type { PackageSigner } from '../crypto/signer.js';
import type { Agency } from '../directory/agency.entity.js';
import { organization } from './edoc-model.js';
import { CODE_MEANING, type StatusCode } from './states.js';
import { buildStatus } from '../edxml/build.js';
import { dateToEdxmlTimestamp } from '../edxml/dates.js';
import type { ResponseFor } from '../edxml/model.js';
import { storeSignedXml } from '../packages/packages.repository.js';
import type { StatusRecord } from './inbox.entity.js';
import { addStatusRecord } from './status-records.repository.js';

export interface StaffInput {
  department?: string;
  name?: string;
  email?: string;
  mobile?: string;
}

export interface StatusInput {
  from: Agency;
  about: ResponseFor;
  code: StatusCode;
  description?: string;
  staff?: StaffInput;
  /** The sender's delivery when the sender is on this node; null when it is remote. */
  deliveryId: string | null;
  inboxItemId: string | null;
  /** The partner the status travels through when the other side is remote. */
  partnerId?: string | null;
  at?: Date;
}

/**
 * Makes a status package (01–06, 13, 15, 16) signed with the key of the agency that sends it, stores
 * its bytes and a StatusRecord that the `status` job will carry to the other side.
 */
export async function issueStatus(em: EntityManager, pki: PkiService, input: StatusInput): Promise<StatusRecord> {
  const at = input.at ?? new Date();
  const xml = await signStatus(pki, { ...input, at }, await pki.signerFor(em, input.from.code, at));
  return (await storeStatus(em, { ...input, at }, xml)).record;
}

/** The signed status package (its text, to be stored as is by storeStatus), without touching the database. */
export async function signStatus(pki: PkiService, input: StatusInput & { at: Date }, signer: PackageSigner): Promise<string> {
  return pki.signPackage(
    buildStatus({
      from: organization(input.from),
      responseFor: input.about,
      ...(input.staff
        ? { staffInfo: { department: input.staff.department, staff: input.staff.name, email: input.staff.email, mobile: input.staff.mobile } }
        : {}),
      statusCode: input.code,
      description: input.description ?? CODE_MEANING[input.code],
      timestamp: dateToEdxmlTimestamp(input.at),
    }),
    signer,
  );
}

/** Stores a status signed by signStatus and its StatusRecord; gives the SHA-256 of the stored bytes. */
export async function storeStatus(em: EntityManager, input: StatusInput & { at: Date }, xml: string): Promise<{ record: StatusRecord; sha256: string }> {
  const pkg = await storeSignedXml(em, xml, { kind: 'status', senderCode: input.from.code, documentId: input.about.documentId, statusCode: input.code });
  const record = addStatusRecord(em, statusRecordRow(input, pkg.id));
  return { record, sha256: pkg.sha256 };
}

/** The row of a status record made here (storeStatus; a batch inserts many at once). */
export function statusRecordRow(input: StatusInput & { at: Date }, packageId: string): StatusRecord {
  return {
    id: randomUUID(),
    deliveryId: input.deliveryId,
    inboxItemId: input.inboxItemId,
    partnerId: input.partnerId ?? null,
    direction: 'out',
    code: input.code,
    fromCode: input.from.code,
    description: input.description ?? null,
    staff: input.staff ? (Object.fromEntries(Object.entries(input.staff).filter(([, v]) => v !== undefined)) as Record<string, string>) : null,
    packageId,
    carried: false,
    carriedAt: null,
    createdAt: input.at,
  };
}
