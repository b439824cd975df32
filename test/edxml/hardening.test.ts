/**
 * Hostile input through the public entry point: `parsePackage` must refuse it with the right code
 * before xml2js sees it, quickly and without stack overflow (DESIGN.md §5, verification step 1).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_XML_LIMITS } from '../../src/edxml/harden.js';
import { parsePackage } from '../../src/edxml/parse.js';
import { domainErrorOf, fixture } from './helpers.js';

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

/** Parses, expects a DomainError, and reports its code and the time taken. */
function refuse(input: Buffer | string): { code: string; ms: number } {
  const t0 = performance.now();
  const err = domainErrorOf(() => parsePackage(input));
  return { code: err.code, ms: performance.now() - t0 };
}

describe('parsePackage refuses hostile XML', () => {
  it('DOCTYPE with an internal entity', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY org "000.00.00.G22">]><edXML xmlns="${NS}">&org;</edXML>`;
    const r = refuse(xml);
    expect(r.code).toBe('XML_FORBIDDEN');
    expect(r.ms).toBeLessThan(1000);
  });

  it('external entity (XXE) pointing at file:///etc/passwd', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><edXML xmlns="${NS}"><x>&xxe;</x></edXML>`;
    const r = refuse(xml);
    expect(r.code).toBe('XML_FORBIDDEN');
    expect(r.ms).toBeLessThan(1000);
  });

  it('billion laughs', () => {
    const levels = ['<!ENTITY lol0 "lol">'];
    for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
    const xml = `<?xml version="1.0"?><!DOCTYPE edXML [${levels.join('')}]><edXML xmlns="${NS}">&lol9;</edXML>`;
    const r = refuse(xml);
    expect(r.code).toBe('XML_FORBIDDEN');
    expect(r.ms).toBeLessThan(1000);
  });

  it('a second root element after a valid package', () => {
    const sample = fixture('status_01_inbox.edxml').toString('utf8');
    const r = refuse(`${sample}\n${sample.replace('<?xml version="1.0" encoding="UTF-8"?>', '')}`);
    expect(r.code).toBe('XML_FORBIDDEN');
    expect(r.ms).toBeLessThan(1000);
  });

  it('a 60 MB body is refused by size before parsing', () => {
    const head = Buffer.from(`<?xml version="1.0"?><edXML xmlns="${NS}"><x>`);
    const body = Buffer.alloc(60 * 1024 * 1024, 0x41); // 'A' × 60 MiB: well-formed apart from its size
    const tail = Buffer.from('</x></edXML>');
    const input = Buffer.concat([head, body, tail]);
    expect(input.length).toBeGreaterThan(DEFAULT_XML_LIMITS.maxBytes);
    const r = refuse(input);
    expect(r.code).toBe('PAYLOAD_TOO_LARGE');
    expect(r.ms).toBeLessThan(1000);
  });

  it('10,000-deep nesting', () => {
    const xml = `<edXML xmlns="${NS}">${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</edXML>`;
    const r = refuse(xml);
    expect(r.code).toBe('XML_FORBIDDEN');
    expect(r.ms).toBeLessThan(1000);
  });

  it('a processing instruction inside a valid package', () => {
    const xml = fixture('status_01_inbox.edxml').toString('utf8').replace('<edXML:StatusCode>', '<?exec rm -rf /?><edXML:StatusCode>');
    expect(refuse(xml).code).toBe('XML_FORBIDDEN');
  });

  it('honours caller limits', () => {
    const err = domainErrorOf(() => parsePackage(fixture('edoc_new_bussiness0.edxml'), { maxBytes: 1024 }));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(domainErrorOf(() => parsePackage(fixture('edoc_new_bussiness0.edxml'), { maxDepth: 4 })).code).toBe('XML_FORBIDDEN');
  });

  it('element names that collide with Object.prototype are read as plain elements', () => {
    // xml2js keys children by name on plain objects; "constructor"/"__proto__" must neither crash
    // the parser nor change the result.
    const xml = fixture('status_01_inbox.edxml')
      .toString('utf8')
      .replace('<edXML:StatusCode>', '<edXML:constructor>x</edXML:constructor><edXML:__proto__><edXML:polluted>1</edXML:polluted></edXML:__proto__><edXML:StatusCode>');
    const pkg = parsePackage(xml);
    expect(pkg.kind === 'status' && pkg.status.statusCode).toBe('01');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
