/**
 * The DOM-free signer (`signPackage`: c14n-stream.ts, xmldsig.ts, sign-check.ts) on many generated
 * packages (generated-packages.ts, fixed seed): its canonical bytes are xml-crypto's exclusive
 * canonicalisation of the same document, its output is byte for byte the DOM signer's, and what it
 * signs verifies with the project's verifier and with xmlsec1 — and stops verifying in both when one
 * byte changes. Then the text it takes beyond the builder's output, and the text it refuses.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../../src/crypto/ca.js';
import type { PackageSigner } from '../../src/crypto/signer.js';
import { createPackageSigner } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust.js';
import { buildEdoc, buildStatus } from '../../src/edxml/build.js';
import { canonicalizePackage } from '../../src/edxml/c14n-stream.js';
import { assertSafeXml } from '../../src/edxml/harden.js';
import { dateToEdxmlTimestamp } from '../../src/edxml/dates.js';
import type { EdxmlPackage } from '../../src/edxml/model.js';
import type { CertificateCheck } from '../../src/edxml/verify-package.js';
import { createRegistryCertificateCheck, verifyPackage } from '../../src/edxml/verify-package.js';
import { sha256Base64, signForeignPackage, signPackage, signPackageAsync, verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { checkOwnSignature } from '../../src/edxml/sign-check.js';
import { DomainError } from '../../src/errors.js';
import { OPTIONAL_ELEMENTS, Picker, randomEdoc, randomStatus, rng } from './generated-packages.js';
import { AGENCY_A, unsignedEdoc, unsignedStatus } from './packages.js';

const SEED = 20_261_207;
const EDOCS = 120;
const STATUSES = 80;
const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
/** The loops over every generated package sign with the DOM signer too: seconds alone, more on a shared machine. */
const SLOW = 240_000;

