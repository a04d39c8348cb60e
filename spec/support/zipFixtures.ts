import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import { zipCryptoEncrypt } from './zipCrypto.js';

/**
 * Zip archives for the integration specs, written for real: well-formed ones with `yazl`, and
 * hostile ones (lying headers, dangerous names, symlinks, bombs) with a small writer of our own,
 * because yazl refuses to write them.
 */

/** A file or directory for {@link writeZip}. */
export type ZipItem =
  | {
      readonly name: string;
      readonly data: Uint8Array | string;
      /** Deflate (the default) or store. */
      readonly compress?: boolean;
      /**
       * Add it with `addReadStream`: the sizes and CRC-32 are then not known up front, and yazl
       * writes them in a data descriptor after the data (flag bit 3), as streaming zippers do.
       */
      readonly stream?: boolean;
    }
  | { readonly name: string; readonly directory: true };

/** Options of {@link writeZip}. */
export interface ZipOptions {
  /** Write zip64 records for every entry and the end of the archive, whatever the sizes. */
  readonly zip64?: boolean;
}

/**
 * Writes a well-formed zip with yazl, entries in the order given. yazl accepts duplicate names and
 * any Unicode name (it sets the UTF-8 flag); it refuses absolute and `..` names, which is what
 * {@link writeRawZip} is for.
 */
export async function writeZip(path: string, items: readonly ZipItem[], options: ZipOptions = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  const forceZip64Format = options.zip64 ?? false;
  for (const item of items) {
    if ('directory' in item) {
      zip.addEmptyDirectory(item.name);
      continue;
    }
    const data = Buffer.from(item.data);
    const compress = item.compress ?? true;
    if (item.stream) {
      zip.addReadStream(new PassThrough().end(data), item.name, { compress, forceZip64Format });
    } else {
      zip.addBuffer(data, item.name, { compress, forceZip64Format });
    }
  }
  zip.end({ forceZip64Format, comment: '' });
  await pipeline(zip.outputStream, createWriteStream(path));
}

/** One entry for {@link rawZip}: its real bytes, and the lies its headers tell about them. */
export interface RawZipEntry {
  /** A string is written as UTF-8 with the UTF-8 flag; bytes are written as they are, without it. */
  readonly name: string | Uint8Array;
  /** The real uncompressed bytes. Default: none. */
  readonly data?: Uint8Array | string;
  /** 0 stored, 8 deflated, 99 AES (the data is then written as it is). Default: 8. */
  readonly method?: 0 | 8 | 99;
  /** Set the "encrypted" flag (bit 0). The data is written as it is. */
  readonly encrypted?: boolean;
  /** Encrypt the compressed data with traditional PKWARE encryption and this password (sets bit 0). */
  readonly password?: string;
  /**
   * Write the CRC-32 and sizes in a data descriptor after the data (flag bit 3), with zeros in the
   * local header, as streaming writers do; an encryption header then checks the DOS time.
   */
  readonly descriptor?: boolean;
  /** Further general-purpose flag bits, in both headers (0x40: PKWARE strong encryption). */
  readonly flags?: number;
  /** The CRC-32 the central directory declares (the local header keeps the true one). */
  readonly centralCrc32?: number;
  /** The uncompressed size both headers declare. Default: the real size. */
  readonly declaredSize?: number;
  /**
   * Keep only this many bytes of the compressed data, as in an archive cut off inside the entry;
   * the declared compressed size is that of what is kept, so that the archive stays navigable.
   */
  readonly keepCompressedBytes?: number;
  /** A Unix `st_mode` for the external attributes, written with "made by" host 3 (Unix). */
  readonly unixMode?: number;
  /** Extra fields, in both headers. */
  readonly extra?: Uint8Array;
}

const dosTime = 0x6000; // 12:00:00
const dosDate = (2024 - 1980) << 9 | 1 << 5 | 1; // 2024-01-01

