/**
 * Parses an edXML package (QCVN 102:2016) into the typed model of `model.ts`.
 *
 * Order of defences: `assertSafeXml` (size, DOCTYPE/entities, one root, depth, UTF-8, namespace
 * well-formedness) runs before xml2js sees a byte; xml2js then runs in strict mode. Elements are read
 * by **local name** in any order, because senders on the axis differ in prefixes (`edXML:` or the
 * default namespace), order, and a few spellings (`OrganInCharge`, `TimeStamp`). `Signature` — in the
 * edXML or the XMLDSig namespace — is not read here: checking it is `verify-package.ts`'s job, and
 * business code must only use a model parsed from the bytes that verification covered.
 *
 * Error codes: a structural problem (wrong root, a mandatory element missing or empty, an element
 * repeated where one is allowed, markup where text is expected) is `XML_MALFORMED`; a value that does
 * not satisfy the model (bad date, unknown status code, non-integer, base64, manifest mismatch) is
 * `VALIDATION_FAILED`. Both carry `errors[0].path` naming the element.
 */
import xml2js from 'xml2js';
import { DomainError } from '../errors.js';
import { assertSafeXml } from './harden.js';
import type { XmlLimits } from './harden.js';
import { EDXML_NS } from './model.js';
import type {
  Attachment,
  Bussiness,
  BussinessDocumentInfo,
  EdocMessageHeader,
  EdocPackage,
  EdxmlPackage,
  ManifestReference,
  Organization,
  OtherInfo,
  ReplacementInfo,
  ResponseFor,
  StaffInfo,
  StatusPackage,
  TraceHeaderList,
} from './model.js';
import { assertValidEdoc, assertValidStatus } from './validate.js';

/** Spellings seen on the axis, mapped to the element name the model uses. */
const LOCAL_NAME_ALIASES: Readonly<Record<string, string>> = {
  OrganInCharge: 'OrganizationInCharge',
  TimeStamp: 'Timestamp',
};

/** An element as read by local name: its text, attributes and children grouped by (aliased) local name. */
interface XNode {
  local: string;
  uri: string;
  /** Path for error messages, e.g. `edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From`. */
  path: string;
  text: string;
  attrs: Map<string, string>;
  kids: Map<string, XNode[]>;
}

// xml2js keys children by tag name on plain objects; a leading '@' keeps names such as `constructor`,
// `__proto__` or `_` (the text key) from colliding with Object.prototype or xml2js's own keys.
const KEY_PREFIX = '@';
const XML2JS_OPTIONS: xml2js.ParserOptions = {
  strict: true, // sax strict mode: no HTML-style recovery from broken markup
  xmlns: true, // gives every element its local name and namespace URI
  explicitArray: true,
  explicitCharkey: true,
  explicitRoot: true,
  trim: false,
  normalize: false,
  async: false,
  charkey: '_',
  attrkey: '$',
  tagNameProcessors: [(name: string) => KEY_PREFIX + name],
  attrNameProcessors: [(name: string) => KEY_PREFIX + name],
};

const malformed = (path: string, message: string): DomainError =>
  new DomainError('XML_MALFORMED', `${path}: ${message}`, { errors: [{ path, message }] });
const invalid = (path: string, message: string): DomainError =>
  new DomainError('VALIDATION_FAILED', `${path}: ${message}`, { errors: [{ path, message }] });

/**
 * Parses a package after `assertSafeXml`. Throws DomainError PAYLOAD_TOO_LARGE / XML_FORBIDDEN /
 * XML_MALFORMED / VALIDATION_FAILED.
 */
export function parsePackage(input: Buffer | string, limits?: Partial<XmlLimits>): EdxmlPackage {
  const text = assertSafeXml(input, limits);
  const root = toTree(runXml2js(text));
  if (root.local !== 'edXML' || root.uri !== EDXML_NS) {
    throw malformed(root.local, `root element must be edXML in namespace ${EDXML_NS}`);
  }
  const envelope = one(root, 'edXMLEnvelope', true);
  const header = one(envelope, 'edXMLHeader', true);
  const mh = one(header, 'MessageHeader', true);
  if (has(mh, 'StatusCode')) {
    const status = readStatus(mh);
    assertValidStatus(status);
    return { kind: 'status', status };
  }
  const edoc = readEdoc(root, envelope, header, mh);
  assertValidEdoc(edoc);
  return { kind: 'edoc', edoc };
}

