/** Lookups of a sender's outgoing documents that the workflow's steps and the routes share. */
import type { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { OutgoingDocumentSchema, type OutgoingDocument } from './document.entity.js';

const UUID = /^[0-9a-f-]{36}$/i;

/** Whether an id has the shape of a document id (a UUID), before any query or lock is made with it. */
export const isDocumentId = (id: string): boolean => UUID.test(id);

/**
 * The agencies whose handed-over work `agencyCode` holds (issue 19): itself, every agency a handover
 * gave to it, and — down the chain — every agency a handover gave to those (A closed into B, B later
 * into C: C holds what A gave B). Read from the handover records, never from the successor codes of
 * the directory: only a handover, signed into both chains, gives work over. `union` (not `union all`)
 * ends the walk should the records ever form a loop.
 */
async function heldAgencies(em: EntityManager, agencyCode: string): Promise<string[]> {
  const rows = await em.getConnection().execute<Array<{ code: string }>>(
    `with recursive held(code) as (
       select ?::text
       union
       select h.from_code from agency_handover h join held on h.to_code = held.code
     )
     select code from held`,
    [agencyCode],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => r.code);
}

/**
 * Who follows up an outgoing document — sees it in GET /v1/documents, opens it with its deliveries,
 * timeline and status packages, recalls, updates or replaces it — as one SQL condition on the
 * document row `alias` (issue 19). The rule:
 *
 * - the agency that sent it (`agency_code`);
 * - once a handover gave it over (an `agency_handover_item` of kind `document`), the agency it was
 *   handed to, and every agency that later took over that agency's work by a handover of its own
 *   (heldAgencies): a chain of reorganisations does not lose a document on the way.
 *
 * The document stays its sender's — its number is in that agency's register and its packages and
 * recalls are signed in that agency's name — and the statuses of its recipients keep moving its
 * deliveries as before: the successor follows it up for the closed agency. Only what a handover
 * recorded is followed: a closed agency's documents that were finished when it was handed over
 * stay with its own archive. Without any handover to the agency the condition is the plain
 * `agency_code = ?`, so the list keeps its index.
 */
export async function followUpCondition(em: EntityManager, agencyCode: string, alias = 'o'): Promise<{ sql: string; params: string[] }> {
  const held = await heldAgencies(em, agencyCode);
  if (held.length <= 1) return { sql: `${alias}.agency_code = ?`, params: [agencyCode] };
  return {
    sql:
      `(${alias}.agency_code = ? or ${alias}.id in (select i.subject_id from agency_handover_item i ` +
      `where i.kind = 'document' and i.to_code in (${held.map(() => '?').join(', ')})))`,
    params: [agencyCode, ...held],
  };
}

/** Whether `agencyCode` follows up the document `id` (followUpCondition). */
export async function followsUp(em: EntityManager, agencyCode: string, id: string): Promise<boolean> {
  if (!isDocumentId(id)) return false;
  const condition = await followUpCondition(em, agencyCode);
  const rows = await em
    .getConnection()
    .execute<Array<{ id: string }>>(`select o.id from outgoing_document o where o.id = ? and ${condition.sql}`, [id, ...condition.params], 'all', em.getTransactionContext());
  return rows.length > 0;
}

/**
 * An outgoing document the clerk's agency follows up (its own, or one handed over to it:
 * followUpCondition), by id, or 404 (another agency's documents do not exist for it).
 */
export async function findOwnDocument(
  em: EntityManager,
  clerk: { principal: Extract<Principal, { kind: 'user' }> },
  id: string,
  lockMode?: LockMode,
): Promise<OutgoingDocument> {
  const agencyCode = clerk.principal.agencyCode;
  const doc = isDocumentId(id) ? await em.findOne(OutgoingDocumentSchema, { id }, lockMode ? { lockMode } : {}) : null;
  if (!doc || (doc.agencyCode !== agencyCode && !(await followsUp(em, agencyCode, doc.id)))) {
    throw new DomainError('NOT_FOUND', `No document ${id} for agency ${agencyCode}.`, {
      vi: `Không có văn bản ${id} của cơ quan ${agencyCode}.`,
    });
  }
  return doc;
}
