/**
 * Value rules of the edXML model, shared by the parser (after reading) and the builders (before
 * writing), so that whatever we accept we can also emit, and whatever we emit validates against
 * `schemas/edxml-*.xsd`. Every problem is collected; one VALIDATION_FAILED lists them all.
 */
import { DomainError } from '../errors.js';
import type { FieldError } from '../errors.js';
import { isEdxmlDate, isEdxmlTimestamp } from './dates.js';
import { STATUS_CODES, isStatusCode } from './model.js';
import type { Attachment, Bussiness, EdocPackage, ManifestReference, Organization, ResponseFor, StaffInfo, StatusPackage } from './model.js';
import { isBase64 } from '../util/base64.js';
import { firstNonXmlChar } from './xml-chars.js';

class Checker {
  readonly errors: FieldError[] = [];

  fail(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** A string that can be written as XML text; `required` also refuses blank strings. */
  str(path: string, v: unknown, required: boolean): v is string {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return false;
    }
    if (typeof v !== 'string') {
      this.fail(path, 'must be a string');
      return false;
    }
    if (required && v.trim() === '') {
      this.fail(path, 'must not be blank');
      return false;
    }
    const bad = firstNonXmlChar(v);
    if (bad) {
      this.fail(path, `contains ${bad.codePoint}, which XML 1.0 cannot carry`);
      return false;
    }
    return true;
  }

  date(path: string, v: unknown, required: boolean): void {
    if (this.str(path, v, required) && !isEdxmlDate(v)) this.fail(path, `must be a date yyyy/MM/dd, got "${v}"`);
  }

  timestamp(path: string, v: unknown, required: boolean): void {
    if (this.str(path, v, required) && !isEdxmlTimestamp(v)) this.fail(path, `must be a timestamp yyyy/MM/dd HH:mm:ss, got "${v}"`);
  }

