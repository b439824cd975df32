/**
 * "Cấp số": the văn thư writes the number (số, ký hiệu) and the date of issue into the document before
 * the agency signs it (NĐ 30 Điều 13–14, Phụ lục I).
 *
 * Where the text goes, in this order:
 * 1. the draft's own AcroForm text fields, named `so_ky_hieu` (the line "Số: 12/QĐ-UBND") and
 *    `ngay_ban_hanh` (the line "Kiên Lương, ngày 15 tháng 01 năm 2025") unless other names are given.
 *    A draft made in a word processor gets them by adding two text form fields where those lines go
 *    and leaving the lines themselves empty;
 * 2. otherwise the agency template's coordinates (`StampTemplate`), in PDF points from the page's
 *    lower-left corner, (x, y) being where the text's baseline starts (left), centres (center) or
 *    ends (right).
 * For attachments bundled in the same file, the number and the time of issue go at the top right of
 * each attachment's first page, in 10 pt, with no image (Phụ lục I, "văn bản kèm theo cùng tệp").
 *
 * How the text is written depends on whether the PDF is already signed:
 * - not signed: the fields are filled and flattened (drawn into the page, as on paper) and the file
 *   is saved anew;
 * - signed (the leader's signature, the usual case: the leader signs before the number is given):
 *   the fields are filled and made read-only, and only that is appended as an incremental update.
 *   Flattening would change the page content the leader signed, which verifiers rightly report as a
 *   modification after signing (the "shadow attack" family); filling form fields is the change PDF
 *   signatures allow (ISO 32000-1 §12.8.2.2, DocMDP level 2).
 */
import type { PDFFont, PDFPage, PDFTextField } from 'pdf-lib';
import { AnnotationFlags, drawObject, PDFDocument, PDFRef, PDFWidgetAnnotation, popGraphicsState, pushGraphicsState, TextAlignment, translate } from 'pdf-lib';
import { DomainError } from '../errors.js';
import { addAnnotation, isSigned } from './sign-fields.js';
import { openIncrementalUpdate } from './sign-incremental.js';
import { embedStampFont } from './stamp-font.js';

/** The field names looked for in a draft when none are given. */
export const STAMP_FIELDS = { number: 'so_ky_hieu', date: 'ngay_ban_hanh' } as const;

/** Where one line of text goes on a page (page 0 is the first). */
export interface TextPlacement {
  readonly page: number;
  readonly x: number;
  readonly y: number;
  /** Points; NĐ 30 Phụ lục I: 13 for the number line, 13–14 for the date line. */
  readonly fontSize?: number;
  readonly align?: 'left' | 'center' | 'right';
}

/** An agency's template: where the number line and the date line go when the draft has no fields. */
export interface StampTemplate {
  readonly number: TextPlacement;
  readonly date: TextPlacement;
}

export interface NumberAndDate {
  /** Số and ký hiệu as the register gave them: `12/QĐ-UBND`. */
  readonly number: string;
  /** Địa danh of the date line: `Kiên Lương`. */
  readonly place: string;
  /** The instant of issue; the day written is the day in Vietnam. */
  readonly date: Date;
  readonly fields?: { readonly number?: string; readonly date?: string };
  readonly coordinates?: StampTemplate;
  /** First pages (0-based) of attachments in the same file: each gets the number and time, top right. */
  readonly attachmentPages?: readonly number[];
}

const DEFAULT_SIZE = 13;
const ATTACHMENT_SIZE = 10;
const MM = 72 / 25.4;
// Top right of an attachment's first page: inside the top margin (20–25 mm, Phụ lục I), right-aligned
// on the text area's right edge (right margin 15–20 mm), so it sits above whatever the page begins with.
const ATTACHMENT_RIGHT = 20 * MM;
const ATTACHMENT_FIRST_BASELINE = 10 * MM;
const VIETNAM_OFFSET_MS = 7 * 3_600_000;

