/**
 * The key thread (src/crypto/rsa-pool.ts): the signatures the vault's keys make there are the ones
 * they make on the calling thread (RSA PKCS#1 v1.5 is deterministic), a key that is not the
 * certificate's is refused there, a thread that stops fails what it held and is replaced, and the
 * signing pool asks it — never the event loop — for the RSA step of the packages it signs.
 */
import { randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { RsaThread } from '../../src/crypto/rsa-pool.js';
import { createPackageSigner, type PackageSigner } from '../../src/crypto/signer.js';
import { KeyVault } from '../../src/crypto/vault.js';
import { createSigning } from '../../src/edxml/sign-pool.js';
import { signPackage } from '../../src/edxml/xmldsig.js';
import { AGENCY_A, unsignedStatus } from '../signature/packages.js';

let rsa: RsaThread;
let key: { certificatePem: string; privateKeyPem: string };
let other: { certificatePem: string; privateKeyPem: string };

beforeAll(() => {
  rsa = new RsaThread();
  const ca = generateCa({ commonName: 'key thread CA', validityDays: 30 });
  const issue = () => {
    const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
    return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem! };
  };
  key = issue();
  other = issue();
});
afterAll(async () => rsa.close());

describe('the key thread', () => {
  it('makes the signature the key makes here, for many requests at once', async () => {
    const here = createPackageSigner(key.certificatePem, key.privateKeyPem);
    const data = Array.from({ length: 50 }, () => randomBytes(200));
    const there = await Promise.all(data.map((d) => rsa.sign('k1', key, d)));
    expect(there.map((s) => s.toString('base64'))).toEqual(data.map((d) => here.sign(d).toString('base64')));
  });

  it('refuses a key that is not the certificate’s', async () => {
    await expect(rsa.sign('mixed', { certificatePem: key.certificatePem, privateKeyPem: other.privateKeyPem }, Buffer.from('x'))).rejects.toThrow(/certificate/i);
  });

  it('fails what a stopped thread held, and a new thread serves the next requests', async () => {
    // Sent to a thread that is being stopped: it is never answered, and fails when the thread exits.
    const stopping = (rsa as unknown as { worker: Worker }).worker.terminate();
    const held = rsa.sign('k1', key, Buffer.from('held'));
    await stopping;
    await expect(held).rejects.toThrow(/stopped/);
    // Asked while no thread runs: waits for the replacement.
    const signature = await rsa.sign('k1', key, Buffer.from('after'));
    expect(signature.equals(createPackageSigner(key.certificatePem, key.privateKeyPem).sign(Buffer.from('after')))).toBe(true);
  });
});

describe('the vault with a key thread', () => {
  it('gives signers whose signLater is their sign, and the signing pool uses signLater', async () => {
    const vault = new KeyVault(randomBytes(32), rsa);
    const sealed = { certificatePem: key.certificatePem, privateKeyEncrypted: vault.sealPrivateKey(key.certificatePem, key.privateKeyPem) };
    const signer = vault.signer('cert-1', sealed);
    const data = randomBytes(100);
    expect((await signer.signLater!(data)).equals(signer.sign(data))).toBe(true);

    // A port whose synchronous sign fails: the pool's signature can only come from signLater.
    const laterOnly: PackageSigner = { certificatePem: signer.certificatePem, sign: () => { throw new Error('the event loop was asked to sign'); }, signLater: (d) => signer.signLater!(d) };
    const pool = createSigning({ threads: 1 });
    try {
      const xml = unsignedStatus({ at: new Date(Date.now() - 60_000) });
      expect(await pool.sign(xml, laterOnly)).toBe(signPackage(xml, signer));
    } finally {
      await pool.close();
    }
  });
});