let dir: string;
let key: CaMaterial;
let signer: PackageSigner;
let check: CertificateCheck;
/** Each generated package: its model and the builder's text. */
let cases: { name: string; model: EdxmlPackage; xml: string }[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lienthong-own-signer-'));
  const ca = generateCa({ commonName: 'own signer CA', validityDays: 30 });
  const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
  key = { certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem as string };
  signer = createPackageSigner(key.certificatePem, key.privateKeyPem);
  writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
  check = createRegistryCertificateCheck({ trustStore: TrustStore.fromPems([ca.certificatePem]), registeredCertificates: async (code) => (code === AGENCY_A.code ? [key.certificatePem] : []) });

  const p = new Picker(rng(SEED));
  const timestamp = dateToEdxmlTimestamp(new Date(Date.now() - 60_000));
  cases = [];
  for (let i = 0; i < EDOCS; i++) {
    const edoc = randomEdoc(p, AGENCY_A, timestamp);
    cases.push({ name: `edoc ${i}`, model: { kind: 'edoc', edoc }, xml: buildEdoc(edoc) });
  }
  for (let i = 0; i < STATUSES; i++) {
    const status = randomStatus(p, AGENCY_A, timestamp);
    cases.push({ name: `status ${i}`, model: { kind: 'status', status }, xml: buildStatus(status) });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** xml-crypto's exclusive canonicalisation of the document's root, on an xmldom DOM (the reference). */
function xmlCryptoC14n(xml: string): string {
  const doc = new DOMParser({ onError: (level, message) => { throw new Error(`${level}: ${message}`); } }).parseFromString(xml, 'text/xml');
  return String(new ExclusiveCanonicalization().process(doc.documentElement as never, {}));
}

/** Our canonical bytes of the text signPackage would see (after the hardening gate, which drops a BOM). */
const ours = (xml: string): string => canonicalizePackage(assertSafeXml(xml)).chunks.join('');

/** Runs xmlsec1 --verify on the files; a missing binary fails the test. */
function xmlsec1Verify(files: string[]): { status: number; output: string } {
  const r = spawnSync('xmlsec1', ['--verify', '--trusted-pem', join(dir, 'ca.pem'), ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`xmlsec1 could not run (apt-get install xmlsec1): ${r.error.message}`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function writePackage(name: string, text: string): string {
  const path = join(dir, `${name.replace(/[^a-z0-9-]+/gi, '_')}.xml`);
  writeFileSync(path, text);
  return path;
}

/** All files verify in xmlsec1: one run, one "OK" per file. */
function expectXmlsec1Accepts(files: string[]): void {
  const r = xmlsec1Verify(files);
  expect(r.status, r.output.slice(0, 2000)).toBe(0);
  expect(r.output.match(/^OK$/gm)).toHaveLength(files.length);
}

describe('the canonical form of every generated package', () => {
  it('is xml-crypto’s exc-c14n of the same document', () => {
    for (const c of cases) expect(ours(c.xml), c.name).toBe(xmlCryptoC14n(c.xml));
  }, SLOW);

  it('covers every optional element of the builder, present and absent, and every attachment size', () => {
    const tags = cases.map((c) => new Set([...c.xml.matchAll(/<(?:edXML:)?([A-Za-z]+)[ >/]/g)].map((m) => m[1])));
    for (const name of OPTIONAL_ELEMENTS) {
      expect(tags.some((t) => t.has(name)), `${name} present somewhere`).toBe(true);
      expect(tags.some((t) => !t.has(name)), `${name} absent somewhere`).toBe(true);
    }
    const payloads = cases.flatMap((c) => (c.model.kind === 'edoc' ? c.model.edoc.attachments.map((a) => Buffer.from(a.contentBase64, 'base64').length) : []));
    for (const size of [0, 1, 2, 3, 70_000]) expect(payloads).toContain(size);
    expect(cases.some((c) => c.model.kind === 'edoc' && c.model.edoc.attachments.length === 0)).toBe(true);
    // The escapes the signer must get right all occur.
    const all = cases.map((c) => c.xml).join('');
    for (const s of ['&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#13;', '&#x85;', '&#x2028;', '&#x2029;', '&#xFFFD;', '\t', '\n', '🎉', 'version="1.0"/>']) expect(all).toContain(s);
  });
});

describe('signatures over the generated packages', () => {
  const cache = new Map<string, string>();
  const signed = { get: (name: string): string => cache.get(name) ?? (cache.set(name, signPackage((cases.find((c) => c.name === name) as (typeof cases)[number]).xml, signer)).get(name) as string) };

  it('are byte for byte those of the DOM signer, and the async signer’s; xml-crypto digests exactly our canonical bytes', async () => {
    for (const c of cases) {
      const text = signed.get(c.name);
      expect(text, c.name).toBe(signForeignPackage(c.xml, signer));
      expect(await signPackageAsync(c.xml, { certificatePem: signer.certificatePem, sign: async (d) => signer.sign(d) })).toBe(text);
      expect(verifyXmlSignature(text).signedXml, c.name).toBe(ours(c.xml));
    }
  }, SLOW);

  it('are vouched for by the DOM-free self-check alone (the builder writes nothing it has to hand to the DOM verifier)', () => {
    for (const c of cases) {
      const text = signed.get(c.name);
      const canonical = canonicalizePackage(c.xml).chunks;
      const facts = { unsigned: c.xml, signed: text, at: text.indexOf('<Signature '), certificatePem: signer.certificatePem, canonical, digest: sha256Base64(canonical) };
      expect(checkOwnSignature(facts), c.name).toBe(true);
    }
  }, SLOW);

  it('verify with the project’s verifier, which reads back the model that was built', async () => {
    // The parser trims values (parse.ts, for pretty-printed packages of other senders).
    const trimmed = (v: unknown): unknown =>
      typeof v === 'string' ? v.trim() : Array.isArray(v) ? v.map(trimmed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, trimmed(x)])) : v;
    for (const c of cases) {
      const v = await verifyPackage(Buffer.from(signed.get(c.name)), { checkCertificate: check });
      expect(v.senderCode, c.name).toBe(AGENCY_A.code);
      expect(v.model, c.name).toStrictEqual(trimmed(c.model));
    }
  }, SLOW);

  it('verify with xmlsec1 against the CA', () => {
    expectXmlsec1Accepts(cases.map((c) => writePackage(`signed ${c.name}`, signed.get(c.name))));
  }, SLOW);

  it('one byte changed anywhere in the signed content, DigestValue or SignatureValue: both verifiers refuse', async () => {
    const p = new Picker(rng(SEED + 1));
    const targets = [cases[0], cases[1], cases[EDOCS - 1], cases[EDOCS], cases[cases.length - 1]].map((c) => c as (typeof cases)[number]);
    let flips = 0;
    for (const c of targets) {
      const text = signed.get(c.name);
      const sigStart = text.indexOf('<Signature ');
      const sigEnd = text.indexOf('</Signature>') + '</Signature>'.length;
      const rootStart = text.indexOf('<edXML ');
      const rootEnd = text.lastIndexOf('>') + 1;
      // ASCII letters and digits of the signed content (the root element without the Signature).
      const content = [...text.slice(rootStart, rootEnd).matchAll(/[A-Za-z0-9]/g)].map((m) => rootStart + m.index).filter((i) => i < sigStart || i >= sigEnd);
      const positions = [p.one(content), p.one(content), p.one(content), text.indexOf('<DigestValue>') + 13, text.indexOf('<SignatureValue>') + 16];
      for (const at of positions) {
        const was = text[at] as string;
        const flipped = text.slice(0, at) + (was === 'A' ? 'B' : 'A') + text.slice(at + 1);
        const ourError = await verifyPackage(Buffer.from(flipped), { checkCertificate: check }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(ourError, `${c.name}: byte ${at} (${was}) changed, our verifier accepted`).toBeInstanceOf(DomainError);
        const r = xmlsec1Verify([writePackage(`flipped ${c.name} ${at}`, flipped)]);
        expect(r.status, `${c.name}: byte ${at} (${was}) changed, xmlsec1 accepted`).not.toBe(0);
        flips++;
      }
    }
    expect(flips).toBe(25);
  }, SLOW);
});

describe('large attachments', () => {
  it('a 1 MB and a 2.5 MB attachment in a package with Vietnamese text: same canonical bytes, same signature, xmlsec1 accepts', () => {
    const at = new Date(Date.now() - 60_000);
    const files: string[] = [];
    for (const bytes of [1_000_000, 2_500_000]) {
      const xml = unsignedEdoc({ at, attachmentBytes: bytes });
      const canonical = canonicalizePackage(xml);
      expect(canonical.chunks.join('')).toBe(xmlCryptoC14n(xml));
      const text = signPackage(xml, signer);
      expect(text).toBe(signForeignPackage(xml, signer));
      files.push(writePackage(`large ${bytes}`, text));
    }
    expectXmlsec1Accepts(files);
  }, SLOW);
});

describe('sha256Base64', () => {
  it('is the SHA-256 of the UTF-8 text however the chunks fall, surrogate pairs across its 256 KiB rounds included', () => {
    const emoji = '🎉';
    for (const chunks of [
      ['a'.repeat(87_381) + emoji.repeat(200_000)], // the 4-byte characters straddle every round boundary
      ['Việt'.repeat(100_000), 'x', '', emoji],
      ['A'.repeat(3_000_000)],
    ]) {
      expect(sha256Base64(chunks)).toBe(createHash('sha256').update(Buffer.from(chunks.join(''), 'utf8')).digest('base64'));
    }
  });
});

/** The builder's text edited by hand into forms the canonicaliser still takes (and the builder never writes). */
const EDITS: [string, (xml: string) => string][] = [
  ['comments inside and outside the root', (x) => x.replace('<edXML:OrganName>', '<!-- a -->\n<edXML:OrganName><!--b-->').replace('</edXML>\n', '</edXML>\n<!-- after -->\n').replace('?>\n', '?>\n<!-- before -->')],
  ['CDATA sections', (x) => x.replace('<edXML:OrganName>', '<edXML:OrganName><![CDATA[a < b & c > "d" \']]>').replace('<edXML:OrganId>', '<edXML:OrganId><![CDATA[]]]]><![CDATA[>]]><![CDATA[]]>')],
  ['attributes to sort and escape, in either quote', (x) => x.replace('<edXML:From>', `<edXML:From note="a > b &amp; c &#9; &#10; &#13; &quot;" b='2 "x"' a="1">`)],
  ['redundant and unused namespace declarations', (x) => x.replace(`<edXML xmlns="${NS}">`, `<edXML xmlns="${NS}" xmlns:edXML="${NS}">`).replace('<edXML:MessageHeader>', `<edXML:MessageHeader xmlns:edXML="${NS}" xmlns="${NS}">`)],
  ['a prefixed root', (x) => x.replace(`<edXML xmlns="${NS}">`, `<edXML:edXML xmlns:edXML="${NS}" xmlns="${NS}">`).replace('</edXML>\n', '</edXML:edXML>\n')],
  ['character references for every kind of character', (x) => x.replace('<edXML:OrganName>', '<edXML:OrganName>&#38;&#x3C;&#62;&#34;&#x27;&#x1F600;&#xD;&#xA;&#9;&#x2028;')],
  ['empty-element tags and whitespace inside tags', (x) => x.replace('<edXML:OrganName>', '<edXML:OrganName\n\t><edXML:Empty  version = "2" />').replace('</edXML:OrganName>', '</edXML:OrganName  >')],
  ['no XML declaration, a BOM', (x) => `\uFEFF${x.slice(x.indexOf('\n') + 1)}`],
];

describe('text the builder does not write that the canonicaliser still takes', () => {
  it.each(EDITS)('%s: canonical bytes as xml-crypto’s, the signature as the DOM signer’s, xmlsec1 accepts', (name, edit) => {
    const at = new Date(Date.now() - 60_000);
    const files: string[] = [];
    for (const original of [unsignedEdoc({ at }), unsignedStatus({ at, from: AGENCY_A })]) {
      const xml = edit(original);
      expect(xml).not.toBe(original);
      expect(ours(xml)).toBe(xmlCryptoC14n(assertSafeXml(xml)));
      const text = signPackage(xml, signer);
      expect(text).toBe(signForeignPackage(xml, signer));
      files.push(writePackage(`edited ${name} ${files.length}`, text));
    }
    expectXmlsec1Accepts(files);
  });
});

/** Text outside the grammar: signPackage refuses it (VALIDATION_FAILED), the DOM signer takes it. */
const OUTSIDE: [string, (xml: string) => string, RegExp][] = [
  ['an element in another namespace', (x) => x.replace('<edXML:Subject>', '<x:Extra xmlns:x="urn:x">1</x:Extra><edXML:Subject>'), /element x:Extra is in namespace urn:x/],
  ['a prefixed attribute', (x) => x.replace('<edXML:Subject>', '<edXML:Subject xml:lang="vi">'), /prefixed attribute xml:lang/],
  ['a non-ASCII element name', (x) => x.replace('<edXML:Subject>', '<edXML:Subject><edXML:TênRiêng>1</edXML:TênRiêng>'), /a name that is not ASCII/],
  ['a literal CR in text', (x) => x.replace('<edXML:Subject>', '<edXML:Subject>a\rb'), /literal U\+000D in text/],
  ['a literal U+2028 in text', (x) => x.replace('<edXML:Subject>', '<edXML:Subject>a\u2028b'), /literal U\+2028 in text/],
  ['a literal LF in an attribute value', (x) => x.replace('<edXML:Subject>', '<edXML:Subject a="1\n2">'), /literal U\+000A in an attribute value/],
  ['the edXML prefix bound elsewhere', (x) => x.replace('<edXML:Subject>', '<edXML:Subject xmlns:edXML="urn:other">'), /namespace urn:other/],
];

describe('text outside the grammar', () => {
  it.each(OUTSIDE)('%s: refused by signPackage, signed by signForeignPackage', (_name, edit, why) => {
    const xml = edit(unsignedEdoc({ at: new Date(Date.now() - 60_000) }));
    const error = (() => {
      try {
        signPackage(xml, signer);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(why) });
    expect(() => signForeignPackage(xml, signer)).not.toThrow();
  });

  it('a literal U+2028 is why: the DOM signer’s signature of it verifies in xml-crypto but not in xmlsec1; the builder writes a reference, which both read alike', () => {
    const at = new Date(Date.now() - 60_000);
    const literal = unsignedStatus({ at, from: AGENCY_A }).replace('<edXML:Description>', '<edXML:Description>a\u2028b');
    const dom = signForeignPackage(literal, signer);
    expect(verifyXmlSignature(dom).certificatePem).toBe(key.certificatePem);
    expect(xmlsec1Verify([writePackage('literal u2028', dom)]).status).not.toBe(0);

    const status = randomStatus(new Picker(rng(1)), AGENCY_A, dateToEdxmlTimestamp(at));
    status.description = 'a\u2028b\u0085c\u2029d';
    const built = buildStatus(status);
    expect(built).toContain('a&#x2028;b&#x85;c&#x2029;d');
    expectXmlsec1Accepts([writePackage('referenced u2028', signPackage(built, signer))]);
  });
});

describe('what signPackage refuses, in the DOM signer’s words', () => {
  it.each<[string, (at: Date) => string]>([
    ['a package signed already', (at) => signPackage(unsignedStatus({ at, from: AGENCY_A }), signer)],
    ['another root', () => '<a/>'],
    ['an edXML root in no namespace', () => '<edXML><edXMLEnvelope><edXMLHeader>x</edXMLHeader></edXMLEnvelope></edXML>'],
    ['no envelope', () => `<edXML xmlns="${NS}"><edXMLBody/></edXML>`],
    ['two envelopes', (at) => unsignedStatus({ at }).replace('</edXML>', `<edXMLEnvelope><edXMLHeader>x</edXMLHeader></edXMLEnvelope></edXML>`)],
    ['no header', () => `<edXML xmlns="${NS}"><edXMLEnvelope><edXMLBody>x</edXMLBody></edXMLEnvelope></edXML>`],
    ['an empty header', () => `<edXML xmlns="${NS}"><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>`],
    ['a Signature in the edXML namespace inside an attachment', (at) => unsignedEdoc({ at }).replace('<ContentId>', '<Signature>x</Signature><ContentId>')],
    ['a DOCTYPE', (at) => `<!DOCTYPE x [<!ENTITY e "x">]>${unsignedStatus({ at })}`],
    ['malformed text', () => '<edXML'],
  ])('%s', (_name, make) => {
    const xml = make(new Date(Date.now() - 60_000));
    const errorOf = (sign: () => unknown): DomainError => {
      try {
        sign();
      } catch (e) {
        if (e instanceof DomainError) return e;
        throw e;
      }
      throw new Error('signed');
    };
    const dom = errorOf(() => signForeignPackage(xml, signer));
    const own = errorOf(() => signPackage(xml, signer));
    expect([own.code, own.message]).toEqual([dom.code, dom.message]);
  });

  it('limits: what the signed package would break is refused before signing, as the DOM signer’s self-check refused it', () => {
    const at = new Date(Date.now() - 60_000);
    const xml = unsignedStatus({ at, from: AGENCY_A });
    const nodes = (() => {
      // The smallest node limit the unsigned package passes.
      let n = 1;
      for (;;) {
        try {
          assertSafeXml(xml, { maxNodes: n });
          return n;
        } catch {
          n++;
        }
      }
    })();
    for (const limits of [{ maxNodes: nodes }, { maxNodes: nodes + 23 }, { maxBytes: Buffer.byteLength(xml) + 100 }, { maxDepth: 7 }]) {
      expect(() => signForeignPackage(xml, signer, limits), JSON.stringify(limits)).toThrow(DomainError);
      expect(() => signPackage(xml, signer, limits), JSON.stringify(limits)).toThrow(DomainError);
    }
    for (const limits of [{ maxNodes: nodes + 24 }, { maxBytes: Buffer.byteLength(xml) + 3_000 }, { maxDepth: 8 }]) {
      expect(signPackage(xml, signer, limits), JSON.stringify(limits)).toBe(signForeignPackage(xml, signer, limits));
    }
  });
});
