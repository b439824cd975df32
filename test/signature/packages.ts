/**
 * Package factories for signature tests: small valid edoc/status models built with the project's
 * builder (src/edxml/build.ts), with the sender, recipient and signing time chosen by the test.
 */
import { buildEdoc, buildStatus } from '../../src/edxml/build.js';
import { dateToEdxmlTimestamp } from '../../src/edxml/dates.js';
import type { EdocPackage, Organization, StatusPackage } from '../../src/edxml/model.js';

export const AGENCY_A = { code: '000.00.33.H33', name: 'UBND tỉnh Kiên Giang' } as const;
export const AGENCY_B = { code: '000.01.33.H33', name: 'UBND huyện Kiên Lương' } as const;

function org(a: { code: string; name: string }): Organization {
  return { organId: a.code, organName: a.name, organizationInCharge: 'UBND tỉnh Kiên Giang', email: 'vanthu@kiengiang.gov.vn' };
}

/** An edoc from `from` to `to`, signed at `at`, with one attachment of `attachmentBytes` bytes. */
export function edocModel(opts: { from?: { code: string; name: string }; to?: { code: string; name: string }; at: Date; attachmentBytes?: number; number?: number }): EdocPackage {
  const from = org(opts.from ?? AGENCY_A);
  const n = opts.number ?? 15;
  const payload = Buffer.alloc(opts.attachmentBytes ?? 600, 0x25); // '%%%…' — any bytes do
  payload.write('%PDF-1.7\n', 0, 'latin1');
  return {
    messageHeader: {
      from,
      to: [org(opts.to ?? AGENCY_B)],
      documentId: `${from.organId},2026/11/26,${n}/QĐ-UBND`,
      code: { codeNumber: String(n), codeNotation: 'QĐ-UBND' },
      promulgationInfo: { place: 'Kiên Giang', promulgationDate: '2026/11/26' },
      documentType: { type: 1, typeDetail: 2, typeName: 'Quyết định' },
      subject: 'Về việc triển khai dịch vụ công trực tuyến toàn trình',
      content: 'Triển khai & báo cáo <kết quả>',
      signerInfo: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nguyễn Văn A' },
      otherInfo: { priority: 0, appendixes: [] },
      responseFor: [],
      steeringType: 1,
      toPlaces: ['Như trên', 'Lưu: VT'],
    },
    traceHeaderList: {
      traceHeaders: [{ organId: from.organId, timestamp: dateToEdxmlTimestamp(opts.at) }],
      bussiness: { bussinessDocType: 0, bussinessDocReason: 'Văn bản điện tử mới', paper: 0 },
    },
    manifest: [{ contentId: 'cid:1', contentType: 'application/pdf', description: 'Quyết định', attachmentName: 'qd-15.pdf' }],
    attachments: [{ contentId: 'cid:1', attachmentName: 'qd-15.pdf', description: 'Quyết định', contentType: 'application/pdf', contentBase64: payload.toString('base64') }],
  };
}

/** A status package from `from` about a document of `about`, at `at`. */
export function statusModel(opts: { from?: { code: string; name: string }; about?: { code: string; name: string }; at: Date; statusCode?: StatusPackage['statusCode'] }): StatusPackage {
  const about = opts.about ?? AGENCY_A;
  return {
    from: org(opts.from ?? AGENCY_B),
    responseFor: { organId: about.code, code: '15/QĐ-UBND', promulgationDate: '2026/11/26', documentId: `${about.code},2026/11/26,15/QĐ-UBND` },
    staffInfo: { department: 'Văn thư', staff: 'Lê Văn C' },
    statusCode: opts.statusCode ?? '01',
    description: 'Đã đến',
    timestamp: dateToEdxmlTimestamp(opts.at),
  };
}

/** Unsigned edoc text. */
export const unsignedEdoc = (opts: Parameters<typeof edocModel>[0]): string => buildEdoc(edocModel(opts));
/** Unsigned status text. */
export const unsignedStatus = (opts: Parameters<typeof statusModel>[0]): string => buildStatus(statusModel(opts));
