/**
 * Typed model of the two edXML package kinds exchanged over the national document axis
 * (QCVN 102:2016, namespace {@link EDXML_NS}): the **edoc** package carrying a document, and the
 * **status** package a recipient (or, for code 13, the sender) returns about it.
 *
 * Field names are the camelCase of the edXML element names, which stay terms of art (including the
 * standard's own spelling "Bussiness"). Dates and timestamps are kept exactly as the package writes
 * them (`yyyy/MM/dd`, `yyyy/MM/dd HH:mm:ss`, Vietnam time); `dates.ts` converts them. Text values are
 * trimmed by the parser; optional elements that are absent or empty are `undefined`, and repeated
 * elements that are absent are empty arrays.
 *
 * Which fields are mandatory is our reading of the reference samples and the domain rules (DESIGN.md
 * §4); the parser, the builder and `schemas/edxml-*.xsd` enforce the same set.
 */

/** edXML namespace of QCVN 102:2016. */
export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
/** W3C XMLDSig namespace; the package signature lives in the header in this namespace. */
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** A calendar date as written in edXML: `yyyy/MM/dd`. */
export type EdxmlDate = string;
/** A Vietnam-time timestamp as written in edXML: `yyyy/MM/dd HH:mm:ss`. */
export type EdxmlTimestamp = string;

/** An agency as it appears in `From`, `To` (edoc) and `From` (status). */
export interface Organization {
  /** Mã định danh, e.g. `000.00.00.G22`. Shape is not checked here: the registry owns codes. */
  organId: string;
  /** `OrganizationInCharge` (some senders write `OrganInCharge`): the governing body. */
  organizationInCharge?: string;
  organName: string;
  /** `OrganAdd`: postal address. */
  organAdd?: string;
  email?: string;
  telephone?: string;
  fax?: string;
  website?: string;
}

/** Số and ký hiệu of the document (NĐ 30/2020 Điều 8, khoản 3). */
export interface DocumentCode {
  /** Số, from the outgoing register, e.g. `7816`. */
  codeNumber: string;
  /** Ký hiệu, e.g. `VPCP-TTĐT`. */
  codeNotation: string;
}

/** Place and date of promulgation (địa danh, ngày ban hành). */
export interface PromulgationInfo {
  place: string;
  promulgationDate: EdxmlDate;
}

/** Document type (NĐ 30/2020 Điều 7). */
export interface DocumentType {
  /** 1 = administrative document in the samples; kept as the integer the package carries. */
  type: number;
  /** Index of the detailed type; optional in the wild. */
  typeDetail?: number;
  /** Human name, e.g. `Công văn`, `Quyết định`. */
  typeName: string;
}

/** Who signed the document (thẩm quyền, chức vụ, họ tên). */
export interface SignerInfo {
  /** TM., KT., TL., Q. …; absent when the head of the agency signs in their own name. */
  competence?: string;
  position: string;
  fullName: string;
}

/** Priority (độ khẩn): 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ. */
export type Priority = 0 | 1 | 2 | 3 | 4;

/** `OtherInfo` block of the message header. */
export interface OtherInfo {
  priority: Priority;
  /** Phạm vi ban hành, e.g. `Liên thông văn bản quốc gia`. */
  sphereOfPromulgation?: string;
  /** Ký hiệu người đánh máy. */
  typerNotation?: string;
  /** Number of copies issued. */
  promulgationAmount?: number;
  pageAmount?: number;
  /** True when the document is a direction (chỉ đạo) document. */
  direction?: boolean;
  /** `Appendixes/Appendix` titles, in order; empty when there are none. */
  appendixes: string[];
}

/** A document this one answers (edoc `ResponseFor`, repeated) or the document a status is about. */
export interface ResponseFor {
  organId: string;
  /** Số/ký hiệu of the answered document, e.g. `7816/VPCP-TTĐT`. */
  code?: string;
  promulgationDate?: EdxmlDate;
  /** `<OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>`. */
  documentId: string;
}

/** Message header of an edoc package. */
export interface EdocMessageHeader {
  from: Organization;
  /** Recipients; at least one. */
  to: Organization[];
  /** `<OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>`. */
  documentId: string;
  code: DocumentCode;
  promulgationInfo: PromulgationInfo;
  documentType: DocumentType;
  /** Trích yếu. */
  subject: string;
  content?: string;
  signerInfo: SignerInfo;
  dueDate?: EdxmlDate;
  otherInfo: OtherInfo;
  /** Documents this one responds to; empty when none. */
  responseFor: ResponseFor[];
  /** 1 not a directive, 2 directive, 3 report on a directive. */
  steeringType?: number;
  /** `ToPlaces/Place` (nơi nhận as printed); empty when none. */
  toPlaces: string[];
}

