import type { EntityManager } from '@mikro-orm/postgresql';
import type { DraftState } from './draft.entity.js';
import { draftFileList, draftFiles, draftPage, findOwnDraft, issuedDocumentRefs, issuedPdf, signedPdfOf } from './drafts.repository.js';
import { draftView, type DraftView } from './views.js';

/** The agency's drafts, newest first (GET /v1/drafts and the console's list). */
export async function listDrafts(
  em: EntityManager,
  agencyCode: string,
  query: { state?: DraftState; before?: { at: Date; id: string }; limit: number },
): Promise<{ items: DraftView[]; more: boolean }> {
  const rows = await draftPage(em, agencyCode, query);
  const page = rows.slice(0, query.limit);
  const files = await draftFileList(
    em,
    page.map((d) => d.id),
  );
  const issued = await issuedDocumentRefs(em, page.flatMap((d) => (d.documentId ? [d.documentId] : [])));
  return { items: page.map((d) => draftView(d, files, d.documentId ? issued.get(d.documentId) : null)), more: rows.length > query.limit };
}

/** One draft of the agency, with the document it became once issued (404 for another agency's). */
export async function loadDraftView(em: EntityManager, agencyCode: string, id: string): Promise<DraftView> {
  const draft = await findOwnDraft(em, agencyCode, id);
  const files = await draftFileList(em, [draft.id]);
  const issued = draft.documentId ? (await issuedDocumentRefs(em, [draft.documentId])).get(draft.documentId) : null;
  return draftView(draft, files, issued);
}

/**
 * The draft's current PDF: as uploaded; with the leader's signature once approved; once issued, the
 * document's attachment as it is sent (number, date and the agency's signature).
 */
export async function currentPdf(em: EntityManager, agencyCode: string, id: string): Promise<{ name: string; bytes: Buffer }> {
  const draft = await findOwnDraft(em, agencyCode, id);
  const [first] = await draftFiles(em, draft.id);
  const name = first?.name ?? `${draft.id}.pdf`;
  if (draft.documentId && draft.state === 'issued') {
    const bytes = await issuedPdf(em, draft.documentId);
    if (bytes) return { name, bytes };
  }
  const signed = draft.signedSha256 ? await signedPdfOf(em, draft) : null;
  return { name, bytes: signed ?? first!.content };
}
