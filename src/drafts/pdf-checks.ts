import { createHash, type Hash } from 'node:crypto';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFStream, PDFTextField, type PDFObject } from 'pdf-lib';
import { DomainError } from '../errors.js';
import { invalidField } from '../http/problem.js';

/**
 * What the drafts workflow reads in a PDF before it signs it or accepts a signature over it: that a
 * draft is a PDF pdf-lib can open (not encrypted: a signature could not be added), which text
 * fields it has for the number and date, and whether a leader-signed file shows the pages of the
 * draft exactly as they were.
 */

/** What a draft PDF offers the workflow. */
export interface DraftPdf {
  readonly pages: number;
  /** Names of its AcroForm text fields (`so_ky_hieu`, `ngay_ban_hanh` when the draft has them). */
  readonly textFields: ReadonlySet<string>;
}

async function open(bytes: Uint8Array): Promise<PDFDocument> {
  return PDFDocument.load(bytes, { updateMetadata: false });
}

/**
 * Reads the PDF of a draft, or 422 on `path`: not a PDF, unreadable, encrypted (a password-protected
 * file cannot take a signature), or without a page.
 */
export async function readDraftPdf(bytes: Uint8Array, path = 'attachments.0'): Promise<DraftPdf> {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (!head.includes('%PDF-')) {
    throw invalidField(path, { en: 'must be a PDF: the văn bản the leader signs', vi: 'phải là tệp PDF: văn bản để lãnh đạo ký số' }, 'document');
  }
  let pages: number;
  let textFields: Set<string>;
  try {
    // pdf-lib reads lazily: a file without a catalog or a page tree fails only when its pages are asked for.
    const doc = await open(bytes);
    pages = doc.getPageCount();
    textFields = new Set(
      doc
        .getForm()
        .getFields()
        .filter((f) => f instanceof PDFTextField)
        .map((f) => f.getName()),
    );
  } catch (cause) {
    const encrypted = /encrypt/i.test((cause as Error).message);
    throw invalidField(
      path,
      encrypted
        ? { en: 'is an encrypted (password-protected) PDF, which cannot be signed', vi: 'là tệp PDF có mật khẩu (mã hóa) nên không ký số được' }
        : { en: `is not a PDF that can be read (${(cause as Error).message.slice(0, 200)})`, vi: 'không phải là tệp PDF đọc được' },
      'document',
    );
  }
  if (pages === 0) throw invalidField(path, { en: 'has no page', vi: 'không có trang nào' }, 'document');
  return { pages, textFields };
}

// Bounds of the page comparison: a page whose resources reach further is not compared (refused).
const MAX_OBJECTS = 50_000;
// Keys that lead out of a page's own content, to its parents and annotations (signing adds widgets).
const SKIPPED_KEYS = new Set(['/Parent', '/P', '/Annots', '/StructParents', '/StructParent']);

/**
 * A digest of each page as it prints: its boxes and rotation, its content streams and everything
 * its resources reach (fonts, images, forms), followed through references, the annotations left
 * out. Two files whose pages have the same digests show the same pages.
 */
async function pageDigests(bytes: Uint8Array): Promise<string[]> {
  const doc = await open(bytes);
  let budget = MAX_OBJECTS;
  return doc.getPages().map((page) => {
    const hash = createHash('sha256');
    const seen = new Set<string>();
    const walk = (obj: PDFObject | undefined, depth: number): void => {
      if (--budget < 0 || depth > 64) throw new Error('the page reaches too many objects to compare');
      if (obj === undefined) {
        hash.update('∅');
      } else if (obj instanceof PDFRef) {
        const tag = obj.toString();
        hash.update(`ref(${seen.has(tag) ? 'seen' : 'new'})`);
        if (!seen.has(tag)) {
          seen.add(tag);
          walk(doc.context.lookup(obj), depth + 1);
        }
      } else if (obj instanceof PDFStream) {
        walkDict(obj.dict, depth, walk, hash);
        hash.update('stream');
        hash.update(obj.getContents());
      } else if (obj instanceof PDFDict) {
        walkDict(obj, depth, walk, hash);
      } else if (obj instanceof PDFArray) {
        hash.update(`[${obj.size()}`);
        for (let i = 0; i < obj.size(); i++) walk(obj.get(i), depth + 1);
        hash.update(']');
      } else {
        hash.update(`${obj.constructor.name}:${obj.toString()}`);
      }
    };
    const node = page.node;
    for (const key of ['MediaBox', 'CropBox', 'Rotate', 'Resources', 'Group']) {
      hash.update(key);
      walk(node.getInheritableAttribute(PDFName.of(key)), 0);
    }
    hash.update('Contents');
    walk(node.get(PDFName.of('Contents')), 0);
    return hash.digest('hex');
  });
}

function walkDict(dict: PDFDict, depth: number, walk: (o: PDFObject | undefined, d: number) => void, hash: Hash): void {
  const entries = dict
    .entries()
    .filter(([k]) => !SKIPPED_KEYS.has(k.toString()))
    .sort(([a], [b]) => (a.toString() < b.toString() ? -1 : 1));
  hash.update(`{${entries.length}`);
  for (const [key, value] of entries) {
    hash.update(key.toString());
    walk(value, depth + 1);
  }
  hash.update('}');
}

/**
 * Whether `signed` shows the pages of `draft` unchanged (same number, same content and resources):
 * what a leader's signing tool may add is a signature field and its widget, never page content. An
 * update that redraws a page before the signature is the "shadow attack" of signed PDFs.
 */
export async function sameContentAsDraft(draft: Uint8Array, signed: Uint8Array): Promise<boolean> {
  let before: string[];
  let after: string[];
  try {
    [before, after] = await Promise.all([pageDigests(draft), pageDigests(signed)]);
  } catch (cause) {
    throw new DomainError('VALIDATION_FAILED', `The signed PDF cannot be compared with the draft: ${(cause as Error).message}`, {
      cause,
      vi: 'Không so sánh được tệp PDF đã ký với dự thảo (tệp không đọc được hoặc quá phức tạp).',
    });
  }
  return before.length === after.length && before.every((d, i) => d === after[i]);
}
