import type { EntityManager } from '@mikro-orm/postgresql';
import { selectRows } from '../db/rows.js';
import { AgencyCertificateSchema, NodeCaSchema, TrustAnchorSchema, type AgencyCertificate, type NodeCa, type TrustAnchor } from './certificate.entity.js';

const NODE_CA_ID = 'node';

export async function findNodeCa(em: EntityManager): Promise<NodeCa | null> {
  return em.findOne(NodeCaSchema, { id: NODE_CA_ID });
}

/** Stores the node CA unless another process stored one first (the first one wins). */
export async function insertNodeCaIfAbsent(em: EntityManager, certificatePem: string, privateKeyEncrypted: string): Promise<void> {
  await em
    .getConnection()
    .execute(
      `insert into node_ca (id, certificate_pem, private_key_encrypted, created_at) values (?, ?, ?, now()) on conflict (id) do nothing`,
      [NODE_CA_ID, certificatePem, privateKeyEncrypted],
      'run',
      em.getTransactionContext(),
    );
}

export const listTrustAnchors = (em: EntityManager): Promise<TrustAnchor[]> =>
  em.find(TrustAnchorSchema, {}, { orderBy: { createdAt: 'asc' } });

export const findTrustAnchor = (em: EntityManager, fingerprintSha256: string): Promise<TrustAnchor | null> =>
  em.findOne(TrustAnchorSchema, { fingerprintSha256 });

/** An agency's active certificates, newest first (plain rows: read on every package checked). */
export const activeCertificates = (em: EntityManager, agencyCode: string): Promise<AgencyCertificate[]> =>
  selectRows(em, AgencyCertificateSchema, 'agency_code = ? and active order by not_before desc, created_at desc', [agencyCode]);

export const listCertificates = (em: EntityManager, agencyCode: string): Promise<AgencyCertificate[]> =>
  em.find(AgencyCertificateSchema, { agencyCode }, { orderBy: { createdAt: 'desc' } });

export const findCertificateByFingerprint = (em: EntityManager, fingerprintSha256: string): Promise<AgencyCertificate | null> =>
  em.findOne(AgencyCertificateSchema, { fingerprintSha256 });

/** The usable certificates: active, with a private key, valid at the instant bound last. */
const USABLE = 'active and private_key_encrypted is not null and not_before <= ? and not_after > ?';

/** The newest active certificate with a private key that is valid at `at`, or null (a plain row). */
export async function signingCertificate(em: EntityManager, agencyCode: string, at: Date): Promise<AgencyCertificate | null> {
  const [row] = await selectRows(em, AgencyCertificateSchema, `agency_code = ? and ${USABLE} order by not_before desc, created_at desc limit 1`, [agencyCode, at, at]);
  return row ?? null;
}

/** signingCertificate for several agencies in one query: code → its newest usable certificate. */
export async function signingCertificates(em: EntityManager, agencyCodes: readonly string[], at: Date): Promise<Map<string, AgencyCertificate>> {
  if (agencyCodes.length === 0) return new Map();
  const rows = await selectRows(
    em,
    AgencyCertificateSchema,
    `agency_code = any(?) and ${USABLE} order by agency_code, not_before desc, created_at desc`,
    [[...agencyCodes], at, at],
  );
  const newest = new Map<string, AgencyCertificate>();
  for (const row of rows) if (!newest.has(row.agencyCode)) newest.set(row.agencyCode, row);
  return newest;
}

/** Every active certificate with its agency and expiry, for /metrics. */
export async function activeCertificateExpiries(em: EntityManager): Promise<Array<{ agencyCode: string; serialNumber: string; notAfter: Date }>> {
  const rows = await em.find(AgencyCertificateSchema, { active: true }, { fields: ['agencyCode', 'serialNumber', 'notAfter'] });
  return rows.map((r) => ({ agencyCode: r.agencyCode, serialNumber: r.serialNumber, notAfter: r.notAfter }));
}
