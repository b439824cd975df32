import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { PkiService } from '../certificates/pki.service.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { VerifiedCache } from './verified-cache.js';
import type { XmlLimits } from '../edxml/harden.js';
import { verifyPackage, type VerifiedPackage } from '../edxml/verify-package.js';

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
export async function verifyReceived(em: EntityManager, deps: PipelineDeps, bytes: Buffer): Promise<VerifiedPackage> {
  return verifyPackage(bytes, { checkCertificate: await deps.pki.certificateCheck(em), limits: deps.limits, checkXml: deps.pki.checkPackageXml });
}

/** verifyReceived, reusing a recent result for the same bytes (the same package to many recipients). */
export async function verifyOnce(em: EntityManager, deps: PipelineDeps, bytes: Buffer): Promise<VerifiedPackage> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  // Looked up without yielding first, so two callers cannot both miss a verification one of them starts.
  const known = deps.verified?.get(sha) ?? deps.verified?.inFlight(sha);
  const cached = known ? await known : undefined;
  if (cached) {
    // The signature of these exact bytes was checked; the certificate is checked again every time,
    // so a certificate withdrawn from the registry stops deliveries at once, not after the TTL.
    const check = await deps.pki.certificateCheck(em);
    await check({ certificatePem: cached.certificate.certificatePem, agencyCode: cached.senderCode, at: cached.signingTime });
    return cached;
  }
  const verifying = verifyReceived(em, deps, bytes);
  deps.verified?.track(sha, verifying);
  return verifying;
}
