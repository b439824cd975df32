/**
 * What we emit validates against our own XSDs with Debian xmllint (DESIGN.md §5: "validate what we
 * emit"). Packages are checked in their sent form, i.e. with the signer's Signature in the header.
 * A missing xmllint fails these tests: it must not turn into a silent skip.
 */
import { describe, expect, it } from 'vitest';
import { buildEdoc, buildStatus } from '../../src/edxml/build.js';
import type { Bussiness, EdocPackage } from '../../src/edxml/model.js';
import { STATUS_CODES } from '../../src/edxml/model.js';
import { parsePackage } from '../../src/edxml/parse.js';
import { fixture, makeAttachment, makeEdoc, makeOrganization, makeStatus, withSignature, xmllint } from './helpers.js';

function expectValid(xml: string, schema: 'edxml-edoc.xsd' | 'edxml-status.xsd'): void {
  const r = xmllint(xml, schema);
  expect(r.stderr).toMatch(/validates/);
  expect(r.status).toBe(0);
}
function expectInvalid(xml: string, schema: 'edxml-edoc.xsd' | 'edxml-status.xsd', why: RegExp): void {
  const r = xmllint(xml, schema);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(why);
}

const minimal = (): EdocPackage => {
  // Only the mandatory fields: proves every optional element really is optional in the XSD.
  const e = makeEdoc({ attachments: [] });
  const mh = e.messageHeader;
  mh.from = { organId: mh.from.organId, organName: mh.from.organName };
  mh.to = [{ organId: '000.00.01.H41', organName: 'Sở Tư pháp' }];
  mh.documentType = { type: 1, typeName: 'Công văn' };
  mh.signerInfo = { position: 'Chủ tịch', fullName: 'Nguyễn Văn A' };
  delete mh.content;
  delete mh.dueDate;
  delete mh.steeringType;
  mh.otherInfo = { priority: 0, appendixes: [] };
  mh.toPlaces = [];
  e.traceHeaderList.bussiness = { bussinessDocType: 0 };
  return e;
};

describe('edxml-edoc.xsd accepts what buildEdoc emits', () => {
  const shapes: [string, () => EdocPackage][] = [
    ['new document, one recipient, one attachment', () => makeEdoc()],
    ['new document, three recipients, two attachments', () => makeEdoc({ to: [makeOrganization(), makeOrganization(), makeOrganization()], attachments: [makeAttachment('a'), makeAttachment('b')] })],
    ['new document without attachments', () => makeEdoc({ attachments: [] })],
    ['only mandatory fields', minimal],
    ['recall (BussinessDocType 1) answering a document', () => {
      const e = makeEdoc({ bussiness: { bussinessDocType: 1, bussinessDocReason: 'Thu hồi văn bản điện tử' } });
      e.messageHeader.responseFor = [{ organId: '000.00.01.H41', code: '12/UBND-VP', promulgationDate: '2025/06/30', documentId: '000.00.01.H41,2025/06/30,12/UBND-VP' }];
      return e;
    }],
    ['update (BussinessDocType 2) with a ReceiverList', () =>
      makeEdoc({ bussiness: { bussinessDocType: 2, paper: 1, bussinessDocumentInfo: { documentInfo: 0, documentReceiver: 1, receiverList: [{ organId: '000.00.01.H41', receiverType: 0 }, { organId: '000.00.02.H41', receiverType: 1 }] } } })],
    ['update (BussinessDocType 2) without a ReceiverList', () => makeEdoc({ bussiness: { bussinessDocType: 2, bussinessDocumentInfo: { documentInfo: 1, receiverList: [] } } })],
    ['replace (BussinessDocType 3) with two ReplacementInfo', () =>
      makeEdoc({
        bussiness: {
          bussinessDocType: 3,
          documentId: '000.00.33.H33,2025/07/01,16/QĐ-UBND',
          replacementInfoList: [
            { documentId: '000.00.33.H33,2025/06/01,9/QĐ-UBND', organIdList: ['000.00.01.H41'] },
            { documentId: '000.00.33.H33,2025/06/02,10/QĐ-UBND', organIdList: ['000.00.01.H41', '000.00.02.H41'] },
          ],
        } satisfies Bussiness,
      })],
  ];

  it.each(shapes)('%s', (_name, make) => {
    expectValid(withSignature(buildEdoc(make())), 'edxml-edoc.xsd');
  });

  it.each(['edoc_new_bussiness0.edxml', 'edoc_revocation_bussiness1.edxml', 'edoc_update_bussiness2.edxml', 'edoc_replacement_bussiness3.edxml'])(
    'the rebuilt sample %s',
    (file) => {
      const pkg = parsePackage(fixture(file));
      if (pkg.kind !== 'edoc') throw new Error('expected edoc');
      expectValid(withSignature(buildEdoc(pkg.edoc)), 'edxml-edoc.xsd');
    },
  );
});

describe('edxml-status.xsd accepts what buildStatus emits', () => {
  it.each([...STATUS_CODES])('status %s', (code) => {
    expectValid(withSignature(buildStatus(makeStatus(code))), 'edxml-status.xsd');
  });

  it('status with only mandatory fields', () => {
    const s = makeStatus('01', { from: { organId: '000.00.01.H41', organName: 'Sở Tư pháp' }, responseFor: { organId: '000.00.33.H33', documentId: '000.00.33.H33,2025/07/01,15/QĐ-UBND' } });
    delete s.staffInfo;
    delete s.description;
    expectValid(withSignature(buildStatus(s)), 'edxml-status.xsd');
  });
});

describe('the XSDs refuse', () => {
  it('an edoc with a mandatory element removed (Subject)', () => {
    const xml = withSignature(buildEdoc(makeEdoc()));
    const cut = xml.replace(/\s*<edXML:Subject>[^<]*<\/edXML:Subject>/, '');
    expect(cut).not.toBe(xml);
    expectInvalid(cut, 'edxml-edoc.xsd', /Content|Subject/);
  });

  it('a status with a mandatory element removed (StatusCode)', () => {
    const xml = withSignature(buildStatus(makeStatus('05')));
    const cut = xml.replace(/\s*<edXML:StatusCode>[^<]*<\/edXML:StatusCode>/, '');
    expect(cut).not.toBe(xml);
    expectInvalid(cut, 'edxml-status.xsd', /StatusCode|Description/);
  });

  it('a status code outside the table', () => {
    const xml = withSignature(buildStatus(makeStatus('05'))).replace('<edXML:StatusCode>05<', '<edXML:StatusCode>07<');
    expectInvalid(xml, 'edxml-status.xsd', /StatusCode/);
  });

  it('an unsigned package: what we send always carries the signature', () => {
    expectInvalid(buildEdoc(makeEdoc()), 'edxml-edoc.xsd', /edXMLHeader/);
    expectInvalid(buildStatus(makeStatus('01')), 'edxml-status.xsd', /edXMLHeader/);
  });

  it('a Signature in the edXML namespace (the samples\' quirk)', () => {
    const xml = withSignature(buildStatus(makeStatus('01'))).replace('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', '<Signature>');
    expectInvalid(xml, 'edxml-status.xsd', /Signature/);
  });
});
