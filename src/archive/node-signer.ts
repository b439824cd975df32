/**
 * The node's own archive signer: the key that signs checkpoints. The archive owns these keys (their
 * table, their rotation); the PKI only issues them from the node CA and opens the sealed key.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PkiService } from '../certificates/pki.service.js';
import { splitPemCertificates } from '../crypto/certificates.js';
import type { PackageSigner } from '../crypto/signer.js';
import type { ArchiveNodeKey } from './archive.entity.js';
import { NODE_ARCHIVE_IDENTITY } from './format.js';
import { currentNodeKey, insertNodeKey } from './node-key.repository.js';

/** The node's archive signer: RSA-SHA256 signatures, its certificate and the CA chain above it. */
export interface NodeSigner extends PackageSigner {
  keyId: string;
  /** Issuer certificates, the node CA first. */
  chainPem: string[];
}

/**
 * The newest node archive key valid at `at`, issued from the node CA on first use. Its certificate
 * carries the reserved identity NODE_ARCHIVE_IDENTITY (never an agency code), so an agency key cannot
 * pass for the node.
 */
export async function nodeSigner(em: EntityManager, pki: PkiService, at = new Date()): Promise<NodeSigner> {
  const key = (await currentNodeKey(em, at)) ?? (await rotateNodeKey(em, pki));
  const signer = pki.nodeIdentitySigner(key.id, { certificatePem: key.certificatePem, privateKeyEncrypted: key.privateKeyEncrypted });
  return { keyId: key.id, certificatePem: signer.certificatePem, chainPem: splitPemCertificates(key.chainPem), sign: (data) => signer.sign(data) };
}

/** Issues a new node archive key from the node CA; later checkpoints use it, earlier ones keep theirs. */
export async function rotateNodeKey(em: EntityManager, pki: PkiService): Promise<ArchiveNodeKey> {
  return insertNodeKey(em, await pki.issueNodeIdentity(em, NODE_ARCHIVE_IDENTITY, 'lienthong archive signer'));
}
