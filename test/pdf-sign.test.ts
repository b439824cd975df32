/**
 * Issue 17, issuing with legal signatures (NĐ 30 Điều 5, 13–14, Phụ lục I): the number and date are
 * written into the draft, the leader's and then the agency's PAdES signatures are applied, and what
 * comes out is judged by tools that are not ours:
 * - poppler's `pdfsig` against an NSS database that trusts only the test CA: each signature valid,
 *   trusted, of type ETSI.CAdES.detached, by the expected signer; the last one covering the whole
 *   file and the leader's only its own revision;
 * - OpenSSL's `cms -verify` over the bytes a /ByteRange covers, and `cms -cmsout -print` for the
 *   signed attributes (PAdES B-B: signing-certificate-v2 present, no signing-time);
 * - poppler's `pdftotext` for the stamped number and date, `pdftoppm` for a rendered page.
 * Fails — never skips — when poppler-utils, libnss3-tools or openssl is missing.
 *
 * With LIENTHONG_RENDER_DOCS=1 the first page of the issued document is rendered into
 * docs/issued-document.png for the README.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fontkit from '@pdf-lib/fontkit';
import type { PDFFont, PDFPage } from 'pdf-lib';
import { PDFDocument, PDFName, TextAlignment } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../src/crypto/ca.js';
import { generateCa, issueAgencyCertificate } from '../src/crypto/ca.js';
import { pemToDer } from '../src/crypto/certificates.js';
import { createPackageSigner, type PackageSigner } from '../src/crypto/signer.js';
import { KeyVault } from '../src/crypto/vault.js';
import { deriveMasterKey } from '../src/crypto/keys.js';
import { sealRectOverSignature } from '../src/pdf/sign-appearance.js';
import { signatureFields } from '../src/pdf/sign-fields.js';
import { signPdf } from '../src/pdf/sign.js';
import { dateLine, stampNumberAndDate, vietnamIsoTime, type StampTemplate } from '../src/pdf/stamp.js';
import { makeOddCertificate } from './crypto/test-pki.js';

const require = createRequire(import.meta.url);
const FIXTURES = fileURLToPath(new URL('./fixtures/seal/', import.meta.url));
const SEAL = readFileSync(join(FIXTURES, 'seal.png'));
const LEADER_SIGNATURE = readFileSync(join(FIXTURES, 'leader-signature.png'));

const NUMBER = '12/QĐ-UBND';
// 09:30 on 15 January 2025 in Vietnam: a day below 10 would take a 0, and so does January.
const ISSUED_AT = new Date('2025-01-15T02:30:00Z');
const LEADER_SIGNED_AT = new Date('2025-01-15T01:05:00Z');
const VALID_FROM = new Date('2025-01-01T00:00:00Z');

/** Where the draft leaves room for the leader's signature, between "CHỦ TỊCH" and the name. */
const LEADER_BOX = { x: 362, y: 246, width: 150, height: 78 };
/** The agency template for drafts without fields: the number under the agency's name, the date under the motto. */
const TEMPLATE: StampTemplate = {
  number: { page: 0, x: 160, y: 716, fontSize: 13, align: 'center' },
  date: { page: 0, x: 415, y: 716, fontSize: 13, align: 'center' },
};

let dir: string;
let nssDir: string;
let ca: CaMaterial;
let agency: PackageSigner;
let leader: PackageSigner;
let leaderMaterial: CaMaterial;

// ---- tools ----

