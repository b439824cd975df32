/**
 * Emits edXML packages in ONE canonical form, shaped like the QCVN 102:2016 reference samples:
 * root `edXML` with the edXML namespace as default, `edXML:`-prefixed envelope content, and (edoc) the
 * attachments in an unprefixed `AttachmentEncoded` after the envelope, each payload in
 * `edXML:ContentTransferEncoded`.
 *
 * No Signature is written: the signer (`xmldsig.ts`) inserts
 * `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` as the last child of `edXML:edXMLHeader`
 * and the signed string is then stored and sent as is (never re-serialised, NOTES.md "XML signatures").
 *
 * Output is plain string building. The model is validated completely before the first chunk is
 * produced, so a streaming consumer never receives half a package; base64 payloads are passed through
 * as one chunk, never copied or escaped.
 *
 * Between the root's start and end tags the text is its own exclusive canonical form (what the
 * signature digests, c14n-stream.ts) except at these spots, which the signer's self-check
 * (sign-check.ts) rewrites to compare: `&quot;` and `&apos;` (canonical: the character), `&#13;`
 * (`&#xD;`), `&#x85;` `&#x2028;` `&#x2029;` `&#xFFFD;` (the character; see ESCAPES for why they are
 * references here) and the empty manifest `<edXML:edXMLManifest version="1.0"/>` (a start and an end
 * tag). A new spot must be added to REWRITES in sign-check.ts, or every package that has it is
 * checked by the DOM verifier (correct, and as slow as before).
 */
import { EDXML_NS } from './model.js';
import type {
  Attachment,
  Bussiness,
  EdocPackage,
  ManifestReference,
  Organization,
  ResponseFor,
  StaffInfo,
  StatusPackage,
} from './model.js';
import { assertValidEdoc, assertValidStatus } from './validate.js';

