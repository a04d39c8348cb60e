/**
 * Where things are in a zip written by the specs, read back from its bytes: the central
 * directory, and each entry's local header and data. The remote-source specs use it to tell which
 * byte ranges a run asked for, and so what it cost.
 */

/** One entry's place in the archive. */
export interface ZipEntryLayout {
  readonly name: string;
  readonly index: number;
  readonly localHeader: number;
  /** The first byte of its compressed data. */
  readonly dataStart: number;
  readonly compressedSize: number;
}

/** The layout of a whole zip (no zip64, no comment). */
export interface ZipLayout {
  readonly size: number;
  readonly centralDirectory: number;
  readonly centralDirectorySize: number;
  readonly endRecord: number;
  readonly entries: readonly ZipEntryLayout[];
}

/** Reads the layout of a zip from its bytes. */
export function zipLayout(bytes: Buffer): ZipLayout {
  const endRecord = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(endRecord + 10);
  const centralDirectorySize = bytes.readUInt32LE(endRecord + 12);
  const centralDirectory = bytes.readUInt32LE(endRecord + 16);
  const entries: ZipEntryLayout[] = [];
  for (let index = 0, at = centralDirectory; index < count; index++) {
    const nameLength = bytes.readUInt16LE(at + 28);
    const recordLength = 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const localHeader = bytes.readUInt32LE(at + 42);
    const dataStart = localHeader + 30 + bytes.readUInt16LE(localHeader + 26) + bytes.readUInt16LE(localHeader + 28);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    entries.push({ name, index, localHeader, dataStart, compressedSize: bytes.readUInt32LE(at + 20) });
    at += recordLength;
  }
  return { size: bytes.length, centralDirectory, centralDirectorySize, endRecord, entries };
}

/** The `Range` header asking for an entry's local header (30 bytes). */
export const headerRange = (entry: ZipEntryLayout) => `bytes=${entry.localHeader}-${entry.localHeader + 29}`;

/** The `Range` header asking for an entry's compressed data. */
export const dataRange = (entry: ZipEntryLayout) => `bytes=${entry.dataStart}-${entry.dataStart + entry.compressedSize - 1}`;
