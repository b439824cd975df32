import ExcelJS from 'exceljs';
import type { MonthStatistics } from './statistics.service.js';

const FONT = 'Times New Roman';
const THIN = { style: 'thin' as const };
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };

/** The summary sheet's columns: heading, width, value of an agency's figures. */
const SUMMARY: Array<{ header: string; width: number; value: (a: MonthStatistics['agencies'][number]) => string | number | null; format?: string }> = [
  { header: 'Mã cơ quan', width: 16, value: (a) => a.code },
  { header: 'Cơ quan', width: 34, value: (a) => a.name },
  { header: 'Văn bản đi', width: 10, value: (a) => a.sent },
  { header: 'Văn bản đến', width: 10, value: (a) => a.received },
  { header: 'Vào sổ: số đã tính', width: 12, value: (a) => a.registration.counted },
  { header: 'Vào sổ đúng hạn', width: 12, value: (a) => a.registration.inTime },
  { header: 'Tỷ lệ vào sổ đúng hạn', width: 12, value: (a) => a.registration.share, format: '0.0%' },
  { header: 'Số ngày làm việc trung bình đến khi vào sổ (03)', width: 16, value: (a) => a.registration.meanWorkingDays, format: '0.00' },
  { header: 'Xử lý: số đã tính', width: 12, value: (a) => a.processing.counted },
  { header: 'Xử lý đúng hạn', width: 12, value: (a) => a.processing.inTime },
  { header: 'Tỷ lệ xử lý đúng hạn', width: 12, value: (a) => a.processing.share, format: '0.0%' },
  { header: 'Số ngày làm việc trung bình đến khi xử lý xong (06)', width: 16, value: (a) => a.processing.meanWorkingDays, format: '0.00' },
  { header: 'Quá hạn, chưa xử lý', width: 12, value: (a) => a.overdue.open },
  { header: 'Quá hạn (cả đã xử lý muộn)', width: 12, value: (a) => a.overdue.count },
];

const KIND = { registration: 'Vào sổ', processing: 'Xử lý' } as const;

const vnTime = (iso: string): string =>
  new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric', hour12: false }).format(new Date(iso));

function heading(sheet: ExcelJS.Worksheet, headers: string[]): void {
  const row = sheet.addRow(headers);
  row.font = { name: FONT, size: 11, bold: true };
  row.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  row.height = 48;
  row.eachCell((cell) => {
    cell.border = BORDER;
  });
}

/**
 * GET /v1/statistics.xlsx: the month's figures as a workbook — one row per agency (the same figures
 * as the JSON), and the overdue list on a second sheet.
 */
export async function statisticsXlsx(stats: MonthStatistics): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'lienthong';
  workbook.created = new Date(stats.at);

  const sheet = workbook.addWorksheet('Tổng hợp', { pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 }, views: [{ state: 'frozen', ySplit: 2 }] });
  const [year, month] = stats.month.split('-');
  const title = sheet.addRow([`Thống kê xử lý văn bản tháng ${month}/${year} (tính đến ${vnTime(stats.at)})`]);
  title.font = { name: FONT, size: 13, bold: true };
  sheet.mergeCells(1, 1, 1, SUMMARY.length);
  SUMMARY.forEach((c, i) => {
    sheet.getColumn(i + 1).width = c.width;
  });
  heading(sheet, SUMMARY.map((c) => c.header));
  for (const agency of stats.agencies) {
    const row = sheet.addRow(SUMMARY.map((c) => c.value(agency)));
    row.font = { name: FONT, size: 11 };
    row.eachCell({ includeEmpty: true }, (cell, n) => {
      cell.border = BORDER;
      const format = SUMMARY[n - 1]?.format;
      if (format) cell.numFmt = format;
      cell.alignment = { vertical: 'top', wrapText: true };
    });
  }

  const overdue = workbook.addWorksheet('Quá hạn', { pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 }, views: [{ state: 'frozen', ySplit: 1 }] });
  const columns = [
    ['Cơ quan nhận', 30],
    ['Trích yếu', 50],
    ['Nơi gửi', 28],
    ['Ngày đến', 17],
    ['Hạn', 10],
    ['Thời hạn', 17],
    ['Quá hạn (ngày làm việc)', 12],
    ['Tình trạng', 16],
  ] as const;
  columns.forEach(([, width], i) => {
    overdue.getColumn(i + 1).width = width;
  });
  heading(overdue, columns.map(([h]) => h));
  for (const agency of stats.agencies) {
    for (const o of agency.overdue.items) {
      const row = overdue.addRow([agency.name, o.subject, o.sender.name, vnTime(o.receivedAt), KIND[o.kind], vnTime(o.due), o.overdueWorkingDays, o.open ? 'Chưa xử lý' : 'Đã xử lý, muộn']);
      row.font = { name: FONT, size: 11 };
      row.eachCell({ includeEmpty: true }, (cell) => {
        cell.border = BORDER;
        cell.alignment = { vertical: 'top', wrapText: true };
      });
    }
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
