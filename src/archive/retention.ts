/**
 * Retention: each agency may set how long attachments are kept after its record is sealed. When
 * every holder of a document package (the sender and each local recipient) has sealed its record and
 * outlived its period, the package bytes and the uploaded files are purged. Hashes, statuses and the
 * chain stay, so the record still verifies; the archive file then lists the package as purged.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import { packagesToPurge, purgePackage } from './archive.repository.js';

/** Purges the packages whose retention has run out; returns how many. Safe to run from several workers. */
export async function purgeExpired(em: EntityManager, now = new Date(), limit = 100): Promise<number> {
  let purged = 0;
  for (const candidate of await packagesToPurge(em, now, limit)) {
    await em.fork().transactional(async (tx) => {
      if (!(await purgePackage(tx, candidate, now))) return;
      // One audit event per agency, so each sees the purge in its own trail.
      for (const agencyCode of candidate.agencies) {
        recordAudit(tx, {
          actor: { kind: 'system', id: 'retention' },
          action: 'archive.attachments-purged',
          subjectType: 'package',
          subjectId: candidate.id,
          agencyCode,
          details: { documentId: candidate.documentId, sha256: candidate.sha256, size: candidate.size, documents: candidate.documents, agencies: candidate.agencies },
        });
      }
      purged += 1;
    });
  }
  return purged;
}
