/**
 * The signature fields a PDF already has: whether it is signed (then every later change must be an
 * incremental update), where the leader's signature shows (the agency's seal goes over its left
 * third, NĐ 30 Phụ lục I), and which field names are taken.
 */
import type { PDFDocument, PDFPage } from 'pdf-lib';
import { PDFAcroSignature, PDFArray, PDFDict, PDFName, PDFNumber, PDFRef } from 'pdf-lib';

/** A box in PDF points (1/72 inch), from the lower-left corner of the page. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface ExistingSignatureField {
  /** Fully qualified field name. */
  readonly name: string;
  /** It holds a signature (/V), rather than waiting for one. */
  readonly signed: boolean;
  /** How far into the file the signature reaches (the end of its /ByteRange): later signatures reach further. */
  readonly coveredUntil: number;
  /** Page index (0 = first) and box of its widget; undefined for a widget on no page. */
  readonly page: number | undefined;
  readonly rect: Rect | undefined;
}

/** Page index of every annotation that a page lists in /Annots, by the annotation's reference. */
function annotationPages(doc: PDFDocument): Map<PDFRef, number> {
  const pages = new Map<PDFRef, number>();
  doc.getPages().forEach((page, index) => {
    const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
    for (let i = 0; i < (annots?.size() ?? 0); i++) {
      const ref = annots!.get(i);
      if (ref instanceof PDFRef) pages.set(ref, index);
    }
  });
  return pages;
}

/** The end of a signature's /ByteRange [a b c d], i.e. c + d; 0 when it has none. */
function byteRangeEnd(sig: PDFDict | undefined): number {
  const range = sig?.lookupMaybe(PDFName.of('ByteRange'), PDFArray);
  const at = (i: number) => {
    const n = range?.lookupMaybe(i, PDFNumber);
    return n ? n.asNumber() : 0;
  };
  return at(2) + at(3);
}

/** Every signature field of the document, in the order they were signed (unsigned ones first). */
export function signatureFields(doc: PDFDocument): ExistingSignatureField[] {
  const acroForm = doc.catalog.getAcroForm();
  if (!acroForm) return [];
  const pages = annotationPages(doc);
  const out: ExistingSignatureField[] = [];
  for (const [field, ref] of acroForm.getAllFields()) {
    if (!(field instanceof PDFAcroSignature)) continue;
    // The widget is the field itself when they are merged (the usual case), else its first kid.
    const isWidget = field.dict.get(PDFName.of('Subtype')) === PDFName.of('Widget');
    const kid = field.Kids()?.get(0);
    const widgetRef = isWidget ? ref : kid instanceof PDFRef ? kid : undefined;
    const widget = field.getWidgets()[0];
    const sig = field.dict.lookupMaybe(PDFName.of('V'), PDFDict);
    out.push({
      name: field.getFullyQualifiedName() ?? '',
      signed: sig !== undefined,
      coveredUntil: byteRangeEnd(sig),
      page: widgetRef ? pages.get(widgetRef) : undefined,
      rect: widget ? widget.getRectangle() : undefined,
    });
  }
  return out.sort((a, b) => a.coveredUntil - b.coveredUntil);
}

/** Whether any signature has been applied: then the file may only grow by incremental updates. */
export function isSigned(doc: PDFDocument): boolean {
  return signatureFields(doc).some((f) => f.signed);
}

/** Every fully qualified field name in use, so that a new field does not take one. */
export function fieldNames(doc: PDFDocument): Set<string> {
  const acroForm = doc.catalog.getAcroForm();
  return new Set((acroForm?.getAllFields() ?? []).map(([field]) => field.getFullyQualifiedName() ?? ''));
}

/**
 * Adds an annotation to a page's /Annots, and nothing else. pdf-lib's own `addAnnot` first
 * "normalises" the page: it rewraps /Contents and adds q/Q content streams around it, a change to the
 * page content that, after a signature, verifiers rightly report as content modified after signing.
 */
export function addAnnotation(doc: PDFDocument, page: PDFPage, annotation: PDFRef): void {
  const annots = page.node.get(PDFName.of('Annots'));
  if (annots instanceof PDFRef) doc.context.lookup(annots, PDFArray).push(annotation);
  else if (annots instanceof PDFArray) annots.push(annotation);
  else page.node.set(PDFName.of('Annots'), doc.context.obj([annotation]));
}
