/**
 * DESIGN.md §5 step 4: the model is parsed from what the signature covers, never from a second parse
 * of the raw input. The parser is wrapped so the test sees exactly what verifyPackage hands it.
 */
import { describe, expect, it, vi } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import * as parse from '../../src/edxml/parse.js';
import { createOfflineCertificateCheck, verifyPackage } from '../../src/edxml/verify-package.js';
import { signPackage, verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { AGENCY_A, unsignedEdoc } from './packages.js';

vi.mock('../../src/edxml/parse.js', async (importOriginal) => {
  const original = await importOriginal<typeof parse>();
  return { ...original, parsePackage: vi.fn(original.parsePackage) };
});

describe('verifyPackage reads the model from the signed content', () => {
  it('parses xml-crypto’s signed reference, not the received bytes', async () => {
    const ca = generateCa({ commonName: 'source CA', validityDays: 30 });
    const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
    const raw = signPackage(unsignedEdoc({ at: new Date(Date.now() - 60_000) }), createPackageSigner(c.certificatePem, c.privateKeyPem as string))
      // a comment the signature does not cover: it must not reach the parser
      .replace('<edXML:Subject>', '<edXML:Subject><!-- not signed -->');
    const parsePackage = vi.mocked(parse.parsePackage);
    parsePackage.mockClear();

    await verifyPackage(Buffer.from(raw), { checkCertificate: createOfflineCertificateCheck(TrustStore.fromPems([ca.certificatePem])) });

    expect(parsePackage).toHaveBeenCalledTimes(1);
    const parsed = parsePackage.mock.calls[0]?.[0];
    expect(parsed).toBe(verifyXmlSignature(raw).signedXml);
    expect(String(parsed)).not.toContain('not signed');
    expect(String(parsed)).not.toContain('Signature');
  });
});
