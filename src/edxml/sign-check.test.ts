/**
 * The self-check of the DOM-free signer: it vouches for what signPackage returns, and each of its
 * checks fails when the thing it checks is wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../crypto/ca.js';
import type { PackageSigner } from '../crypto/signer.js';
import { createPackageSigner } from '../crypto/signer.js';
import { buildEdoc, buildStatus } from './build.js';
import { canonicalizePackage } from './c14n-stream.js';
import type { EdocPackage, StatusPackage } from './model.js';
import { checkOwnSignature, sameText } from './sign-check.js';
import type { OwnSignatureFacts } from './sign-check.js';
import { sha256Base64, signPackage } from './xmldsig.js';

const AGENCY = { code: '000.00.33.H33', name: 'UBND tỉnh Kiên Giang' };
let signer: PackageSigner;
let other: PackageSigner;

beforeAll(() => {
  const ca = generateCa({ commonName: 'sign-check CA', validityDays: 2 });
  const issue = (): PackageSigner => {
    const c = issueAgencyCertificate(ca, { agencyCode: AGENCY.code, agencyName: AGENCY.name, validityDays: 1 });
    return createPackageSigner(c.certificatePem, c.privateKeyPem as string);
  };
  signer = issue();
  other = issue();
});

const STATUS: StatusPackage = {
  from: { organId: AGENCY.code, organName: AGENCY.name },
  responseFor: { organId: '000.01.33.H33', documentId: '000.01.33.H33,2026/11/26,15/QĐ-UBND' },
  statusCode: '01',
  description: 'Đã đến',
  timestamp: '2026/11/26 10:00:00',
};

const EDOC: EdocPackage = {
  messageHeader: {
    from: { organId: AGENCY.code, organName: AGENCY.name },
    to: [{ organId: '000.01.33.H33', organName: 'UBND huyện "Kiên Lương"' }],
    documentId: `${AGENCY.code},2026/11/26,15/QĐ-UBND`,
    code: { codeNumber: '15', codeNotation: 'QĐ-UBND' },
    promulgationInfo: { place: 'Kiên Giang', promulgationDate: '2026/11/26' },
    documentType: { type: 1, typeName: 'Quyết định' },
    subject: "Về việc 'thí điểm' & <báo cáo>\r\n\u2028\uFFFD",
    signerInfo: { position: 'Chủ tịch', fullName: 'Nguyễn Văn A' },
    otherInfo: { priority: 0, appendixes: [] },
    responseFor: [],
    toPlaces: [],
  },
  traceHeaderList: { traceHeaders: [{ organId: AGENCY.code, timestamp: '2026/11/26 10:00:00' }], bussiness: { bussinessDocType: 0 } },
  manifest: [],
  attachments: [],
};

/** What signPackage knew when it signed `unsigned`, read back from its output. */
function factsOf(unsigned: string, by: PackageSigner = signer): OwnSignatureFacts {
  const signed = signPackage(unsigned, by);
  const canonical = canonicalizePackage(unsigned).chunks;
  return { unsigned, signed, at: signed.indexOf('<Signature '), certificatePem: by.certificatePem, canonical, digest: sha256Base64(canonical) };
}

