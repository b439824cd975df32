/**
 * The updates of sent documents (edXML BussinessDocType 2; update.ts) and each recipient's part of
 * one (DeliveryUpdate: requested, sent, answered 15/16, superseded) as the workflow reads, locks and
 * writes them (issue 12: only repositories touch the ORM). A delivery update is locked after its
 * delivery where a path holds both (lock order: outgoing.repository.ts lockDocumentRow).
 */
import { LockMode, type EntityManager, type RequiredEntityData } from '@mikro-orm/postgresql';
import type { Tx } from '../db/tx.js';
import { DeliveryUpdateSchema, DocumentUpdateSchema, type DeliveryUpdate, type DocumentUpdate } from './document.entity.js';

/** Adds a document update (the new version's reason and changes) to the unit of work of `tx`. */
export const addDocumentUpdate = (tx: Tx, row: RequiredEntityData<DocumentUpdate>): DocumentUpdate => tx.create(DocumentUpdateSchema, row);

/** Adds one recipient's part of an update to the unit of work of `tx`. */
export const addDeliveryUpdate = (tx: Tx, row: RequiredEntityData<DeliveryUpdate>): DeliveryUpdate => tx.create(DeliveryUpdateSchema, row);

/** The updates of these deliveries not answered yet (requested or sent), locked: a newer update supersedes them. */
export const lockOpenDeliveryUpdates = (tx: Tx, deliveryIds: readonly string[]): Promise<DeliveryUpdate[]> =>
  tx.find(DeliveryUpdateSchema, { deliveryId: { $in: [...deliveryIds] }, state: { $in: ['requested', 'sent'] } }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/** A delivery update by id, or null (no lock). */
export const deliveryUpdateById = (em: EntityManager, id: string): Promise<DeliveryUpdate | null> => em.findOne(DeliveryUpdateSchema, { id });

/** A delivery update by id, locked FOR UPDATE, or null. */
export const lockDeliveryUpdate = (tx: Tx, id: string): Promise<DeliveryUpdate | null> =>
  tx.findOne(DeliveryUpdateSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });

/**
 * The updates of a delivery a 15/16 made at `at` may answer — sent or superseded, unanswered, made
 * before the answer — newest first (at most 5), locked (after the delivery).
 */
export const lockAnswerableUpdates = (tx: Tx, deliveryId: string, at: Date): Promise<DeliveryUpdate[]> =>
  tx.find(
    DeliveryUpdateSchema,
    { deliveryId, state: { $in: ['sent', 'superseded'] }, answeredAt: null, createdAt: { $lte: at } },
    { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 5, lockMode: LockMode.PESSIMISTIC_WRITE },
  );
