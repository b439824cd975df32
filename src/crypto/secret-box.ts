import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) of small secrets at rest — partner credentials — with the
 * node's master key. Format `s1:<iv>:<tag>:<ciphertext>` (base64url), versioned for key rotation.
 */
// Binds blobs to their purpose: a private-key blob (keys.ts) never opens as a secret, nor the reverse.
const AAD = Buffer.from('lienthong/secret/v1', 'utf8');

export function sealSecret(plain: string, masterKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: 16 });
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['s1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join(':');
}

/** Reverses sealSecret; throws when the key is wrong or the blob was altered. */
export function openSecret(blob: string, masterKey: Buffer): string {
  const [version, iv, tag, ciphertext] = blob.split(':');
  if (version !== 's1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed secret (expected s1:…)');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

/** Seals and opens small secrets with the node's master key, without handing the key around. */
export interface Secrets {
  seal(plain: string): string;
  open(blob: string): string;
}

export function createSecrets(masterKey: Buffer): Secrets {
  return { seal: (plain) => sealSecret(plain, masterKey), open: (blob) => openSecret(blob, masterKey) };
}
