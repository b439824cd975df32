import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonical } from '../../src/archive/canonical-json.js';
import { crc32, dosDateTime, layoutDifference, readZip, writeZip, ZipFormatError } from '../../src/archive/zip.js';
import { runVerifyChain, runVerifyFile } from '../../src/cli/verify-archive.js';
import { scratch } from './helpers.js';

/** The pure parts of the archive format: canonical JSON (RFC 8785), the store-only ZIP, the CLI's edges. */

describe('canonical JSON (RFC 8785)', () => {
  it('writes the example of RFC 8785 §3.2.4 byte for byte', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // Read the values in the order written (a JS object would list the integer-like key "1" first).
    const order = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('refuses what JSON cannot hold and drops undefined members', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
    expect(() => canonicalJson({ at: new Date() })).toThrow(/Date/);
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
  });

  it('names the byte where a file departs from its canonical form', () => {
    expect(parseCanonical(Buffer.from('{"a":1,"b":[2]}'), 'x')).toEqual({ ok: true, value: { a: 1, b: [2] } });
    expect(parseCanonical(Buffer.from('{"a":1, "b":[2]}'), 'x')).toEqual({ ok: false, reason: 'x is not in canonical JSON form (RFC 8785): it departs from it at byte 7' });
    expect(parseCanonical(Buffer.from('{"b":1,"a":2}'), 'x')).toMatchObject({ ok: false, reason: expect.stringContaining('at byte 2') });
    expect(parseCanonical(Buffer.from([0x22, 0xff, 0x22]), 'x')).toEqual({ ok: false, reason: 'x is not valid UTF-8' });
    expect(parseCanonical(Buffer.from('{"a":'), 'x')).toMatchObject({ ok: false, reason: expect.stringMatching(/^x is not valid JSON/) });
  });
});

describe('the store-only ZIP', () => {
  const files = [
    { name: 'manifest.json', data: Buffer.from('{}') },
    { name: 'packages/văn-bản.edxml', data: Buffer.from('<edXML/>') },
    { name: 'empty.txt', data: Buffer.alloc(0) },
  ];
  const stamp = dosDateTime(new Date('2026-11-26T03:04:06Z'));

  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('writes the same bytes for the same files and reads them back', () => {
    const a = writeZip(files, stamp);
    expect(writeZip(files, stamp).equals(a)).toBe(true);
    const read = readZip(a);
    expect(read.entries.map((e) => [e.name, e.data.toString()])).toEqual(files.map((f) => [f.name, f.data.toString()]));
    expect(read.stamp).toEqual(stamp);
    expect(layoutDifference(a, read, stamp)).toBeNull();
    // Vietnam time: 10:04:06 on 26 November 2026.
    expect(stamp).toEqual({ time: (10 << 11) | (4 << 5) | 3, date: ((2026 - 1980) << 9) | (11 << 5) | 26 });
  });

  it.skipIf(!existsSync('/usr/bin/unzip'))('is read by Info-ZIP unzip', () => {
    const dir = scratch();
    const file = join(dir, 'a.zip');
    writeFileSync(file, writeZip(files, stamp));
    expect(execFileSync('/usr/bin/unzip', ['-t', file], { encoding: 'utf8' })).toContain('No errors detected');
    expect(execFileSync('/usr/bin/unzip', ['-p', file, 'manifest.json'], { encoding: 'utf8' })).toBe('{}');
    expect(execFileSync('/usr/bin/unzip', ['-l', file], { encoding: 'utf8' })).toContain('packages/văn-bản.edxml');
  });

  it('refuses what this format never writes', () => {
    const good = writeZip(files, stamp);
    const compressed = Buffer.from(good);
    const central = readZip(good).centralOffset;
    compressed.writeUInt16LE(8, central + 10); // deflate in the central directory
    expect(() => readZip(compressed)).toThrow(/is compressed \(method 8\)/);
    expect(() => readZip(Buffer.concat([good, Buffer.from('x')]))).toThrow(ZipFormatError);
    expect(() => readZip(writeZip([{ name: '../evil', data: Buffer.from('x') }], stamp))).toThrow(/unsafe name/);
    expect(() => readZip(writeZip([files[0]!, files[0]!], stamp))).toThrow(/appears twice/);
    expect(() => readZip(Buffer.from('PK'))).toThrow(/too short/);
    const stamped = Buffer.from(good);
    stamped.writeUInt16LE(stamp.time + 1, 10); // one local header with another time
    expect(layoutDifference(stamped, readZip(stamped), stamp)).toMatch(/^byte 10 \(local header of manifest\.json\) differs/);
  });
});

describe('lienthong verify / verify-chain, edges', () => {
  const run = async (fn: typeof runVerifyFile, argv: string[], cwd: string) => {
    let out = '';
    let err = '';
    const code = await fn(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, { cwd });
    return { code, out, err };
  };

  it('answers usage errors with exit 2 and --help with the archive usage', async () => {
    const dir = scratch();
    expect((await run(runVerifyChain, [], dir)).code).toBe(2);
    expect((await run(runVerifyChain, ['a', 'b'], dir)).err).toContain('unexpected argument b');
    const help = await run(runVerifyChain, ['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toContain('lienthong verify-chain CHAIN.json');
    const verifyHelp = await run(runVerifyFile, ['--help'], dir);
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.out).toContain('Usage: lienthong verify FILE');
    expect(verifyHelp.out).toContain('lienthong verify ARCHIVE.zip');
    expect((await run(runVerifyChain, ['missing.json', '--trust', 'missing.pem'], dir)).code).toBe(2);
  });

  it('refuses to verify without a trust anchor (exit 2), and reports a broken container (exit 1)', async () => {
    const dir = scratch();
    const file = join(dir, 'broken.zip');
    writeFileSync(file, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('not really a zip, only its first four bytes are')]));
    const noAnchor = await run(runVerifyFile, ['broken.zip'], dir);
    expect(noAnchor.code).toBe(2);
    expect(noAnchor.err).toContain('no trust anchors');
    const { generateCa } = await import('../../src/crypto/ca.js');
    writeFileSync(join(dir, 'ca.pem'), generateCa({ commonName: 'Test CA', validityDays: 1 }).certificatePem);
    const broken = await run(runVerifyFile, ['broken.zip', '--trust', 'ca.pem'], dir);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^INVALID container: no ZIP end-of-central-directory record/);
    writeFileSync(join(dir, 'chain.json'), '{"format":"something else"}');
    const chain = await run(runVerifyChain, ['chain.json', '--trust', 'ca.pem'], dir);
    expect(chain.code).toBe(1);
    expect(chain.err).toContain('INVALID file: is not a lienthong-chain-export/1 document');
  });
});
