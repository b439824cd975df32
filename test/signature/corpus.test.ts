/**
 * One test per corpus case (see make-corpus.ts): the exact error code and the check that fired, or,
 * for the valid cases, what the verified package exposes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSha256 } from '../../src/crypto/certificates.js';
import type { VerifiedPackage } from '../../src/edxml/verify-package.js';
import { isVerifiedPackage, verifyPackage } from '../../src/edxml/verify-package.js';
import { verifyXmlSignature } from '../../src/edxml/xmldsig.js';
import { DomainError } from '../../src/errors.js';
import type { Corpus } from './make-corpus.js';
import { CASES, makeCorpus } from './make-corpus.js';
import { AGENCY_A, AGENCY_B } from './packages.js';

let corpus: Corpus;
beforeAll(() => {
  corpus = makeCorpus(mkdtempSync(join(tmpdir(), 'lienthong-corpus-')));
});
afterAll(() => rmSync(corpus.dir, { recursive: true, force: true }));

const bytesOf = (name: string): Buffer => readFileSync(join(corpus.dir, `${name}.edxml`));
const verify = (name: string, allowLegacy = false): Promise<VerifiedPackage> =>
  verifyPackage(bytesOf(name), { checkCertificate: corpus.checkCertificate, allowLegacy, now: () => corpus.now });

/** Assertions on each accepted case, beyond "it verified". */
const ACCEPTED: Record<string, (v: VerifiedPackage, raw: Buffer) => void> = {
  valid: (v, raw) => {
    expect(isVerifiedPackage(v)).toBe(true);
    expect(v.kind).toBe('edoc');
    expect(v.senderCode).toBe(AGENCY_A.code);
    if (v.model.kind !== 'edoc') throw new Error('expected an edoc');
    expect(v.model.edoc.messageHeader.subject).toBe('Về việc triển khai dịch vụ công trực tuyến toàn trình');
    expect(v.model.edoc.messageHeader.content).toBe('Triển khai & báo cáo <kết quả>');
    expect(v.model.edoc.attachments).toHaveLength(1);
    expect(v.certificate.fingerprintSha256).toBe(fingerprintSha256(corpus.certificates.a));
    expect(v.certificate.subject).toBe(`CN=${AGENCY_A.name},serialNumber=${AGENCY_A.code},C=VN`);
    expect(v.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(v.bytes.equals(raw)).toBe(true);
    expect(v.signatureAlgorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(Object.isFrozen(v.model)).toBe(true);
  },
  'valid - status': (v) => {
    expect(v.kind).toBe('status');
    expect(v.senderCode).toBe(AGENCY_B.code);
    if (v.model.kind !== 'status') throw new Error('expected a status');
    expect(v.model.status.statusCode).toBe('01');
  },
  'valid - stray bytes before the XML declaration': (v, raw) => {
    expect(raw.subarray(0, 4).toString()).toBe('1212');
    expect(v.sha256).toBe(createHash('sha256').update(raw).digest('hex')); // the hash is of what arrived
  },
  'valid - rsa-sha1 from a legacy partner': (v) => {
    expect(v.signatureAlgorithm).toBe('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
  },
  // exc-c14n without comments drops the comment from what is signed, so the signature still verifies.
  // The safe outcome: the application reads the value that was signed ("000.00.33.H33"), not the text
  // before the comment ("000.00.") that a first-text-node reader would take.
  'comment injected inside OrganId': (v, raw) => {
    expect(raw.toString('utf8')).toContain('<edXML:OrganId>000.00.<!--ignored by c14n-->33.H33</edXML:OrganId>');
    expect(v.senderCode).toBe(AGENCY_A.code);
    if (v.model.kind !== 'edoc') throw new Error('expected an edoc');
    expect(v.model.edoc.messageHeader.from.organId).toBe('000.00.33.H33');
    expect(verifyXmlSignature(raw.toString('utf8')).signedXml).not.toContain('<!--');
  },
};

describe('signature corpus', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      if ('ok' in c.expect) {
        const check = ACCEPTED[c.name];
        if (!check) throw new Error(`no assertions for accepted case ${c.name}`);
        check(await verify(c.name, c.allowLegacy), bytesOf(c.name));
      } else {
        const error = await verify(c.name, c.allowLegacy).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, 'the package was accepted').toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe(c.expect.code);
        expect((error as DomainError).message).toMatch(c.expect.detail);
      }
    });
  }
});
