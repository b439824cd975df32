import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fontkit from '@pdf-lib/fontkit';
import type { PDFFont, PDFPage } from 'pdf-lib';
import { PDFDocument, TextAlignment } from 'pdf-lib';

/**
 * A draft directive (Chỉ thị) of a district People's Committee laid out as NĐ 30/2020 Phụ lục I: the
 * agency and the national motto at the top, room for the number and date under them, the body, and
 * room for the leader's signature between "CHỦ TỊCH" and the name — what a văn thư uploads as a
 * draft, made with pdf-lib and the DejaVu fonts (Vietnamese glyphs) so tests need no word processor.
 */

const require = createRequire(import.meta.url);

/** Where the draft leaves room for the leader's signature (PDF points, page 1). */
export const LEADER_BOX = { page: 0, x: 362, y: 246, width: 150, height: 78 } as const;

/** An agency template for drafts without fields: the number under the agency's name, the date under the motto. */
export const DRAFT_TEMPLATE = {
  number: { page: 0, x: 160, y: 716, fontSize: 13, align: 'center' },
  date: { page: 0, x: 415, y: 716, fontSize: 13, align: 'center' },
  signature: LEADER_BOX,
} as const;

export interface DraftPdfOptions {
  agencyLines?: [string, string];
  title?: string;
  subject?: string;
  leaderName?: string;
  /** AcroForm text fields `so_ky_hieu` and `ngay_ban_hanh` where the number and date go. */
  fields?: boolean;
}

export async function directiveDraftPdf(options: DraftPdfOptions = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = (name: string) => doc.embedFont(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`)), { subset: true });
  const regular = await font('DejaVuSerifCondensed');
  const bold = await font('DejaVuSerifCondensed-Bold');
  const page = doc.addPage([595.28, 841.89]);
  const centred = (p: PDFPage, text: string, cx: number, y: number, f: PDFFont, size: number) => p.drawText(text, { x: cx - f.widthOfTextAtSize(text, size) / 2, y, size, font: f });
  const left = (p: PDFPage, text: string, x: number, y: number, f: PDFFont, size: number) => p.drawText(text, { x, y, size, font: f });
  const [top, agency] = options.agencyLines ?? ['ỦY BAN NHÂN DÂN', 'HUYỆN KIÊN LƯƠNG'];

  centred(page, top, 160, 780, regular, 12);
  centred(page, agency, 160, 765, bold, 12);
  page.drawLine({ start: { x: 130, y: 758 }, end: { x: 190, y: 758 }, thickness: 0.6 });
  centred(page, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 415, 780, bold, 12);
  centred(page, 'Độc lập - Tự do - Hạnh phúc', 415, 765, bold, 12.5);
  page.drawLine({ start: { x: 340, y: 758 }, end: { x: 490, y: 758 }, thickness: 0.6 });

  centred(page, options.title ?? 'CHỈ THỊ', 297.6, 660, bold, 14);
  centred(page, options.subject ?? 'Về việc triển khai dịch vụ công trực tuyến toàn trình', 297.6, 642, bold, 13);
  const body = [
    'Để nâng cao chất lượng phục vụ người dân và doanh nghiệp, Chủ tịch',
    'Ủy ban nhân dân huyện yêu cầu Chủ tịch Ủy ban nhân dân các xã:',
    '1. Rà soát, công bố danh mục dịch vụ công trực tuyến toàn trình.',
    '2. Gửi, nhận văn bản điện tử có chữ ký số qua hệ thống liên thông.',
    '3. Báo cáo kết quả thực hiện trước ngày 30 hằng tháng.',
  ];
  body.forEach((line, i) => left(page, line, 85, 600 - i * 18, regular, 13));

  left(page, 'Nơi nhận:', 85, 360, bold, 11);
  ['- UBND các xã;', '- Lưu: VT.'].forEach((line, i) => left(page, line, 85, 346 - i * 13, regular, 10));
  centred(page, 'CHỦ TỊCH', 437, 344, bold, 13);
  centred(page, options.leaderName ?? 'Nguyễn Văn An', 437, 225, bold, 13);

  if (options.fields) {
    const form = doc.getForm();
    const field = (name: string, rect: { x: number; y: number; width: number; height: number }) => {
      const f = form.createTextField(name);
      f.addToPage(page, { ...rect, font: regular, borderWidth: 0, backgroundColor: undefined, borderColor: undefined });
      f.setFontSize(13);
      f.setAlignment(TextAlignment.Center);
    };
    field('so_ky_hieu', { x: 70, y: 708, width: 180, height: 22 });
    field('ngay_ban_hanh', { x: 300, y: 708, width: 230, height: 22 });
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
