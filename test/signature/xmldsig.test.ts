/** signPackage / verifyXmlSignature beyond the corpus: where the signature goes, what the port sees. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import type { PackageSigner } from '../../src/crypto/signer.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { signPackage, verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { DomainError } from '../../src/errors.js';
import { AGENCY_A, unsignedEdoc, unsignedStatus } from './packages.js';

let a: CaMaterial;
let signer: PackageSigner;
const at = new Date(Date.now() - 60_000);
const SIG_OPEN = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">';

beforeAll(() => {
  const ca = generateCa({ commonName: 'xmldsig CA', validityDays: 30 });
  const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
  a = { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  signer = createPackageSigner(a.certificatePem, a.privateKeyPem);
});

function signatureOf(signed: string): string {
  const start = signed.indexOf(SIG_OPEN);
  const end = signed.indexOf('</Signature>', start) + '</Signature>'.length;
  return signed.slice(start, end);
}

describe('signPackage', () => {
  it('returns the input plus exactly one Signature element, the last child of edXMLHeader', () => {
    for (const unsigned of [unsignedEdoc({ at }), unsignedStatus({ at })]) {
      const signed = signPackage(unsigned, signer);
      const sig = signatureOf(signed);
      expect(signed.replace(sig, '')).toBe(unsigned); // nothing else re-serialised
      expect(signed).toContain(`${sig}</edXML:edXMLHeader>`);
      expect(sig).toContain('<Reference URI="">');
      expect(sig).toContain('<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>');
      expect(sig).toContain('<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>');
      expect(sig).toContain('<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>');
      expect(sig).toMatch(/<KeyInfo><X509Data><X509Certificate>[A-Za-z0-9+/=]+<\/X509Certificate><\/X509Data><\/KeyInfo>/);
    }
  });

  it('signs through the port: one call, over the canonical SignedInfo', () => {
    const calls: Buffer[] = [];
    const spy: PackageSigner = { certificatePem: signer.certificatePem, sign: (d) => (calls.push(d), signer.sign(d)) };
    signPackage(unsignedStatus({ at }), spy);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.toString('utf8')).toMatch(/^<SignedInfo xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"><CanonicalizationMethod Algorithm="[^"]+"><\/CanonicalizationMethod>/);
  });

  it('fails closed when the port returns a signature that does not verify', () => {
    const broken: PackageSigner = { certificatePem: signer.certificatePem, sign: (d) => Buffer.from(signer.sign(d)).fill(7, 0, 8) };
    expect(() => signPackage(unsignedStatus({ at }), broken)).toThrow(/SignatureValue does not verify/);
  });

  it('is not fooled by a look-alike end tag in a comment or CDATA', () => {
    const tricky = unsignedEdoc({ at })
      .replace('<edXML:edXMLBody>', '<edXML:edXMLBody><!-- </edXML:edXMLHeader> -->')
      .replace('<edXML:Subject>', '<edXML:Subject><![CDATA[</edXML:edXMLHeader>]]>')
      .replace('<edXML:TraceHeaderList>', '<edXML:TraceHeaderList note="a > b">');
    const signed = signPackage(tricky, signer);
    expect(signed.replace(signatureOf(signed), '')).toBe(tricky);
    expect(signed).toContain(`${signatureOf(signed)}</edXML:edXMLHeader>`);
  });

  it('refuses to sign twice, or something that is not an edXML package', () => {
    const signed = signPackage(unsignedStatus({ at }), signer);
    expect(() => signPackage(signed, signer)).toThrow(/already holds Signature/);
    expect(() => signPackage('<a/>', signer)).toThrow(/root element must be edXML/);
    expect(() => signPackage('<edXML', signer)).toThrow(DomainError);
  });
});

describe('verifyXmlSignature', () => {
  it('returns the KeyInfo certificate as candidate and the signed content without the Signature', () => {
    const signed = signPackage(unsignedEdoc({ at }), signer);
    const r = verifyXmlSignature(signed);
    expect(r.certificatePem).toBe(a.certificatePem);
    expect(r.signedXml.startsWith('<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">')).toBe(true);
    expect(r.signedXml).not.toContain('Signature');
    expect(r.signedXml).toContain('<edXML:OrganId>000.00.33.H33</edXML:OrganId>');
    expect(r.signedXml).toContain('<AttachmentEncoded>'); // attachments outside the envelope are covered
  });

  it('runs the hardening gate first (XML_FORBIDDEN, PAYLOAD_TOO_LARGE) and maps parse errors to XML_MALFORMED', () => {
    const signed = signPackage(unsignedStatus({ at }), signer);
    expect(() => verifyXmlSignature(signed.replace('<edXML ', '<!DOCTYPE x><edXML '))).toThrow(expect.objectContaining({ code: 'XML_FORBIDDEN' }));
    expect(() => verifyXmlSignature(signed, { limits: { maxBytes: 100 } })).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => verifyXmlSignature(signed.replace('</edXML:From>', ''))).toThrow(expect.objectContaining({ code: 'XML_MALFORMED' }));
  });

  it('accepts line-wrapped base64 (as other signers write it) and refuses malformed base64', () => {
    const signed = signPackage(unsignedStatus({ at }), signer);
    const wrapped = signed.replace(/<SignatureValue>([^<]+)<\/SignatureValue>/, (_m, v: string) => `<SignatureValue>\n${v.match(/.{1,64}/g)?.join('\n')}\n</SignatureValue>`);
    expect(() => verifyXmlSignature(wrapped)).not.toThrow();
    expect(() => verifyXmlSignature(signed.replace('<SignatureValue>', '<SignatureValue>*'))).toThrow(/SignatureValue is not valid base64/);
  });
});
