/** The signing pool: the same bytes as signPackage, the port's errors and XML errors carried back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import type { PackageSigner } from '../../src/crypto/signer.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { createSigning, IN_THREAD_MAX_CHARS, type PackageSigning } from '../../src/edxml/sign-pool.js';
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

  it('verifies in worker threads with verifyXmlSignature’s result, and its refusals', async () => {
    const signed = signPackage(unsignedEdoc({ at }), signer);
    expect(await pool.verify(signed, {})).toEqual(verifyXmlSignature(signed));
    const tampered = signed.replace('Về việc triển khai', 'Về việc hủy bỏ');
    const inline = (() => {
      try {
        verifyXmlSignature(tampered);
      } catch (error) {
        return error as DomainError;
      }
      throw new Error('the tampered package verified');
    })();
    const pooled = await pool.verify(tampered, {}).then(
      () => undefined,
      (error: unknown) => error as DomainError,
    );
    expect(pooled).toBeInstanceOf(DomainError);
    expect([pooled?.code, pooled?.message]).toEqual([inline.code, inline.message]);
    // The limits travel with the call.
    await expect(pool.verify(signed, { limits: { maxBytes: 100 } })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('signs and verifies a package past IN_THREAD_MAX_CHARS (the calling thread’s path) to the same bytes', async () => {
    const big = unsignedEdoc({ at, attachmentBytes: Math.ceil((IN_THREAD_MAX_CHARS * 3) / 4) + 1024 });
    expect(big.length).toBeGreaterThan(IN_THREAD_MAX_CHARS);
    const signed = await pool.sign(big, signer);
    expect(signed).toBe(signPackage(big, signer));
    expect((await pool.verify(signed, {})).certificatePem).toBe(signer.certificatePem);
  });

  it('refuses work once closed', async () => {
    const own = createSigning({ threads: 1 });
    await own.close();
    await expect(own.sign(unsignedStatus({ at }), signer)).rejects.toThrow('closed');
  });

  it('signs in the calling thread with threads: 0', async () => {
    const inline = createSigning({ threads: 0 });
    expect(inline.threads).toBe(0);
    expect(await inline.sign(unsignedStatus({ at }), signer)).toBe(signPackage(unsignedStatus({ at }), signer));
  });
});
