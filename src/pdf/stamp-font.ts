/**
 * The font of everything lienthong writes into a document (number, date, signature text): DejaVu Serif
 * Condensed from the dejavu-fonts-ttf package, as the register books use (src/registers/book-pdf.ts).
 * NĐ 30 Phụ lục I asks for Times New Roman, which cannot be shipped; DejaVu Serif is a serif face with
 * every Vietnamese letter, and it is embedded as a subset (only the glyphs used), so the result reads
 * the same on every machine and adds a few kilobytes, not 300.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';

const require = createRequire(import.meta.url);

export type StampFontStyle = 'regular' | 'italic' | 'bold';

const FILES: Record<StampFontStyle, string> = {
  regular: 'dejavu-fonts-ttf/ttf/DejaVuSerifCondensed.ttf',
  italic: 'dejavu-fonts-ttf/ttf/DejaVuSerifCondensed-Italic.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSerifCondensed-Bold.ttf',
};

const cache = new Map<StampFontStyle, Buffer>();

/** The font file, read once per process (about 350 KB each; most processes never issue a document). */
function fontBytes(style: StampFontStyle): Buffer {
  let bytes = cache.get(style);
  if (!bytes) {
    bytes = readFileSync(require.resolve(FILES[style]));
    cache.set(style, bytes);
  }
  return bytes;
}

/** Embeds the font in `doc` as a subset; the glyphs are written when the document is flushed. */
export async function embedStampFont(doc: PDFDocument, style: StampFontStyle = 'regular'): Promise<PDFFont> {
  doc.registerFontkit(fontkit);
  return doc.embedFont(fontBytes(style), { subset: true });
}