/** One hop of the package's route. */
export interface TraceHeader {
  organId: string;
  timestamp: EdxmlTimestamp;
}

/** Clerk who handled the package (`StaffInfo`). */
export interface StaffInfo {
  department?: string;
  staff?: string;
  email?: string;
  mobile?: string;
}

/** A recipient entry of an update (`ReceiverList/Receiver`). */
export interface Receiver {
  organId: string;
  /** Integer flag as carried by the package (0 or 1 in the samples). */
  receiverType: number;
}

/** What an update (BussinessDocType 2) changes (`BussinessDocumentInfo`). */
export interface BussinessDocumentInfo {
  /** 1 when the document metadata is updated. */
  documentInfo?: number;
  /** 1 when the recipient list is updated. */
  documentReceiver?: number;
  /** `ReceiverList/Receiver`; empty when absent. */
  receiverList: Receiver[];
}

/** A document replaced by this one (BussinessDocType 3), and at which agencies. */
export interface ReplacementInfo {
  documentId: string;
  /** `OrganIdList/OrganId`. */
  organIdList: string[];
}

/** Fields shared by every `Bussiness` block. */
interface BussinessBase {
  /** DocumentId the business action is about; the samples omit it for recall and replacement. */
  documentId?: string;
  bussinessDocReason?: string;
  /** 1 when a paper copy is also sent. */
  paper?: number;
  staffInfo?: StaffInfo;
}

/** BussinessDocType 0: a new document. */
export interface BussinessNew extends BussinessBase {
  bussinessDocType: 0;
}
/** BussinessDocType 1: the sender recalls (thu hồi) a document. */
export interface BussinessRecall extends BussinessBase {
  bussinessDocType: 1;
}
/** BussinessDocType 2: the sender updates a document (metadata and/or recipients). */
export interface BussinessUpdate extends BussinessBase {
  bussinessDocType: 2;
  bussinessDocumentInfo: BussinessDocumentInfo;
}
/** BussinessDocType 3: the document replaces earlier ones. */
export interface BussinessReplace extends BussinessBase {
  bussinessDocType: 3;
  /** At least one. */
  replacementInfoList: ReplacementInfo[];
}

/** The `Bussiness` block, discriminated by `bussinessDocType`. */
export type Bussiness = BussinessNew | BussinessRecall | BussinessUpdate | BussinessReplace;
export type BussinessDocType = Bussiness['bussinessDocType'];

/** `TraceHeaderList` of an edoc package. */
export interface TraceHeaderList {
  /** At least one. */
  traceHeaders: TraceHeader[];
  bussiness: Bussiness;
}

/** One `edXMLManifest/Reference`: the envelope's description of an attachment. */
export interface ManifestReference {
  /** Links the reference to its attachment, e.g. `cid:209`. */
  contentId: string;
  contentType?: string;
  description?: string;
  attachmentName: string;
}

/** One `AttachmentEncoded/Attachment`, carried outside the envelope. */
export interface Attachment {
  contentId: string;
  attachmentName: string;
  description?: string;
  contentType?: string;
  /** `ContentTransferEncoded`: the file as base64, without line breaks. */
  contentBase64: string;
}

/** A document package. `manifest` and `attachments` match one-to-one by `contentId`. */
export interface EdocPackage {
  messageHeader: EdocMessageHeader;
  traceHeaderList: TraceHeaderList;
  manifest: ManifestReference[];
  attachments: Attachment[];
}

/** Status codes used on the axis (DESIGN.md §4 table). */
export const STATUS_CODES = ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

/** A status (receipt) package. */
export interface StatusPackage {
  from: Organization;
  /** The document the status is about (for code 13: at the recipient named here). */
  responseFor: ResponseFor;
  staffInfo?: StaffInfo;
  statusCode: StatusCode;
  /** Free text; for 02 and 16 the reason. */
  description?: string;
  timestamp: EdxmlTimestamp;
}

/** Either package kind, as `parsePackage` returns it. */
export type EdxmlPackage = { kind: 'edoc'; edoc: EdocPackage } | { kind: 'status'; status: StatusPackage };

/** True when `code` is one of {@link STATUS_CODES}. */
export function isStatusCode(code: string): code is StatusCode {
  return (STATUS_CODES as readonly string[]).includes(code);
}
