import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkSealImage, MAX_SEAL_BYTES } from './seal-image.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer): Buffer => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
};

/** A red square PNG: truecolour (2) or truecolour with alpha (6), optionally with a tRNS colour key. */
function png(side: number, colourType: 2 | 6, tRNS = false): Buffer {
  const channels = colourType === 6 ? 4 : 3;
  const row = Buffer.alloc(1 + side * channels);
  for (let x = 0; x < side; x++) row.set(colourType === 6 ? [220, 30, 30, 255] : [220, 30, 30], 1 + x * channels);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, colourType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(tRNS ? [chunk('tRNS', Buffer.from([0, 255, 0, 255, 0, 255]))] : []),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: side }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const expectRefused = async (bytes: Buffer, vi: RegExp) => {
  await expect(checkSealImage(bytes)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', vi: expect.stringMatching(vi) });
};

describe('the seal image an agency uploads (Phụ lục I II.8: red, transparent)', () => {
  it('takes the test seal and says it is transparent', async () => {
    const seal = readFileSync(new URL('../../test/fixtures/seal/seal.png', import.meta.url));
    await expect(checkSealImage(seal)).resolves.toMatchObject({ transparent: true });
  });

  it('takes an opaque PNG too, saying so, and a colour-keyed one as transparent', async () => {
    await expect(checkSealImage(png(100, 2))).resolves.toEqual({ width: 100, height: 100, transparent: false });
    await expect(checkSealImage(png(100, 6))).resolves.toEqual({ width: 100, height: 100, transparent: true });
    await expect(checkSealImage(png(100, 2, true))).resolves.toMatchObject({ transparent: true });
  });

  it('refuses what is not a PNG, a cut or undecodable one, and sizes out of bounds', async () => {
    await expectRefused(Buffer.from('GIF89a................................'), /phải là tệp PNG/);
    const whole = png(100, 6);
    await expectRefused(whole.subarray(0, whole.length - 12), /thiếu phần kết IEND/);
    const garbled = Buffer.from(whole);
    garbled.fill(0x41, 41, 60); // inside the compressed image data
    await expectRefused(garbled, /không giải mã được/);
    await expectRefused(png(32, 6), /kích thước 32×32/);
    await expectRefused(png(3000, 2), /kích thước 3000×3000/);
    await expectRefused(Buffer.concat([whole, Buffer.alloc(MAX_SEAL_BYTES)]), /tối đa/);
  });
});
