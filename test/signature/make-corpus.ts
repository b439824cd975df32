/**
 * The named signature corpus (xml-crypto `test/static/` style): one `.edxml` file per case, each the
 * valid package with ONE thing done to it, and the outcome `verifyPackage` must give.
 *
 * Generated, not checked in: certificates expire, so every run makes a fresh test CA, agency
 * certificates and packages dated "now". `corpus.test.ts` generates into a temporary directory in
 * beforeAll; to look at the files, run
 *
 *     node --import tsx test/signature/make-corpus.ts            # → test/fixtures/packages/
 *     node --import tsx test/signature/make-corpus.ts /tmp/corpus
 *
 * and e.g. `xmlsec1 --verify --trusted-pem test/fixtures/packages/ca.pem "test/fixtures/packages/valid.edxml"`.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createOptionalCallbackFunction, SignedXml } from 'xml-crypto';
import type { HashAlgorithm, SignatureAlgorithm } from 'xml-crypto';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import { pemToDer } from '../../src/crypto/certificates.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import type { VerifiedPackage } from '../../src/edxml/verify-package.js';
import { createRegistryCertificateCheck } from '../../src/edxml/verify-package.js';
import type { CertificateCheck } from '../../src/edxml/verify-package.js';
import { ALGORITHMS, signPackage } from '../../src/edxml/xmldsig.js';
import type { ErrorCode } from '../../src/errors.js';
import { makeOddCertificate } from '../crypto/test-pki.js';
import { AGENCY_A, AGENCY_B, unsignedEdoc, unsignedStatus } from './packages.js';

/** What verifying a case must give. */
export type Expectation =
  | { readonly ok: true; readonly check?: (v: VerifiedPackage, raw: Buffer) => void }
  | { readonly code: ErrorCode; readonly detail: RegExp };

/** One corpus case; the file is `${name}.edxml`. */
export interface CaseSpec {
  readonly name: string;
  readonly allowLegacy?: boolean;
  readonly expect: Expectation;
}

/** What the generator made besides the files. */
export interface Corpus {
  readonly dir: string;
  readonly now: Date;
  readonly caPem: string;
  /** The registry-backed check: trust store = the test CA, registry = REGISTRY below. */
  readonly checkCertificate: CertificateCheck;
  readonly certificates: Readonly<Record<'a' | 'a2' | 'b' | 'expiredA' | 'selfSignedA', string>>;
}

const untrusted = (detail: RegExp): Expectation => ({ code: 'CERTIFICATE_UNTRUSTED', detail });
const invalid = (detail: RegExp): Expectation => ({ code: 'SIGNATURE_INVALID', detail });
const forbidden = (detail: RegExp): Expectation => ({ code: 'XML_FORBIDDEN', detail });

