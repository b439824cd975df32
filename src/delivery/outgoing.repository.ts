/** Lookups of a sender's outgoing documents that the workflow's steps and the routes share. */
import type { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { OutgoingDocumentSchema, type OutgoingDocument } from './document.entity.js';

const UUID = /^[0-9a-f-]{36}$/i;

/** Whether an id has the shape of a document id (a UUID), before any query or lock is made with it. */
export const isDocumentId = (id: string): boolean => UUID.test(id);

/** The agency's own outgoing document by id, or 404 (another agency's documents do not exist for it). */
export async function findOwnDocument(
  em: EntityManager,
  clerk: { principal: Extract<Principal, { kind: 'user' }> },
  id: string,
  lockMode?: LockMode,
): Promise<OutgoingDocument> {
  const doc = isDocumentId(id) ? await em.findOne(OutgoingDocumentSchema, { id }, lockMode ? { lockMode } : {}) : null;
  if (!doc || doc.agencyCode !== clerk.principal.agencyCode) {
    throw new DomainError('NOT_FOUND', `No document ${id} for agency ${clerk.principal.agencyCode}.`, {
      vi: `Không có văn bản ${id} của cơ quan ${clerk.principal.agencyCode}.`,
    });
  }
  return doc;
}
