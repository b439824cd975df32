/**
 * The builders emit one canonical form shaped like the reference samples, escape text, refuse what
 * XML 1.0 cannot carry, and leave room for the signer.
 */
import { describe, expect, it } from 'vitest';
import { buildEdoc, buildStatus, writeEdoc } from '../../src/edxml/build.js';
import type { Bussiness, EdocPackage } from '../../src/edxml/model.js';
import { parsePackage } from '../../src/edxml/parse.js';
import { domainErrorOf, makeAttachment, makeEdoc, makeOrganization, makeStatus } from './helpers.js';

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

describe('buildEdoc: canonical shape', () => {
  const xml = buildEdoc(makeEdoc({ to: [makeOrganization(), makeOrganization()], attachments: [makeAttachment('một'), makeAttachment('hai')] }));

  it('starts with the declaration, the edXML root and the prefixed envelope, as in the samples', () => {
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="${NS}">\n  <edXML:edXMLEnvelope xmlns:edXML="${NS}">\n    <edXML:edXMLHeader>\n      <edXML:MessageHeader>\n        <edXML:From>\n`)).toBe(true);
    expect(xml.endsWith('  </AttachmentEncoded>\n</edXML>\n')).toBe(true);
  });

  it('orders the header like edoc_new_bussiness0.edxml', () => {
    const order = [
      '<edXML:From>', '<edXML:To>', '<edXML:DocumentId>', '<edXML:Code>', '<edXML:PromulgationInfo>', '<edXML:DocumentType>',
      '<edXML:Subject>', '<edXML:Content>', '<edXML:SignerInfo>', '<edXML:DueDate>', '<edXML:OtherInfo>', '<edXML:SteeringType>',
      '<edXML:ToPlaces>', '</edXML:MessageHeader>', '<edXML:TraceHeaderList>', '<edXML:TraceHeader>', '<edXML:Bussiness>',
      '</edXML:edXMLHeader>', '<edXML:edXMLBody>', '<edXML:edXMLManifest version="1.0">', '<edXML:Reference>',
      '</edXML:edXMLEnvelope>', '<AttachmentEncoded>', '<Attachment>', '<ContentId>', '<AttachmentName>', '<Description>',
      '<ContentType>', `<edXML:ContentTransferEncoded xmlns:edXML="${NS}">`, '</edXML>',
    ];
    const positions = order.map((tag) => xml.indexOf(tag));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('writes one To per recipient and one Reference and Attachment per attachment', () => {
    expect(xml.match(/<edXML:To>/g)).toHaveLength(2);
    expect(xml.match(/<edXML:Reference>/g)).toHaveLength(2);
    expect(xml.match(/<Attachment>/g)).toHaveLength(2);
  });

  it('puts no Signature in: the signer adds it', () => {
    expect(xml).not.toContain('Signature');
    expect(xml.match(/<\/edXML:edXMLHeader>/g)).toHaveLength(1);
  });

  it('writes an empty manifest and no AttachmentEncoded when there are no attachments', () => {
    const bare = buildEdoc(makeEdoc({ attachments: [] }));
    expect(bare).toContain('<edXML:edXMLManifest version="1.0"/>');
    expect(bare).not.toContain('AttachmentEncoded');
    const pkg = parsePackage(bare);
    expect(pkg.kind === 'edoc' && pkg.edoc.attachments).toEqual([]);
  });

  it.each<[string, Bussiness]>([
    ['recall', { bussinessDocType: 1, bussinessDocReason: 'Thu hồi' }],
    ['update', { bussinessDocType: 2, bussinessDocumentInfo: { documentInfo: 1, documentReceiver: 0, receiverList: [{ organId: '000.00.01.H41', receiverType: 1 }] } }],
    ['replace', { bussinessDocType: 3, replacementInfoList: [{ documentId: '000.00.33.H33,2025/06/01,9/QĐ-UBND', organIdList: ['000.00.01.H41'] }] }],
  ])('round-trips a %s', (_name, bussiness) => {
    const edoc = makeEdoc({ bussiness });
    expect(parsePackage(buildEdoc(edoc))).toStrictEqual({ kind: 'edoc', edoc });
  });
});

describe('buildEdoc: escaping and refused characters', () => {
  it('escapes &, <, >, quotes and CR so the text reads back unchanged', () => {
    const edoc = makeEdoc();
    edoc.messageHeader.subject = `Về "kế hoạch" & 'dự toán' <2025> ]]> a\r\nb`;
    const xml = buildEdoc(edoc);
    expect(xml).toContain('<edXML:Subject>Về &quot;kế hoạch&quot; &amp; &apos;dự toán&apos; &lt;2025&gt; ]]&gt; a&#13;\nb</edXML:Subject>');
    const back = parsePackage(xml);
    expect(back.kind === 'edoc' && back.edoc.messageHeader.subject).toBe(edoc.messageHeader.subject);
  });

  it.each([
    ['NUL', '\u0000'],
    ['vertical tab', '\u000B'],
    ['escape', '\u001B'],
    ['U+FFFE', '\uFFFE'],
    ['a lone surrogate', '\uD800'],
  ])('refuses %s with VALIDATION_FAILED naming the field', (_name, ch) => {
    const edoc = makeEdoc();
    edoc.messageHeader.to[0] = makeOrganization({ organName: `Sở${ch}Tư pháp` });
    const err = domainErrorOf(() => buildEdoc(edoc));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors?.map((e) => e.path)).toEqual(['messageHeader.to[0].organName']);
  });

  it('keeps emoji (astral characters) intact', () => {
    const edoc = makeEdoc();
    edoc.messageHeader.content = 'Chúc mừng 🎉';
    const back = parsePackage(buildEdoc(edoc));
    expect(back.kind === 'edoc' && back.edoc.messageHeader.content).toBe('Chúc mừng 🎉');
  });
});

describe('buildEdoc: model validation', () => {
  function failurePaths(mutate: (e: EdocPackage) => void): string[] {
    const edoc = makeEdoc();
    mutate(edoc);
    const err = domainErrorOf(() => buildEdoc(edoc));
    expect(err.code).toBe('VALIDATION_FAILED');
    return err.errors?.map((e) => e.path) ?? [];
  }

  it('lists every problem at once', () => {
    const paths = failurePaths((e) => {
      e.messageHeader.subject = '  ';
      e.messageHeader.to = [];
      e.messageHeader.promulgationInfo.promulgationDate = '2025-07-01';
      e.traceHeaderList.traceHeaders[0] = { organId: 'x', timestamp: '2025/07/01 24:00:00' };
    });
    expect(paths).toEqual(
      expect.arrayContaining(['messageHeader.subject', 'messageHeader.to', 'messageHeader.promulgationInfo.promulgationDate', 'traceHeaderList.traceHeaders[0].timestamp']),
    );
  });

  it('refuses a priority outside 0–4 and a non-integer count', () => {
    expect(
      failurePaths((e) => {
        (e.messageHeader.otherInfo as { priority: number }).priority = 5;
        e.messageHeader.otherInfo.pageAmount = 1.5;
      }),
    ).toEqual(['messageHeader.otherInfo.priority', 'messageHeader.otherInfo.pageAmount']);
  });

  it('refuses an update without BussinessDocumentInfo and a replace without ReplacementInfo', () => {
    expect(failurePaths((e) => (e.traceHeaderList.bussiness = { bussinessDocType: 2 } as Bussiness))).toEqual(['traceHeaderList.bussiness.bussinessDocumentInfo']);
    expect(failurePaths((e) => (e.traceHeaderList.bussiness = { bussinessDocType: 3, replacementInfoList: [] }))).toEqual([
      'traceHeaderList.bussiness.replacementInfoList',
    ]);
  });

  it('refuses attachments and manifest that do not pair up, and bad base64', () => {
    expect(failurePaths((e) => e.manifest.pop())).toEqual(['attachments[0].contentId']);
    expect(failurePaths((e) => e.attachments.pop())).toEqual(['manifest']);
    expect(failurePaths((e) => (e.attachments[0] = { ...e.attachments[0]!, contentBase64: 'not base64!' }))).toEqual(['attachments[0].contentBase64']);
    expect(failurePaths((e) => (e.attachments[0] = { ...e.attachments[0]!, contentBase64: 'QUJD\nREVG' }))).toEqual(['attachments[0].contentBase64']);
  });
});

describe('writeEdoc: streaming', () => {
  it('passes a large base64 payload through as one chunk, the same string', () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7).toString('base64');
    const edoc = makeEdoc({ attachments: [makeAttachment('', { contentBase64: big })] });
    const chunks: string[] = [];
    writeEdoc(edoc, (c) => chunks.push(c));
    expect(chunks.filter((c) => c.length >= big.length)).toHaveLength(1);
    expect(chunks.find((c) => c.length >= big.length)).toBe(big);
    expect(chunks.join('')).toBe(buildEdoc(edoc));
  });

  it('validates before the first chunk, so a stream never gets half a package', () => {
    const edoc = makeEdoc();
    edoc.traceHeaderList.traceHeaders = [];
    const chunks: string[] = [];
    expect(domainErrorOf(() => writeEdoc(edoc, (c) => chunks.push(c))).code).toBe('VALIDATION_FAILED');
    expect(chunks).toEqual([]);
  });
});

describe('buildStatus', () => {
  it('emits the status shape of the samples, with no body', () => {
    const status = makeStatus('03');
    const xml = buildStatus(status);
    const order = ['<edXML:From>', '<edXML:ResponseFor>', '<edXML:StaffInfo>', '<edXML:StatusCode>03</edXML:StatusCode>', '<edXML:Description>', '<edXML:Timestamp>2025/07/01 09:15:42</edXML:Timestamp>'];
    const positions = order.map((t) => xml.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(xml).not.toContain('edXMLBody');
    expect(xml).not.toContain('TraceHeaderList');
    expect(parsePackage(xml)).toStrictEqual({ kind: 'status', status });
  });

  it('refuses an unknown status code and a bad timestamp', () => {
    const err = domainErrorOf(() => buildStatus(makeStatus('01', { statusCode: '07' as never, timestamp: '2025/13/01 00:00:00' })));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors?.map((e) => e.path)).toEqual(['statusCode', 'timestamp']);
  });
});
