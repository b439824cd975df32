/** The signing pool: the same bytes as signPackage, the port's errors and XML errors carried back. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import type { PackageSigner } from '../../src/crypto/signer.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { checkRequest, createSigning, IN_THREAD_MAX_CHARS, type PackageSigning } from '../../src/edxml/sign-pool.js';
import { checkPackageXml } from '../../src/edxml/verify-package.js';
import { signPackage, verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { DomainError } from '../../src/errors.js';
import { AGENCY_A, unsignedEdoc, unsignedStatus } from './packages.js';

let signer: PackageSigner;
let pool: PackageSigning;
const at = new Date(Date.now() - 60_000);

beforeAll(() => {
  const ca = generateCa({ commonName: 'pool CA', validityDays: 30 });
  const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
  signer = createPackageSigner(c.certificatePem, c.privateKeyPem as string);
  pool = createSigning({ threads: 2 });
});

afterAll(async () => {
  await pool.close();
});

describe('the signing pool', () => {
  it('signs in worker threads to exactly the bytes signPackage makes', async () => {
    expect(pool.threads).toBe(2);
    for (const unsigned of [unsignedEdoc({ at }), unsignedStatus({ at })]) {
      expect(await pool.sign(unsigned, signer)).toBe(signPackage(unsigned, signer));
    }
  });

  it('keeps many signatures in flight, each asking the port once', async () => {
    let calls = 0;
    const counting: PackageSigner = { certificatePem: signer.certificatePem, sign: (data) => (calls++, signer.sign(data)) };
    const inputs = Array.from({ length: 40 }, (_, i) => unsignedStatus({ at: new Date(at.getTime() - i * 1000) }));
    const signed = await Promise.all(inputs.map((xml) => pool.sign(xml, counting)));
    expect(calls).toBe(40);
    for (const [i, xml] of signed.entries()) {
      expect(verifyXmlSignature(xml).certificatePem).toBe(signer.certificatePem);
      expect(xml).toBe(signPackage(inputs[i]!, signer));
    }
  });

  it('carries the signer’s failure back, and keeps working after it', async () => {
    const broken: PackageSigner = {
      certificatePem: signer.certificatePem,
      sign: () => {
        throw new Error('the HSM is offline');
      },
    };
    await expect(pool.sign(unsignedStatus({ at }), broken)).rejects.toThrow('the HSM is offline');
    expect(verifyXmlSignature(await pool.sign(unsignedStatus({ at }), signer)).signatureAlgorithm).toContain('rsa-sha256');
  });

  it('refuses what signPackage refuses, with the same stable code', async () => {
    const withDoctype = `<!DOCTYPE x [<!ENTITY e "x">]>${unsignedStatus({ at })}`;
    const signedAlready = signPackage(unsignedStatus({ at }), signer);
    for (const bad of [withDoctype, signedAlready]) {
      let inline: unknown;
      try {
        signPackage(bad, signer);
      } catch (error) {
        inline = error;
      }
      const pooled = await pool.sign(bad, signer).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(inline).toBeInstanceOf(DomainError);
      expect(pooled).toBeInstanceOf(DomainError);
      expect((pooled as DomainError).code).toBe((inline as DomainError).code);
      expect((pooled as DomainError).message).toBe((inline as DomainError).message);
    }
  });

  it('checks received packages in worker threads with checkPackageXml’s result, and its refusals', async () => {
    const signed = Buffer.from(signPackage(unsignedEdoc({ at }), signer));
    expect(await pool.checkPackage(signed, {})).toEqual(checkPackageXml(signed));
    const tampered = Buffer.from(signed.toString('utf8').replace('Về việc triển khai', 'Về việc hủy bỏ'));
    const inline = (() => {
      try {
        checkPackageXml(tampered);
      } catch (error) {
        return error as DomainError;
      }
      throw new Error('the tampered package verified');
    })();
    const pooled = await pool.checkPackage(tampered, {}).then(
      () => undefined,
      (error: unknown) => error as DomainError,
    );
    expect(pooled).toBeInstanceOf(DomainError);
    expect([pooled?.code, pooled?.message]).toEqual([inline.code, inline.message]);
    // The limits travel with the call.
    await expect(pool.checkPackage(signed, { limits: { maxBytes: 100 } })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(pool.checkPackage(signed, { limits: { maxNodes: 50 } })).rejects.toMatchObject({ code: 'XML_FORBIDDEN' });
    // The caller's buffer is not handed over (the thread gets a copy).
    expect(signed.byteLength).toBeGreaterThan(0);
    expect(checkPackageXml(signed).sha256).toBe(createHash('sha256').update(signed).digest('hex'));
  });

  it('hands bytes in shared memory to the thread where they are, and other bytes as a copy of their own', async () => {
    const signed = Buffer.from(signPackage(unsignedEdoc({ at }), signer));
    const shared = Buffer.from(new SharedArrayBuffer(signed.length));
    signed.copy(shared);
    const toShared = checkRequest(1, shared, {});
    expect(toShared.transfer).toEqual([]);
    expect((toShared.message as { bytes: Uint8Array }).bytes).toBe(shared);
    const toPlain = checkRequest(2, signed, {});
    expect((toPlain.message as { bytes: Uint8Array }).bytes).not.toBe(signed);
    expect(toPlain.transfer).toEqual([(toPlain.message as { bytes: Uint8Array }).bytes.buffer]);
    // Checked in a thread to the same result, and still whole here afterwards (shared, not moved).
    expect(await pool.checkPackage(shared, {})).toEqual(checkPackageXml(signed));
    expect(shared.equals(signed)).toBe(true);
  });

  it('signs a package past IN_THREAD_MAX_CHARS in the calling thread and checks it in a thread, to the same bytes', async () => {
    const big = unsignedEdoc({ at, attachmentBytes: Math.ceil((IN_THREAD_MAX_CHARS * 3) / 4) + 1024 });
    expect(big.length).toBeGreaterThan(IN_THREAD_MAX_CHARS);
    const signed = await pool.sign(big, signer);
    expect(signed).toBe(signPackage(big, signer));
    expect((await pool.checkPackage(Buffer.from(signed), {})).certificatePem).toBe(signer.certificatePem);
  });

  it('with threads: 0 signs in the calling thread but still checks in a memory-capped thread', async () => {
    const own = createSigning({ threads: 0, heapMb: 24 });
    try {
      expect(own.threads).toBe(0);
      const signed = await own.sign(unsignedStatus({ at }), signer);
      expect(signed).toBe(signPackage(unsignedStatus({ at }), signer));
      expect((await own.checkPackage(Buffer.from(signed), {})).certificatePem).toBe(signer.certificatePem);
      // Where the check ran shows in how a DOM bomb ends: out of the capped thread's heap (413), where
      // the calling thread would have built the DOM and refused the missing signature (422).
      const bomb = Buffer.from(`<r>${'<a/>'.repeat(200_000)}</r>`);
      expect(() => checkPackageXml(bomb)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
      await expect(own.checkPackage(bomb, {})).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    } finally {
      await own.close();
    }
  });

  it('a package that exhausts a thread’s heap costs that thread only: it is refused, the others queued behind it are checked', async () => {
    // A heap of 24 MiB cannot hold the DOM of 200,000 elements (xmldom: several hundred bytes each).
    const small = createSigning({ threads: 1, heapMb: 24 });
    try {
      const bomb = Buffer.from(`<r>${'<a/>'.repeat(200_000)}</r>`);
      const honest = Buffer.from(signPackage(unsignedStatus({ at }), signer));
      const [bombResult, honestResult] = await Promise.allSettled([small.checkPackage(bomb, {}), small.checkPackage(honest, {})]);
      expect(bombResult.status).toBe('rejected');
      expect((bombResult as PromiseRejectedResult).reason).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(honestResult.status).toBe('fulfilled');
      // The replacement thread keeps working.
      expect((await small.checkPackage(honest, {})).certificatePem).toBe(signer.certificatePem);
    } finally {
      await small.close();
    }
  }, 60_000);

  it('refuses work once closed', async () => {
    const own = createSigning({ threads: 1 });
    await own.close();
    await expect(own.sign(unsignedStatus({ at }), signer)).rejects.toThrow('closed');
  });

});