  int(path: string, v: unknown, required: boolean, max = Number.MAX_SAFE_INTEGER): void {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
    } else if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
      this.fail(path, `must be an integer from 0 to ${max}`);
    }
  }

  bool(path: string, v: unknown): void {
    if (v !== undefined && typeof v !== 'boolean') this.fail(path, 'must be true or false');
  }

  list<T>(path: string, v: unknown, min: number, each: (item: T, path: string) => void): void {
    if (!Array.isArray(v)) {
      this.fail(path, 'must be a list');
      return;
    }
    if (v.length < min) this.fail(path, `needs at least ${min} item(s)`);
    v.forEach((item: T, i) => each(item, `${path}[${i}]`));
  }

  object(path: string, v: unknown, required: boolean): v is Record<string, unknown> {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return false;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail(path, 'must be an object');
      return false;
    }
    return true;
  }

  organization(path: string, o: Organization | undefined): void {
    if (!this.object(path, o, true)) return;
    this.str(`${path}.organId`, o.organId, true);
    this.str(`${path}.organName`, o.organName, true);
    for (const k of ['organizationInCharge', 'organAdd', 'email', 'telephone', 'fax', 'website'] as const) this.str(`${path}.${k}`, o[k], false);
  }

  responseFor(path: string, r: ResponseFor | undefined): void {
    if (!this.object(path, r, true)) return;
    this.str(`${path}.organId`, r.organId, true);
    this.str(`${path}.documentId`, r.documentId, true);
    this.str(`${path}.code`, r.code, false);
    this.date(`${path}.promulgationDate`, r.promulgationDate, false);
  }

  staffInfo(path: string, s: StaffInfo | undefined): void {
    if (!this.object(path, s, false)) return;
    for (const k of ['department', 'staff', 'email', 'mobile'] as const) this.str(`${path}.${k}`, s[k], false);
  }

  bussiness(path: string, b: Bussiness | undefined): void {
    if (!this.object(path, b, true)) return;
    this.str(`${path}.documentId`, b.documentId, false);
    this.str(`${path}.bussinessDocReason`, b.bussinessDocReason, false);
    this.int(`${path}.paper`, b.paper, false);
    this.staffInfo(`${path}.staffInfo`, b.staffInfo);
    const type: unknown = b.bussinessDocType;
    if (type !== 0 && type !== 1 && type !== 2 && type !== 3) {
      this.fail(`${path}.bussinessDocType`, 'must be 0 (new), 1 (recall), 2 (update) or 3 (replace)');
      return;
    }
    const info = 'bussinessDocumentInfo' in b ? b.bussinessDocumentInfo : undefined;
    const repl = 'replacementInfoList' in b ? b.replacementInfoList : undefined;
    if (type === 2) {
      if (this.object(`${path}.bussinessDocumentInfo`, info, true)) {
        this.int(`${path}.bussinessDocumentInfo.documentInfo`, info.documentInfo, false);
        this.int(`${path}.bussinessDocumentInfo.documentReceiver`, info.documentReceiver, false);
        this.list<{ organId?: unknown; receiverType?: unknown }>(`${path}.bussinessDocumentInfo.receiverList`, info.receiverList, 0, (r, p) => {
          if (!this.object(p, r, true)) return;
          this.str(`${p}.organId`, r.organId, true);
          this.int(`${p}.receiverType`, r.receiverType, true);
        });
      }
    } else if (info !== undefined) {
      this.fail(`${path}.bussinessDocumentInfo`, 'is only allowed with bussinessDocType 2');
    }
    if (type === 3) {
      this.list<{ documentId?: unknown; organIdList?: unknown }>(`${path}.replacementInfoList`, repl, 1, (r, p) => {
        if (!this.object(p, r, true)) return;
        this.str(`${p}.documentId`, r.documentId, true);
        this.list<unknown>(`${p}.organIdList`, r.organIdList, 1, (id, q) => this.str(q, id, true));
      });
    } else if (repl !== undefined) {
      this.fail(`${path}.replacementInfoList`, 'is only allowed with bussinessDocType 3');
    }
  }

  manifestAndAttachments(manifest: ManifestReference[] | undefined, attachments: Attachment[] | undefined): void {
    const refIds = new Map<string, number>();
    this.list<ManifestReference>('manifest', manifest, 0, (r, p) => {
      if (!this.object(p, r, true)) return;
      if (this.str(`${p}.contentId`, r.contentId, true)) {
        if (refIds.has(r.contentId)) this.fail(`${p}.contentId`, `duplicate contentId ${r.contentId}`);
        refIds.set(r.contentId, 0);
      }
      this.str(`${p}.attachmentName`, r.attachmentName, true);
      this.str(`${p}.contentType`, r.contentType, false);
      this.str(`${p}.description`, r.description, false);
    });
    const attIds = new Set<string>();
    this.list<Attachment>('attachments', attachments, 0, (a, p) => {
      if (!this.object(p, a, true)) return;
      if (this.str(`${p}.contentId`, a.contentId, true)) {
        if (attIds.has(a.contentId)) this.fail(`${p}.contentId`, `duplicate contentId ${a.contentId}`);
        // QCVN 102 pairs each manifest Reference with one attachment; an unlisted attachment would be
        // carried (and signed) without the recipient's software ever showing it.
        else if (!refIds.has(a.contentId)) this.fail(`${p}.contentId`, `attachment ${a.contentId} has no manifest Reference`);
        attIds.add(a.contentId);
      }
      this.str(`${p}.attachmentName`, a.attachmentName, true);
      this.str(`${p}.contentType`, a.contentType, false);
      this.str(`${p}.description`, a.description, false);
      if (typeof a.contentBase64 !== 'string') this.fail(`${p}.contentBase64`, 'is required');
      else if (!isBase64(a.contentBase64)) this.fail(`${p}.contentBase64`, 'must be base64 (RFC 4648, padded, without line breaks)');
    });
    for (const id of refIds.keys()) if (!attIds.has(id)) this.fail('manifest', `Reference ${id} has no attachment`);
  }

  throwIfAny(what: string): void {
    if (this.errors.length === 0) return;
    const head = this.errors
      .slice(0, 3)
      .map((e) => `${e.path} ${e.message}`)
      .join('; ');
    const more = this.errors.length > 3 ? ` (and ${this.errors.length - 3} more)` : '';
    throw new DomainError('VALIDATION_FAILED', `invalid ${what}: ${head}${more}`, { errors: this.errors });
  }
}

