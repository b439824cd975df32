/**
 * Issue 17: the PDF signature verifier on PDFs signed by an implementation that is not ours — poppler's
 * pdfsig through NSS (scripts/make-pdf-fixtures.sh; test/fixtures/pdf/README.md says what each file
 * is). One test per fixture: our verdict is the expected one, and it agrees with `pdfsig` on what
 * pdfsig checks (the signer's common name, whole-file coverage, the signature, the certificate). The
 * side-by-side table is printed at the end. Fails — never skips — when pdfsig or certutil is missing
 * (Debian poppler-utils, libnss3-tools; .ci/run installs them).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PdfDocumentProblem, PdfSignatureProblem, PdfSignatureReport, PdfSignaturesVerdict } from '../src/pdf/verify.js';
import { verifyPdfSignatures } from '../src/pdf/verify.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/pdf/', import.meta.url));
const AGENCY_CODE = '000.00.33.H33';
const PERSON = 'Nguyễn Văn An';
const AGENCY = 'UBND tỉnh Thừa Thiên Huế';

interface ExpectedSignature {
  readonly field: string;
  readonly signer: string;
  readonly role: PdfSignatureReport['role'];
  readonly coversWholeFile: boolean;
  readonly changesAfter: PdfSignatureReport['changesAfter'];
  readonly problems: readonly PdfSignatureProblem[];
}

interface Expected {
  readonly document: readonly PdfDocumentProblem[];
  readonly signatures: readonly ExpectedSignature[];
}

const person = (over: Partial<ExpectedSignature> = {}): ExpectedSignature => ({ field: 'Signature-person', signer: PERSON, role: 'person', coversWholeFile: true, changesAfter: 'none', problems: [], ...over });
const agency = (over: Partial<ExpectedSignature> = {}): ExpectedSignature => ({ field: 'Signature-agency', signer: AGENCY, role: 'agency', coversWholeFile: true, changesAfter: 'none', problems: [], ...over });
const followedByAgency = { coversWholeFile: false, changesAfter: 'signatures' } as const;
const timestamp: ExpectedSignature = { field: 'Timestamp', signer: 'Lienthong test TSA', role: 'timestamp', coversWholeFile: true, changesAfter: 'none', problems: [] };
const broken: PdfDocumentProblem[] = ['invalid-signature', 'no-person-signature', 'no-agency-signature'];

/** What the verifier must say about each committed fixture. */
const CASES: Record<string, Expected> = {
  'unsigned.pdf': { document: ['no-signature'], signatures: [] },
  'unsigned-with-empty-fields.pdf': { document: ['no-signature'], signatures: [] },
  'valid-person.pdf': { document: ['no-agency-signature'], signatures: [person()] },
  'valid-person-then-agency.pdf': { document: [], signatures: [person(followedByAgency), agency()] },
  'valid-person-then-agency-added-fields.pdf': { document: [], signatures: [person(followedByAgency), agency()] },
  'valid-person-then-number-then-agency.pdf': { document: [], signatures: [person({ coversWholeFile: false, changesAfter: 'form-fields' }), agency()] },
  'valid-person-then-agency-then-timestamp.pdf': { document: [], signatures: [person(followedByAgency), agency(followedByAgency), timestamp] },
  'invalid-agency-then-person.pdf': { document: ['agency-before-person'], signatures: [agency({ coversWholeFile: false, changesAfter: 'signatures' }), person()] },
  'invalid-content-changed-after-signing.pdf': { document: broken, signatures: [person({ coversWholeFile: false, changesAfter: 'content', problems: ['content-changed-after-signing'] })] },
  'invalid-annotation-added-after-signing.pdf': { document: broken, signatures: [person({ coversWholeFile: false, changesAfter: 'annotations', problems: ['annotations-changed-after-signing'] })] },
  'invalid-number-written-after-signing.pdf': { document: broken, signatures: [person({ coversWholeFile: false, changesAfter: 'form-fields', problems: ['form-fields-changed-after-signing'] })] },
  'invalid-untrusted-ca.pdf': { document: broken, signatures: [person({ signer: 'Trần Thị Bình', problems: ['untrusted-chain'] })] },
  'invalid-byte-changed.pdf': { document: broken, signatures: [person({ problems: ['digest-mismatch'] })] },
  'invalid-expired-certificate.pdf': { document: broken, signatures: [person({ signer: 'Lê Văn Cường', problems: ['expired'] })] },
  'invalid-key-usage.pdf': { document: broken, signatures: [person({ signer: 'Phạm Thị Dung', problems: ['key-usage'] })] },
};

