/**
 * The signing port (DESIGN.md §2: private keys never leave src/crypto). XML code receives a
 * `PackageSigner` and can make RSA signatures with it, never read the key. A later HSM or remote
 * signer is another implementation of the same one-method interface.
 *
 * RSA runs on Node's native crypto with a KeyObject made once per key: ~80× faster than node-forge,
 * and ~3× faster than parsing the PEM on every call (NOTES.md, speed table).
 */
import type { KeyObject } from 'node:crypto';
import { sign, verify, X509Certificate } from 'node:crypto';
import { DomainError } from '../errors.js';
import { assertKeyMatchesCertificate, derToPem, pemToDer, readPrivateKey, rsaKeyIsCertified } from './certificates.js';

/** Signs package bytes on behalf of one agency certificate. */
export interface PackageSigner {
  /** The certificate whose key makes the signatures (goes into KeyInfo). */
  readonly certificatePem: string;
  /** RSA-SHA256 PKCS#1 v1.5 over data */
  sign(data: Buffer): Buffer;
  /**
   * The same signature made off the calling thread (the vault's key thread, rsa-pool.ts), when the
   * signer has one: what the signing pool asks for, so that RSA does not hold up the event loop.
   */
  signLater?(data: Buffer): Promise<Buffer>;
}

/** Hashes allowed with RSA PKCS#1 v1.5 verification. sha1 exists only for partners marked legacy. */
export type RsaHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const MIN_RSA_BITS = 2048;

/**
 * A PackageSigner for an agency certificate and its PEM private key. The key is parsed once into a
 * KeyObject held in a closure; construction fails if the key is not RSA ≥ 2048 bits or does not match
 * the certificate (so a mix-up surfaces at load time, not as packages nobody can verify).
 */
export function createPackageSigner(certificatePem: string, privateKeyPem: string): PackageSigner {
  const certPem = derToPem(pemToDer(certificatePem));
  // The key is parsed once (a fan-out to 10,000 communes opens 10,000 of them).
  const key = readPrivateKey(privateKeyPem);
  // Shown from the DER when it can be (rsaKeyIsCertified); otherwise OpenSSL decides. The certificate
  // itself was read with OpenSSL when it was issued or imported (ca.ts, vault.ts), and is read again
  // by the self-check of every package signed with it (sign-check.ts verifies the signature with it).
  if (!rsaKeyIsCertified(certPem, privateKeyPem)) assertKeyMatchesCertificate(certPem, key);
  if (key.asymmetricKeyType !== 'rsa') throw new DomainError('VALIDATION_FAILED', `signing key must be RSA, got ${key.asymmetricKeyType ?? 'unknown'}`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new DomainError('VALIDATION_FAILED', `signing key has ${bits} bits, at least ${MIN_RSA_BITS} required`);
  return Object.freeze({
    certificatePem: certPem,
    sign(data: Buffer): Buffer {
      return sign('sha256', data, key);
    },
  });
}

const CACHE_LIMIT = 256;
const publicKeys = new Map<string, KeyObject>();

/** Public key of a PEM certificate, from a small LRU cache (verification happens per package). */
function publicKeyOf(certPem: string): KeyObject {
  const hit = publicKeys.get(certPem);
  if (hit) {
    publicKeys.delete(certPem); // move to the most-recent end
    publicKeys.set(certPem, hit);
    return hit;
  }
  let key: KeyObject;
  try {
    key = new X509Certificate(certPem).publicKey;
  } catch (cause) {
    throw new DomainError('SIGNATURE_INVALID', 'the signer certificate cannot be read', { cause });
  }
  // Only RSA PKCS#1 v1.5: an EC or RSA-PSS key would make "rsa-sha256" mean something else.
  if (key.asymmetricKeyType !== 'rsa') throw new DomainError('SIGNATURE_INVALID', `the signer certificate's key type is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new DomainError('SIGNATURE_INVALID', `the signer certificate's RSA key is shorter than ${MIN_RSA_BITS} bits`);
  if (publicKeys.size >= CACHE_LIMIT) {
    const oldest = publicKeys.keys().next().value;
    if (oldest !== undefined) publicKeys.delete(oldest);
  }
  publicKeys.set(certPem, key);
  return key;
}

/** Verifies an RSA PKCS#1 v1.5 signature with the given hash and the certificate's public key. */
export function verifyRsaSignature(certPem: string, data: Buffer, signature: Buffer, hash: RsaHash): boolean {
  return verify(hash, data, publicKeyOf(certPem), signature);
}

/** Verifies an RSA-SHA256 PKCS#1 v1.5 signature with the certificate's public key. */
export function verifyRsaSha256(certPem: string, data: Buffer, signature: Buffer): boolean {
  return verifyRsaSignature(certPem, data, signature, 'sha256');
}
