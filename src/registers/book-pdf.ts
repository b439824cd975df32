import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { BOOK_COLUMNS, titlePage, type Book } from './book.js';

/**
 * A register book as a PDF: the title page (bìa sổ, Phụ lục IV), then the book in landscape A4 with
 * the headings and their column numbers on every page, and page numbers. The font is embedded (a
 * subset of DejaVu Serif Condensed, from the dejavu-fonts-ttf package): every Vietnamese letter is in
 * it, and nothing depends on the fonts of the machine that prints or of the one that reads.
 */

const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | undefined;
/** Read once, on the first book: about 700 KB that most processes never need. */
function bookFonts(): { regular: Buffer; bold: Buffer } {
  fonts ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerifCondensed.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerifCondensed-Bold.ttf')),
  };
  return fonts;
}

const MARGIN = 36;
const PAD = 3;
const BODY_SIZE = 9;
const HEADER_SIZE = 9;
const FOOTER_SPACE = 18;

type Doc = InstanceType<typeof PDFDocument>;

export async function bookPdf(book: Book, now = new Date()): Promise<Buffer> {
  const title = titlePage(book);
  const doc: Doc = new PDFDocument({
    size: 'A4',
    layout: 'portrait',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: `${title.title} — ${book.agency.name} — ${title.year}`, Author: book.agency.name, Creator: 'lienthong', CreationDate: now },
  });
  const { regular, bold } = bookFonts();
  doc.registerFont('body', regular);
  doc.registerFont('bold', bold);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  drawTitlePage(doc, title);
  drawBook(doc, book);
  // Page numbers on the pages of the book (the title page has none).
  const range = doc.bufferedPageRange();
  for (let i = range.start + 1; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const text = `Trang ${i - range.start}/${range.count - 1}`;
    doc.font('body').fontSize(8).fillColor('#444444');
    doc.text(text, MARGIN, doc.page.height - MARGIN - 10, { width: doc.page.width - 2 * MARGIN, align: 'right', lineBreak: false, height: 10 });
  }
  doc.end();
  return done;
}

function drawTitlePage(doc: Doc, title: ReturnType<typeof titlePage>): void {
  const width = doc.page.width - 2 * MARGIN;
  // A frame, as on a printed book's cover.
  doc.lineWidth(2).rect(MARGIN - 8, MARGIN - 8, width + 16, doc.page.height - 2 * MARGIN + 16).stroke('#000000');
  doc.lineWidth(0.5).rect(MARGIN - 4, MARGIN - 4, width + 8, doc.page.height - 2 * MARGIN + 8).stroke('#000000');
  const centred = (text: string, font: 'body' | 'bold', size: number, gap = 6) => {
    doc.font(font).fontSize(size).fillColor('#000000').text(text, MARGIN + 20, doc.y, { width: width - 40, align: 'center' });
    doc.moveDown(gap / size);
  };
  doc.y = MARGIN + 40;
  if (title.above) centred(title.above, 'body', 13, 2);
  centred(title.agency, 'bold', 13);
  const rule = doc.y + 2;
  doc.lineWidth(0.75).moveTo(doc.page.width / 2 - 50, rule).lineTo(doc.page.width / 2 + 50, rule).stroke();
  doc.y = doc.page.height * 0.34;
  centred(title.title, 'bold', 26, 14);
  if (title.series) centred(title.series, 'bold', 16, 10);
  centred(title.year, 'body', 16, 40);
  for (const line of title.span) centred(line, 'body', 13, 8);
  centred(title.volume, 'body', 13);
}

/** A cell's text: an optional bold first line (a type's name), then the rest. */
interface Cell {
  lead: string | null;
  body: string;
}

