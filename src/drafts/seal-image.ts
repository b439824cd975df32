import { PDFDocument } from 'pdf-lib';
import { DomainError } from '../errors.js';

/**
 * The image of an agency's seal (Phụ lục I II.8: red, at its real size, on a transparent background,
 * over the left third of the leader's signature). Checked when uploaded, so that issuing never meets
 * an image it cannot draw: a PNG by its signature and header, within size limits, and decodable.
 */

/** At most this many bytes: a 35 mm seal at 600 dpi is about 830 px square, well under 1 MiB. */
export const MAX_SEAL_BYTES = 1024 * 1024;
/** Sides in pixels: large enough to print sharp, small enough to decode in a few milliseconds. */
export const MIN_SEAL_SIDE = 64;
export const MAX_SEAL_SIDE = 2048;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// PNG colour types with an alpha channel: greyscale + alpha (4), truecolour + alpha (6).
const ALPHA_TYPES = new Set([4, 6]);

export interface SealImage {
  readonly width: number;
  readonly height: number;
  /** An alpha channel or a transparent colour (tRNS): what Phụ lục I asks for. */
  readonly transparent: boolean;
}

const refuse = (en: string, vi: string) => new DomainError('VALIDATION_FAILED', `The seal image ${en}.`, { errors: [{ path: 'body', message: en, vi: `Ảnh con dấu ${vi}.` }], vi: `Ảnh con dấu ${vi}.` });

/** Checks a seal image (422 with the reason), and says whether it is transparent. */
export async function checkSealImage(png: Buffer): Promise<SealImage> {
  if (png.length > MAX_SEAL_BYTES) throw refuse(`is ${png.length} bytes; at most ${MAX_SEAL_BYTES} are accepted`, `dài ${png.length} byte; tối đa ${MAX_SEAL_BYTES} byte`);
  if (png.length < 8 + 25 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw refuse('must be a PNG file (image/png)', 'phải là tệp PNG (image/png)');
  // The first chunk is IHDR: width, height, bit depth, colour type (PNG §11.2.2).
  if (png.readUInt32BE(8) !== 13 || png.toString('latin1', 12, 16) !== 'IHDR') throw refuse('is not a well-formed PNG (no IHDR header)', 'không phải tệp PNG hợp lệ (thiếu phần đầu IHDR)');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const colourType = png[25]!;
  for (const side of [width, height]) {
    if (side < MIN_SEAL_SIDE || side > MAX_SEAL_SIDE) {
      throw refuse(`is ${width}×${height} pixels; each side must be ${MIN_SEAL_SIDE}–${MAX_SEAL_SIDE}`, `có kích thước ${width}×${height} điểm ảnh; mỗi cạnh phải từ ${MIN_SEAL_SIDE} đến ${MAX_SEAL_SIDE}`);
    }
  }
  let transparent = ALPHA_TYPES.has(colourType);
  // Walk the chunks for a tRNS (a transparent colour or palette entries) and the IEND that closes the file.
  let at = 8;
  let ended = false;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (length > png.length - at - 12) break;
    if (type === 'tRNS') transparent = true;
    if (type === 'IEND') {
      ended = true;
      break;
    }
    at += 12 + length;
  }
  if (!ended) throw refuse('is cut off or malformed (no IEND chunk)', 'bị cắt cụt hoặc hỏng (thiếu phần kết IEND)');
  try {
    // Decoded once here (pdf-lib inflates it to embed it), as the agency's signature will.
    await (await PDFDocument.create()).embedPng(png);
  } catch (cause) {
    throw refuse(`cannot be decoded: ${(cause as Error).message.slice(0, 200)}`, 'không giải mã được (tệp PNG hỏng)');
  }
  return { width, height, transparent };
}
