/**
 * The signature dictionary (ISO 32000-1 §12.8.1, Table 252) with room for the signature, and the
 * filling of that room once the file around it is final.
 *
 * A signature covers the whole file except its own /Contents hex string, so the file has to be
 * written before it can be signed: /ByteRange and /Contents are written as fixed-width placeholders,
 * the file is written, the real /ByteRange is put into its slot (same width, padded with spaces), the
 * covered bytes are hashed and signed, and the CMS goes into /Contents (padded with zeros). Nothing
 * moves, so the cross-reference offsets written with the placeholders stay right.
 */
import { DomainError } from '../errors.js';

/** Room for the CMS, in bytes: a 2048/4096-bit signature, three certificates and room to spare. */
export const DEFAULT_CONTENTS_BYTES = 16 * 1024;

// Wide enough for four offsets of a file up to 10 GB; replaced by the real numbers padded with spaces.
const BYTE_RANGE_PLACEHOLDER = '[0 ********** ********** **********]';
const VIETNAM_OFFSET_MS = 7 * 3_600_000;

export interface SignatureDictionary {
  /** The signing time claimed in /M (PAdES carries it here, not in the CMS). */
  readonly signingTime: Date;
  readonly contentsBytes?: number;
  readonly name?: string;
  readonly reason?: string;
  readonly location?: string;
}

/** A PDF text string that holds any Unicode text: UTF-16BE with its byte order mark, in hex. */
function textString(text: string): string {
  const utf16be = Buffer.from(text, 'utf16le').swap16();
  return `<FEFF${utf16be.toString('hex').toUpperCase()}>`;
}

/** A PDF date in Vietnam time (ISO 32000-1 §7.9.4): D:20250115093000+07'00'. */
export function pdfDate(at: Date): string {
  const v = new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString(); // 2025-01-15T09:30:00.000Z
  return `D:${v.slice(0, 4)}${v.slice(5, 7)}${v.slice(8, 10)}${v.slice(11, 13)}${v.slice(14, 16)}${v.slice(17, 19)}+07'00'`;
}

/**
 * The bytes of a /Sig dictionary for a PAdES signature: /Filter /Adobe.PPKLite, /SubFilter
 * /ETSI.CAdES.detached (ISO 32000-2 §12.8.3.4), the placeholders, /M and the optional texts.
 */
export function signatureDictionary(opts: SignatureDictionary): Buffer {
  const size = opts.contentsBytes ?? DEFAULT_CONTENTS_BYTES;
  if (!Number.isInteger(size) || size < 1024 || size > 1024 * 1024) throw new RangeError(`contentsBytes must be an integer from 1024 to 1048576, got ${size}`);
  const optional = [
    opts.name ? `/Name ${textString(opts.name)}` : '',
    opts.reason ? `/Reason ${textString(opts.reason)}` : '',
    opts.location ? `/Location ${textString(opts.location)}` : '',
  ].filter(Boolean);
  return Buffer.from(
    [
      '<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached',
      `/ByteRange ${BYTE_RANGE_PLACEHOLDER}`,
      `/Contents <${'0'.repeat(size * 2)}>`,
      `/M (${pdfDate(opts.signingTime)})`,
      ...optional,
      '>>',
    ].join('\n'),
    'latin1',
  );
}

/**
 * Fills the placeholders of the /Sig dictionary written at `sigOffset` in `pdf` (in place): the
 * /ByteRange, then /Contents with what `sign` returns for the covered bytes.
 */
export function fillSignature(pdf: Buffer, sigOffset: number, sign: (covered: Buffer[]) => Buffer): void {
  const rangeAt = pdf.indexOf(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`, sigOffset, 'latin1') + '/ByteRange '.length;
  const contentsStart = pdf.indexOf('/Contents <', sigOffset, 'latin1') + '/Contents '.length;
  if (rangeAt < sigOffset || contentsStart < sigOffset) throw new Error('the signature placeholders are not where they were written');
  const contentsEnd = pdf.indexOf('>', contentsStart, 'latin1') + 1;
  // Everything but the hex string, brackets included, is covered (ISO 32000-1 §12.8.1).
  const range = [0, contentsStart, contentsEnd, pdf.length - contentsEnd];
  const rangeText = `[${range.join(' ')}`;
  if (rangeText.length + 1 > BYTE_RANGE_PLACEHOLDER.length) throw new DomainError('PAYLOAD_TOO_LARGE', 'the PDF is too large to sign');
  pdf.write(`${rangeText.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ')}]`, rangeAt, 'latin1');

  const cms = sign([pdf.subarray(0, contentsStart), pdf.subarray(contentsEnd)]);
  const room = (contentsEnd - contentsStart - 2) / 2;
  if (cms.length > room) throw new RangeError(`the signature takes ${cms.length} bytes but the placeholder holds ${room}: raise contentsBytes`);
  pdf.write(cms.toString('hex').toUpperCase(), contentsStart + 1, 'latin1');
}