function drawBook(doc: Doc, book: Book): void {
  const columns = BOOK_COLUMNS[book.kind];
  doc.addPage({ size: 'A4', layout: 'landscape', margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN } });
  const tableWidth = doc.page.width - 2 * MARGIN;
  const total = columns.reduce((sum, c) => sum + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * tableWidth);
  const xs = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const bottom = () => doc.page.height - MARGIN - FOOTER_SPACE;

  const textHeight = (cell: Cell, i: number, font: 'body' | 'bold', size: number) => {
    const width = widths[i]! - 2 * PAD;
    const lead = cell.lead ? doc.font('bold').fontSize(size).heightOfString(cell.lead, { width }) : 0;
    return lead + doc.font(font).fontSize(size).heightOfString(cell.body || ' ', { width });
  };
  const rowHeight = (cells: Cell[], font: 'body' | 'bold', size: number) => Math.max(...cells.map((c, i) => textHeight(c, i, font, size))) + 2 * PAD;
  const drawRow = (cells: Cell[], y: number, height: number, font: 'body' | 'bold', size: number, options: { align: (i: number) => 'left' | 'center'; middle?: boolean; fill?: string }) => {
    cells.forEach((cell, i) => {
      if (options.fill) doc.rect(xs[i]!, y, widths[i]!, height).fill(options.fill);
      doc.lineWidth(0.5).rect(xs[i]!, y, widths[i]!, height).stroke('#000000');
      const width = widths[i]! - 2 * PAD;
      let top = y + PAD + (options.middle ? (height - 2 * PAD - textHeight(cell, i, font, size)) / 2 : 0);
      const room = () => y + height - PAD - top + 1;
      // `height` keeps pdfkit from starting a page of its own in a long cell: the row was sized to fit it.
      if (cell.lead) {
        doc.font('bold').fontSize(size).fillColor('#000000').text(cell.lead, xs[i]! + PAD, top, { width, height: room(), align: options.align(i), ellipsis: true });
        top = doc.y;
      }
      doc.font(font).fontSize(size).fillColor('#000000').text(cell.body, xs[i]! + PAD, top, { width, height: Math.max(room(), size), align: options.align(i), ellipsis: true });
    });
  };
  const plain = (texts: string[]): Cell[] => texts.map((body) => ({ lead: null, body }));
  const headings = plain(columns.map((c) => c.header));
  const numbers = plain(columns.map((_, i) => `(${i + 1})`));
  const drawHeading = (first: boolean): number => {
    let y = MARGIN;
    if (first) {
      doc.font('bold').fontSize(12).fillColor('#000000').text(`${book.kind === 'out' ? 'SỔ ĐĂNG KÝ VĂN BẢN ĐI' : 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN'} — NĂM ${book.year}`, MARGIN, y, { width: tableWidth, align: 'center' });
      doc.font('body').fontSize(10).text(`${book.agency.name}${book.series.code === 'default' ? '' : ` · ${book.series.name}`}`, MARGIN, doc.y + 2, { width: tableWidth, align: 'center' });
      y = doc.y + 8;
    }
    const h = rowHeight(headings, 'bold', HEADER_SIZE);
    drawRow(headings, y, h, 'bold', HEADER_SIZE, { align: () => 'center', middle: true, fill: '#e8e8e8' });
    const nh = rowHeight(numbers, 'body', 8);
    drawRow(numbers, y + h, nh, 'body', 8, { align: () => 'center' });
    return y + h + nh;
  };

  let y = drawHeading(true);
  if (book.rows.length === 0) {
    doc.font('body').fontSize(BODY_SIZE).text('Sổ chưa có văn bản nào.', MARGIN, y + 8, { width: tableWidth, align: 'center' });
    return;
  }
  for (const row of book.rows) {
    const cells = columns.map((c) => {
      const parts = c.parts?.(row) ?? { lead: null, body: c.text(row, book.year) };
      return { lead: parts.lead?.normalize('NFC') ?? null, body: parts.body.normalize('NFC') };
    });
    const height = Math.min(rowHeight(cells, 'body', BODY_SIZE), bottom() - MARGIN - 60);
    if (y + height > bottom()) {
      doc.addPage({ size: 'A4', layout: 'landscape', margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN } });
      y = drawHeading(false);
    }
    drawRow(cells, y, height, 'body', BODY_SIZE, { align: (i) => (columns[i]!.centred ? 'center' : 'left') });
    y += height;
  }
}
