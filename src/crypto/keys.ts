/**
 * Private keys at rest: AES-256-GCM under a master key that comes from the environment (DESIGN.md
 * §2, last bullet). The database only ever holds the `v1:` blob.
 *
 * Format: `v1:` + base64url(iv[12] ‖ tag[16] ‖ ciphertext). The version prefix lets a later format
 * (another cipher, a key id for master-key rotation, an HSM handle) sit beside this one.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1:';
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends; random per encryption
const TAG_BYTES = 16;
const MASTER_KEY_BYTES = 32;
// Binds every blob to its purpose: a ciphertext made for another use of the same master key does not
// decrypt as a private key (and the other way round).
const AAD = Buffer.from('lienthong/private-key/v1', 'utf8');
const HKDF_SALT = Buffer.from('lienthong/master-key', 'utf8');
const HKDF_INFO = Buffer.from('aes-256-gcm private keys v1', 'utf8');
/** A secret shorter than this cannot hold the 128+ bits a master key needs. */
const MIN_SECRET_LENGTH = 32;

/** A private key blob that cannot be decrypted: wrong master key, tampering, or an unknown format. */
export class PrivateKeyDecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrivateKeyDecryptionError';
  }
}

function assertMasterKey(masterKey: Buffer): void {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== MASTER_KEY_BYTES) {
    throw new RangeError(`master key must be ${MASTER_KEY_BYTES} bytes (use deriveMasterKey)`);
  }
}

/**
 * Derives the 32-byte master key from the configured secret with HKDF-SHA256. The secret must be
 * random (e.g. `openssl rand -base64 32`), not a password: HKDF does not slow down guessing.
 */
export function deriveMasterKey(secret: string): Buffer {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`the master key secret must be at least ${MIN_SECRET_LENGTH} characters of random data`);
  }
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, MASTER_KEY_BYTES));
}

/** Encrypts a PEM private key for storage; returns a `v1:` blob. */
export function encryptPrivateKey(pem: string, masterKey: Buffer): string {
  assertMasterKey(masterKey);
  if (typeof pem !== 'string' || !pem.includes('PRIVATE KEY-----')) throw new TypeError('expected a PEM private key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/**
 * Decrypts a `v1:` blob back to the PEM private key. Throws PrivateKeyDecryptionError when the master
 * key is wrong or the blob was altered (GCM authentication), or the format is unknown.
 */
export function decryptPrivateKey(blob: string, masterKey: Buffer): string {
  assertMasterKey(masterKey);
  if (typeof blob !== 'string' || !blob.startsWith(VERSION)) {
    throw new PrivateKeyDecryptionError('unknown private key blob format (expected the v1: prefix)');
  }
  const body = blob.slice(VERSION.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new PrivateKeyDecryptionError('private key blob is not base64url');
  const raw = Buffer.from(body, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new PrivateKeyDecryptionError('private key blob is truncated');
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ciphertext = raw.subarray(IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(AAD);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new PrivateKeyDecryptionError('private key blob does not authenticate: wrong master key or altered blob', { cause });
  }
}