function run(tool: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${tool} could not run (apt-get install poppler-utils libnss3-tools openssl): ${r.error.message}`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** One signature as pdfsig reports it: its "- Key: value" lines and its bare lines. */
interface PdfsigSignature {
  readonly fields: Map<string, string>;
  readonly lines: string[];
}

function pdfsig(pdf: Buffer, nss = nssDir): PdfsigSignature[] {
  const path = file(`pdfsig-${randomBytes(4).toString('hex')}.pdf`, pdf);
  const { output } = run('pdfsig', ['-nssdir', `sql:${nss}`, path]);
  return output
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map((block) => {
      const lines = block
        .split('\n')
        .map((l) => l.trim().replace(/^- /, ''))
        .filter(Boolean);
      const fields = new Map(lines.filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as [string, string]));
      return { fields, lines };
    });
}

function pdftotext(pdf: Buffer, args: string[] = []): string {
  const path = file(`text-${randomBytes(4).toString('hex')}.pdf`, pdf);
  return execFileSync('pdftotext', [...args, path, '-'], { encoding: 'utf8' });
}

/** The /ByteRange of each signature, in file order. */
function byteRanges(pdf: Buffer): number[][] {
  return [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => m.slice(1, 5).map(Number));
}

/** The CMS of the signature whose /ByteRange is `range`, and the bytes it covers. */
function cmsOf(pdf: Buffer, range: number[]): { cms: Buffer; covered: Buffer } {
  const [a, b, c, d] = range as [number, number, number, number];
  const hex = pdf.subarray(a + b + 1, c - 1).toString('latin1');
  const cms = Buffer.from(hex, 'hex');
  // The hex is zero-padded after the DER: cut at the outer SEQUENCE's length.
  const len = cms[1]! & 0x80 ? cms.subarray(2, 2 + (cms[1]! & 0x7f)).reduce((n, x) => n * 256 + x, 0) + 2 + (cms[1]! & 0x7f) : cms[1]! + 2;
  return { cms: cms.subarray(0, len), covered: Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]) };
}

// ---- the draft ----

interface DraftOptions {
  /** Put AcroForm fields so_ky_hieu and ngay_ban_hanh where the number and date go. */
  readonly fields?: boolean;
  /** pdf-lib's default: object streams and a cross-reference stream (PDF 1.5); else a classic table. */
  readonly objectStreams?: boolean;
}

/** A two-page draft decision (Quyết định) laid out as NĐ 30 Phụ lục I, with a bundled attachment. */
async function draftDecision(opts: DraftOptions = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = (name: string) => doc.embedFont(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`)), { subset: true });
  const regular = await font('DejaVuSerifCondensed');
  const bold = await font('DejaVuSerifCondensed-Bold');
  const page = doc.addPage([595.28, 841.89]);
  const centred = (p: PDFPage, text: string, cx: number, y: number, f: PDFFont, size: number) => p.drawText(text, { x: cx - f.widthOfTextAtSize(text, size) / 2, y, size, font: f });
  const left = (p: PDFPage, text: string, x: number, y: number, f: PDFFont, size: number) => p.drawText(text, { x, y, size, font: f });

  centred(page, 'ỦY BAN NHÂN DÂN', 160, 780, regular, 12);
  centred(page, 'HUYỆN KIÊN LƯƠNG', 160, 765, bold, 12);
  page.drawLine({ start: { x: 130, y: 758 }, end: { x: 190, y: 758 }, thickness: 0.6 });
  centred(page, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 415, 780, bold, 12);
  centred(page, 'Độc lập - Tự do - Hạnh phúc', 415, 765, bold, 12.5);
  page.drawLine({ start: { x: 340, y: 758 }, end: { x: 490, y: 758 }, thickness: 0.6 });

  centred(page, 'QUYẾT ĐỊNH', 297.6, 660, bold, 14);
  centred(page, 'Về việc phê duyệt kế hoạch chuyển đổi số năm 2025', 297.6, 642, bold, 13);
  centred(page, 'CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN KIÊN LƯƠNG', 297.6, 610, bold, 13);
  const body = [
    'Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;',
    'Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020',
    'của Chính phủ về công tác văn thư;',
    'Theo đề nghị của Trưởng phòng Văn hóa và Thông tin huyện.',
  ];
  body.forEach((line, i) => left(page, line, 85, 580 - i * 18, regular, 13));
  centred(page, 'QUYẾT ĐỊNH:', 297.6, 495, bold, 13);
  ['Điều 1. Phê duyệt kế hoạch chuyển đổi số năm 2025 (Phụ lục kèm theo).', 'Điều 2. Quyết định này có hiệu lực kể từ ngày ký.'].forEach((line, i) => left(page, line, 85, 470 - i * 18, regular, 13));

  left(page, 'Nơi nhận:', 85, 360, bold, 11);
  ['- Như Điều 2;', '- UBND các xã;', '- Lưu: VT.'].forEach((line, i) => left(page, line, 85, 346 - i * 13, regular, 10));
  centred(page, 'TM. ỦY BAN NHÂN DÂN', 437, 360, bold, 13);
  centred(page, 'CHỦ TỊCH', 437, 344, bold, 13);
  centred(page, 'Nguyễn Văn An', 437, 225, bold, 13);

  const annex = doc.addPage([595.28, 841.89]);
  centred(annex, 'PHỤ LỤC', 297.6, 765, bold, 13);
  centred(annex, 'KẾ HOẠCH CHUYỂN ĐỔI SỐ NĂM 2025', 297.6, 748, bold, 13);
  ['1. Số hóa hồ sơ, tài liệu lưu trữ.', '2. Gửi, nhận văn bản điện tử có chữ ký số.'].forEach((line, i) => left(annex, line, 85, 715 - i * 18, regular, 13));

  if (opts.fields) {
    const form = doc.getForm();
    const field = (name: string, rect: { x: number; y: number; width: number; height: number }) => {
      const f = form.createTextField(name);
      f.addToPage(page, { ...rect, font: regular, borderWidth: 0, backgroundColor: undefined, borderColor: undefined });
      f.setFontSize(13);
      f.setAlignment(TextAlignment.Center);
    };
    field('so_ky_hieu', { x: 70, y: 708, width: 180, height: 22 });
    field('ngay_ban_hanh', { x: 300, y: 708, width: 230, height: 22 });
  }
  return Buffer.from(await doc.save({ useObjectStreams: opts.objectStreams ?? true }));
}

