/**
 * Packages from other senders differ in prefixes, order and spelling (DESIGN.md §5): each variant in
 * test/fixtures/edxml/variants/ must parse to exactly the model of the sample it was derived from.
 * Then the structural and value errors the parser reports, with their codes.
 */
import { describe, expect, it } from 'vitest';
import { parsePackage } from '../../src/edxml/parse.js';
import { domainErrorOf, fixture } from './helpers.js';

describe('tolerated variants', () => {
  const cases: [variant: string, source: string][] = [
    ['organ-in-charge.edxml', 'edoc_new_bussiness0.edxml'],
    ['timestamp-spelling.edxml', 'status_01_inbox.edxml'],
    ['stray-bytes-before-declaration.edxml', 'edoc_new_bussiness0.edxml'],
    ['xmldsig-namespace-signature.edxml', 'edoc_new_bussiness0.edxml'],
    ['prefixed-attachments.edxml', 'edoc_new_bussiness0.edxml'],
    ['bom-and-crlf.edxml', 'status_02_rejection.edxml'],
    ['wrapped-base64.edxml', 'edoc_update_bussiness2.edxml'],
    ['default-namespace-only.edxml', 'edoc_update_bussiness2.edxml'],
    ['reordered-elements.edxml', 'edoc_update_bussiness2.edxml'],
  ];

  it.each(cases)('variants/%s parses like %s', (variant, source) => {
    const expected = parsePackage(fixture(source));
    const bytes = fixture(`variants/${variant}`);
    // Guard against a fixture generator that silently produced an identical copy.
    expect(bytes.equals(fixture(source))).toBe(false);
    expect(parsePackage(bytes)).toStrictEqual(expected);
  });

  it('variants/organ-in-charge.edxml reads OrganInCharge into organizationInCharge', () => {
    const pkg = parsePackage(fixture('variants/organ-in-charge.edxml'));
    if (pkg.kind !== 'edoc') throw new Error('expected edoc');
    expect(pkg.edoc.messageHeader.from.organizationInCharge).toBe('UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng');
  });

  it('variants/timestamp-spelling.edxml reads TimeStamp into timestamp', () => {
    const pkg = parsePackage(fixture('variants/timestamp-spelling.edxml'));
    if (pkg.kind !== 'status') throw new Error('expected status');
    expect(pkg.status.timestamp).toBe('2015/09/20 11:08:36');
  });
});

/** The edoc_new sample text with one substitution applied (the substitution must match). */
function editedNew(from: string | RegExp, to: string): string {
  const text = fixture('edoc_new_bussiness0.edxml').toString('utf8');
  const out = text.replace(from, to);
  if (out === text) throw new Error(`substitution ${String(from)} did not match`);
  return out;
}
function editedStatus(from: string | RegExp, to: string): string {
  const text = fixture('status_01_inbox.edxml').toString('utf8');
  const out = text.replace(from, to);
  if (out === text) throw new Error(`substitution ${String(from)} did not match`);
  return out;
}

