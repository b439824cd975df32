/**
 * The 13 well-formed QCVN 102:2016 reference samples parse to the model with the values they carry,
 * and survive parse → build → parse unchanged; the malformed one is refused.
 */
import { describe, expect, it } from 'vitest';
import { buildEdoc, buildStatus } from '../../src/edxml/build.js';
import type { EdocPackage, EdxmlPackage, StatusPackage } from '../../src/edxml/model.js';
import { parsePackage, peekDocumentId, peekRecipients, peekSender } from '../../src/edxml/parse.js';
import { domainErrorOf, fixture } from './helpers.js';

const VPCP_DOC = '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT';
const PLACEHOLDER_ZIP_NAME = '1896_QD-TTg_m_294779.doc';

function edocOf(pkg: EdxmlPackage): EdocPackage {
  if (pkg.kind !== 'edoc') throw new Error(`expected an edoc package, got ${pkg.kind}`);
  return pkg.edoc;
}
function statusOf(pkg: EdxmlPackage): StatusPackage {
  if (pkg.kind !== 'status') throw new Error(`expected a status package, got ${pkg.kind}`);
  return pkg.status;
}

describe('edoc samples', () => {
  it('edoc_new_bussiness0.edxml: a new document', () => {
    const pkg = parsePackage(fixture('edoc_new_bussiness0.edxml'));
    const edoc = edocOf(pkg);
    const mh = edoc.messageHeader;
    expect(mh.from.organId).toBe('002.00.20.H13');
    expect(mh.from.organizationInCharge).toBe('UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng');
    expect(mh.to.map((t) => t.organId)).toEqual(['28.22.H17']);
    // The sample has a leading space in this value; the parser trims text.
    expect(mh.to[0]?.organizationInCharge).toBe('UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng');
    expect(mh.to[0]?.telephone).toBe('(84-4) 3821 5137');
    expect(mh.documentId).toBe(VPCP_DOC);
    expect(mh.code).toEqual({ codeNumber: '74fass22', codeNotation: 'VPCP-TTĐT' });
    expect(mh.promulgationInfo).toEqual({ place: 'Hà Nội', promulgationDate: '2019/01/16' });
    expect(mh.documentType).toEqual({ type: 1, typeDetail: 0, typeName: 'Công văn' });
    expect(mh.subject).toBe('V/v kết nối, liên thông phần mềm quản lý văn bản');
    expect(mh.signerInfo).toEqual({
      competence: 'TL. BO TRUONG',
      position: 'Cuc truong cuc ung dung cong nghe thong tin',
      fullName: 'Nguyen Thanh Phuc',
    });
    expect(mh.dueDate).toBe('2018/09/28');
    expect(mh.otherInfo).toEqual({
      priority: 0,
      sphereOfPromulgation: 'Liên thông văn bản quốc gia',
      typerNotation: 'TVC',
      promulgationAmount: 2,
      pageAmount: 22,
      direction: false,
      appendixes: ['Công văn về việc kết nối, liên thông phần mềm quản lý văn bản'],
    });
    expect(mh.responseFor).toEqual([]);
    expect(mh.steeringType).toBe(1);
    expect(mh.toPlaces).toEqual(['Cac bo va co quan ngang bo', 'Uy ban nhan dan cac tinh, TP']);
    expect(edoc.traceHeaderList.traceHeaders).toEqual([{ organId: '000.00.00.G22', timestamp: '2018/09/28 00:00:00' }]);
    expect(edoc.traceHeaderList.bussiness).toEqual({
      documentId: '000.00.00.G22,2014/02/30,7806/VPCP-TTĐT',
      bussinessDocType: 0,
      bussinessDocReason: 'Văn bản điện tử mới',
      paper: 0,
      staffInfo: { department: 'Văn thư văn phòng', staff: 'Nguyễn Thị Ngọc Trâm', email: 'vanthuvanphong@gov.vn', mobile: '84912000001' },
    });
    expect(edoc.manifest).toEqual([
      { contentId: 'cid:209', contentType: 'application/zip', description: PLACEHOLDER_ZIP_NAME, attachmentName: PLACEHOLDER_ZIP_NAME },
    ]);
    expect(edoc.attachments.map((a) => [a.contentId, a.attachmentName, a.contentType])).toEqual([['cid:209', PLACEHOLDER_ZIP_NAME, 'application/zip']]);
    // The README says the payload is a tiny valid ZIP: check the decoded bytes, not just the string.
    expect(Buffer.from(edoc.attachments[0]?.contentBase64 ?? '', 'base64').subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    expect(peekSender(pkg)).toBe('002.00.20.H13');
    expect(peekRecipients(pkg)).toEqual(['28.22.H17']);
    expect(peekDocumentId(pkg)).toBe(VPCP_DOC);
  });

  it('edoc_revocation_bussiness1.edxml: a recall answering an earlier document', () => {
    const edoc = edocOf(parsePackage(fixture('edoc_revocation_bussiness1.edxml')));
    expect(edoc.messageHeader.from.organId).toBe('000.00.00.G22');
    expect(edoc.messageHeader.to.map((t) => t.organId)).toEqual(['000.00.00.H41', '000.00.00.H14', '000.00.00.G17']);
    expect(edoc.messageHeader.responseFor).toEqual([
      { organId: '000.00.00.H14', code: '267/VPCP-TTĐT', promulgationDate: '2018/09/28', documentId: '000.00.04.G14,2012/08/06,267/VPCP-TTĐT' },
    ]);
    const b = edoc.traceHeaderList.bussiness;
    expect(b.bussinessDocType).toBe(1);
    expect(b.bussinessDocReason).toBe('Thu hồi văn bản điện tử');
    expect(b.documentId).toBeUndefined();
    expect(edoc.attachments).toHaveLength(1);
  });

  it('edoc_update_bussiness2.edxml: an update with a ReceiverList', () => {
    const edoc = edocOf(parsePackage(fixture('edoc_update_bussiness2.edxml')));
    expect(edoc.messageHeader.code).toEqual({ codeNumber: '7816', codeNotation: 'VPCP-TTĐT' });
    const b = edoc.traceHeaderList.bussiness;
    if (b.bussinessDocType !== 2) throw new Error(`expected BussinessDocType 2, got ${b.bussinessDocType}`);
    expect(b.documentId).toBe('000.00.00.G22,2014/02/30,7806/VPCP-TTĐT');
    expect(b.bussinessDocReason).toBe('Cập nhật văn bản điện tử');
    expect(b.bussinessDocumentInfo).toEqual({
      documentInfo: 1,
      documentReceiver: 1,
      receiverList: [
        { organId: '000.00.00.H41', receiverType: 0 },
        { organId: '000.00.00.H14', receiverType: 1 },
      ],
    });
  });

  it('edoc_replacement_bussiness3.edxml: a replacement with a ReplacementInfoList', () => {
    const edoc = edocOf(parsePackage(fixture('edoc_replacement_bussiness3.edxml')));
    const b = edoc.traceHeaderList.bussiness;
    if (b.bussinessDocType !== 3) throw new Error(`expected BussinessDocType 3, got ${b.bussinessDocType}`);
    expect(b.bussinessDocReason).toBe('Văn bản thay thế');
    expect(b.replacementInfoList).toEqual([
      { documentId: '000.00.00.G22,2014/01/30,7806/VPCP-TTĐT', organIdList: ['000.00.00.H41', '000.00.00.H14'] },
      { documentId: '000.00.00.G22,2014/01/30,7806/VPCP-TTĐT', organIdList: ['000.00.00.H41', '000.00.00.H14'] },
    ]);
  });
});

describe('status samples', () => {
  const cases: [file: string, code: string, description: string][] = [
    ['status_01_inbox.edxml', '01', 'Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý'],
    ['status_02_rejection.edxml', '02', 'Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử'],
    ['status_03_acceptance.edxml', '03', 'Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị'],
    ['status_04_assignment.edxml', '04', 'Lãnh đạo: Phân công xử lý'],
    ['status_05_processing.edxml', '05', 'Đang xử lý văn bản đến'],
    ['status_06_finish.edxml', '06', 'Văn thư: Ban hành văn bản đến, hoàn thành xử lý'],
    ['status_15_change_acceptance.edxml', '15', 'Văn thư đồng ý yêu cầu cập nhật, lấy lại'],
    ['status_16_change_rejection.edxml', '16', 'Văn thư từ chối yêu cầu cập nhật, lấy lại'],
  ];

  it.each(cases)('%s: recipient Nghệ An reports %s about the VPCP document', (file, code, description) => {
    const pkg = parsePackage(fixture(file));
    const status = statusOf(pkg);
    expect(status.statusCode).toBe(code);
    expect(status.description).toBe(description);
    expect(status.from).toEqual({
      organId: '000.00.00.H41',
      organizationInCharge: 'UBND Tỉnh Nghệ An',
      organName: 'UBND Tỉnh Nghệ An',
      organAdd: 'Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam',
      email: 'nghean@gov.vn',
      telephone: '0383 840418',
      fax: '0383 843049',
      website: 'www.nghean.vn',
    });
    expect(status.responseFor).toEqual({ organId: '000.00.00.G22', code: '7816/VPCP-TTĐT', promulgationDate: '2015/09/30', documentId: VPCP_DOC });
    expect(status.staffInfo).toEqual({ department: 'Phong hanh chinh', staff: 'Nguyen thi ngoc tram', email: 'ngoctram@nghean.vn', mobile: '84912000001' });
    expect(status.timestamp).toBe('2015/09/20 11:08:36');
    expect(peekSender(pkg)).toBe('000.00.00.H41');
    expect(peekRecipients(pkg)).toEqual(['000.00.00.G22']);
    expect(peekDocumentId(pkg)).toBe(VPCP_DOC);
  });

  it('status_13_cancellation.edxml: the sender (VPCP) asks Nghệ An to give the document back', () => {
    const status = statusOf(parsePackage(fixture('status_13_cancellation.edxml')));
    expect(status.statusCode).toBe('13');
    expect(status.from.organId).toBe('000.00.00.G22');
    expect(status.from.fax).toBe('04');
    expect(status.responseFor.organId).toBe('000.00.00.H41');
    expect(status.responseFor.documentId).toBe(VPCP_DOC);
    expect(status.description).toBe('Văn thư yêu cầu lấy lại văn bản điện tử kèm lý do');
  });
});

describe('round trip: parse → build → parse', () => {
  const files = [
    'edoc_new_bussiness0.edxml',
    'edoc_revocation_bussiness1.edxml',
    'edoc_update_bussiness2.edxml',
    'edoc_replacement_bussiness3.edxml',
    'status_01_inbox.edxml',
    'status_02_rejection.edxml',
    'status_03_acceptance.edxml',
    'status_04_assignment.edxml',
    'status_05_processing.edxml',
    'status_06_finish.edxml',
    'status_13_cancellation.edxml',
    'status_15_change_acceptance.edxml',
    'status_16_change_rejection.edxml',
  ];

  it.each(files)('%s', (file) => {
    const first = parsePackage(fixture(file));
    const xml = first.kind === 'edoc' ? buildEdoc(first.edoc) : buildStatus(first.status);
    const second = parsePackage(xml);
    expect(second).toStrictEqual(first);
    // Building the re-parsed model gives the same bytes: the output form is canonical.
    expect(second.kind === 'edoc' ? buildEdoc(second.edoc) : buildStatus(second.status)).toBe(xml);
  });
});

describe('malformed sample', () => {
  it('invalid_edoc_variant_unbound_xlink.edxml is refused with XML_MALFORMED (undeclared xlink prefix)', () => {
    const err = domainErrorOf(() => parsePackage(fixture('invalid_edoc_variant_unbound_xlink.edxml')));
    expect(err.code).toBe('XML_MALFORMED');
    expect(err.message).toContain('xlink');
  });
});