describe('checkOwnSignature', () => {
  it('vouches for what signPackage returns: a status, and an edoc with every spot the builder writes non-canonically', () => {
    expect(checkOwnSignature(factsOf(buildStatus(STATUS)))).toBe(true);
    const edoc = buildEdoc(EDOC);
    for (const spot of ['&quot;', '&apos;', '&#13;', '&#x2028;', '&#xFFFD;', 'version="1.0"/>']) expect(edoc).toContain(spot);
    expect(checkOwnSignature(factsOf(edoc))).toBe(true);
  });

  it('cannot vouch for the digest of text the builder does not write (a comment): says so, for the DOM verifier to decide', () => {
    const withComment = buildStatus(STATUS).replace('<edXML:StatusCode>', '<!-- c --><edXML:StatusCode>');
    expect(checkOwnSignature(factsOf(withComment))).toBe(false);
  });

  it('fails when the text around the Signature is not the unsigned text', () => {
    const f = factsOf(buildStatus(STATUS));
    expect(() => checkOwnSignature({ ...f, signed: `${f.signed}\n` })).toThrow(/the signed text is not the unsigned text plus one Signature/);
    expect(() => checkOwnSignature({ ...f, signed: f.signed.replace('Đã đến', 'Đã đếm') })).toThrow(/the text around the Signature changed/);
    expect(() => checkOwnSignature({ ...f, at: f.at - 1 })).toThrow(/no Signature at the insertion point/);
  });

  it('fails when the Signature is not the last child of edXMLHeader', () => {
    const f = factsOf(buildStatus(STATUS));
    const sig = f.signed.slice(f.at, f.signed.indexOf('</Signature>') + '</Signature>'.length);
    const moved = f.signed.replace(sig, '').replace('</edXML:MessageHeader>', `${sig}</edXML:MessageHeader>`);
    const unsigned = moved.replace(sig, '');
    expect(() => checkOwnSignature({ ...f, unsigned, signed: moved, at: moved.indexOf(sig) })).toThrow(/not the last child of edXMLHeader/);
  });

  it('fails when the Signature is not of the profile', () => {
    const f = factsOf(buildStatus(STATUS));
    const sha1 = f.signed.replace('xmldsig-more#rsa-sha256', 'xmldsig-more#rsa-sha1xx');
    expect(() => checkOwnSignature({ ...f, signed: sha1 })).toThrow(/not of the profile/);
    const extra = f.signed.replace('</KeyInfo>', '</KeyInfo><Object/>');
    expect(() => checkOwnSignature({ ...f, signed: extra })).toThrow(/not of the profile/);
  });

  it('fails when KeyInfo carries another certificate than the signer’s', () => {
    const f = factsOf(buildStatus(STATUS), other);
    expect(() => checkOwnSignature({ ...f, certificatePem: signer.certificatePem })).toThrow(/KeyInfo does not carry the signer certificate/);
  });

  it('fails with SIGNATURE_INVALID when the SignatureValue is not the certificate key’s signature of the SignedInfo', () => {
    const f = factsOf(buildStatus(STATUS));
    const forged = other.sign(Buffer.from('something else')).toString('base64');
    const signed = f.signed.replace(/<SignatureValue>[^<]+<\/SignatureValue>/, `<SignatureValue>${forged}</SignatureValue>`);
    expect(() => checkOwnSignature({ ...f, signed })).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    // The same SignatureValue over a SignedInfo with another digest.
    const g = factsOf(buildStatus({ ...STATUS, description: 'Đã nhận' }));
    const swapped = f.signed.replace(/<DigestValue>[^<]+<\/DigestValue>/, g.signed.match(/<DigestValue>[^<]+<\/DigestValue>/)?.[0] ?? '');
    expect(() => checkOwnSignature({ ...f, signed: swapped, digest: g.digest })).toThrow(/SignatureValue does not verify/);
  });

  it('fails when DigestValue is not the digest computed, and refuses canonical bytes that are not the emitted text', () => {
    const f = factsOf(buildStatus(STATUS));
    expect(() => checkOwnSignature({ ...f, digest: sha256Base64(['x']) })).toThrow(/DigestValue is not the digest/);
    const changed = f.canonical.map((c) => c.replace('Đã đến', 'Đã hủy'));
    expect(checkOwnSignature({ ...f, canonical: changed })).toBe(false);
    expect(checkOwnSignature({ ...f, canonical: [...f.canonical, ' '] })).toBe(false);
  });
});

describe('sameText', () => {
  it('compares the concatenations, however they are cut', () => {
    expect(sameText(['abc', 'def'], ['a', 'bcd', '', 'ef'])).toBe(true);
    expect(sameText([], [''])).toBe(true);
    expect(sameText(['abc'], ['ab'])).toBe(false);
    expect(sameText(['ab'], ['abc'])).toBe(false);
    expect(sameText(['abc', 'def'], ['abc', 'deg'])).toBe(false);
  });
});
