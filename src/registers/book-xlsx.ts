import ExcelJS from 'exceljs';
import { BOOK_COLUMNS, titlePage, type Book } from './book.js';

const FONT = 'Times New Roman';
const THIN = { style: 'thin' as const };
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };

/**
 * A register book as an XLSX workbook: the title page (bìa sổ) on the first sheet, the book on the
 * second with Phụ lục IV's headings, their column numbers, and one row per number; printed landscape
 * on A4 with the headings on every page.
 */
export async function bookXlsx(book: Book): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'lienthong';
  workbook.created = new Date();
  const title = titlePage(book);

  const cover = workbook.addWorksheet('Bìa sổ', { pageSetup: { paperSize: 9, orientation: 'portrait', horizontalCentered: true } });
  cover.getColumn(1).width = 90;
  const line = (text: string, size: number, bold = false, gapBefore = 0) => {
    for (let i = 0; i < gapBefore; i++) cover.addRow(['']);
    const row = cover.addRow([text]);
    row.font = { name: FONT, size, bold };
    row.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  };
  if (title.above) line(title.above, 13);
  line(title.agency, 13, true);
  line(title.title, 24, true, 8);
  if (title.series) line(title.series, 16, true);
  line(title.year, 14, false, 2);
  for (const span of title.span) line(span, 13, false);
  line(title.volume, 13, false, 1);

  const columns = BOOK_COLUMNS[book.kind];
  const sheet = workbook.addWorksheet(book.kind === 'out' ? 'Sổ văn bản đi' : 'Sổ văn bản đến', {
    pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:2' },
    views: [{ state: 'frozen', ySplit: 2 }],
  });
  columns.forEach((c, i) => {
    sheet.getColumn(i + 1).width = Math.round(c.width * 1.6);
  });
  const header = sheet.addRow(columns.map((c) => c.header));
  const numbers = sheet.addRow(columns.map((_, i) => i + 1));
  for (const row of [header, numbers]) {
    row.font = { name: FONT, size: 11, bold: row === header };
    row.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    row.eachCell((cell) => {
      cell.border = BORDER;
    });
  }
  header.height = 45;
  for (const r of book.rows) {
    const row = sheet.addRow(columns.map((c) => c.text(r, book.year)));
    row.font = { name: FONT, size: 11 };
    row.eachCell({ includeEmpty: true }, (cell, n) => {
      cell.border = BORDER;
      cell.alignment = { vertical: 'top', wrapText: true, horizontal: columns[n - 1]?.centred ? 'center' : 'left' };
    });
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