/** Agency code of the sender (`MessageHeader/From/OrganId`) of either package kind. */
export function peekSender(pkg: EdxmlPackage): string {
  return pkg.kind === 'edoc' ? pkg.edoc.messageHeader.from.organId : pkg.status.from.organId;
}

/** Agency codes the package is addressed to: every `To` of an edoc, `ResponseFor/OrganId` of a status. */
export function peekRecipients(pkg: EdxmlPackage): string[] {
  return pkg.kind === 'edoc' ? pkg.edoc.messageHeader.to.map((o) => o.organId) : [pkg.status.responseFor.organId];
}

/** DocumentId the package is about: the edoc's own, or the one a status answers. */
export function peekDocumentId(pkg: EdxmlPackage): string {
  return pkg.kind === 'edoc' ? pkg.edoc.messageHeader.documentId : pkg.status.responseFor.documentId;
}

// ---------------------------------------------------------------------------------------------
// xml2js → XNode

function runXml2js(text: string): unknown {
  let result: unknown;
  let error: unknown;
  // With async: false xml2js calls back synchronously; we only record, so an exception of ours can
  // never be fed back into xml2js's own error path.
  new xml2js.Parser(XML2JS_OPTIONS).parseString(text, (err: Error | null, res: unknown) => {
    if (err) error ??= err;
    else result = res;
  });
  if (error !== undefined) {
    const msg = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DomainError('XML_MALFORMED', `XML is not well-formed: ${msg}`, { cause: error });
  }
  if (result === undefined || result === null) throw new DomainError('XML_MALFORMED', 'XML is not well-formed: no document');
  return result;
}

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function toTree(result: unknown): XNode {
  if (!isRaw(result)) throw new DomainError('XML_MALFORMED', 'XML is not well-formed: no root element');
  const rootKey = Object.keys(result)[0];
  const raw = rootKey === undefined ? undefined : result[rootKey];
  if (!isRaw(raw)) throw new DomainError('XML_MALFORMED', 'XML is not well-formed: no root element');
  return toNode(raw, '');
}

