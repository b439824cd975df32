/**
 * Shared test helpers for src/edxml: fixture access, error-code capture, model factories and the
 * xmllint runner for XSD checks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError } from '../../src/errors.js';
import type { Attachment, Bussiness, EdocPackage, Organization, StatusCode, StatusPackage } from '../../src/edxml/model.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/edxml/', import.meta.url));
export const SCHEMAS = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** Bytes of a fixture under test/fixtures/edxml/. */
export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** Runs fn and returns the DomainError it threw; fails when it returns or throws something else. */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

let seq = 0;
/** A unique-enough suffix so factories never hand two tests the same ids. */
const next = (): number => ++seq;

/** An agency as `From`/`To`. */
export function makeOrganization(overrides: Partial<Organization> = {}): Organization {
  const n = next();
  return {
    organId: `000.00.${String(n % 100).padStart(2, '0')}.H41`,
    organizationInCharge: 'UBND tỉnh Kiên Giang',
    organName: `Sở Nội vụ ${n}`,
    organAdd: 'Số 6 Nguyễn Công Trứ, Rạch Giá',
    email: `snv${n}@kiengiang.gov.vn`,
    telephone: '0297 3862 000',
    fax: '0297 3862 001',
    website: 'https://snv.kiengiang.gov.vn',
    ...overrides,
  };
}

/** A small attachment whose base64 is derived from `text`. */
export function makeAttachment(text: string, overrides: Partial<Attachment> = {}): Attachment {
  const n = next();
  return {
    contentId: `cid:${n}`,
    attachmentName: `van-ban-${n}.pdf`,
    description: `Tệp đính kèm ${n}`,
    contentType: 'application/pdf',
    contentBase64: Buffer.from(text, 'utf8').toString('base64'),
    ...overrides,
  };
}

/** An edoc package; `attachments` get matching manifest References. */
export function makeEdoc(
  options: { bussiness?: Bussiness; to?: Organization[]; attachments?: Attachment[] } = {},
): EdocPackage {
  const from = makeOrganization({ organId: '000.00.33.H33', organName: 'UBND tỉnh Kiên Giang' });
  const attachments = options.attachments ?? [makeAttachment('%PDF-1.7 quyết định')];
  const n = next();
  return {
    messageHeader: {
      from,
      to: options.to ?? [makeOrganization()],
      documentId: `000.00.33.H33,2025/07/01,${n}/QĐ-UBND`,
      code: { codeNumber: String(n), codeNotation: 'QĐ-UBND' },
      promulgationInfo: { place: 'Kiên Giang', promulgationDate: '2025/07/01' },
      documentType: { type: 1, typeDetail: 2, typeName: 'Quyết định' },
      subject: 'Về việc phê duyệt kế hoạch cải cách hành chính năm 2025',
      content: 'Phê duyệt kế hoạch & giao nhiệm vụ <thực hiện>',
      signerInfo: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nguyễn Văn A' },
      dueDate: '2025/07/31',
      otherInfo: {
        priority: 1,
        sphereOfPromulgation: 'Liên thông văn bản quốc gia',
        typerNotation: 'NVA',
        promulgationAmount: 5,
        pageAmount: 3,
        direction: true,
        appendixes: ['Phụ lục I', 'Phụ lục II'],
      },
      responseFor: [],
      steeringType: 2,
      toPlaces: ['Như Điều 3', 'Lưu: VT'],
    },
    traceHeaderList: {
      traceHeaders: [{ organId: from.organId, timestamp: '2025/07/01 08:30:00' }],
      bussiness: options.bussiness ?? {
        bussinessDocType: 0,
        bussinessDocReason: 'Văn bản điện tử mới',
        paper: 0,
        staffInfo: { department: 'Văn thư', staff: 'Trần Thị B', email: 'vanthu@kiengiang.gov.vn', mobile: '0912000001' },
      },
    },
    manifest: attachments.map((a) => ({
      contentId: a.contentId,
      contentType: a.contentType,
      description: a.description,
      attachmentName: a.attachmentName,
    })),
    attachments,
  };
}

/** A status package with the given code. */
export function makeStatus(statusCode: StatusCode, overrides: Partial<StatusPackage> = {}): StatusPackage {
  return {
    from: makeOrganization(),
    responseFor: {
      organId: '000.00.33.H33',
      code: '15/QĐ-UBND',
      promulgationDate: '2025/07/01',
      documentId: '000.00.33.H33,2025/07/01,15/QĐ-UBND',
    },
    staffInfo: { department: 'Văn thư', staff: 'Lê Văn C', email: 'vt@snv.gov.vn', mobile: '0912000002' },
    statusCode,
    description: `Trạng thái ${statusCode}`,
    timestamp: '2025/07/01 09:15:42',
    ...overrides,
  };
}

/**
 * Inserts an (unverifiable) XMLDSig Signature as the header's last child, where the signer puts the
 * real one; the XSDs require it and do not look inside.
 */
export function withSignature(xml: string): string {
  const close = '    </edXML:edXMLHeader>\n';
  if (!xml.includes(close)) throw new Error('no edXMLHeader close tag to sign before');
  const sig =
    '      <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>' +
    '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></SignedInfo>' +
    '<SignatureValue>AAAA</SignatureValue></Signature>\n';
  return xml.replace(close, sig + close);
}

/** Runs Debian xmllint against a schema in schemas/; throws (never skips) when xmllint is missing. */
export function xmllint(xml: string, schema: 'edxml-edoc.xsd' | 'edxml-status.xsd'): { status: number; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'edxml-xsd-'));
  try {
    const file = join(dir, 'package.xml');
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', join(SCHEMAS, schema), file], { encoding: 'utf8' });
    if (r.error) throw new Error(`xmllint could not run (install libxml2-utils): ${r.error.message}`);
    return { status: r.status ?? -1, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