/** The leader's signature, then the number and date, then the agency's seal signature: the NĐ 30 order. */
async function issue(draft: Buffer, leaderSigner: PackageSigner = leader): Promise<{ personSigned: Buffer; stamped: Buffer; issued: Buffer }> {
  const personSigned = await signPdf(draft, {
    signer: leaderSigner,
    chainPem: [ca.certificatePem],
    role: 'person',
    imagePng: LEADER_SIGNATURE,
    appearance: { page: 0, rect: LEADER_BOX },
    signingTime: LEADER_SIGNED_AT,
    reason: 'Phê duyệt',
    location: 'Kiên Lương',
  });
  const stamped = await stampNumberAndDate(personSigned, { number: NUMBER, place: 'Kiên Lương', date: ISSUED_AT, coordinates: TEMPLATE, attachmentPages: [1] });
  const issued = await signPdf(stamped, {
    signer: agency,
    chainPem: [ca.certificatePem],
    role: 'agency',
    imagePng: SEAL,
    appearance: { overSignature: 'last' },
    signingTime: ISSUED_AT,
    reason: 'Ban hành',
    location: 'Kiên Lương',
  });
  return { personSigned, stamped, issued };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lienthong-pdf-sign-'));
  // Valid from before the fixed signing times of these tests until long after today.
  ca = generateCa({ commonName: 'lienthong PDF test CA', validityDays: 3650, notBefore: VALID_FROM });
  // The agency's certificate exactly as the node issues it (src/crypto/ca.ts): EKU documentSigning and
  // emailProtection — NSS (pdfsig, Firefox) checks a PDF signer as an e-mail signer.
  const agencyCert = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND huyện Kiên Lương', validityDays: 3000, notBefore: VALID_FROM });
  agency = createPackageSigner(agencyCert.certificatePem, agencyCert.privateKeyPem!);
  // A personal certificate as a public CA issues it to a leader: digital signature and non-repudiation.
  leaderMaterial = makeOddCertificate({ issuer: ca, commonName: 'Nguyễn Văn An', keyUsage: { digitalSignature: true, nonRepudiation: true }, notBefore: VALID_FROM });
  leader = createPackageSigner(leaderMaterial.certificatePem, leaderMaterial.privateKeyPem);
  nssDir = join(dir, 'nss');
  mkdirSync(nssDir);
  run('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
  // Trust flags are per use (TLS, e-mail, code): pdfsig checks a PDF signer as an e-mail (S/MIME) signer.
  const added = run('certutil', ['-A', '-n', 'lienthong test CA', '-t', ',C,', '-i', file('ca.pem', ca.certificatePem), '-d', `sql:${nssDir}`]);
  expect(added.status, added.output).toBe(0);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the date line (NĐ 30 Phụ lục I, I.5)', () => {
  it('writes days below 10 and the months 1 and 2 with a leading zero, the day taken in Vietnam', () => {
    expect(dateLine('Kiên Lương', new Date('2025-01-05T03:00:00Z'))).toBe('Kiên Lương, ngày 05 tháng 01 năm 2025');
    expect(dateLine('Kiên Lương', new Date('2025-03-15T03:00:00Z'))).toBe('Kiên Lương, ngày 15 tháng 3 năm 2025');
    // 20:00 UTC on 31 December is 03:00 on 1 January in Vietnam.
    expect(dateLine('Hà Nội', new Date('2024-12-31T20:00:00Z'))).toBe('Hà Nội, ngày 01 tháng 01 năm 2025');
    expect(vietnamIsoTime(new Date('2024-12-31T20:00:05Z'))).toBe('2025-01-01T03:00:05+07:00');
  });
});