/** The fields of a Vietnam-time calendar day and clock time of an instant. */
function vietnamParts(at: Date) {
  const v = new Date(at.getTime() + VIETNAM_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return { year: v.getUTCFullYear(), month: v.getUTCMonth() + 1, day: v.getUTCDate(), time: `${two(v.getUTCHours())}:${two(v.getUTCMinutes())}:${two(v.getUTCSeconds())}`, two };
}

/**
 * The date line of NĐ 30 Phụ lục I (I.5): "Kiên Lương, ngày 05 tháng 01 năm 2025". Days below 10 and
 * the months 1 and 2 take a leading zero; the other months do not ("tháng 3").
 */
export function dateLine(place: string, at: Date): string {
  const { year, month, day, two } = vietnamParts(at);
  return `${place}, ngày ${two(day)} tháng ${month <= 2 ? two(month) : String(month)} năm ${year}`;
}

/** ISO 8601 in Vietnam time, as Phụ lục I asks for the time on an attachment: 2025-01-15T09:30:00+07:00. */
export function vietnamIsoTime(at: Date): string {
  const { year, month, day, time, two } = vietnamParts(at);
  return `${year}-${two(month)}-${two(day)}T${time}+07:00`;
}

interface Line {
  readonly fieldName: string;
  readonly text: string;
  readonly font: PDFFont;
  /** Where to create the field when the draft has none of that name. */
  readonly placement: TextPlacement | undefined;
}

/**
 * Writes the number and date of issue into the PDF (see the module comment for where and how) and
 * returns the new file. Throws VALIDATION_FAILED when a line has neither a field nor a placement.
 */
export async function stampNumberAndDate(pdf: Uint8Array, stamp: NumberAndDate): Promise<Buffer> {
  if (!stamp.number.trim()) throw new DomainError('VALIDATION_FAILED', 'the number to stamp is empty');
  const probe = await loadPdf(pdf);
  const signed = isSigned(probe);
  const update = signed ? await openIncrementalUpdate(pdf) : undefined;
  const doc = update ? update.doc : probe;

  const regular = await embedStampFont(doc, 'regular');
  const italic = await embedStampFont(doc, 'italic');
  const names = { ...STAMP_FIELDS, ...stamp.fields };
  const lines: Line[] = [
    { fieldName: names.number, text: `Số: ${stamp.number}`, font: regular, placement: stamp.coordinates?.number },
    // The date line is italic (Phụ lục I, I.5).
    { fieldName: names.date, text: dateLine(stamp.place, stamp.date), font: italic, placement: stamp.coordinates?.date },
    ...(stamp.attachmentPages ?? []).flatMap((page) => attachmentLines(doc, page, stamp, regular)),
  ];
  const fields = lines.map((line) => writeLine(doc, line));

  if (update) return (await update.write()).bytes;
  for (const field of fields) flattenField(doc, field);
  return Buffer.from(await doc.save({ useObjectStreams: false, updateFieldAppearances: false }));
}

async function loadPdf(pdf: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(pdf, { updateMetadata: false });
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `the PDF cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/** The two lines on an attachment's first page: the number, and the time of issue. */
function attachmentLines(doc: PDFDocument, page: number, stamp: NumberAndDate, font: PDFFont): Line[] {
  const target = pageAt(doc, page);
  const box = target.getCropBox();
  const x = box.x + box.width - ATTACHMENT_RIGHT;
  const top = box.y + box.height - ATTACHMENT_FIRST_BASELINE;
  const at = (y: number): TextPlacement => ({ page, x, y, fontSize: ATTACHMENT_SIZE, align: 'right' });
  return [
    { fieldName: `so_ky_hieu_kem_theo_trang_${page + 1}`, text: stamp.number, font, placement: at(top) },
    { fieldName: `thoi_gian_kem_theo_trang_${page + 1}`, text: vietnamIsoTime(stamp.date), font, placement: at(top - ATTACHMENT_SIZE * 1.3) },
  ];
}

function pageAt(doc: PDFDocument, index: number): PDFPage {
  if (!Number.isInteger(index) || index < 0 || index >= doc.getPageCount()) {
    throw new DomainError('VALIDATION_FAILED', `page ${index + 1} does not exist: the PDF has ${doc.getPageCount()} pages`);
  }
  return doc.getPage(index);
}

/** Fills the draft's field of that name, or creates one at the placement; returns the field. */
function writeLine(doc: PDFDocument, line: Line): PDFTextField {
  const form = doc.getForm();
  const existing = form.getFields().find((f) => f.getName() === line.fieldName);
  let field: PDFTextField;
  if (existing) {
    if (!('setText' in existing)) throw new DomainError('VALIDATION_FAILED', `the draft's field ${line.fieldName} is not a text field`);
    field = existing as PDFTextField;
  } else if (line.placement) {
    field = createField(doc, line);
  } else {
    throw new DomainError('VALIDATION_FAILED', `the draft has no text field named ${line.fieldName} and the agency template gives no position for it`);
  }
  field.setText(line.text);
  field.enableReadOnly();
  field.updateAppearances(line.font);
  return field;
}