/** Converts one xml2js element; recursion is bounded by assertSafeXml's depth limit. */
function toNode(raw: Raw, parentPath: string): XNode {
  const ns = raw.$ns;
  if (!isRaw(ns) || typeof ns.local !== 'string') throw new DomainError('XML_MALFORMED', `unexpected parser output under ${parentPath || '/'}`);
  const local = LOCAL_NAME_ALIASES[ns.local] ?? ns.local;
  const path = parentPath ? `${parentPath}/${local}` : local;
  const node: XNode = {
    local,
    uri: typeof ns.uri === 'string' ? ns.uri : '',
    path,
    text: typeof raw._ === 'string' ? raw._ : '',
    attrs: new Map(),
    kids: new Map(),
  };
  if (isRaw(raw.$)) {
    for (const [key, attr] of Object.entries(raw.$)) {
      if (isRaw(attr) && typeof attr.local === 'string' && typeof attr.value === 'string' && attr.uri === '') {
        node.attrs.set(attr.local, attr.value);
      } else if (typeof attr === 'string') {
        node.attrs.set(key.slice(KEY_PREFIX.length), attr);
      }
    }
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(KEY_PREFIX)) continue;
    if (!Array.isArray(value)) throw new DomainError('XML_MALFORMED', `unexpected parser output at ${path}`);
    for (const child of value) {
      if (!isRaw(child)) throw new DomainError('XML_MALFORMED', `unexpected parser output at ${path}`);
      const kid = toNode(child, path);
      const list = node.kids.get(kid.local);
      if (list) list.push(kid);
      else node.kids.set(kid.local, [kid]);
    }
  }
  // Children keep document order only per name; renumber repeated ones for precise error paths.
  for (const list of node.kids.values()) {
    if (list.length > 1) list.forEach((k, i) => (k.path = `${k.path}[${i + 1}]`));
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Accessors (by local name)

function has(node: XNode, name: string): boolean {
  return (node.kids.get(name)?.length ?? 0) > 0;
}

function one(node: XNode, name: string, required: true): XNode;
function one(node: XNode, name: string, required: false): XNode | undefined;
function one(node: XNode, name: string, required: boolean): XNode | undefined {
  const list = node.kids.get(name);
  if (list && list.length > 1) throw malformed(`${node.path}/${name}`, `must appear once, found ${list.length}`);
  const found = list?.[0];
  if (!found && required) throw malformed(`${node.path}/${name}`, 'mandatory element is missing');
  return found;
}

function many(node: XNode, name: string): XNode[] {
  return node.kids.get(name) ?? [];
}

/** Trimmed text of a leaf element; a leaf must not hold elements (that would be a different structure). */
function leafText(node: XNode): string {
  if (node.kids.size > 0) throw malformed(node.path, `expected text, found element ${[...node.kids.keys()][0]}`);
  return node.text.trim();
}

function optText(node: XNode, name: string): string | undefined {
  const el = one(node, name, false);
  if (!el) return undefined;
  const t = leafText(el);
  return t === '' ? undefined : t;
}

function reqText(node: XNode, name: string): string {
  const el = one(node, name, true);
  const t = leafText(el);
  if (t === '') throw malformed(el.path, 'mandatory element is empty');
  return t;
}

function toInt(value: string, path: string): number {
  // Integers in edXML are plain decimal digits; Number('0x10') or Number('1e3') must not slip through.
  if (!/^\d{1,15}$/.test(value)) throw invalid(path, `expected a non-negative integer, got "${value}"`);
  return Number.parseInt(value, 10);
}

function optInt(node: XNode, name: string): number | undefined {
  const v = optText(node, name);
  return v === undefined ? undefined : toInt(v, `${node.path}/${name}`);
}

function reqInt(node: XNode, name: string): number {
  return toInt(reqText(node, name), `${node.path}/${name}`);
}

function optBool(node: XNode, name: string): boolean | undefined {
  const v = optText(node, name);
  if (v === undefined) return undefined;
  // xs:boolean lexical space (XML Schema Part 2 §3.2.2).
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(`${node.path}/${name}`, `expected true or false, got "${v}"`);
}

/** Texts of repeated leaves `container/item`; an absent container gives []. */
function textList(node: XNode, container: string, item: string): string[] {
  const c = one(node, container, false);
  if (!c) return [];
  return many(c, item)
    .map(leafText)
    .filter((t) => t !== '');
}

/** Sets key only when value is defined, so optional fields are absent rather than `undefined`-valued. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Package parts

function readOrganization(node: XNode): Organization {
  const org: Organization = { organId: reqText(node, 'OrganId'), organName: reqText(node, 'OrganName') };
  put(org, 'organizationInCharge', optText(node, 'OrganizationInCharge'));
  put(org, 'organAdd', optText(node, 'OrganAdd'));
  put(org, 'email', optText(node, 'Email'));
  put(org, 'telephone', optText(node, 'Telephone'));
  put(org, 'fax', optText(node, 'Fax'));
  put(org, 'website', optText(node, 'Website'));
  return reorder(org, ORGANIZATION_KEYS);
}

// Deep equality in tests and stable JSON need one key order whatever order the XML had.
const ORGANIZATION_KEYS = ['organId', 'organizationInCharge', 'organName', 'organAdd', 'email', 'telephone', 'fax', 'website'] as const;
function reorder<T extends object>(obj: T, keys: readonly (keyof T)[]): T {
  const out = {} as T;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function readResponseFor(node: XNode): ResponseFor {
  const rf: ResponseFor = { organId: reqText(node, 'OrganId'), documentId: reqText(node, 'DocumentId') };
  put(rf, 'code', optText(node, 'Code'));
  put(rf, 'promulgationDate', optText(node, 'PromulgationDate'));
  return reorder(rf, ['organId', 'code', 'promulgationDate', 'documentId']);
}

function readStaffInfo(node: XNode | undefined): StaffInfo | undefined {
  if (!node) return undefined;
  const s: StaffInfo = {};
  put(s, 'department', optText(node, 'Department'));
  put(s, 'staff', optText(node, 'Staff'));
  put(s, 'email', optText(node, 'Email'));
  put(s, 'mobile', optText(node, 'Mobile'));
  return s;
}

function readOtherInfo(node: XNode): OtherInfo {
  const o: OtherInfo = { priority: reqInt(node, 'Priority') as OtherInfo['priority'], appendixes: [] };
  put(o, 'sphereOfPromulgation', optText(node, 'SphereOfPromulgation'));
  put(o, 'typerNotation', optText(node, 'TyperNotation'));
  put(o, 'promulgationAmount', optInt(node, 'PromulgationAmount'));
  put(o, 'pageAmount', optInt(node, 'PageAmount'));
  put(o, 'direction', optBool(node, 'Direction'));
  o.appendixes = textList(node, 'Appendixes', 'Appendix');
  return reorder(o, ['priority', 'sphereOfPromulgation', 'typerNotation', 'promulgationAmount', 'pageAmount', 'direction', 'appendixes']);
}

function readMessageHeader(mh: XNode): EdocMessageHeader {
  const to = many(mh, 'To');
  if (to.length === 0) throw malformed(`${mh.path}/To`, 'mandatory element is missing');
  const code = one(mh, 'Code', true);
  const prom = one(mh, 'PromulgationInfo', true);
  const type = one(mh, 'DocumentType', true);
  const signer = one(mh, 'SignerInfo', true);
  const header: EdocMessageHeader = {
    from: readOrganization(one(mh, 'From', true)),
    to: to.map(readOrganization),
    documentId: reqText(mh, 'DocumentId'),
    code: { codeNumber: reqText(code, 'CodeNumber'), codeNotation: reqText(code, 'CodeNotation') },
    promulgationInfo: { place: reqText(prom, 'Place'), promulgationDate: reqText(prom, 'PromulgationDate') },
    documentType: { type: reqInt(type, 'Type'), typeName: reqText(type, 'TypeName') },
    subject: reqText(mh, 'Subject'),
    signerInfo: { position: reqText(signer, 'Position'), fullName: reqText(signer, 'FullName') },
    otherInfo: readOtherInfo(one(mh, 'OtherInfo', true)),
    responseFor: many(mh, 'ResponseFor').map(readResponseFor),
    toPlaces: textList(mh, 'ToPlaces', 'Place'),
  };
  const typeDetail = optInt(type, 'TypeDetail');
  if (typeDetail !== undefined) header.documentType = { type: header.documentType.type, typeDetail, typeName: header.documentType.typeName };
  const competence = optText(signer, 'Competence');
  if (competence !== undefined) header.signerInfo = { competence, ...header.signerInfo };
  put(header, 'content', optText(mh, 'Content'));
  put(header, 'dueDate', optText(mh, 'DueDate'));
  put(header, 'steeringType', optInt(mh, 'SteeringType'));
  return reorder(header, [
    'from', 'to', 'documentId', 'code', 'promulgationInfo', 'documentType', 'subject', 'content',
    'signerInfo', 'dueDate', 'otherInfo', 'responseFor', 'steeringType', 'toPlaces',
  ]);
}

function readBussiness(node: XNode): Bussiness {
  const typePath = `${node.path}/BussinessDocType`;
  const docType = reqInt(node, 'BussinessDocType');
  const infoNode = one(node, 'BussinessDocumentInfo', false);
  const replNode = one(node, 'ReplacementInfoList', false);
  // The extra blocks only make sense for their own action; accepting them elsewhere would let a
  // "new document" carry a hidden receiver or replacement list that nothing acts on.
  if (infoNode && docType !== 2) throw invalid(infoNode.path, 'BussinessDocumentInfo is only allowed with BussinessDocType 2');
  if (replNode && docType !== 3) throw invalid(replNode.path, 'ReplacementInfoList is only allowed with BussinessDocType 3');

  const base: Omit<Bussiness, 'bussinessDocType'> = {};
  put(base, 'documentId', optText(node, 'DocumentId'));
  put(base, 'bussinessDocReason', optText(node, 'BussinessDocReason'));
  put(base, 'paper', optInt(node, 'Paper'));
  const staffInfo = readStaffInfo(one(node, 'StaffInfo', false));
  let b: Bussiness;
  switch (docType) {
    case 0:
    case 1:
      b = { ...base, bussinessDocType: docType };
      break;
    case 2: {
      if (!infoNode) throw malformed(`${node.path}/BussinessDocumentInfo`, 'mandatory element is missing for BussinessDocType 2');
      const info: BussinessDocumentInfo = { receiverList: [] };
      put(info, 'documentInfo', optInt(infoNode, 'DocumentInfo'));
      put(info, 'documentReceiver', optInt(infoNode, 'DocumentReceiver'));
      const list = one(infoNode, 'ReceiverList', false);
      info.receiverList = list ? many(list, 'Receiver').map((r) => ({ organId: reqText(r, 'OrganId'), receiverType: reqInt(r, 'ReceiverType') })) : [];
      b = { ...base, bussinessDocType: 2, bussinessDocumentInfo: reorder(info, ['documentInfo', 'documentReceiver', 'receiverList']) };
      break;
    }
    case 3: {
      if (!replNode) throw malformed(`${node.path}/ReplacementInfoList`, 'mandatory element is missing for BussinessDocType 3');
      const infos = many(replNode, 'ReplacementInfo');
      if (infos.length === 0) throw malformed(`${replNode.path}/ReplacementInfo`, 'mandatory element is missing');
      b = { ...base, bussinessDocType: 3, replacementInfoList: infos.map(readReplacementInfo) };
      break;
    }
    default:
      throw invalid(typePath, `BussinessDocType must be 0 (new), 1 (recall), 2 (update) or 3 (replace), got ${docType}`);
  }
  if (staffInfo) b.staffInfo = staffInfo;
  return reorder(b, ['documentId', 'bussinessDocType', 'bussinessDocReason', 'paper', 'bussinessDocumentInfo', 'replacementInfoList', 'staffInfo'] as (keyof Bussiness)[]);
}

function readReplacementInfo(node: XNode): ReplacementInfo {
  const list = one(node, 'OrganIdList', true);
  const ids = many(list, 'OrganId').map(leafText);
  if (ids.length === 0 || ids.includes('')) throw malformed(`${list.path}/OrganId`, 'mandatory element is missing or empty');
  return { documentId: reqText(node, 'DocumentId'), organIdList: ids };
}

function readTraceHeaderList(node: XNode): TraceHeaderList {
  const traces = many(node, 'TraceHeader');
  if (traces.length === 0) throw malformed(`${node.path}/TraceHeader`, 'mandatory element is missing');
  return {
    traceHeaders: traces.map((t) => ({ organId: reqText(t, 'OrganId'), timestamp: reqText(t, 'Timestamp') })),
    bussiness: readBussiness(one(node, 'Bussiness', true)),
  };
}

function readManifest(envelope: XNode): ManifestReference[] {
  const body = one(envelope, 'edXMLBody', false);
  const manifest = body && one(body, 'edXMLManifest', false);
  if (!manifest) return [];
  return many(manifest, 'Reference').map((r) => {
    const ref: ManifestReference = { contentId: reqText(r, 'ContentId'), attachmentName: reqText(r, 'AttachmentName') };
    put(ref, 'contentType', optText(r, 'ContentType'));
    put(ref, 'description', optText(r, 'Description'));
    return reorder(ref, ['contentId', 'contentType', 'description', 'attachmentName']);
  });
}

function readAttachments(root: XNode): Attachment[] {
  // Several AttachmentEncoded blocks are merged in document order per block; one is the norm.
  return many(root, 'AttachmentEncoded').flatMap((block) =>
    many(block, 'Attachment').map((a) => {
      const enc = one(a, 'ContentTransferEncoded', true);
      // Line-wrapped base64 (MIME style) is common; the model keeps it unwrapped. Test first so a
      // multi-MB single-line payload is not copied.
      let content = leafText(enc);
      if (/\s/.test(content)) content = content.replace(/\s+/g, '');
      const att: Attachment = { contentId: reqText(a, 'ContentId'), attachmentName: reqText(a, 'AttachmentName'), contentBase64: content };
      put(att, 'description', optText(a, 'Description'));
      put(att, 'contentType', optText(a, 'ContentType'));
      return reorder(att, ['contentId', 'attachmentName', 'description', 'contentType', 'contentBase64']);
    }),
  );
}

function readEdoc(root: XNode, envelope: XNode, header: XNode, mh: XNode): EdocPackage {
  return {
    messageHeader: readMessageHeader(mh),
    traceHeaderList: readTraceHeaderList(one(header, 'TraceHeaderList', true)),
    manifest: readManifest(envelope),
    attachments: readAttachments(root),
  };
}

function readStatus(mh: XNode): StatusPackage {
  const status: StatusPackage = {
    from: readOrganization(one(mh, 'From', true)),
    responseFor: readResponseFor(one(mh, 'ResponseFor', true)),
    statusCode: reqText(mh, 'StatusCode') as StatusPackage['statusCode'], // checked by assertValidStatus
    timestamp: reqText(mh, 'Timestamp'),
  };
  put(status, 'staffInfo', readStaffInfo(one(mh, 'StaffInfo', false)));
  put(status, 'description', optText(mh, 'Description'));
  return reorder(status, ['from', 'responseFor', 'staffInfo', 'statusCode', 'description', 'timestamp']);
}