describe('structural errors → XML_MALFORMED naming the element', () => {
  it.each([
    ['From missing', () => editedNew(/<edXML:From>[\s\S]*?<\/edXML:From>/, ''), 'MessageHeader/From'],
    ['every To missing', () => editedNew(/<edXML:To>[\s\S]*?<\/edXML:To>/, ''), 'MessageHeader/To'],
    ['DocumentId missing', () => editedNew(/<edXML:DocumentId>000\.00\.00\.G22,2015[^<]*<\/edXML:DocumentId>/, ''), 'MessageHeader/DocumentId'],
    ['Subject empty', () => editedNew(/<edXML:Subject>[^<]*</, '<edXML:Subject> <'), 'MessageHeader/Subject'],
    ['From/OrganId missing', () => editedNew('<edXML:OrganId>002.00.20.H13</edXML:OrganId>', ''), 'MessageHeader/From/OrganId'],
    ['OtherInfo/Priority missing', () => editedNew('<edXML:Priority>0</edXML:Priority>', ''), 'OtherInfo/Priority'],
    ['TraceHeaderList missing', () => editedNew(/<edXML:TraceHeaderList>[\s\S]*?<\/edXML:TraceHeaderList>/, ''), 'edXMLHeader/TraceHeaderList'],
    ['Bussiness missing', () => editedNew(/<edXML:Bussiness>[\s\S]*?<\/edXML:Bussiness>/, ''), 'TraceHeaderList/Bussiness'],
    ['From given twice', () => editedNew(/(<edXML:From>[\s\S]*?<\/edXML:From>)/, '$1$1'), 'MessageHeader/From'],
    [
      'OrganInCharge next to OrganizationInCharge',
      () => editedNew('<edXML:OrganName>UBND xã Hòa Tiến', '<edXML:OrganInCharge>x</edXML:OrganInCharge><edXML:OrganName>UBND xã Hòa Tiến'),
      'From/OrganizationInCharge',
    ],
    ['markup where text is expected', () => editedNew('<edXML:Subject>', '<edXML:Subject><edXML:b>x</edXML:b>'), 'MessageHeader/Subject'],
    ['attachment without content', () => editedNew(/<edXML:ContentTransferEncoded[\s\S]*?<\/edXML:ContentTransferEncoded>/, ''), 'Attachment/ContentTransferEncoded'],
    ['status without Timestamp', () => editedStatus(/<edXML:Timestamp>[^<]*<\/edXML:Timestamp>/, ''), 'MessageHeader/Timestamp'],
    ['status without ResponseFor', () => editedStatus(/<edXML:ResponseFor>[\s\S]*?<\/edXML:ResponseFor>/, ''), 'MessageHeader/ResponseFor'],
    ['no envelope', () => '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><x/></edXML>', 'edXML/edXMLEnvelope'],
  ])('%s', (_name, make, path) => {
    const err = domainErrorOf(() => parsePackage(make()));
    expect(err.code).toBe('XML_MALFORMED');
    expect(err.errors?.[0]?.path).toContain(path);
  });

  it('a root that is not edXML in the edXML namespace', () => {
    const err = domainErrorOf(() => parsePackage(editedNew('<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">', '<edXML xmlns="urn:other">')));
    expect(err.code).toBe('XML_MALFORMED');
    expect(err.message).toContain('root element');
  });

  it('a replacement without ReplacementInfoList', () => {
    const text = fixture('edoc_replacement_bussiness3.edxml').toString('utf8').replace(/<edXML:ReplacementInfoList>[\s\S]*?<\/edXML:ReplacementInfoList>/, '');
    const err = domainErrorOf(() => parsePackage(text));
    expect(err.code).toBe('XML_MALFORMED');
    expect(err.errors?.[0]?.path).toContain('Bussiness/ReplacementInfoList');
  });
});

describe('value errors → VALIDATION_FAILED', () => {
  it.each([
    ['unknown status code', () => editedStatus('<edXML:StatusCode>01<', '<edXML:StatusCode>99<'), 'statusCode'],
    ['status timestamp in ISO form', () => editedStatus('2015/09/20 11:08:36', '2015-09-20T11:08:36'), 'timestamp'],
    ['impossible promulgation date', () => editedNew('<edXML:PromulgationDate>2019/01/16<', '<edXML:PromulgationDate>2019/02/30<'), 'promulgationDate'],
    ['priority out of range', () => editedNew('<edXML:Priority>0<', '<edXML:Priority>7<'), 'priority'],
    ['priority not a number', () => editedNew('<edXML:Priority>0<', '<edXML:Priority>0x1<'), 'Priority'],
    ['Direction not a boolean', () => editedNew('<edXML:Direction>false<', '<edXML:Direction>maybe<'), 'Direction'],
    ['BussinessDocType outside 0–3', () => editedNew('<edXML:BussinessDocType>0<', '<edXML:BussinessDocType>4<'), 'BussinessDocType'],
    [
      'ReplacementInfoList on a new document',
      () =>
        editedNew(
          '<edXML:Paper>0</edXML:Paper>',
          '<edXML:Paper>0</edXML:Paper><edXML:ReplacementInfoList><edXML:ReplacementInfo><edXML:DocumentId>x</edXML:DocumentId>' +
            '<edXML:OrganIdList><edXML:OrganId>y</edXML:OrganId></edXML:OrganIdList></edXML:ReplacementInfo></edXML:ReplacementInfoList>',
        ),
      'ReplacementInfoList',
    ],
    ['attachment that is not base64', () => editedNew(/(<edXML:ContentTransferEncoded[^>]*>)[^<]*/, '$1${__StringFromFile(test.txt,,,)}'), 'contentBase64'],
    ['attachment missing from the manifest', () => editedNew('<ContentId>cid:209</ContentId>', '<ContentId>cid:999</ContentId>'), 'cid:999'],
    ['manifest Reference without attachment', () => editedNew(/<AttachmentEncoded>[\s\S]*<\/AttachmentEncoded>/, ''), 'manifest'],
  ])('%s', (_name, make, where) => {
    const err = domainErrorOf(() => parsePackage(make()));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(err.errors) + err.message).toContain(where);
  });
});
