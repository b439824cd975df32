/**
 * Issue 16, large packages: the verifier that cuts long base64 runs out before the parsers
 * (src/edxml/verify-elided.ts) must give exactly the verdict of the full DOM check, or step aside.
 * Each hostile package below is checked both ways: whenever the elided check answers, the full
 * check accepts the same package with the same result; checkPackageXml always gives the full
 * check's verdict.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { createPackageSigner, type PackageSigner } from '../src/crypto/signer.js';
import { buildEdoc } from '../src/edxml/build.js';
import { checkElided, MIN_RUN } from '../src/edxml/verify-elided.js';
import { parsePackage } from '../src/edxml/parse.js';
import { attachmentBytes, attachmentSize, checkPackageXml, checkPackageXmlInFull, parseStoredPackage, type PackageXmlCheck } from '../src/edxml/verify-package.js';
import { signForeignPackage, signPackage } from '../src/edxml/xmldsig.js';
import { DomainError } from '../src/errors.js';
import { AGENCY_A, edocModel } from './signature/packages.js';

let signer: PackageSigner;
const at = new Date(Date.now() - 60_000);
const FILE = 3 * MIN_RUN; // base64 of it: 4 × MIN_RUN characters, one run

beforeAll(() => {
  const ca = generateCa({ commonName: 'large package CA', validityDays: 30 });
  const c = issueAgencyCertificate(ca, { agencyCode: AGENCY_A.code, agencyName: AGENCY_A.name, validityDays: 30 });
  signer = createPackageSigner(c.certificatePem, c.privateKeyPem as string);
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

type Verdict = { ok: true; value: PackageXmlCheck } | { ok: false; code: string };
function verdict(run: () => PackageXmlCheck): Verdict {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, code: error instanceof DomainError ? error.code : `Error: ${(error as Error).message}` };
  }
}

/** Both checks on `text`: the elided one, when it answers, agrees with the full one; checkPackageXml is the full one's verdict. */
function bothWays(text: string | Buffer): { full: Verdict; elided: PackageXmlCheck | undefined } {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const full = verdict(() => checkPackageXmlInFull(bytes));
  const elided = checkElided(bytes, {}, sha(bytes));
  if (elided) {
    expect(full.ok).toBe(true);
    expect(elided).toEqual((full as { value: PackageXmlCheck }).value);
  }
  expect(verdict(() => checkPackageXml(bytes))).toEqual(full);
  // The parse of a stored package with its files left in the bytes is the whole parse, or its refusal.
  const whole = (parse: () => unknown) => {
    try {
      return { ok: true, value: parse() };
    } catch (error) {
      return { ok: false, code: (error as DomainError).code ?? String(error) };
    }
  };
  expect(whole(() => parseStoredPackage(bytes))).toEqual(whole(() => parsePackage(bytes)));
  return { full, elided };
}

const randomFile = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
};

/** Our own edoc with the given files (as the builder writes it), unsigned. */
function unsigned(files: Buffer[]): string {
  const model = edocModel({ at });
  model.manifest = files.map((_, i) => ({ contentId: `cid:${i + 1}`, contentType: 'application/pdf', description: 'Tệp', attachmentName: `tep-${i + 1}.pdf` }));
  model.attachments = files.map((f, i) => ({ contentId: `cid:${i + 1}`, attachmentName: `tep-${i + 1}.pdf`, description: 'Tệp', contentType: 'application/pdf', contentBase64: f.toString('base64') }));
  return buildEdoc(model);
}