/** Receives the package text piece by piece, in order (e.g. a stream's `write`). */
export type ChunkSink = (chunk: string) => void;

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const ROOT_OPEN = `<edXML xmlns="${EDXML_NS}">\n`;
const ENVELOPE_OPEN = `  <edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">\n`;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;', // also keeps "]]>" out of character data
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;', // a literal CR would be normalised to LF by every parser (XML 1.0 §2.11)
  // xmldom, the parser of xml-crypto, turns these into LF as XML 1.1 does (§2.11 there), libxml2
  // (xmlsec1) keeps them as XML 1.0 says: written literally, one text would have two canonical forms
  // and the signature would verify in one and not the other. A reference reads the same in both.
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
  // xmldom (the verifier's DOM parser, warnings fatal) takes a literal U+FFFD for an encoding error
  // and refuses the package; the character itself is fine.
  '\uFFFD': '&#xFFFD;',
};
const NEEDS_ESCAPE_RE = /[&<>"'\r\u0085\u2028\u2029\uFFFD]/;
const ESCAPE_RE = /[&<>"'\r\u0085\u2028\u2029\uFFFD]/g;

/** Escapes text for element content; values were checked for XML 1.0 characters by validation. */
function escapeText(s: string): string {
  return NEEDS_ESCAPE_RE.test(s) ? s.replace(ESCAPE_RE, (c) => ESCAPES[c] ?? c) : s;
}

/** Writes indented `edXML:`-prefixed elements to a sink. */
class Writer {
  constructor(private readonly sink: ChunkSink) {}

  raw(s: string): void {
    this.sink(s);
  }

  open(depth: number, name: string): void {
    this.sink(`${'  '.repeat(depth)}<edXML:${name}>\n`);
  }

  close(depth: number, name: string): void {
    this.sink(`${'  '.repeat(depth)}</edXML:${name}>\n`);
  }

  /** A leaf; `undefined` writes nothing (optional element absent). */
  leaf(depth: number, name: string, value: string | number | boolean | undefined, prefix = 'edXML:'): void {
    if (value === undefined) return;
    this.sink(`${'  '.repeat(depth)}<${prefix}${name}>${escapeText(String(value))}</${prefix}${name}>\n`);
  }

  organization(depth: number, name: string, o: Organization): void {
    this.open(depth, name);
    const d = depth + 1;
    this.leaf(d, 'OrganId', o.organId);
    this.leaf(d, 'OrganizationInCharge', o.organizationInCharge);
    this.leaf(d, 'OrganName', o.organName);
    this.leaf(d, 'OrganAdd', o.organAdd);
    this.leaf(d, 'Email', o.email);
    this.leaf(d, 'Telephone', o.telephone);
    this.leaf(d, 'Fax', o.fax);
    this.leaf(d, 'Website', o.website);
    this.close(depth, name);
  }

  responseFor(depth: number, r: ResponseFor): void {
    this.open(depth, 'ResponseFor');
    this.leaf(depth + 1, 'OrganId', r.organId);
    this.leaf(depth + 1, 'Code', r.code);
    this.leaf(depth + 1, 'PromulgationDate', r.promulgationDate);
    this.leaf(depth + 1, 'DocumentId', r.documentId);
    this.close(depth, 'ResponseFor');
  }

  staffInfo(depth: number, s: StaffInfo | undefined): void {
    if (!s) return;
    this.open(depth, 'StaffInfo');
    this.leaf(depth + 1, 'Department', s.department);
    this.leaf(depth + 1, 'Staff', s.staff);
    this.leaf(depth + 1, 'Email', s.email);
    this.leaf(depth + 1, 'Mobile', s.mobile);
    this.close(depth, 'StaffInfo');
  }

  list(depth: number, container: string, item: string, values: readonly string[]): void {
    if (values.length === 0) return;
    this.open(depth, container);
    for (const v of values) this.leaf(depth + 1, item, v);
    this.close(depth, container);
  }

  bussiness(depth: number, b: Bussiness): void {
    const d = depth + 1;
    this.open(depth, 'Bussiness');
    this.leaf(d, 'DocumentId', b.documentId);
    this.leaf(d, 'BussinessDocType', b.bussinessDocType);
    this.leaf(d, 'BussinessDocReason', b.bussinessDocReason);
    this.leaf(d, 'Paper', b.paper);
    if (b.bussinessDocType === 2) {
      const info = b.bussinessDocumentInfo;
      this.open(d, 'BussinessDocumentInfo');
      this.leaf(d + 1, 'DocumentInfo', info.documentInfo);
      this.leaf(d + 1, 'DocumentReceiver', info.documentReceiver);
      if (info.receiverList.length > 0) {
        this.open(d + 1, 'ReceiverList');
        for (const r of info.receiverList) {
          this.open(d + 2, 'Receiver');
          this.leaf(d + 3, 'OrganId', r.organId);
          this.leaf(d + 3, 'ReceiverType', r.receiverType);
          this.close(d + 2, 'Receiver');
        }
        this.close(d + 1, 'ReceiverList');
      }
      this.close(d, 'BussinessDocumentInfo');
    }
    if (b.bussinessDocType === 3) {
      this.open(d, 'ReplacementInfoList');
      for (const r of b.replacementInfoList) {
        this.open(d + 1, 'ReplacementInfo');
        this.leaf(d + 2, 'DocumentId', r.documentId);
        this.list(d + 2, 'OrganIdList', 'OrganId', r.organIdList);
        this.close(d + 1, 'ReplacementInfo');
      }
      this.close(d, 'ReplacementInfoList');
    }
    this.staffInfo(d, b.staffInfo);
    this.close(depth, 'Bussiness');
  }

  reference(depth: number, r: ManifestReference): void {
    this.open(depth, 'Reference');
    this.leaf(depth + 1, 'ContentId', r.contentId);
    this.leaf(depth + 1, 'ContentType', r.contentType);
    this.leaf(depth + 1, 'Description', r.description);
    this.leaf(depth + 1, 'AttachmentName', r.attachmentName);
    this.close(depth, 'Reference');
  }

  /** Unprefixed like the samples (they inherit the root's default edXML namespace). */
  attachment(a: Attachment): void {
    this.raw('    <Attachment>\n');
    this.leaf(3, 'ContentId', a.contentId, '');
    this.leaf(3, 'AttachmentName', a.attachmentName, '');
    this.leaf(3, 'Description', a.description, '');
    this.leaf(3, 'ContentType', a.contentType, '');
    this.raw(`      <edXML:ContentTransferEncoded xmlns:edXML="${EDXML_NS}">`);
    this.raw(a.contentBase64); // validated base64: nothing to escape, passed through without a copy
    this.raw('</edXML:ContentTransferEncoded>\n');
    this.raw('    </Attachment>\n');
  }
}

/** Validates an edoc package, then writes it chunk by chunk to `sink` (for streaming large attachments). */
export function writeEdoc(edoc: EdocPackage, sink: ChunkSink): void {
  assertValidEdoc(edoc);
  const w = new Writer(sink);
  const mh = edoc.messageHeader;
  w.raw(XML_DECL + ROOT_OPEN + ENVELOPE_OPEN);
  w.open(2, 'edXMLHeader');
  w.open(3, 'MessageHeader');
  w.organization(4, 'From', mh.from);
  for (const to of mh.to) w.organization(4, 'To', to);
  w.leaf(4, 'DocumentId', mh.documentId);
  w.open(4, 'Code');
  w.leaf(5, 'CodeNumber', mh.code.codeNumber);
  w.leaf(5, 'CodeNotation', mh.code.codeNotation);
  w.close(4, 'Code');
  w.open(4, 'PromulgationInfo');
  w.leaf(5, 'Place', mh.promulgationInfo.place);
  w.leaf(5, 'PromulgationDate', mh.promulgationInfo.promulgationDate);
  w.close(4, 'PromulgationInfo');
  w.open(4, 'DocumentType');
  w.leaf(5, 'Type', mh.documentType.type);
  w.leaf(5, 'TypeDetail', mh.documentType.typeDetail);
  w.leaf(5, 'TypeName', mh.documentType.typeName);
  w.close(4, 'DocumentType');
  w.leaf(4, 'Subject', mh.subject);
  w.leaf(4, 'Content', mh.content);
  w.open(4, 'SignerInfo');
  w.leaf(5, 'Competence', mh.signerInfo.competence);
  w.leaf(5, 'Position', mh.signerInfo.position);
  w.leaf(5, 'FullName', mh.signerInfo.fullName);
  w.close(4, 'SignerInfo');
  w.leaf(4, 'DueDate', mh.dueDate);
  const oi = mh.otherInfo;
  w.open(4, 'OtherInfo');
  w.leaf(5, 'Priority', oi.priority);
  w.leaf(5, 'SphereOfPromulgation', oi.sphereOfPromulgation);
  w.leaf(5, 'TyperNotation', oi.typerNotation);
  w.leaf(5, 'PromulgationAmount', oi.promulgationAmount);
  w.leaf(5, 'PageAmount', oi.pageAmount);
  w.leaf(5, 'Direction', oi.direction);
  w.list(5, 'Appendixes', 'Appendix', oi.appendixes);
  w.close(4, 'OtherInfo');
  for (const r of mh.responseFor) w.responseFor(4, r);
  w.leaf(4, 'SteeringType', mh.steeringType);
  w.list(4, 'ToPlaces', 'Place', mh.toPlaces);
  w.close(3, 'MessageHeader');
  w.open(3, 'TraceHeaderList');
  for (const t of edoc.traceHeaderList.traceHeaders) {
    w.open(4, 'TraceHeader');
    w.leaf(5, 'OrganId', t.organId);
    w.leaf(5, 'Timestamp', t.timestamp);
    w.close(4, 'TraceHeader');
  }
  w.bussiness(4, edoc.traceHeaderList.bussiness);
  w.close(3, 'TraceHeaderList');
  w.close(2, 'edXMLHeader');
  w.open(2, 'edXMLBody');
  if (edoc.manifest.length === 0) {
    w.raw('      <edXML:edXMLManifest version="1.0"/>\n');
  } else {
    w.raw('      <edXML:edXMLManifest version="1.0">\n');
    for (const r of edoc.manifest) w.reference(4, r);
    w.raw('      </edXML:edXMLManifest>\n');
  }
  w.close(2, 'edXMLBody');
  w.raw('  </edXML:edXMLEnvelope>\n');
  if (edoc.attachments.length > 0) {
    w.raw('  <AttachmentEncoded>\n');
    for (const a of edoc.attachments) w.attachment(a);
    w.raw('  </AttachmentEncoded>\n');
  }
  w.raw('</edXML>\n');
}

/** Validates a status package, then writes it chunk by chunk to `sink`. */
export function writeStatus(status: StatusPackage, sink: ChunkSink): void {
  assertValidStatus(status);
  const w = new Writer(sink);
  w.raw(XML_DECL + ROOT_OPEN + ENVELOPE_OPEN);
  w.open(2, 'edXMLHeader');
  w.open(3, 'MessageHeader');
  w.organization(4, 'From', status.from);
  w.responseFor(4, status.responseFor);
  w.staffInfo(4, status.staffInfo);
  w.leaf(4, 'StatusCode', status.statusCode);
  w.leaf(4, 'Description', status.description);
  w.leaf(4, 'Timestamp', status.timestamp);
  w.close(3, 'MessageHeader');
  w.close(2, 'edXMLHeader');
  w.raw('  </edXML:edXMLEnvelope>\n</edXML>\n');
}

/** Builds the canonical, unsigned edoc package text; throws VALIDATION_FAILED on an invalid model. */
export function buildEdoc(edoc: EdocPackage): string {
  const parts: string[] = [];
  writeEdoc(edoc, (chunk) => parts.push(chunk));
  return parts.join(''); // the only copy of the payloads: into the final string
}

/** Builds the canonical, unsigned status package text; throws VALIDATION_FAILED on an invalid model. */
export function buildStatus(status: StatusPackage): string {
  const parts: string[] = [];
  writeStatus(status, (chunk) => parts.push(chunk));
  return parts.join('');
}
