/**
 * A sender's outgoing documents as the workflow's steps and the routes read, lock and
 * write them (issue 12: only repositories touch the ORM and SQL).
 */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { sqlOn } from '../db/sql.js';
import type { Tx } from '../db/tx.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../http/context.js';
import { OutgoingDocumentSchema, type DocumentState, type OutgoingDocument } from './document.entity.js';
import { assertDocumentMove } from './states.js';

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
  const rows = await sqlOn(em)<Array<{ code: string }>>(
    `with recursive held(code) as (
       select ?::text
       union
       select h.from_code from agency_handover h join held on h.to_code = held.code
     )
     select code from held`,
    [agencyCode],
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
  const rows = await sqlOn(em)<Array<{ id: string }>>(`select o.id from outgoing_document o where o.id = ? and ${condition.sql}`, [id, ...condition.params]);
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

// ─── documents by id, and their locks ───────────────────────────────────────────────────────────

/**
 * Locks a document's row, first of the rows every path that holds a document and its deliveries
 * takes, in one order: the document — FOR NO KEY UPDATE, which does not block the key-share locks
 * PostgreSQL takes for rows that only reference it (a delivery job inserting a timeline event while
 * it holds a delivery) — then its deliveries in id order (deliveries.repository.ts lockDeliveries),
 * the order deliverLocal locks them in, then an inbox item. A recall or a seal and a delivery job can
 * then wait for each other, never in a cycle.
 */
export async function lockDocumentRow(tx: Tx, documentId: string): Promise<void> {
  await sqlOn(tx)('select id from outgoing_document where id = ? for no key update', [documentId]);
}

/** A document by id, or null (no lock). */
export const documentById = (em: EntityManager, id: string): Promise<OutgoingDocument | null> => em.findOne(OutgoingDocumentSchema, { id });

/** A document by id, or NotFoundError (no lock). */
export const documentByIdOrFail = (em: EntityManager, id: string): Promise<OutgoingDocument> => em.findOneOrFail(OutgoingDocumentSchema, { id });

/** A document by id, locked FOR UPDATE (the sign and route steps), or null. */
export const lockDocument = (tx: Tx, id: string): Promise<OutgoingDocument | null> =>
  tx.findOne(OutgoingDocumentSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/** The documents of these ids (those that exist), by id, as plain rows (src/db/rows.ts). */
export async function documentsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, OutgoingDocument>> {
  if (ids.length === 0) return new Map();
  return new Map((await selectRows(em, OutgoingDocumentSchema, 'id = any(?::uuid[])', [[...ids]])).map((d) => [d.id, d]));
}

/**
 * A document's state and first package, its row locked until COMMIT (the workflow's steps: sign,
 * route); null when there is no such document.
 */
export async function lockDocumentState(tx: Tx, id: string): Promise<{ state: DocumentState; packageId: string | null } | null> {
  const [row] = await sqlOn(tx)<Array<{ state: DocumentState; package_id: string | null }>>('select state, package_id from outgoing_document where id = ? for update', [id]);
  return row ? { state: row.state, packageId: row.package_id } : null;
}

/** The move markSent writes, on the graph (assertDocumentMove throws here at load if it is not). */
const SENT = { from: 'signed', to: 'sent' } as const satisfies { from: DocumentState; to: DocumentState };
assertDocumentMove(SENT.from, SENT.to);

/**
 * The `route` step's write, as one statement (atomic on its own): locks the document, moves it from
 * `signed` to `sent` (SENT) with its timeline event when it is signed and has its package, and
 * returns the state it had and its package; null when there is no such document.
 */
export async function markSent(em: EntityManager, id: string): Promise<{ state: DocumentState; packageId: string | null } | null> {
  const [row] = await sqlOn(em)<Array<{ state: DocumentState; package_id: string | null }>>(
    `with doc as (select id, state, package_id from outgoing_document where id = ? for update),
          moved as (update outgoing_document o set state = ?, updated_at = now()
                      from doc where o.id = doc.id and doc.state = ? and doc.package_id is not null
                    returning o.id),
          event as (insert into document_event (document_id, type, state, at) select id, 'document.sent', ?, now() from moved)
     select state, package_id from doc`,
    [id, SENT.to, SENT.from, SENT.to],
  );
  return row ? { state: row.state, packageId: row.package_id } : null;
}

/** The document of an edXML DocumentId sent from this node, or null. */
export const documentByDocumentId = (em: EntityManager, documentId: string): Promise<OutgoingDocument | null> =>
  em.findOne(OutgoingDocumentSchema, { documentId });