/** What pdfsig says about one signed field. */
interface PdfsigSignature {
  readonly field: string;
  readonly commonName: string;
  readonly totalDocumentSigned: boolean;
  readonly signatureValidation: string;
  readonly certificateValidation: string;
}

let nssDir: string;

/** Runs a tool; a missing binary is an error, so the suite fails instead of silently skipping. */
function run(tool: 'pdfsig' | 'certutil', args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${tool} could not run (apt-get install poppler-utils libnss3-tools): ${r.error.message}`);
  return `${r.stdout}${r.stderr}`;
}

/**
 * pdfsig's report, signed fields only. Run without -no-ocsp: poppler 22.12 then fails every
 * certificate with "Unknown issue"; the test certificates name no OCSP responder, so nothing is fetched.
 */
function pdfsig(path: string): PdfsigSignature[] {
  const out = run('pdfsig', ['-nssdir', `sql:${nssDir}`, path]);
  return out
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .filter((block) => !block.includes('The signature form field is not signed.'))
    .map((block) => {
      const line = (label: string): string => new RegExp(`- ${label}: (.*)$`, 'm').exec(block)?.[1]?.trim() ?? '';
      return {
        field: line('Signature Field Name'),
        commonName: line('Signer Certificate Common Name'),
        totalDocumentSigned: /^\s*- Total document signed$/m.test(block),
        signatureValidation: line('Signature Validation'),
        certificateValidation: line('Certificate Validation'),
      };
    });
}

const rows: string[][] = [];

beforeAll(() => {
  nssDir = mkdtempSync(join(tmpdir(), 'lienthong-pdfsig-'));
  run('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  // The test CA is the only trust anchor, for both verifiers.
  run('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'lienthong-test-ca', '-t', 'CT,C,C', '-i', join(FIXTURES, 'certs/test-ca.pem')]);
});

afterAll(() => {
  rmSync(nssDir, { recursive: true, force: true });
  const header = ['fixture', 'ours: document', 'field', 'signer (ours / pdfsig)', 'ours: covers, changes after, verdict, problems', 'pdfsig: coverage, signature, certificate'];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(`\nPDF signatures, our verdict beside pdfsig's (poppler 22.12, NSS trusting test-ca.pem only):\n\n${table}\n`);
});

function verify(name: string): PdfSignaturesVerdict {
  return verifyPdfSignatures(readFileSync(join(FIXTURES, name)), { trustAnchors: [readFileSync(join(FIXTURES, 'certs/test-ca.pem'), 'utf8')], expectedAgencyCode: AGENCY_CODE });
}

function addRows(name: string, ours: PdfSignaturesVerdict, theirs: readonly PdfsigSignature[]): void {
  const document = ours.officiallySigned ? '**officially signed**' : ours.problems.join(', ');
  if (ours.signatures.length === 0 && theirs.length === 0) {
    rows.push([name, document, '—', '—', 'no signature', 'no signed field']);
    return;
  }
  for (const [i, s] of ours.signatures.entries()) {
    const p = theirs.find((t) => t.field === s.fieldName);
    rows.push([
      i === 0 ? name : '〃',
      i === 0 ? document : '',
      s.fieldName ?? '?',
      `${s.signer} (${s.role}) / ${p?.commonName ?? '—'}`,
      `${s.coversWholeFile ? 'whole file' : 'part'}, ${s.changesAfter}, ${s.valid ? '**valid**' : '**invalid**'}${s.problems.length ? ` (${s.problems.join(', ')})` : ''}`,
      p ? `${p.totalDocumentSigned ? 'whole file' : 'part'}, ${p.signatureValidation} ${p.certificateValidation}` : 'not listed',
    ]);
  }
}

