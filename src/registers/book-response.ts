import { contentDisposition } from '../http/content-disposition.js';
import { bookFileName, type Book } from './book.js';
import { bookPdf } from './book-pdf.js';
import { bookXlsx } from './book-xlsx.js';

export const BOOK_FORMATS = ['json', 'xlsx', 'pdf'] as const;
export type BookFormat = (typeof BOOK_FORMATS)[number];

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The format of a book asked for: the suffix of the year when there is one (`2026.pdf`), else the
 * Accept header (PDF or XLSX by their media types), else JSON. A suffix wins because a link in a
 * browser cannot set Accept.
 */
export function bookFormat(suffix: string | undefined, accept: string | undefined): BookFormat {
  if (suffix === 'json' || suffix === 'xlsx' || suffix === 'pdf') return suffix;
  const wanted = (accept ?? '').toLowerCase();
  if (wanted.includes('application/pdf')) return 'pdf';
  if (wanted.includes(XLSX_TYPE)) return 'xlsx';
  return 'json';
}

/** The XLSX or PDF of a book as a download. */
export async function bookFile(book: Book, format: 'xlsx' | 'pdf'): Promise<Response> {
  const bytes = format === 'pdf' ? await bookPdf(book) : await bookXlsx(book);
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      'content-type': format === 'pdf' ? 'application/pdf' : XLSX_TYPE,
      'content-length': String(bytes.length),
      'content-disposition': contentDisposition(bookFileName(book, format)),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
      vary: 'Accept',
    },
  });
}
