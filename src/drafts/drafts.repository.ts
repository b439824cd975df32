import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { DocumentAttachmentSchema, OutgoingDocumentSchema } from '../delivery/document.entity.js';
import { DomainError } from '../errors.js';
import {
  AgencySealSchema,
  AgencyStampTemplateSchema,
  DraftFileSchema,
  DraftSchema,
  SignerKeySchema,
  type AgencySeal,
  type AgencyStampTemplate,
  type Draft,
  type DraftFile,
  type DraftState,
  type SignerKey,
} from './draft.entity.js';
import type { IssuedDocumentRef } from './views.js';

/** The queries of the drafts module (STYLE.md: only repositories use the ORM's queries). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const noDraft = (id: string, agencyCode: string) =>
  new DomainError('NOT_FOUND', `No draft ${id} for agency ${agencyCode}.`, { vi: `Không có dự thảo ${id} của cơ quan ${agencyCode}.` });

/**
 * A draft of the agency, or 404 (another agency's drafts do not exist for its users). With `lock`,
 * its row is locked until the transaction ends: the transitions of one draft run one at a time.
 */
export async function findOwnDraft(em: EntityManager, agencyCode: string, id: string, options: { lock?: boolean } = {}): Promise<Draft> {
  if (!UUID.test(id)) throw noDraft(id, agencyCode);
  const draft = await em.findOne(DraftSchema, { id, agencyCode }, options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!draft) throw noDraft(id, agencyCode);
  return draft;
}

/** The draft's files, first (the PDF to be signed) first, with their bytes. */
export const draftFiles = (em: EntityManager, draftId: string): Promise<DraftFile[]> =>
  em.find(DraftFileSchema, { draftId }, { orderBy: { index: 'asc' }, populate: ['content'] });

/** The draft's files without their bytes. */
export const draftFileList = (em: EntityManager, draftIds: readonly string[]): Promise<DraftFile[]> =>
  draftIds.length ? em.find(DraftFileSchema, { draftId: { $in: [...draftIds] } }, { orderBy: { draftId: 'asc', index: 'asc' } }) : Promise.resolve([]);

/** The leader-signed PDF of an approved draft. */
export async function signedPdfOf(em: EntityManager, draft: Draft): Promise<Buffer | null> {
  await em.populate(draft, ['signedPdf']);
  return draft.signedPdf ?? null;
}

/** The agency's drafts, newest first, keyset-paginated by (createdAt, id). */
export function draftPage(
  em: EntityManager,
  agencyCode: string,
  query: { state?: DraftState; before?: { at: Date; id: string }; limit: number },
): Promise<Draft[]> {
  const before = query.before;
  return em.find(
    DraftSchema,
    {
      agencyCode,
      ...(query.state ? { state: query.state } : {}),
      ...(before ? { $or: [{ createdAt: { $lt: before.at } }, { createdAt: before.at, id: { $lt: before.id } }] } : {}),
    },
    { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
  );
}

/** The leader's active signing key, or null. */
export const activeSignerKey = (em: EntityManager, userId: string): Promise<SignerKey | null> => em.findOne(SignerKeySchema, { userId, active: true });

/** Retires the leader's active key (before a new one is stored, in the same transaction). */
export async function retireSignerKeys(em: EntityManager, userId: string): Promise<void> {
  await em.nativeUpdate(SignerKeySchema, { userId, active: true }, { active: false });
}

export const findSignerKeyByFingerprint = (em: EntityManager, fingerprintSha256: string): Promise<SignerKey | null> =>
  em.findOne(SignerKeySchema, { fingerprintSha256 });

/** The agency's seal, with its image. */
export const findSeal = (em: EntityManager, agencyCode: string): Promise<AgencySeal | null> =>
  em.findOne(AgencySealSchema, { agencyCode }, { populate: ['png'] });

export const findStampTemplate = (em: EntityManager, agencyCode: string): Promise<AgencyStampTemplate | null> =>
  em.findOne(AgencyStampTemplateSchema, { agencyCode });

/** Writes a row whose primary key is the agency (its seal, its template): inserted or replaced. */
export async function upsertSeal(em: EntityManager, seal: AgencySeal): Promise<void> {
  await em.upsert(AgencySealSchema, seal);
}

export async function upsertStampTemplate(em: EntityManager, template: AgencyStampTemplate): Promise<void> {
  await em.upsert(AgencyStampTemplateSchema, template);
}

/** The outgoing documents issued drafts became: their số/ký hiệu, DocumentId and the SHA-256 of their PDF, by document id. */
export async function issuedDocumentRefs(em: EntityManager, documentIds: readonly string[]): Promise<Map<string, IssuedDocumentRef>> {
  if (documentIds.length === 0) return new Map();
  const ids = [...documentIds];
  const docs = await em.find(OutgoingDocumentSchema, { id: { $in: ids } }, { fields: ['numberText', 'notation', 'documentId'] });
  const firsts = await em.find(DocumentAttachmentSchema, { documentId: { $in: ids }, index: 0 }, { fields: ['documentId', 'sha256'] });
  const sha = new Map(firsts.map((f) => [f.documentId, f.sha256]));
  return new Map(docs.map((d) => [d.id, { code: `${d.numberText}/${d.notation}`, edxmlDocumentId: d.documentId, pdfSha256: sha.get(d.id) ?? null }]));
}

/** The issued PDF: the first attachment of the outgoing document, exactly as it is sent. */
export async function issuedPdf(em: EntityManager, documentId: string): Promise<Buffer | null> {
  const first = await em.findOne(DocumentAttachmentSchema, { documentId, index: 0 }, { populate: ['content'] });
  const content = first?.content.unwrap();
  return content ? Buffer.from(content.buffer, content.byteOffset, content.byteLength) : null;
}
