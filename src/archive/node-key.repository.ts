import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ArchiveNodeKeySchema, type ArchiveNodeKey } from './archive.entity.js';

/** The node archive key to sign with at `at`: the newest one valid then. */
export const currentNodeKey = (em: EntityManager, at: Date): Promise<ArchiveNodeKey | null> =>
  em.findOne(ArchiveNodeKeySchema, { notBefore: { $lte: at }, notAfter: { $gt: at } }, { orderBy: { createdAt: 'desc' } });

/** Every node archive key, newest first. */
export const listNodeKeys = (em: EntityManager): Promise<ArchiveNodeKey[]> => em.find(ArchiveNodeKeySchema, {}, { orderBy: { createdAt: 'desc' } });

/** Stores a newly issued node archive key (sealed private key) and returns it. */
export async function insertNodeKey(em: EntityManager, row: Omit<ArchiveNodeKey, 'id' | 'createdAt'>): Promise<ArchiveNodeKey> {
  const key = em.create(ArchiveNodeKeySchema, { id: randomUUID(), ...row, createdAt: new Date() });
  await em.flush();
  return key;
}
