import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { PkiService } from '../certificates/pki.service.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { VerifiedCache } from './verified-cache.js';
import type { XmlLimits } from '../edxml/harden.js';
import { verifyPackage, type VerifiedPackage } from '../edxml/verify-package.js';
import { packageBytes, storedPackageDigest } from '../packages/packages.repository.js';

/** What the pipeline steps need besides a database context. */
export interface PipelineDeps {
  pki: PkiService;
  limits: Partial<XmlLimits>;
  /** Opens partner credentials (sealed with the master key). */
  secrets: Secrets;
  /** Recent verification results by SHA-256 (this process only; see VerifiedCache). */
  verified?: VerifiedCache;
}

/** Verifies received bytes as the exchange API does (DESIGN.md §5), with this node's registry. */
export async function verifyReceived(em: EntityManager, deps: PipelineDeps, bytes: Buffer, opts: { handOver?: boolean } = {}): Promise<VerifiedPackage> {
  return verifyPackage(bytes, { checkCertificate: await deps.pki.certificateCheck(em), limits: deps.limits, checkXml: deps.pki.checkPackageXml, handOver: opts.handOver === true });
}

/** verifyReceived, reusing a recent result for the same bytes (the same package to many recipients). */
export async function verifyOnce(em: EntityManager, deps: PipelineDeps, bytes: Buffer, opts: { handOver?: boolean } = {}): Promise<VerifiedPackage> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  // Looked up without yielding first, so two callers cannot both miss a verification one of them starts.
  const known = recentResult(deps, sha);
  if (known) return reuse(em, deps, known);
  const verifying = verifyReceived(em, deps, bytes, opts);
  deps.verified?.track(sha, verifying);
  return verifying;
}

/**
 * verifyOnce for a package this node stores: a recent result for its SHA-256 (the digest stored with
 * its bytes when they were written) is reused without reading the bytes again. A fan-out's batches
 * each read the whole package before, and the package names every recipient: 400 batches of a
 * directive to 10,000 communes read its 2.4 MB 400 times.
 */
export async function verifyStoredOnce(em: EntityManager, deps: PipelineDeps, packageId: string): Promise<VerifiedPackage> {
  const stored = await storedPackageDigest(em, packageId);
  const known = stored && !stored.purged ? recentResult(deps, stored.sha256) : undefined;
  if (known) return reuse(em, deps, known);
  // Bytes read for this call alone: handed over, not copied again.
  return verifyOnce(em, deps, await packageBytes(em, packageId), { handOver: true });
}

const recentResult = (deps: PipelineDeps, sha256: string): VerifiedPackage | Promise<VerifiedPackage> | undefined =>
  deps.verified?.get(sha256) ?? deps.verified?.inFlight(sha256);

/**
 * A recent verification of the same bytes: their signature was checked; the certificate is checked
 * again every time, so a certificate withdrawn from the registry stops deliveries at once, not after
 * the cache's TTL.
 */
async function reuse(em: EntityManager, deps: PipelineDeps, known: VerifiedPackage | Promise<VerifiedPackage>): Promise<VerifiedPackage> {
  const cached = await known;
  const check = await deps.pki.certificateCheck(em);
  await check({ certificatePem: cached.certificate.certificatePem, agencyCode: cached.senderCode, at: cached.signingTime });
  return cached;
}
