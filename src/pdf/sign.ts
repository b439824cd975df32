/**
 * Legal signatures in a PDF (NĐ 30 Điều 5, Phụ lục I): the competent person's, then the agency's with
 * the image of its seal, each a PAdES baseline B-B signature (ETSI EN 319 142-1) in a visible
 * signature field, each appended to the file as an incremental update so that the earlier ones stay
 * valid.
 *
 * Signing is in three steps: (1) add the field, its appearance and a /Sig dictionary with
 * placeholders as an incremental update (sign-incremental.ts), (2) fill the /ByteRange, (3) hash the
 * covered bytes, make the CMS (cms.ts) with the caller's signer and put it into /Contents
 * (placeholder.ts). The private key never comes here: `signer` is src/crypto's `PackageSigner` port
 * (`KeyVault.signer(...)`), which signs bytes and hands out nothing else.
 */
import type { PDFDocument, PDFPage } from 'pdf-lib';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRef } from 'pdf-lib';
import { parseCertificate } from '../crypto/certificates.js';
import { DomainError } from '../errors.js';
import type { CmsSigner } from './cms.js';
import { buildCadesSignedData } from './cms.js';
import { fillSignature, signatureDictionary } from './placeholder.js';
import { commonNameOf, imageAppearance, sealRectOverSignature, textAppearance } from './sign-appearance.js';
import type { Rect } from './sign-fields.js';
import { addAnnotation, fieldNames, signatureFields } from './sign-fields.js';
import { openIncrementalUpdate } from './sign-incremental.js';

export type { CmsSigner } from './cms.js';
export type { Rect } from './sign-fields.js';

/** Whose signature: the competent person's (a personal certificate) or the agency's (its seal). */
export type SignatureRole = 'person' | 'agency';

/**
 * Where the signature shows:
 * - `{ page, rect }`: a box on a page (0 = first), in PDF points from the page's lower-left corner;
 * - `{ overSignature, sealDiameterMm? }` (agency only): the seal over the left third of an existing
 *   signature's box — `'last'` for the most recent one (the leader's, in NĐ 30's order) or a field
 *   name — at the seal's real diameter (35 mm unless given), see `sealRectOverSignature`.
 */
export type SignatureAppearance = { readonly page: number; readonly rect: Rect } | { readonly overSignature: string; readonly sealDiameterMm?: number };

export interface SignPdfOptions {
  readonly signer: CmsSigner;
  /** Certificates carried in the CMS so a verifier can build the path: intermediates, optionally the root. */
  readonly chainPem?: readonly string[];
  readonly role: SignatureRole;
  /**
   * Transparent PNG: the agency's seal (required for `agency`), or the person's handwritten signature
   * (optional; without it the box shows the signer's name and the time).
   */
  readonly imagePng?: Buffer;
  readonly appearance: SignatureAppearance;
  /** Claimed signing time, written to /M; also shown in the text appearance. */
  readonly signingTime: Date;
  readonly reason?: string;
  readonly location?: string;
  /** Name of the new signature field; by default `chu_ky_ca_nhan_N` or `chu_ky_co_quan_N`. */
  readonly fieldName?: string;
  /** Room for the CMS in bytes (placeholder.ts DEFAULT_CONTENTS_BYTES). */
  readonly contentsBytes?: number;
}

// Annotation flags Print (4) + Locked (128): printed, and viewers may not move or delete the widget.
const WIDGET_FLAGS = 4 | 128;
// AcroForm /SigFlags SignaturesExist (1) + AppendOnly (2): tells editors to save incrementally.
const SIG_FLAGS = 3;

