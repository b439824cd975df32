import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { Clerk } from '../documents/documents.service.js';
import { draftFiles, findOwnDraft } from './drafts.repository.js';
import { moveDraft } from './states.js';
import { draftView, type DraftView } from './views.js';

/** A draft is dropped before it is issued (an issued one is an outgoing document: recall it there). */
export async function withdrawDraft(em: EntityManager, clerk: Clerk, id: string, reason: string | undefined, now = new Date()): Promise<DraftView> {
  return em.transactional(async (tx) => {
    const draft = await findOwnDraft(tx, clerk.principal.agencyCode, id, { lock: true });
    const from = draft.state;
    moveDraft(draft, 'withdrawn', now);
    recordAudit(tx, {
      actor: clerk.principal,
      action: 'draft.withdrawn',
      subjectType: 'draft',
      subjectId: draft.id,
      details: { from, ...(reason ? { reason } : {}) },
      requestId: clerk.requestId,
    });
    await tx.flush();
    return draftView(draft, await draftFiles(tx, draft.id));
  });
}