/** Throws VALIDATION_FAILED listing every rule an edoc package breaks. */
export function assertValidEdoc(edoc: EdocPackage): void {
  const c = new Checker();
  if (!c.object('edoc', edoc, true)) c.throwIfAny('edoc package');
  const mh = edoc.messageHeader;
  if (c.object('messageHeader', mh, true)) {
    c.organization('messageHeader.from', mh.from);
    c.list<Organization>('messageHeader.to', mh.to, 1, (o, p) => c.organization(p, o));
    c.str('messageHeader.documentId', mh.documentId, true);
    if (c.object('messageHeader.code', mh.code, true)) {
      c.str('messageHeader.code.codeNumber', mh.code.codeNumber, true);
      c.str('messageHeader.code.codeNotation', mh.code.codeNotation, true);
    }
    if (c.object('messageHeader.promulgationInfo', mh.promulgationInfo, true)) {
      c.str('messageHeader.promulgationInfo.place', mh.promulgationInfo.place, true);
      c.date('messageHeader.promulgationInfo.promulgationDate', mh.promulgationInfo.promulgationDate, true);
    }
    if (c.object('messageHeader.documentType', mh.documentType, true)) {
      c.int('messageHeader.documentType.type', mh.documentType.type, true);
      c.int('messageHeader.documentType.typeDetail', mh.documentType.typeDetail, false);
      c.str('messageHeader.documentType.typeName', mh.documentType.typeName, true);
    }
    c.str('messageHeader.subject', mh.subject, true);
    c.str('messageHeader.content', mh.content, false);
    if (c.object('messageHeader.signerInfo', mh.signerInfo, true)) {
      c.str('messageHeader.signerInfo.competence', mh.signerInfo.competence, false);
      c.str('messageHeader.signerInfo.position', mh.signerInfo.position, true);
      c.str('messageHeader.signerInfo.fullName', mh.signerInfo.fullName, true);
    }
    c.date('messageHeader.dueDate', mh.dueDate, false);
    const oi = mh.otherInfo;
    if (c.object('messageHeader.otherInfo', oi, true)) {
      c.int('messageHeader.otherInfo.priority', oi.priority, true, 4);
      c.str('messageHeader.otherInfo.sphereOfPromulgation', oi.sphereOfPromulgation, false);
      c.str('messageHeader.otherInfo.typerNotation', oi.typerNotation, false);
      c.int('messageHeader.otherInfo.promulgationAmount', oi.promulgationAmount, false);
      c.int('messageHeader.otherInfo.pageAmount', oi.pageAmount, false);
      c.bool('messageHeader.otherInfo.direction', oi.direction);
      c.list<unknown>('messageHeader.otherInfo.appendixes', oi.appendixes, 0, (a, p) => c.str(p, a, true));
    }
    c.list<ResponseFor>('messageHeader.responseFor', mh.responseFor, 0, (r, p) => c.responseFor(p, r));
    c.int('messageHeader.steeringType', mh.steeringType, false);
    c.list<unknown>('messageHeader.toPlaces', mh.toPlaces, 0, (t, p) => c.str(p, t, true));
  }
  const thl = edoc.traceHeaderList;
  if (c.object('traceHeaderList', thl, true)) {
    c.list<{ organId?: unknown; timestamp?: unknown }>('traceHeaderList.traceHeaders', thl.traceHeaders, 1, (t, p) => {
      if (!c.object(p, t, true)) return;
      c.str(`${p}.organId`, t.organId, true);
      c.timestamp(`${p}.timestamp`, t.timestamp, true);
    });
    c.bussiness('traceHeaderList.bussiness', thl.bussiness);
  }
  c.manifestAndAttachments(edoc.manifest, edoc.attachments);
  c.throwIfAny('edoc package');
}

/** Throws VALIDATION_FAILED listing every rule a status package breaks. */
export function assertValidStatus(status: StatusPackage): void {
  const c = new Checker();
  if (!c.object('status', status, true)) c.throwIfAny('status package');
  c.organization('from', status.from);
  c.responseFor('responseFor', status.responseFor);
  c.staffInfo('staffInfo', status.staffInfo);
  if (typeof status.statusCode !== 'string' || !isStatusCode(status.statusCode)) {
    c.fail('statusCode', `must be one of ${STATUS_CODES.join(', ')}, got ${JSON.stringify(status.statusCode)}`);
  }
  c.str('description', status.description, false);
  c.timestamp('timestamp', status.timestamp, true);
  c.throwIfAny('status package');
}
