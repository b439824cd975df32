/**
 * A deterministic, store-only ZIP (APPNOTE 6.3.x, the subset every unzip tool reads): no compression,
 * no ZIP64, no extra fields, no comments, UTF-8 names (general purpose bit 11), one modification time
 * for every entry. The same files and time always give the same bytes, so a verifier re-writes the
 * container from the entries it read and compares: any byte of the layout that was changed is found,
 * not only those the reader looks at.
 *
 * Written by hand because the project has no ZIP dependency and this subset is ~150 lines; CRC-32 is
 * computed here (zlib.crc32 only exists from Node 20.15).
 */

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
const VERSION = 20; // 2.0: stored files, UTF-8 flag
const FLAG_UTF8 = 0x0800;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
const MAX_U32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

/** A file inside the container. */
export interface ZipFile {
  name: string;
  data: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the ZIP checksum) of `data`. */
export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time fields of `at` as seen in Vietnam (UTC+7, no daylight saving): what unzip shows. */
export function dosDateTime(at: Date): { time: number; date: number } {
  const local = new Date(at.getTime() + 7 * 3_600_000);
  const year = Math.min(Math.max(local.getUTCFullYear(), 1980), 2107);
  return {
    time: (local.getUTCHours() << 11) | (local.getUTCMinutes() << 5) | Math.floor(local.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((local.getUTCMonth() + 1) << 5) | local.getUTCDate(),
  };
}

/** Thrown when files cannot be written in this subset (too large or too many for a non-ZIP64 file). */
export class ZipLimitError extends Error {}

/** Writes `files`, in this order, with one modification time. Deterministic. */
export function writeZip(files: readonly ZipFile[], stamp: { time: number; date: number }): Buffer {
  if (files.length > MAX_ENTRIES) throw new ZipLimitError(`${files.length} files exceed the ${MAX_ENTRIES} a ZIP without ZIP64 holds`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const crc = crc32(file.data);
    const local = Buffer.alloc(LOCAL_HEADER);
    local.writeUInt32LE(LOCAL_SIG, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(stamp.time, 10);
    local.writeUInt16LE(stamp.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.data.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(CENTRAL_HEADER);
    central.writeUInt32LE(CENTRAL_SIG, 0);
    // Made by: Unix, 2.0 — so unzip takes names as they are (UTF-8, bit 11) rather than as a DOS
    // code page, and files come out as regular files, mode 0644.
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(FLAG_UTF8, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(stamp.time, 12);
    central.writeUInt16LE(stamp.date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.data.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(REGULAR_FILE_0644, 38); // external attributes: st_mode in the high 16 bits
    central.writeUInt32LE(offset, 42); // extra, comment, disk, internal attributes stay 0
    locals.push(local, name, file.data);
    centrals.push(central, name);
    offset += LOCAL_HEADER + name.length + file.data.length;
    if (offset > MAX_U32) throw new ZipLimitError('the archive would exceed 4 GiB, which a ZIP without ZIP64 cannot hold');
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(END_RECORD);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** An entry as read, with where it sits (for precise reports). */
export interface ReadEntry extends ZipFile {
  /** CRC-32 recorded in the central directory. */
  recordedCrc: number;
  localOffset: number;
  dataOffset: number;
  centralOffset: number;
}

export interface ReadZip {
  entries: ReadEntry[];
  /** DOS time and date of the first entry (the writer uses one for all). */
  stamp: { time: number; date: number };
  centralOffset: number;
  endOffset: number;
}

/** The bytes are not a ZIP this reader can walk; the message says where and why. */
export class ZipFormatError extends Error {}

/**
 * Reads a container written by `writeZip`, strictly: the end record last with no comment, stored
 * entries only, local and central headers that agree, unique relative names. CRC mismatches are not
 * thrown here (the caller reports them per entry); the byte-for-byte layout is checked by
 * `layoutDifference`.
 */
export function readZip(bytes: Buffer): ReadZip {
  if (bytes.length < END_RECORD) throw new ZipFormatError(`the file is ${bytes.length} bytes long, too short for a ZIP`);
  const endOffset = bytes.length - END_RECORD;
  if (bytes.readUInt32LE(endOffset) !== END_SIG) {
    throw new ZipFormatError('no ZIP end-of-central-directory record in the last 22 bytes (the file was truncated, extended or is not an archive)');
  }
  const count = bytes.readUInt16LE(endOffset + 10);
  const centralSize = bytes.readUInt32LE(endOffset + 12);
  const centralOffset = bytes.readUInt32LE(endOffset + 16);
  if (bytes.readUInt16LE(endOffset + 20) !== 0) throw new ZipFormatError('the end record declares a comment; this format has none');
  if (bytes.readUInt16LE(endOffset + 4) !== 0 || bytes.readUInt16LE(endOffset + 6) !== 0 || bytes.readUInt16LE(endOffset + 8) !== count) {
    throw new ZipFormatError('the end record describes a multi-disk archive; this format is one file');
  }
  if (centralOffset + centralSize !== endOffset) {
    throw new ZipFormatError(`the central directory (offset ${centralOffset}, ${centralSize} bytes) does not end where the end record starts (offset ${endOffset})`);
  }
  const entries: ReadEntry[] = [];
  const names = new Set<string>();
  let pos = centralOffset;
  for (let i = 0; i < count; i++) {
    if (pos + CENTRAL_HEADER > endOffset || bytes.readUInt32LE(pos) !== CENTRAL_SIG) {
      throw new ZipFormatError(`central directory entry #${i + 1} at offset ${pos} has no valid signature`);
    }
    const method = bytes.readUInt16LE(pos + 10);
    const crc = bytes.readUInt32LE(pos + 16);
    const compressed = bytes.readUInt32LE(pos + 20);
    const size = bytes.readUInt32LE(pos + 24);
    const nameLength = bytes.readUInt16LE(pos + 28);
    const extraLength = bytes.readUInt16LE(pos + 30);
    const commentLength = bytes.readUInt16LE(pos + 32);
    const localOffset = bytes.readUInt32LE(pos + 42);
    if (pos + CENTRAL_HEADER + nameLength > endOffset) throw new ZipFormatError(`central directory entry #${i + 1} runs past the directory`);
    const name = decodeName(bytes.subarray(pos + CENTRAL_HEADER, pos + CENTRAL_HEADER + nameLength), i);
    if (method !== 0) throw new ZipFormatError(`entry ${name} is compressed (method ${method}); this format stores files uncompressed`);
    if (compressed !== size) throw new ZipFormatError(`entry ${name} declares ${compressed} stored bytes for ${size} bytes of content`);
    if (names.has(name)) throw new ZipFormatError(`entry ${name} appears twice`);
    names.add(name);
    if (localOffset + LOCAL_HEADER > centralOffset || bytes.readUInt32LE(localOffset) !== LOCAL_SIG) {
      throw new ZipFormatError(`entry ${name}: no local header at offset ${localOffset}`);
    }
    const localNameLength = bytes.readUInt16LE(localOffset + 26);
    const localExtra = bytes.readUInt16LE(localOffset + 28);
    const dataOffset = localOffset + LOCAL_HEADER + localNameLength + localExtra;
    if (dataOffset + size > centralOffset) throw new ZipFormatError(`entry ${name}: its data runs into the central directory`);
    const localName = bytes.subarray(localOffset + LOCAL_HEADER, localOffset + LOCAL_HEADER + localNameLength);
    if (!localName.equals(Buffer.from(name, 'utf8'))) throw new ZipFormatError(`entry ${name}: the local header names it differently`);
    if (bytes.readUInt32LE(localOffset + 14) !== crc || bytes.readUInt32LE(localOffset + 18) !== size || bytes.readUInt32LE(localOffset + 22) !== size) {
      throw new ZipFormatError(`entry ${name}: the local header's CRC or sizes differ from the central directory's`);
    }
    entries.push({
      name,
      data: Buffer.from(bytes.subarray(dataOffset, dataOffset + size)),
      recordedCrc: crc,
      localOffset,
      dataOffset,
      centralOffset: pos,
    });
    pos += CENTRAL_HEADER + nameLength + extraLength + commentLength;
  }
  if (pos !== endOffset) throw new ZipFormatError(`${endOffset - pos} unexplained bytes after the central directory`);
  const first = entries[0];
  const stamp = first ? { time: bytes.readUInt16LE(first.localOffset + 10), date: bytes.readUInt16LE(first.localOffset + 12) } : { time: 0, date: 0 };
  return { entries, stamp, centralOffset, endOffset };
}

function decodeName(raw: Buffer, index: number): string {
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new ZipFormatError(`entry #${index + 1} has a name that is not UTF-8`);
  }
  // Names are relative paths of this format; anything that could escape a folder is refused even
  // though the verifier never extracts (someone else's unzip might).
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '')) {
    throw new ZipFormatError(`entry #${index + 1} has an unsafe name ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Where `bytes` departs from the canonical layout of the entries it holds (null when identical):
 * the offset and the structure it falls in, e.g. "byte 1234 (central directory header of
 * packages/status-03-….edxml)".
 */
export function layoutDifference(bytes: Buffer, read: ReadZip, stamp: { time: number; date: number }): string | null {
  const canonical = writeZip(read.entries, stamp);
  const n = Math.min(canonical.length, bytes.length);
  let at = -1;
  for (let i = 0; i < n; i++) {
    if (canonical[i] !== bytes[i]) {
      at = i;
      break;
    }
  }
  if (at < 0 && canonical.length === bytes.length) return null;
  if (at < 0) at = n;
  return `byte ${at} (${regionOf(at, read)}) differs from the canonical layout of this format`;
}

function regionOf(offset: number, read: ReadZip): string {
  if (offset >= read.endOffset) return 'end-of-central-directory record';
  if (offset >= read.centralOffset) {
    const entry = [...read.entries].reverse().find((e) => e.centralOffset <= offset);
    return entry ? `central directory header of ${entry.name}` : 'central directory';
  }
  const entry = [...read.entries].reverse().find((e) => e.localOffset <= offset);
  if (!entry) return 'start of the file';
  return offset >= entry.dataOffset ? `data of ${entry.name}` : `local header of ${entry.name}`;
}