describe('PDFs signed by pdfsig: our verdict, and pdfsig agrees', () => {
  it('every fixture in the folder has an expected verdict', () => {
    const files = readdirSync(FIXTURES).filter((n) => n.endsWith('.pdf')).sort();
    expect(files).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(name, () => {
      const ours = verify(name);
      const theirs = pdfsig(join(FIXTURES, name));
      addRows(name, ours, theirs);

      expect(ours.problems).toEqual(expected.document);
      expect(ours.officiallySigned).toBe(expected.document.length === 0);
      expect(
        ours.signatures.map((s) => ({ field: s.fieldName, signer: s.signer, role: s.role, coversWholeFile: s.coversWholeFile, changesAfter: s.changesAfter, problems: s.problems })),
      ).toEqual(expected.signatures.map((e) => ({ ...e, problems: [...e.problems] })));
      for (const s of ours.signatures) expect(s.valid).toBe(s.problems.length === 0);

      // pdfsig lists the same signed fields, with the same signer, coverage, signature and trust verdicts.
      expect(theirs.map((t) => t.field).sort()).toEqual(ours.signatures.map((s) => s.fieldName).sort());
      for (const s of ours.signatures) {
        const t = theirs.find((p) => p.field === s.fieldName) as PdfsigSignature;
        expect(t.commonName).toBe(s.signer);
        expect(t.totalDocumentSigned).toBe(s.coversWholeFile);
        // poppler 22.12 lists an RFC 3161 document timestamp but does not verify it.
        if (s.kind === 'timestamp') expect(t.signatureValidation).toBe('Signature has not yet been verified.');
        else expect(t.signatureValidation === 'Signature is Valid.').toBe(s.intact);
        if (s.intact && s.kind === 'signature') expect(t.certificateValidation === 'Certificate is Trusted.').toBe(s.trusted);
      }
    });
  }
});

describe('the agency signature belongs to the sending agency', () => {
  it('a document sealed by another agency than the sender is refused (agency-mismatch)', () => {
    const bytes = readFileSync(join(FIXTURES, 'valid-person-then-agency.pdf'));
    const anchors = [readFileSync(join(FIXTURES, 'certs/test-ca.pem'), 'utf8')];
    const verdict = verifyPdfSignatures(bytes, { trustAnchors: anchors, expectedAgencyCode: '000.00.34.H33' });
    expect(verdict.problems).toEqual(['agency-mismatch']);
    expect(verdict.officiallySigned).toBe(false);
    expect(verifyPdfSignatures(bytes, { trustAnchors: anchors }).officiallySigned).toBe(true);
  });

  it('a byte changed that only the document timestamp covers: the timestamp no longer matches', () => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'valid-person-then-agency-then-timestamp.pdf')));
    const at = bytes.lastIndexOf('(Timestamp)') + 9;
    bytes[at] = 'P'.charCodeAt(0);
    const verdict = verifyPdfSignatures(bytes, { trustAnchors: [readFileSync(join(FIXTURES, 'certs/test-ca.pem'), 'utf8')] });
    expect(verdict.signatures.map((s) => [s.role, s.problems])).toEqual([
      ['person', []],
      ['agency', []],
      ['timestamp', ['digest-mismatch']],
    ]);
    expect(verdict.problems).toEqual(['invalid-signature']);
  });

  it('with another trust anchor, every signature is untrusted and nothing else changes', () => {
    const bytes = readFileSync(join(FIXTURES, 'valid-person-then-agency.pdf'));
    const verdict = verifyPdfSignatures(bytes, { trustAnchors: [readFileSync(join(FIXTURES, 'certs/untrusted-ca.pem'), 'utf8')] });
    expect(verdict.signatures.map((s) => [s.intact, s.trusted, s.problems])).toEqual([
      [true, false, ['untrusted-chain']],
      [true, false, ['untrusted-chain']],
    ]);
  });
});
