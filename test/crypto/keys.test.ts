import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptPrivateKey, deriveMasterKey, encryptPrivateKey, PrivateKeyDecryptionError } from '../../src/crypto/keys.js';

const { privateKey: PEM } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const SECRET = 'k6Jv0f8wq2m9Zr4tYb1nXc3sLp7eHd5uA0gQ';
const KEY = deriveMasterKey(SECRET);

/** Flips one bit of the decoded blob at `index` (negative counts from the end) and re-encodes it. */
function flip(blob: string, index: number): string {
  const raw = Buffer.from(blob.slice(3), 'base64url');
  const i = index < 0 ? raw.length + index : index;
  raw[i] = (raw[i] ?? 0) ^ 0x01;
  return `v1:${raw.toString('base64url')}`;
}

describe('private keys at rest', () => {
  it('round-trips a PEM key through a v1 blob that does not contain it', () => {
    const blob = encryptPrivateKey(PEM, KEY);
    expect(blob.startsWith('v1:')).toBe(true);
    expect(blob).not.toContain('PRIVATE KEY');
    expect(decryptPrivateKey(blob, KEY)).toBe(PEM);
  });

  it('uses a fresh IV every time', () => {
    const a = encryptPrivateKey(PEM, KEY);
    const b = encryptPrivateKey(PEM, KEY);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64url').subarray(0, 12).equals(Buffer.from(b.slice(3), 'base64url').subarray(0, 12))).toBe(false);
  });

  it('refuses a wrong master key with a clear error', () => {
    const blob = encryptPrivateKey(PEM, KEY);
    const other = deriveMasterKey(`${SECRET}-other`);
    expect(() => decryptPrivateKey(blob, other)).toThrow(PrivateKeyDecryptionError);
    expect(() => decryptPrivateKey(blob, other)).toThrow(/wrong master key or altered blob/);
  });

  it.each([
    ['IV', 0],
    ['tag', 12],
    ['ciphertext', -1],
  ])('refuses a blob whose %s was altered', (_part, index) => {
    const blob = encryptPrivateKey(PEM, KEY);
    expect(() => decryptPrivateKey(flip(blob, index), KEY)).toThrow(PrivateKeyDecryptionError);
  });

  it('refuses unknown versions, truncated and non-base64url blobs', () => {
    const blob = encryptPrivateKey(PEM, KEY);
    expect(() => decryptPrivateKey(`v2:${blob.slice(3)}`, KEY)).toThrow(/v1: prefix/);
    expect(() => decryptPrivateKey('v1:AAAA', KEY)).toThrow(/truncated/);
    expect(() => decryptPrivateKey('v1:not base64!', KEY)).toThrow(/base64url/);
  });

  it('requires a 32-byte master key', () => {
    expect(() => encryptPrivateKey(PEM, Buffer.alloc(31))).toThrow(RangeError);
    expect(() => decryptPrivateKey('v1:AAAA', Buffer.alloc(33))).toThrow(RangeError);
  });

  it('derives the same 32-byte key from the same secret, another from another secret', () => {
    expect(deriveMasterKey(SECRET)).toHaveLength(32);
    expect(deriveMasterKey(SECRET).equals(KEY)).toBe(true);
    expect(deriveMasterKey(`${SECRET}x`).equals(KEY)).toBe(false);
  });

  it('refuses a secret too short to be a key', () => {
    expect(() => deriveMasterKey('changeme')).toThrow(/at least 32 characters/);
  });
});
