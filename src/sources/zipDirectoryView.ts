import { Readable } from 'node:stream';
import { concatSource } from './concatSource.js';
import { abortable, type RandomAccessSource } from './randomAccess.js';

/** The end records of {@link zipDirectoryView}: zip64 end record, its locator, end of central directory. */
export const zipDirectoryViewTail = 56 + 20 + 22;

/** zip64 end records for a directory of `count` entries and `size` bytes that starts at offset 0. */
function endRecords(count: number, size: number): Buffer {
  const tail = Buffer.alloc(zipDirectoryViewTail);
  tail.writeUInt32LE(0x06064b50, 0);
  tail.writeBigUInt64LE(44n, 4); // the record's size after this field
  tail.writeUInt16LE(45, 12);
  tail.writeUInt16LE(45, 14);
  tail.writeBigUInt64LE(BigInt(count), 24);
  tail.writeBigUInt64LE(BigInt(count), 32);
  tail.writeBigUInt64LE(BigInt(size), 40);
  tail.writeUInt32LE(0x07064b50, 56);
  tail.writeBigUInt64LE(BigInt(size), 64);
  tail.writeUInt32LE(1, 72);
  tail.writeUInt32LE(0x06054b50, 76);
  tail.writeUInt16LE(0xffff, 84);
  tail.writeUInt16LE(0xffff, 86);
  tail.writeUInt32LE(0xffffffff, 88);
  tail.writeUInt32LE(0xffffffff, 92);
  return tail;
}

/**
 * A zip of one disk that holds nothing but a central directory read from `source`, with end records
 * of its own: what `unzipper` is given to parse the directory. unzipper takes the offsets of the
 * end records as they are, from the start of the one file it reads; a split zip counts them per
 * disk, and a self-extracting zip may count them from the start of the zip, not the file. Here the
 * directory is at offset 0, and its end records are zip64 ones, so that any count and size fit.
 * The records themselves are left as they are: their disks and offsets are placed afterwards.
 *
 * @param source The archive.
 * @param start Where its central directory starts.
 * @param size The directory's size in bytes.
 * @param count Its number of entries.
 */
export function zipDirectoryView(source: RandomAccessSource, start: number, size: number, count: number): RandomAccessSource {
  const tail = endRecords(count, size);
  const directory: RandomAccessSource = {
    size: async () => size,
    stream: (offset, length, signal) => source.stream(start + offset, Math.min(length ?? size - offset, size - offset), signal),
  };
  const records: RandomAccessSource = {
    size: async () => tail.length,
    stream: (offset, length, signal) => abortable(Readable.from([tail.subarray(offset, length === undefined ? undefined : offset + length)]), signal),
  };
  return concatSource([
    { source: directory, size },
    { source: records, size: tail.length },
  ]);
}
