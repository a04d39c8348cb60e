import { crc32 } from 'node:zlib';
import sevenZipModule, { type SevenZipModuleFactory } from '7z-wasm';
import { endOfCentralDirectory } from './zipFixtures.js';

// 7z-wasm is CommonJS whose types declare an ES default export: Node hands over `module.exports`.
const SevenZip = sevenZipModule as unknown as SevenZipModuleFactory;

/**
 * Zips for the method and AES specs, written by real 7-Zip (7z-wasm, 7-Zip 24.09 in WebAssembly),
 * and the surgery on them that 7-Zip will not do: another WinZip AES version, a flipped byte. A
 * small writer makes the one zip 7-Zip cannot: Zstandard data compressed by the `zstd` tool.
 */

/** A file to archive: its name in the zip and its bytes. */
export interface ZipFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/**
 * A zip written by 7-Zip of `files`, in that order, with 7-Zip's switches (`-mm=BZip2`,
 * `-mem=AES256`, `-ppassword`, …). Each zip gets its own 7-Zip instance: `callMain` runs once.
 *
 * @return The zip's bytes.
 */
export async function sevenZipZip(files: readonly ZipFile[], switches: readonly string[]): Promise<Buffer> {
  const output: string[] = [];
  const sevenZip = await SevenZip({ print: (line: string) => output.push(line), printErr: (line: string) => output.push(line) });
  sevenZip.FS.mkdir('/in');
  sevenZip.FS.chdir('/in');
  for (const file of files) sevenZip.FS.writeFile(file.name, file.data);
  sevenZip.callMain(['a', '-tzip', '-bd', ...switches, '/out.zip', ...files.map((file) => file.name)]);
  try {
    return Buffer.from(sevenZip.FS.readFile('/out.zip'));
  } catch {
    throw new Error(`7-Zip wrote no zip:\n${output.join('\n')}`);
  }
}

/** Where one entry is in a zip, from its central-directory record. */
export interface ZipEntryPlace {
  readonly name: string;
  /** The offset of the central-directory record. */
  readonly central: number;
  /** The offset of the local header. */
  readonly local: number;
  /** The offset of the entry's data, after the local header, name and extra field. */
  readonly data: number;
  readonly compressedSize: number;
  readonly method: number;
  readonly flags: number;
}

/** Every entry's place in a zip (no zip64, no comment handling beyond the end record's length field). */
export function zipEntryPlaces(zip: Buffer): ZipEntryPlace[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  const places: ZipEntryPlace[] = [];
  for (let at = zip.readUInt32LE(end + 16), index = 0; index < count; index++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    places.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      central: at,
      local,
      data: local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28),
      compressedSize: zip.readUInt32LE(at + 20),
      method: zip.readUInt16LE(at + 10),
      flags: zip.readUInt16LE(at + 8),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return places;
}

/** The offset of the WinZip AES extra field's version in a header's extra fields, if it has one. */
function aesVersionAt(zip: Buffer, extraStart: number, extraLength: number): number | undefined {
  for (let at = extraStart; at + 4 <= extraStart + extraLength; at += 4 + zip.readUInt16LE(at + 2)) {
    if (zip.readUInt16LE(at) === 0x9901) return at + 4;
  }
  return undefined;
}

/**
 * A copy of a 7-Zip WinZip AES zip with every AES entry turned into `version` (1: AE-1, 2: AE-2):
 * the 0x9901 field's vendor version and the CRC-32, in both headers, set to `crcs` by entry name
 * (AE-1 needs the real one; AE-2 writes 0). The encrypted data and its authentication code do not
 * depend on either, so the entry stays readable.
 */
export function withAesVersion(zip: Buffer, version: 1 | 2, crcs: ReadonlyMap<string, number>): Buffer {
  const copy = Buffer.from(zip);
  for (const place of zipEntryPlaces(copy)) {
    const crc = crcs.get(place.name);
    if (crc === undefined) continue;
    const centralName = copy.readUInt16LE(place.central + 28);
    const centralField = aesVersionAt(copy, place.central + 46 + centralName, copy.readUInt16LE(place.central + 30));
    const localName = copy.readUInt16LE(place.local + 26);
    const localField = aesVersionAt(copy, place.local + 30 + localName, copy.readUInt16LE(place.local + 28));
    if (centralField === undefined || localField === undefined) throw new Error(`${place.name} has no WinZip AES extra field`);
    copy.writeUInt16LE(version, centralField);
    copy.writeUInt16LE(version, localField);
    copy.writeUInt32LE(crc >>> 0, place.central + 16);
    if ((place.flags & 0x08) === 0) copy.writeUInt32LE(crc >>> 0, place.local + 14);
  }
  return copy;
}

/** The AES version 7-Zip wrote for each entry, by name (1 or 2). */
export function aesVersions(zip: Buffer): Map<string, number> {
  const versions = new Map<string, number>();
  for (const place of zipEntryPlaces(zip)) {
    const nameLength = zip.readUInt16LE(place.central + 28);
    const field = aesVersionAt(zip, place.central + 46 + nameLength, zip.readUInt16LE(place.central + 30));
    if (field !== undefined) versions.set(place.name, zip.readUInt16LE(field));
  }
  return versions;
}

/** A copy of `zip` with the byte at `offset` inverted. */
export function flipByte(zip: Buffer, offset: number): Buffer {
  const copy = Buffer.from(zip);
  copy[offset] = copy[offset]! ^ 0xff;
  return copy;
}

/** An entry for {@link compressedZip}: data already compressed with `method`. */
export interface CompressedEntry {
  readonly name: string;
  readonly method: number;
  /** The compressed bytes, written as they are. */
  readonly compressed: Uint8Array;
  /** The uncompressed bytes, for the CRC-32 and size the headers declare. */
  readonly data: Uint8Array;
  /** General-purpose flags besides UTF-8 (0x02: an LZMA stream with an end marker). Default: none. */
  readonly flags?: number;
}

/** A zip of entries compressed elsewhere (Zstandard by the `zstd` tool): headers, data, directory, end. */
export function compressedZip(entries: readonly CompressedEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const fields = Buffer.alloc(16);
    fields.writeUInt16LE(entry.method, 0);
    fields.writeUInt32LE(crc32(entry.data), 4);
    fields.writeUInt32LE(entry.compressed.length, 8);
    fields.writeUInt32LE(entry.data.length, 12);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(63, 4);
    local.writeUInt16LE(0x800 | (entry.flags ?? 0), 6);
    fields.copy(local, 8, 0, 2);
    fields.copy(local, 14, 4, 16);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(63, 4);
    central.writeUInt16LE(63, 6);
    central.writeUInt16LE(0x800 | (entry.flags ?? 0), 8);
    fields.copy(central, 10, 0, 2);
    fields.copy(central, 16, 4, 16);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(entry.compressed));
    centrals.push(central, name);
    offset += 30 + name.length + entry.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, endOfCentralDirectory(entries.length, directory.length, offset)]);
}