describe('the elided check of a large package', () => {
  it('gives the full check’s result for our own package, without the DOM over the file', () => {
    const file = randomFile(FILE, 1);
    const signed = signPackage(unsigned([file]), signer);
    const { full, elided } = bothWays(signed);
    expect(full.ok).toBe(true);
    expect(elided).toBeDefined();
    expect(elided!.model.kind === 'edoc' && Buffer.from(elided!.model.edoc.attachments[0]!.contentBase64, 'base64').equals(file)).toBe(true);
    expect(elided!.model.kind === 'edoc' && attachmentBytes(elided!.model.edoc.attachments[0]!).equals(file)).toBe(true);
    const stored = parseStoredPackage(Buffer.from(signed, 'utf8'));
    const attachment = stored.kind === 'edoc' ? stored.edoc.attachments[0]! : undefined;
    // Left in the bytes (its base64 a getter over them), and read from there.
    expect(attachment && Object.getOwnPropertyDescriptor(attachment, 'contentBase64')?.get).toBeTypeOf('function');
    expect(attachment && attachmentBytes(attachment).equals(file) && attachmentSize(attachment)).toBe(file.length);
  });

  it('gives the full check’s result for two files, and for the same file twice', () => {
    const a = randomFile(FILE, 2);
    const b = randomFile(FILE + 3, 3);
    expect(bothWays(signPackage(unsigned([a, b]), signer)).elided).toBeDefined();
    expect(bothWays(signPackage(unsigned([a, a]), signer)).elided).toBeDefined();
  });

  it('refuses a package whose file changed after signing (one character of the run)', () => {
    const signed = signPackage(unsigned([randomFile(FILE, 4)]), signer);
    const run = signed.indexOf('<edXML:ContentTransferEncoded');
    const at = signed.indexOf('>', run) + 1 + 2 * MIN_RUN;
    const changed = signed.slice(0, at) + (signed[at] === 'A' ? 'B' : 'A') + signed.slice(at + 1);
    const { full, elided } = bothWays(changed);
    expect(elided).toBeUndefined();
    expect(full).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a package whose two files were swapped after signing', () => {
    const a = randomFile(FILE, 5).toString('base64');
    const b = randomFile(FILE, 6).toString('base64');
    const signed = signPackage(unsigned([Buffer.from(a, 'base64'), Buffer.from(b, 'base64')]), signer);
    const swapped = signed.replace(a, '\u0000').replace(b, a).replace('\u0000', b);
    const { full } = bothWays(swapped);
    expect(full).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a package where the signed file was copied into a second, unsigned attachment', () => {
    const file = randomFile(FILE, 7).toString('base64');
    const signed = signPackage(unsigned([Buffer.from(file, 'base64')]), signer);
    const extra = `<Attachment><ContentId>cid:9</ContentId><AttachmentName>x.pdf</AttachmentName><edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">${file}</edXML:ContentTransferEncoded></Attachment>`;
    const { full } = bothWays(signed.replace('</AttachmentEncoded>', `${extra}</AttachmentEncoded>`));
    expect(full.ok).toBe(false);
  });

  it('leaves a package with the run in a comment to the full check', () => {
    const file = randomFile(FILE, 8).toString('base64');
    const text = unsigned([Buffer.from(file, 'base64')]).replace('<edXML:edXMLBody>', `<!--${file}--><edXML:edXMLBody>`);
    const { full, elided } = bothWays(signForeignPackage(text, signer));
    expect(elided).toBeUndefined();
    expect(full.ok).toBe(true);
  });

  it('leaves a package with a CDATA section to the full check', () => {
    const file = randomFile(FILE, 9).toString('base64');
    const text = unsigned([Buffer.from(file, 'base64')]).replace(`>${file}<`, `><![CDATA[${file}]]><`);
    const { full, elided } = bothWays(signForeignPackage(text, signer));
    expect(elided).toBeUndefined();
    expect(full.ok).toBe(true);
  });

  it('gives the full verdict for a run in an attribute', () => {
    const file = randomFile(FILE, 10).toString('base64');
    const text = unsigned([randomFile(FILE, 11)]).replace('<edXML:edXMLBody>', `<edXML:edXMLBody data="${file}">`);
    bothWays(signForeignPackage(text, signer));
  });

  it('gives the full verdict for a run in another element than a file (Description)', () => {
    const file = randomFile(FILE, 12).toString('base64');
    const text = unsigned([randomFile(FILE, 13)]).replace('<Description>Tệp</Description>', `<Description>${file}</Description>`);
    const { elided } = bothWays(signForeignPackage(text, signer));
    expect(elided).toBeUndefined();
  });

  it('leaves a run in the unsigned Signature to the full check', () => {
    const signed = signPackage(unsigned([randomFile(FILE, 14)]), signer);
    const name = randomFile(FILE, 15).toString('base64');
    const withName = signed.replace('</X509Certificate>', `</X509Certificate><X509SubjectName>${name}</X509SubjectName>`);
    const { full } = bothWays(withName);
    expect(full.ok).toBe(true); // names are informational and outside what is signed
  });

  it('gives the full verdict for a run followed by text in the same element', () => {
    const file = randomFile(FILE, 16).toString('base64');
    const signed = signPackage(unsigned([Buffer.from(file, 'base64')]), signer);
    const { full, elided } = bothWays(signed.replace(`${file}</edXML:ContentTransferEncoded>`, `${file}&#65;</edXML:ContentTransferEncoded>`));
    expect(elided).toBeUndefined();
    expect(full.ok).toBe(false);
  });

  it('gives the full verdict when a file is signed with a text node before it (`>` in text)', () => {
    const file = randomFile(FILE, 17).toString('base64');
    const text = unsigned([Buffer.from(file, 'base64')]).replace(`>${file}<`, `>AB&gt;${file}<`);
    const { elided } = bothWays(signForeignPackage(text, signer));
    expect(elided).toBeUndefined();
  });

  it('gives the full verdict for bad base64 padding inside a run', () => {
    const file = randomFile(FILE, 18).toString('base64');
    const bad = `${file.slice(0, 100)}=${file.slice(101)}`;
    const text = unsigned([Buffer.from(file, 'base64')]).replace(file, bad);
    const { elided } = bothWays(signForeignPackage(text, signer));
    expect(elided).toBeUndefined();
  });

  it('gives the full verdict over the size limit', () => {
    const signed = Buffer.from(signPackage(unsigned([randomFile(FILE, 19)]), signer), 'utf8');
    expect(checkElided(signed, { limits: { maxBytes: signed.length - 1 } }, sha(signed))).toBeUndefined();
    expect(() => checkPackageXml(signed, { limits: { maxBytes: signed.length - 1 } })).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });
});