/** Signs `pdf` and returns the signed file: the original bytes followed by one incremental update. */
export async function signPdf(pdf: Uint8Array, opts: SignPdfOptions): Promise<Buffer> {
  if (opts.role === 'agency' && !opts.imagePng) throw new DomainError('VALIDATION_FAILED', "the agency's signature needs the image of its seal (Phụ lục I)");
  if (Number.isNaN(opts.signingTime.getTime())) throw new RangeError('signingTime is not a date');
  assertSigningCertificate(opts.signer.certificatePem, opts.signingTime);
  const update = await openIncrementalUpdate(pdf);
  const { doc } = update;
  const { page, rect } = placement(doc, opts);
  const name = opts.fieldName ?? uniqueFieldName(doc, opts.role === 'agency' ? 'chu_ky_co_quan' : 'chu_ky_ca_nhan');
  if (fieldNames(doc).has(name)) throw new DomainError('CONFLICT', `the PDF already has a field named ${name}`);

  const appearance = opts.imagePng
    ? await imageAppearance(doc, opts.imagePng, rect.width, rect.height)
    : await textAppearance(doc, commonNameOf(opts.signer.certificatePem), opts.signingTime, rect.width, rect.height);
  const sigRef = update.reserve();
  // One dictionary is both the signature field and its widget annotation (ISO 32000-1 §12.5.6.19).
  const widget = doc.context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    T: PDFHexString.fromText(name),
    V: sigRef,
    F: WIDGET_FLAGS,
    P: page.ref,
    Rect: [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height],
    AP: { N: appearance },
  });
  const widgetRef = doc.context.register(widget);
  addAnnotation(doc, page, widgetRef);
  addToAcroForm(doc, widgetRef);

  const sig = signatureDictionary({
    signingTime: opts.signingTime,
    contentsBytes: opts.contentsBytes,
    name: commonNameOf(opts.signer.certificatePem),
    reason: opts.reason,
    location: opts.location,
  });
  const written = await update.write(new Map([[sigRef, sig]]));
  const bytes = written.bytes; // a new buffer (the caller's input is copied into it, never changed)
  fillSignature(bytes, written.offsets.get(sigRef.objectNumber)!, (covered) => buildCadesSignedData(covered, { signer: opts.signer, chainPem: opts.chainPem }));
  return bytes;
}

/**
 * Refuses a certificate that cannot make this signature: outside its validity at the claimed signing
 * time, or with a key usage that allows neither digitalSignature nor nonRepudiation (RFC 5280
 * §4.2.1.3). A verifier would reject the signature; better to say so before the document goes out.
 */
function assertSigningCertificate(certificatePem: string, at: Date): void {
  const cert = parseCertificate(certificatePem).forge;
  const { notBefore, notAfter } = cert.validity;
  if (at < notBefore || at > notAfter) {
    throw new DomainError('VALIDATION_FAILED', `the signer's certificate is valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}, not at the signing time ${at.toISOString()}`);
  }
  const usage = cert.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean } | undefined;
  if (usage && !usage.digitalSignature && !usage.nonRepudiation) throw new DomainError('VALIDATION_FAILED', "the signer's certificate is not for signing (key usage)");
}

/** The page and box of the new signature, from the options or from the signature it goes over. */
function placement(doc: PDFDocument, opts: SignPdfOptions): { page: PDFPage; rect: Rect } {
  const pages = doc.getPages();
  if ('rect' in opts.appearance) {
    const { page, rect } = opts.appearance;
    const target = pages[page];
    if (!Number.isInteger(page) || !target) throw new DomainError('VALIDATION_FAILED', `page ${page + 1} does not exist: the PDF has ${pages.length} pages`);
    if (!(rect.width > 0 && rect.height > 0)) throw new DomainError('VALIDATION_FAILED', 'the signature box must have a width and a height');
    return { page: target, rect };
  }
  if (opts.role !== 'agency') throw new DomainError('VALIDATION_FAILED', "only the agency's seal is placed over another signature");
  const { overSignature, sealDiameterMm } = opts.appearance;
  const signed = signatureFields(doc).filter((f) => f.signed);
  const under = overSignature === 'last' ? signed.at(-1) : signed.find((f) => f.name === overSignature);
  if (!under) throw new DomainError('VALIDATION_FAILED', overSignature === 'last' ? 'the PDF has no signature to place the seal over' : `the PDF has no signature field named ${overSignature}`);
  if (under.page === undefined || !under.rect || under.rect.width <= 0 || under.rect.height <= 0) {
    throw new DomainError('VALIDATION_FAILED', `the signature ${under.name} is invisible: give the seal's page and box instead`);
  }
  return { page: pages[under.page]!, rect: sealRectOverSignature(under.rect, sealDiameterMm) };
}

function uniqueFieldName(doc: PDFDocument, base: string): string {
  const taken = fieldNames(doc);
  for (let n = 1; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** Lists the field in the document's AcroForm (made if missing) and marks the form as signed. */
function addToAcroForm(doc: PDFDocument, field: PDFRef): void {
  const { context, catalog } = doc;
  let acroForm = catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (!acroForm) {
    acroForm = context.obj({});
    catalog.set(PDFName.of('AcroForm'), context.register(acroForm));
  }
  const fields = acroForm.get(PDFName.of('Fields'));
  if (fields instanceof PDFRef) context.lookup(fields, PDFArray).push(field);
  else if (fields instanceof PDFArray) fields.push(field);
  else acroForm.set(PDFName.of('Fields'), context.obj([field]));
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(SIG_FLAGS));
}