describe('a document issued in the NĐ 30 order: leader, number and date, agency seal', () => {
  let result: Awaited<ReturnType<typeof issue>>;
  beforeAll(async () => {
    result = await issue(await draftDecision());
  }, 60_000);

  it('pdfsig finds both signatures valid, trusted, PAdES, by their signers; only the last covers the whole file', () => {
    const sigs = pdfsig(result.issued);
    expect(sigs).toHaveLength(2);
    const [person, agencySig] = sigs as [PdfsigSignature, PdfsigSignature];
    for (const sig of sigs) {
      expect(sig.fields.get('Signature Validation')).toBe('Signature is Valid.');
      expect(sig.fields.get('Certificate Validation')).toBe('Certificate is Trusted.');
      expect(sig.fields.get('Signature Type')).toBe('ETSI.CAdES.detached');
      expect(sig.fields.get('Signing Hash Algorithm')).toBe('SHA-256');
    }
    expect(person.fields.get('Signer Certificate Common Name')).toBe('Nguyễn Văn An');
    expect(person.lines).toContain('Not total document signed');
    expect(agencySig.fields.get('Signer Certificate Common Name')).toBe('UBND huyện Kiên Lương');
    expect(agencySig.lines).toContain('Total document signed');
  });

  it('appends every step: the leader-signed file and the stamped file are prefixes of the issued one', () => {
    expect(result.stamped.subarray(0, result.personSigned.length).equals(result.personSigned)).toBe(true);
    expect(result.issued.subarray(0, result.stamped.length).equals(result.stamped)).toBe(true);
    // The leader's signature covers exactly the file as it was when the leader signed.
    const [personRange] = byteRanges(result.issued);
    expect(personRange![2]! + personRange![3]!).toBe(result.personSigned.length);
  });

  it('the number and date after the leader signed change form fields only, never the page content', async () => {
    const before = await PDFDocument.load(result.personSigned);
    const after = await PDFDocument.load(result.stamped);
    for (const [i, page] of after.getPages().entries()) {
      const old = before.getPage(i).node;
      expect(page.node.get(PDFName.of('Contents'))?.toString()).toBe(old.get(PDFName.of('Contents'))?.toString());
      expect(page.node.get(PDFName.of('Resources'))?.toString()).toBe(old.get(PDFName.of('Resources'))?.toString());
    }
    const names = after.getForm().getFields().map((f) => f.getName());
    expect(names).toEqual(expect.arrayContaining(['so_ky_hieu', 'ngay_ban_hanh', 'so_ky_hieu_kem_theo_trang_2', 'thoi_gian_kem_theo_trang_2']));
    expect(after.getForm().getTextField('so_ky_hieu').isReadOnly()).toBe(true);
  });

  it('shows the number and the date on the first page, and the number and time at the top right of the attachment', () => {
    const first = pdftotext(result.issued, ['-f', '1', '-l', '1']);
    expect(first).toContain(`Số: ${NUMBER}`);
    expect(first).toContain('Kiên Lương, ngày 15 tháng 01 năm 2025');
    // The top right corner of page 2 (A4 at 72 dpi: 595 × 842), above the attachment's own title.
    const corner = pdftotext(result.issued, ['-f', '2', '-l', '2', '-x', '300', '-y', '0', '-W', '295', '-H', '70']);
    expect(corner).toContain(NUMBER);
    expect(corner).toContain('2025-01-15T09:30:00+07:00');
    expect(corner).not.toContain('PHỤ LỤC');
  });

  it("places the seal over the left third of the leader's signature, at 35 mm", async () => {
    const fields = signatureFields(await PDFDocument.load(result.issued));
    expect(fields.map((f) => f.name)).toEqual(['chu_ky_ca_nhan_1', 'chu_ky_co_quan_1']);
    const [person, seal] = fields as [(typeof fields)[0], (typeof fields)[0]];
    expect(person.rect).toEqual(LEADER_BOX);
    // PDF numbers are written with a few decimals: compare to a thousandth of a point.
    expect(seal.rect!.x + seal.rect!.width).toBeCloseTo(LEADER_BOX.x + LEADER_BOX.width / 3, 2);
    expect(seal.rect!.y + seal.rect!.height / 2).toBeCloseTo(LEADER_BOX.y + LEADER_BOX.height / 2, 2);
    expect(seal.rect!.width).toBeCloseTo((35 * 72) / 25.4, 2);
    expect(seal.rect!.height).toBeCloseTo(seal.rect!.width, 2);
  });

  it('carries a CAdES B-B CMS that OpenSSL verifies: signing-certificate-v2 over the signer, no signing-time', () => {
    const ranges = byteRanges(result.issued);
    const { cms, covered } = cmsOf(result.issued, ranges[1]!);
    const cmsFile = file('agency.p7s', cms);
    const verified = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsFile, '-content', file('covered.bin', covered), '-CAfile', join(dir, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null']);
    expect(verified.output).toContain('Verification successful');
    const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsFile]).output;
    expect(printed).toContain('id-smime-aa-signingCertificateV2');
    expect(printed).toContain('contentType');
    expect(printed).toContain('messageDigest');
    expect(printed).not.toContain('signingTime');
    // The ESSCertIDv2 hash is the SHA-256 of the agency's certificate (printed as hex bytes).
    const certHash = createHash('sha256').update(pemToDer(agency.certificatePem)).digest('hex');
    expect(printed.replace(/[^0-9a-f]/gi, '').toLowerCase()).toContain(certHash);
  });

  it('pdfsig reports a changed byte inside the signed range as an invalid signature', () => {
    const tampered = Buffer.from(result.issued);
    // A byte of the draft's first stream: inside the first revision, so covered by both signatures.
    const at = tampered.indexOf('stream\n', 0, 'latin1') + 'stream\n'.length + 10;
    tampered[at] = tampered[at]! ^ 0x01;
    const sigs = pdfsig(tampered);
    expect(sigs.map((s) => s.fields.get('Signature Validation'))).toEqual(['Digest Mismatch.', 'Digest Mismatch.']);
  });

  it('pdfsig does not trust the signatures without our CA in its database', () => {
    const empty = join(dir, 'nss-empty');
    mkdirSync(empty);
    run('certutil', ['-N', '--empty-password', '-d', `sql:${empty}`]);
    const sigs = pdfsig(result.issued, empty);
    expect(sigs).toHaveLength(2);
    for (const sig of sigs) {
      expect(sig.fields.get('Signature Validation')).toBe('Signature is Valid.');
      expect(sig.fields.get('Certificate Validation')).not.toBe('Certificate is Trusted.');
    }
  });

  it('renders the issued page with its number, date and seal (pdftoppm)', () => {
    const pdfPath = file('issued.pdf', result.issued);
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', pdfPath, join(dir, 'issued')]);
    const png = readFileSync(join(dir, 'issued.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // Red pixels of the seal only exist in the rendering when the seal's appearance is drawn.
    execFileSync('pdftoppm', ['-r', '20', '-f', '1', '-l', '1', '-singlefile', pdfPath, join(dir, 'issued-20')]);
    expect(countRedPixels(readFileSync(join(dir, 'issued-20.ppm')))).toBeGreaterThan(20);
    if (process.env.LIENTHONG_RENDER_DOCS === '1') {
      mkdirSync('docs', { recursive: true });
      execFileSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', '-singlefile', pdfPath, join(dir, 'issued-100')]);
      copyFileSync(join(dir, 'issued-100.png'), join('docs', 'issued-document.png'));
    }
  });
});

/** Pixels of a binary PPM (P6) that are clearly red: the seal's colour, used nowhere else on the page. */
function countRedPixels(ppm: Buffer): number {
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  let count = 0;
  for (let i = header[0].length; i + 2 < ppm.length; i += 3) if (ppm[i]! > 150 && ppm[i + 1]! < 110 && ppm[i + 2]! < 110) count += 1;
  return count;
}

describe('other drafts and signers', () => {
  it('fills and flattens the fields of an unsigned draft (classic xref table), then the agency signs it alone', async () => {
    const draft = await draftDecision({ fields: true, objectStreams: false });
    const stamped = await stampNumberAndDate(draft, { number: NUMBER, place: 'Kiên Lương', date: ISSUED_AT });
    const doc = await PDFDocument.load(stamped);
    expect(doc.getForm().getFields().map((f) => f.getName())).toEqual([]); // flattened into the page
    const text = pdftotext(stamped, ['-f', '1', '-l', '1']);
    expect(text).toContain(`Số: ${NUMBER}`);
    expect(text).toContain('Kiên Lương, ngày 15 tháng 01 năm 2025');

    const issued = await signPdf(stamped, { signer: agency, chainPem: [ca.certificatePem], role: 'agency', imagePng: SEAL, appearance: { page: 0, rect: sealRectOverSignature(LEADER_BOX) }, signingTime: ISSUED_AT });
    expect(issued.subarray(0, stamped.length).equals(stamped)).toBe(true);
    const [sig] = pdfsig(issued);
    expect(sig!.fields.get('Signature Validation')).toBe('Signature is Valid.');
    expect(sig!.fields.get('Certificate Validation')).toBe('Certificate is Trusted.');
    expect(sig!.lines).toContain('Total document signed');
  });

  it('fills the draft fields as form fields when the leader signed first (classic xref), and both signatures stay valid', async () => {
    // Three incremental updates with classic xref tables (the first flow used cross-reference streams).
    const { issued } = await issue(await draftDecision({ fields: true, objectStreams: false }));
    expect(pdftotext(issued, ['-f', '1', '-l', '1'])).toContain(`Số: ${NUMBER}`);
    const sigs = pdfsig(issued);
    expect(sigs.map((s) => s.fields.get('Signature Validation'))).toEqual(['Signature is Valid.', 'Signature is Valid.']);
    expect(sigs.map((s) => s.lines.includes('Total document signed'))).toEqual([false, true]);
  }, 30_000);

  it("signs with a leader's key kept encrypted at rest, through the KeyVault's signer (remote signing)", async () => {
    const vault = new KeyVault(deriveMasterKey(randomBytes(32).toString('base64')));
    const stored = { certificatePem: leaderMaterial.certificatePem, privateKeyEncrypted: vault.sealPrivateKey(leaderMaterial.certificatePem, leaderMaterial.privateKeyPem) };
    expect(stored.privateKeyEncrypted).not.toContain('PRIVATE KEY');
    const signed = await signPdf(await draftDecision(), {
      signer: vault.signer('leader:nguyen-van-an', stored),
      chainPem: [ca.certificatePem],
      role: 'person',
      appearance: { page: 0, rect: LEADER_BOX },
      signingTime: LEADER_SIGNED_AT,
    });
    const [sig] = pdfsig(signed);
    expect(sig!.fields.get('Signature Validation')).toBe('Signature is Valid.');
    expect(sig!.fields.get('Signer Certificate Common Name')).toBe('Nguyễn Văn An');
    // Without an image the box shows who signed and when.
    const text = pdftotext(signed, ['-f', '1', '-l', '1']);
    expect(text).toContain('Ký bởi: Nguyễn Văn An');
    expect(text).toContain('2025-01-15T08:05:00+07:00');
  });

  it('refuses what it cannot do right, with VALIDATION_FAILED', async () => {
    const draft = await draftDecision();
    const base = { signer: agency, role: 'agency' as const, signingTime: ISSUED_AT };
    await expect(signPdf(draft, { ...base, appearance: { overSignature: 'last' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('seal') });
    await expect(signPdf(draft, { ...base, imagePng: SEAL, appearance: { overSignature: 'last' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('no signature') });
    await expect(signPdf(draft, { ...base, imagePng: SEAL, appearance: { page: 5, rect: LEADER_BOX } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // Before the certificate was valid.
    await expect(signPdf(draft, { ...base, imagePng: SEAL, appearance: { page: 0, rect: LEADER_BOX }, signingTime: new Date('2024-12-31T00:00:00Z') })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('not at the signing time') });
    await expect(signPdf(draft, { ...base, imagePng: Buffer.from('not a png'), appearance: { page: 0, rect: LEADER_BOX } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(stampNumberAndDate(draft, { number: NUMBER, place: 'Kiên Lương', date: ISSUED_AT })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('so_ky_hieu') });
    await expect(signPdf(Buffer.from('%PDF-1.7\nnot a pdf'), { ...base, imagePng: SEAL, appearance: { page: 0, rect: LEADER_BOX } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  // NSS refuses a PDF signer whose EKU lacks emailProtection ("Certificate type not approved for
  // application"); the node's agency certificates carry it, so NSS takes them as signers.
  it('an agency certificate from issueAgencyCertificate is one NSS accepts as a PDF signer', async () => {
    const issued = issueAgencyCertificate(ca, { agencyCode: '000.00.33.H33', agencyName: 'UBND huyện Kiên Lương', validityDays: 3000, notBefore: VALID_FROM });
    const der = file('agency-from-ca.pem', issued.certificatePem);
    run('certutil', ['-A', '-n', 'agency-from-ca', '-t', ',,', '-i', der, '-d', `sql:${nssDir}`]);
    expect(run('certutil', ['-V', '-n', 'agency-from-ca', '-u', 'S', '-d', `sql:${nssDir}`]).output).toContain('certificate is valid');
  });

  it('refuses a CMS larger than the room left for it', async () => {
    const draft = await draftDecision();
    await expect(signPdf(draft, { signer: leader, role: 'person', appearance: { page: 0, rect: LEADER_BOX }, signingTime: LEADER_SIGNED_AT, contentsBytes: 1024 })).rejects.toThrow(/raise contentsBytes/);
  });
});
