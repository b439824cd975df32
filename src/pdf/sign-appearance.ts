/**
 * What a signature looks like on the page (NĐ 30 Phụ lục I, II):
 * - the agency's signature is the image of its seal, red, at the seal's real size, on a transparent
 *   background, covering about the left third of the competent person's signature image;
 * - the person's signature is the image of their handwritten signature (blue, transparent PNG) when
 *   one is given, otherwise two lines of text: who signed and when.
 * The appearance is a form XObject the size of the widget; the picture is scaled to fit it and
 * centred, keeping its proportions.
 */
import { X509Certificate } from 'node:crypto';
import type { PDFDocument, PDFRef } from 'pdf-lib';
import {
  beginText,
  concatTransformationMatrix,
  drawObject,
  endText,
  moveText,
  popGraphicsState,
  pushGraphicsState,
  setFillingGrayscaleColor,
  setFontAndSize,
  showText,
} from 'pdf-lib';
import { DomainError } from '../errors.js';
import type { Rect } from './sign-fields.js';
import { embedStampFont } from './stamp-font.js';
import { vietnamIsoTime } from './stamp.js';

const MM = 72 / 25.4;
/** Diameter of a commune or district People's Committee seal: 35 mm. */
export const DEFAULT_SEAL_DIAMETER_MM = 35;

/**
 * Where the seal goes over the leader's signature (Phụ lục I II.8: "trùm lên khoảng 1/3 hình ảnh chữ
 * ký số của người có thẩm quyền về bên trái"): a square of the seal's diameter whose right edge is a
 * third of the way into the signature box and whose centre is level with the box's centre. Most of
 * the seal sits left of the signature, as a wet seal does on paper.
 */
export function sealRectOverSignature(signature: Rect, sealDiameterMm = DEFAULT_SEAL_DIAMETER_MM): Rect {
  if (!(sealDiameterMm > 0 && sealDiameterMm <= 100)) throw new RangeError(`sealDiameterMm must be between 0 and 100, got ${sealDiameterMm}`);
  const size = sealDiameterMm * MM;
  return { x: signature.x + signature.width / 3 - size, y: signature.y + signature.height / 2 - size / 2, width: size, height: size };
}

/** The common name (CN) of a certificate's subject, as the signature's text shows it. */
export function commonNameOf(certificatePem: string): string {
  const subject = new X509Certificate(certificatePem).subject;
  return /^CN=(.*)$/m.exec(subject)?.[1] ?? subject.replaceAll('\n', ', ');
}

/** A form XObject showing `png` scaled to fit a `width` × `height` box, centred. */
export async function imageAppearance(doc: PDFDocument, png: Buffer, width: number, height: number): Promise<PDFRef> {
  let image;
  try {
    image = await doc.embedPng(png);
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `the signature image is not a readable PNG: ${(cause as Error).message}`, { cause });
  }
  const scale = Math.min(width / image.width, height / image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  const stream = doc.context.formXObject(
    [pushGraphicsState(), concatTransformationMatrix(w, 0, 0, h, (width - w) / 2, (height - h) / 2), drawObject('Im'), popGraphicsState()],
    { BBox: [0, 0, width, height], Resources: { XObject: { Im: image.ref } } },
  );
  return doc.context.register(stream);
}

/**
 * A form XObject with "Ký bởi: <name>" and "Thời gian: <ISO 8601>", sized to fit the box. The text
 * keeps out of the box's left third, where the agency's seal goes (Phụ lục I II.8), so the seal
 * never hides it; it is centred in the height that is left.
 */
export async function textAppearance(doc: PDFDocument, signerName: string, signingTime: Date, width: number, height: number): Promise<PDFRef> {
  const font = await embedStampFont(doc, 'regular');
  const lines = [`Ký bởi: ${signerName}`, `Thời gian: ${vietnamIsoTime(signingTime)}`];
  const padding = 2;
  const left = width / 3;
  const widest = Math.max(...lines.map((l) => font.widthOfTextAtSize(l, 1)));
  const size = Math.max(4, Math.min(10, (width - left - 2 * padding) / widest, (height - 2 * padding) / (lines.length * 1.25)));
  const top = height / 2 + (lines.length * size * 1.25) / 2 - size;
  const operators = [beginText(), setFillingGrayscaleColor(0), setFontAndSize('F1', size), moveText(left + padding, top)];
  lines.forEach((line, i) => {
    if (i > 0) operators.push(moveText(0, -size * 1.25));
    operators.push(showText(font.encodeText(line)));
  });
  operators.push(endText());
  const stream = doc.context.formXObject(operators, { BBox: [0, 0, width, height], Resources: { Font: { F1: font.ref } } });
  return doc.context.register(stream);
}