/** The cases, in the order of DESIGN.md §5. Static so that each becomes one named test. */
export const CASES: readonly CaseSpec[] = [
  { name: 'valid', expect: { ok: true } },
  { name: 'valid - status', expect: { ok: true } },
  { name: 'valid - stray bytes before the XML declaration', expect: { ok: true } },
  // 1. hardening gate
  { name: 'invalid - DOCTYPE with an internal entity', expect: forbidden(/markup declaration <!DOCTYPE is not allowed/) },
  { name: 'invalid - external entity', expect: forbidden(/markup declaration <!DOCTYPE is not allowed/) },
  { name: 'invalid - several roots', expect: forbidden(/more than one root element/) },
  { name: 'invalid - 60 MB body', expect: { code: 'PAYLOAD_TOO_LARGE', detail: /exceeds 52428800 bytes/ } },
  { name: 'invalid - 10000-deep nesting', expect: forbidden(/nesting deeper than 256/) },
  // 2. signature profile
  { name: 'invalid - unsigned', expect: invalid(/not signed: no Signature element/) },
  { name: 'invalid - two signatures', expect: invalid(/found 2 Signature elements/) },
  { name: 'invalid - second signature in the edXML namespace', expect: invalid(/found 2 Signature elements/) },
  { name: 'invalid - signature in the edXML namespace', expect: invalid(/Signature is in namespace http:\/\/www\.mic\.gov\.vn\/TBT\/QCVN_102_2016, not XMLDSig/) },
  { name: 'invalid - signature inside MessageHeader', expect: invalid(/must be at \/edXML\/edXMLEnvelope\/edXMLHeader\/Signature, found at \/edXML\/edXMLEnvelope\/edXMLHeader\/MessageHeader\/Signature/) },
  { name: 'invalid - two SignedInfo', expect: invalid(/found 2 SignedInfo elements/) },
  { name: 'invalid - wrapped header in Object', expect: invalid(/must not contain Object elements/) },
  { name: 'invalid - wrapped header in Object outside the signature', expect: invalid(/XMLDSig element Object found outside the Signature/) },
  { name: 'invalid - reference to an id', expect: invalid(/Reference URI="#_0" is not allowed/) },
  { name: 'invalid - XSLT transform', expect: invalid(/Transform 2 is http:\/\/www\.w3\.org\/TR\/1999\/REC-xslt-19991116/) },
  { name: 'invalid - XPath transform', expect: invalid(/Transform 1 is http:\/\/www\.w3\.org\/TR\/1999\/REC-xpath-19991116/) },
  { name: 'invalid - exc-c14n with comments', expect: invalid(/CanonicalizationMethod .*#WithComments is not allowed/) },
  { name: 'invalid - rsa-sha1', expect: invalid(/SignatureMethod http:\/\/www\.w3\.org\/2000\/09\/xmldsig#rsa-sha1 is refused: SHA-1 is accepted only from partners marked legacy/) },
  { name: 'valid - rsa-sha1 from a legacy partner', allowLegacy: true, expect: { ok: true } },
  { name: 'invalid - hmac-sha256', expect: invalid(/HMAC is never accepted/) },
  { name: 'invalid - hmac-sha256 from a legacy partner', allowLegacy: true, expect: invalid(/HMAC is never accepted/) },
  { name: 'invalid - md5', expect: invalid(/DigestMethod http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#md5 is refused: MD5 is broken/) },
  { name: 'invalid - KeyInfo RetrievalMethod', expect: invalid(/KeyInfo RetrievalMethod is not allowed/) },
  // cryptographic check
  { name: 'invalid - content changed', expect: invalid(/digest of the signed content does not match DigestValue/) },
  { name: 'invalid - second MessageHeader', expect: invalid(/digest of the signed content does not match DigestValue/) },
  { name: 'invalid - digest changed', expect: invalid(/digest of the signed content does not match DigestValue/) },
  { name: 'invalid - signature value changed', expect: invalid(/SignatureValue does not verify with the KeyInfo certificate/) },
  { name: 'comment injected inside OrganId', expect: { ok: true } }, // see corpus.test.ts: the value read is the signed one
  // 3. certificate and signing time
  { name: 'invalid - self-signed certificate', expect: untrusted(/is self-signed and is not issued by a trust anchor/) },
  { name: 'invalid - certificate of another agency', expect: untrusted(/issued to agency 000\.01\.33\.H33, but the package is from 000\.00\.33\.H33/) },
  { name: 'invalid - expired certificate', expect: untrusted(/expired before/) },
  { name: 'invalid - certificate not registered for the agency', expect: untrusted(/is not a registered certificate of agency 000\.00\.33\.H33/) },
  { name: 'invalid - signing time in the future', expect: invalid(/signing time .* is more than 5 minutes in the future/) },
];

const DAY = 86_400_000;
const HEADER_XPATH = "/*[local-name()='edXML']/*[local-name()='edXMLEnvelope']/*[local-name()='edXMLHeader']";
const XSLT = 'http://www.w3.org/TR/1999/REC-xslt-19991116';
const XPATH = 'http://www.w3.org/TR/1999/REC-xpath-19991116';
const HMAC_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256';
const MD5 = 'http://www.w3.org/2001/04/xmldsig-more#md5';

/** Replaces exactly one occurrence; the generator fails loudly if a mutation does not apply. */
function replaceOnce(text: string, search: string | RegExp, replacement: string | ((m: string) => string)): string {
  const re = typeof search === 'string' ? new RegExp(search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : new RegExp(search.source, search.flags.includes('g') ? search.flags : `${search.flags}g`);
  const hits = text.match(re)?.length ?? 0;
  if (hits !== 1) throw new Error(`corpus: expected one match of ${String(search)}, found ${hits}`);
  return text.replace(re, replacement as string);
}

/** The exact text of the first element `<tag …>…</tag>` (no nesting of the same tag). */
function elementText(text: string, open: string, close: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close, start);
  if (start < 0 || end < 0) throw new Error(`corpus: ${open} not found`);
  return text.slice(start, end + close.length);
}

/** Signs with xml-crypto directly (key in hand), for signatures our signer would never make. */
export function xmlCryptoSign(
  unsigned: string,
  o: {
    key: CaMaterial;
    signatureAlgorithm: string;
    digestAlgorithm: string;
    xpath?: string;
    isEmptyUri?: boolean;
    signatureAlgorithms?: Record<string, new () => SignatureAlgorithm>;
    hashAlgorithms?: Record<string, new () => HashAlgorithm>;
  },
): string {
  const sig = new SignedXml({ privateKey: o.key.privateKeyPem, publicCert: o.key.certificatePem, canonicalizationAlgorithm: ALGORITHMS.EXC_C14N, signatureAlgorithm: o.signatureAlgorithm });
  Object.assign(sig.SignatureAlgorithms, o.signatureAlgorithms ?? {});
  Object.assign(sig.HashAlgorithms, o.hashAlgorithms ?? {});
  sig.addReference({ xpath: o.xpath ?? '/*', transforms: [ALGORITHMS.ENVELOPED, ALGORITHMS.EXC_C14N], digestAlgorithm: o.digestAlgorithm, uri: '', isEmptyUri: o.isEmptyUri ?? true });
  sig.computeSignature(unsigned, { location: { reference: HEADER_XPATH, action: 'append' } });
  return sig.getSignedXml();
}

/** Generates every case file (plus `ca.pem`) into `dir` and returns what the test needs. */
export function makeCorpus(dir: string): Corpus {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const signedAt = new Date(now.getTime() - 60_000);

  const ca = generateCa({ commonName: 'lienthong test CA', validityDays: 30 });
  const issue = (agency: { code: string; name: string }, extra: { notBefore?: Date; validityDays?: number } = {}): CaMaterial => {
    const c = issueAgencyCertificate(ca, { agencyCode: agency.code, agencyName: agency.name, validityDays: extra.validityDays ?? 30, ...(extra.notBefore ? { notBefore: extra.notBefore } : {}) });
    return { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  };
  const certA = issue(AGENCY_A);
  const certA2 = issue(AGENCY_A); // valid, right agency, never registered
  const certB = issue(AGENCY_B);
  // Issued by the test CA, valid for 10 days a year ago: the chain is fine, it expired before signing.
  const expiredA = makeOddCertificate({ issuer: ca, commonName: AGENCY_A.name, agencyCode: AGENCY_A.code, notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - 390 * DAY) });
  const selfSignedA = makeOddCertificate({ commonName: AGENCY_A.name, agencyCode: AGENCY_A.code });

  const registry = new Map<string, string[]>([
    [AGENCY_A.code, [certA.certificatePem, expiredA.certificatePem, selfSignedA.certificatePem]],
    [AGENCY_B.code, [certB.certificatePem]],
  ]);
  const checkCertificate = createRegistryCertificateCheck({
    trustStore: TrustStore.fromPems([ca.certificatePem]),
    registeredCertificates: async (code) => registry.get(code) ?? [],
  });

  const sign = (unsigned: string, key: CaMaterial): string => signPackage(unsigned, createPackageSigner(key.certificatePem, key.privateKeyPem));
  const edoc = unsignedEdoc({ at: signedAt });
  const valid = sign(edoc, certA);
  const signatureEl = elementText(valid, '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', '</Signature>');
  const messageHeader = elementText(valid, '<edXML:MessageHeader>', '</edXML:MessageHeader>');
  const forgedHeader = replaceOnce(messageHeader, 'Về việc triển khai dịch vụ công trực tuyến toàn trình', 'Về việc thu hồi toàn bộ kinh phí');

  const files: Record<string, () => string | Buffer> = {
    valid: () => valid,
    'valid - status': () => sign(unsignedStatus({ at: signedAt }), certB),
    'valid - stray bytes before the XML declaration': () => `1212${valid}`,

    'invalid - DOCTYPE with an internal entity': () =>
      replaceOnce(valid, '<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE edXML [<!ENTITY sender "000.00.33.H33">]>\n'),
    'invalid - external entity': () =>
      replaceOnce(
        replaceOnce(valid, '<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
        '<edXML:Content>',
        '<edXML:Content>&xxe;',
      ),
    'invalid - several roots': () => `${valid}<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>\n`,
    'invalid - 60 MB body': () => {
      const filler = Buffer.alloc(60 * 1024 * 1024, 'A').toString('latin1');
      return replaceOnce(valid, '</edXML:ContentTransferEncoded>', `${filler}</edXML:ContentTransferEncoded>`);
    },
    'invalid - 10000-deep nesting': () => replaceOnce(valid, '</edXML:edXMLBody>', `${'<edXML:x>'.repeat(10_000)}${'</edXML:x>'.repeat(10_000)}</edXML:edXMLBody>`),

    'invalid - unsigned': () => edoc,
    'invalid - two signatures': () => replaceOnce(valid, signatureEl, signatureEl + signatureEl),
    'invalid - second signature in the edXML namespace': () =>
      replaceOnce(valid, signatureEl, `${signatureEl}<Signature><SignedInfo/><SignatureValue>AAAA</SignatureValue></Signature>`),
    'invalid - signature in the edXML namespace': () => replaceOnce(valid, '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', '<Signature>'),
    // The element is moved as is: the enveloped transform removes it wherever it sits, so the digest
    // still matches — only the location check stops it.
    'invalid - signature inside MessageHeader': () => replaceOnce(replaceOnce(valid, signatureEl, ''), '</edXML:MessageHeader>', `${signatureEl}</edXML:MessageHeader>`),
    'invalid - two SignedInfo': () => {
      const si = elementText(signatureEl, '<SignedInfo>', '</SignedInfo>');
      return replaceOnce(valid, si, si + si);
    },
    'invalid - wrapped header in Object': () => replaceOnce(replaceOnce(valid, messageHeader, forgedHeader), '</KeyInfo></Signature>', `</KeyInfo><Object>${messageHeader}</Object></Signature>`),
    'invalid - wrapped header in Object outside the signature': () =>
      replaceOnce(replaceOnce(valid, messageHeader, forgedHeader), '</Signature>', `</Signature><ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${messageHeader}</ds:Object>`),
    // A genuine signature by agency A — but over the MessageHeader subtree only (URI="#_0").
    'invalid - reference to an id': () =>
      xmlCryptoSign(edoc, { key: certA, signatureAlgorithm: ALGORITHMS.RSA_SHA256, digestAlgorithm: ALGORITHMS.SHA256, xpath: "//*[local-name()='MessageHeader']", isEmptyUri: false }),
    'invalid - XSLT transform': () =>
      replaceOnce(
        valid,
        `<Transform Algorithm="${ALGORITHMS.EXC_C14N}"/>`,
        `<Transform Algorithm="${XSLT}"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="document('file:///etc/passwd')"/></xsl:template></xsl:stylesheet></Transform>`,
      ),
    'invalid - XPath transform': () =>
      replaceOnce(valid, `<Transform Algorithm="${ALGORITHMS.ENVELOPED}"/>`, `<Transform Algorithm="${XPATH}"><XPath>not(ancestor-or-self::*[local-name()='MessageHeader'])</XPath></Transform>`),
    'invalid - exc-c14n with comments': () => replaceOnce(valid, `<CanonicalizationMethod Algorithm="${ALGORITHMS.EXC_C14N}"/>`, `<CanonicalizationMethod Algorithm="${ALGORITHMS.EXC_C14N_WITH_COMMENTS}"/>`),
    'invalid - rsa-sha1': () => xmlCryptoSign(edoc, { key: certA, signatureAlgorithm: ALGORITHMS.RSA_SHA1, digestAlgorithm: ALGORITHMS.SHA1 }),
    'valid - rsa-sha1 from a legacy partner': () => xmlCryptoSign(edoc, { key: certA, signatureAlgorithm: ALGORITHMS.RSA_SHA1, digestAlgorithm: ALGORITHMS.SHA1 }),
    // Key confusion: an "HMAC" keyed with the sender's PUBLIC certificate, which anyone has.
    'invalid - hmac-sha256': () => hmacForgery(edoc, certA),
    'invalid - hmac-sha256 from a legacy partner': () => hmacForgery(edoc, certA),
    'invalid - md5': () =>
      xmlCryptoSign(edoc, {
        key: certA,
        signatureAlgorithm: ALGORITHMS.RSA_SHA256,
        digestAlgorithm: MD5,
        hashAlgorithms: { [MD5]: hashClass(MD5, 'md5') },
      }),
    'invalid - KeyInfo RetrievalMethod': () =>
      replaceOnce(valid, /<KeyInfo>[\s\S]*?<\/KeyInfo>/, `<KeyInfo><RetrievalMethod URI="https://attacker.example/cert.der" Type="http://www.w3.org/2000/09/xmldsig#rawX509Certificate"/></KeyInfo>`),

    'invalid - content changed': () => replaceOnce(valid, 'Về việc triển khai dịch vụ công trực tuyến toàn trình', 'Về việc thu hồi toàn bộ kinh phí'),
    'invalid - second MessageHeader': () => replaceOnce(valid, messageHeader, forgedHeader + messageHeader),
    'invalid - digest changed': () => replaceOnce(valid, /<DigestValue>[^<]+<\/DigestValue>/, `<DigestValue>${createHash('sha256').update('forged').digest('base64')}</DigestValue>`),
    'invalid - signature value changed': () =>
      replaceOnce(valid, /<SignatureValue>([^<]+)<\/SignatureValue>/, (m) => {
        const i = m.indexOf('>') + 20;
        return m.slice(0, i) + (m[i] === 'A' ? 'B' : 'A') + m.slice(i + 1);
      }),
    'comment injected inside OrganId': () => replaceOnce(valid, /<edXML:From>\s*<edXML:OrganId>000\.00\.33\.H33</, (m) => m.replace('000.00.33.H33', '000.00.<!--ignored by c14n-->33.H33')),

    'invalid - self-signed certificate': () => sign(edoc, selfSignedA),
    'invalid - certificate of another agency': () => sign(edoc, certB),
    'invalid - expired certificate': () => sign(edoc, expiredA),
    'invalid - certificate not registered for the agency': () => sign(edoc, certA2),
    'invalid - signing time in the future': () => sign(unsignedEdoc({ at: new Date(now.getTime() + 60 * 60_000) }), certA),
  };

  for (const c of CASES) {
    const make = files[c.name];
    if (!make) throw new Error(`corpus: no generator for case "${c.name}"`);
    writeFileSync(join(dir, `${c.name}.edxml`), make());
  }
  const extra = Object.keys(files).filter((n) => !CASES.some((c) => c.name === n));
  if (extra.length > 0) throw new Error(`corpus: generators without a case: ${extra.join(', ')}`);
  writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);

  return {
    dir,
    now,
    caPem: ca.certificatePem,
    checkCertificate,
    certificates: { a: certA.certificatePem, a2: certA2.certificatePem, b: certB.certificatePem, expiredA: expiredA.certificatePem, selfSignedA: selfSignedA.certificatePem },
  };
}

function hashClass(uri: string, hash: string): new () => HashAlgorithm {
  return class {
    getAlgorithmName(): string {
      return uri;
    }
    getHash(xml: string): string {
      return createHash(hash).update(xml, 'utf8').digest('base64');
    }
  };
}

/** A SignatureValue = HMAC-SHA256(key = DER of the signer's public certificate, SignedInfo). */
function hmacForgery(unsigned: string, victim: CaMaterial): string {
  const certDer = pemToDer(victim.certificatePem);
  const Hmac = class {
    getSignature = createOptionalCallbackFunction((signedInfo: unknown): string => createHmac('sha256', certDer).update(String(signedInfo)).digest('base64'));
    verifySignature = createOptionalCallbackFunction((): boolean => false);
    getAlgorithmName(): string {
      return HMAC_SHA256;
    }
  } as unknown as new () => SignatureAlgorithm;
  return xmlCryptoSign(unsigned, { key: victim, signatureAlgorithm: HMAC_SHA256, digestAlgorithm: ALGORITHMS.SHA256, signatureAlgorithms: { [HMAC_SHA256]: Hmac } });
}

// `node --import tsx test/signature/make-corpus.ts [dir]` writes the corpus for inspection.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = resolve(process.argv[2] ?? fileURLToPath(new URL('../fixtures/packages/', import.meta.url)));
  makeCorpus(dir);
  process.stdout.write(`wrote ${CASES.length} cases and ca.pem to ${dir}\n`);
}