/**
 * A borderless, transparent, printed text field sized to the text, placed so that pdf-lib's
 * single-line layout (text centred vertically in the box, 1 pt padding) puts the baseline at the
 * placement's y. The widget is made here rather than with `addToPage`, which would normalise the
 * page (see `addAnnotation`).
 */
function createField(doc: PDFDocument, line: Line): PDFTextField {
  const p = line.placement!;
  const page = pageAt(doc, p.page);
  const size = p.fontSize ?? DEFAULT_SIZE;
  const width = line.font.widthOfTextAtSize(line.text, size) + 4;
  const height = size * 1.6;
  const ascent = line.font.heightAtSize(size, { descender: false });
  const x = p.align === 'center' ? p.x - width / 2 : p.align === 'right' ? p.x - width + 1 : p.x - 1;
  const field = doc.getForm().createTextField(line.fieldName);
  // Black text at this size; pdf-lib puts the font's resource name in when it draws the appearance.
  field.acroField.setDefaultAppearance(`/F0 ${size} Tf 0 g`);
  field.setAlignment(p.align === 'center' ? TextAlignment.Center : p.align === 'right' ? TextAlignment.Right : TextAlignment.Left);
  const widget = PDFWidgetAnnotation.create(doc.context, field.ref);
  widget.setRectangle({ x, y: p.y - (height - ascent) / 2, width, height });
  widget.setP(page.ref);
  widget.setFlagTo(AnnotationFlags.Print, true);
  widget.getOrCreateBorderStyle().setWidth(0);
  const widgetRef = doc.context.register(widget.dict);
  field.acroField.addWidget(widgetRef);
  addAnnotation(doc, page, widgetRef);
  return field;
}

/**
 * Draws the field's appearance into its page and removes the field. pdf-lib's `form.flatten()` would
 * flatten every field, a signature field the draft keeps for the leader included, and its
 * `removeField` leaves a separate widget in the page's /Annots pointing at a deleted object.
 */
function flattenField(doc: PDFDocument, field: PDFTextField): void {
  const { context } = doc;
  for (const widget of field.acroField.getWidgets()) {
    const widgetRef = context.getObjectRef(widget.dict);
    const page = doc.getPages().find((p) => p.ref === widget.P()) ?? (widgetRef ? doc.findPageForAnnotationRef(widgetRef) : undefined);
    if (!page) throw new Error(`the field ${field.getName()} has a widget on no page`);
    const appearance = widget.getNormalAppearance();
    if (appearance instanceof PDFRef) {
      const rect = widget.getRectangle();
      const name = page.node.newXObject('Stamp', appearance);
      page.pushOperators(pushGraphicsState(), translate(rect.x, rect.y), drawObject(name), popGraphicsState());
    }
    if (widgetRef) {
      page.node.removeAnnot(widgetRef);
      if (widgetRef !== field.ref) context.delete(widgetRef);
    }
  }
  doc.getForm().acroForm.removeField(field.acroField);
  context.delete(field.ref);
}