/**
 * Builds a zip byte by byte: local headers and data, the central directory, the end record. No
 * checks: every lie the entries ask for is written, which is the point.
 */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : Buffer.from(entry.name);
    const data = Buffer.from(entry.data ?? '');
    const method = entry.method ?? 8;
    const crc = crc32(data);
    const packed = method === 8 ? deflateRawSync(data) : data;
    const check = entry.descriptor ? dosTime >> 8 : crc >>> 24;
    const whole = entry.password === undefined ? packed : zipCryptoEncrypt(packed, entry.password, check);
    const compressed = whole.subarray(0, entry.keepCompressedBytes ?? whole.length);
    const extra = Buffer.from(entry.extra ?? new Uint8Array());
    const flags =
      (typeof entry.name === 'string' ? 0x800 : 0) |
      (entry.encrypted || entry.password !== undefined ? 0x1 : 0) |
      (entry.descriptor ? 0x8 : 0) |
      (entry.flags ?? 0);
    const size = entry.declaredSize ?? data.length;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(entry.descriptor ? 0 : crc, 14);
    local.writeUInt32LE(entry.descriptor ? 0 : compressed.length, 18);
    local.writeUInt32LE(entry.descriptor ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const descriptor = Buffer.alloc(entry.descriptor ? 16 : 0);
    if (entry.descriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(compressed.length, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    locals.push(local, name, extra, compressed, descriptor);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(entry.unixMode === undefined ? 20 : (3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(entry.centralCrc32 ?? crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(entry.unixMode === undefined ? 0 : (entry.unixMode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name, extra);

    offset += 30 + name.length + extra.length + compressed.length + descriptor.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, endOfCentralDirectory(entries.length, directory.length, offset)]);
}

/** Writes {@link rawZip} to a file and returns its bytes. */
export async function writeRawZip(path: string, entries: readonly RawZipEntry[]): Promise<Buffer> {
  const bytes = rawZip(entries);
  await writeFile(path, bytes);
  return bytes;
}

/**
 * An Info-ZIP Unicode Path extra field (0x7075, version 1): the UTF-8 name, valid only for the
 * header name whose CRC-32 it carries. Pass another `nameCrc` to make it stale.
 */
export function unicodePathExtra(rawName: Uint8Array, unicodeName: string, nameCrc = crc32(rawName)): Buffer {
  const body = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from(unicodeName, 'utf8')]);
  body.writeUInt32LE(nameCrc, 1);
  const header = Buffer.alloc(4);
  header.writeUInt16LE(0x7075, 0);
  header.writeUInt16LE(body.length, 2);
  return Buffer.concat([header, body]);
}

/**
 * A WinZip AES entry as its headers show it: method 99, the "encrypted" flag, and the 0x9901 extra
 * field (AE-2, AES-256, deflated inside). The data is not really encrypted: only the headers matter.
 */
export function aesEntry(name: string, data: Uint8Array | string): RawZipEntry {
  const extra = Buffer.from([0x01, 0x99, 7, 0, 2, 0, 0x41, 0x45, 3, 8, 0]);
  return { name, data, method: 99, encrypted: true, extra };
}

/** A symbolic link as Info-ZIP stores one: mode 0o120777, the target as the data. */
export const symlinkEntry = (name: string, target: string): RawZipEntry => ({ name, data: target, method: 0, unixMode: 0o120777 });

/**
 * A zip-bomb entry as its headers show it: 100 MiB declared (over 64 MiB and over 100 times the
 * compressed size). The real data is a few bytes: the headers alone must stop it.
 */
export const bombEntry = (name: string): RawZipEntry => ({ name, data: 'not really a bomb', declaredSize: 100 * 1024 * 1024 });

/**
 * A zip's end of central directory record (no comment, one disk) for `count` entries whose
 * central directory of `directoryLength` bytes starts at `directoryOffset`.
 */
export function endOfCentralDirectory(count: number, directoryLength: number, directoryOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directoryLength, 12);
  end.writeUInt32LE(directoryOffset, 16);
  return end;
}
