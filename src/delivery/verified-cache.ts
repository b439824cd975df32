import type { VerifiedPackage } from '../edxml/verify-package.js';

/**
 * Verification results of packages by SHA-256, kept briefly. One package goes to every local
 * recipient of a document: verifying it once per process instead of once per recipient removes the
 * largest cost of a fan-out (c14n + digest + RSA per copy) without skipping the check — the first
 * delivery verifies in full; later ones reuse the signature check but run the certificate check
 * (chain, validity, registry) again; a result older than `ttlMs` is verified again in full.
 * Verifications of the same bytes that start while one is running wait for it (`inFlight`) instead
 * of doing the same work — and holding another copy of a large package — at the same time.
 */
export class VerifiedCache {
  private readonly entries = new Map<string, { pkg: VerifiedPackage; at: number }>();
  private readonly running = new Map<string, Promise<VerifiedPackage>>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 256,
  ) {}

  get(sha256: string, now = Date.now()): VerifiedPackage | undefined {
    const hit = this.entries.get(sha256);
    if (!hit) return undefined;
    if (now - hit.at > this.ttlMs) {
      this.entries.delete(sha256);
      return undefined;
    }
    return hit.pkg;
  }

  /** The verification of these bytes that is running now, if any. */
  inFlight(sha256: string): Promise<VerifiedPackage> | undefined {
    return this.running.get(sha256);
  }

  /** Records a verification that has started: later callers wait for it; its result is kept. */
  track(sha256: string, verifying: Promise<VerifiedPackage>): void {
    this.running.set(sha256, verifying);
    verifying
      .then(
        (pkg) => this.set(pkg),
        () => undefined, // the caller that started it gets the error
      )
      .finally(() => {
        if (this.running.get(sha256) === verifying) this.running.delete(sha256);
      });
  }

  set(pkg: VerifiedPackage, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(pkg.sha256, { pkg, at: now });
  }
}
