import { createHash } from 'node:crypto';
import { crc32 } from '../crc32.js';
import { type RandomAccessSource, readBytes } from './randomAccess.js';
import { type WinZipAesField, winZipAesField } from './zipAes.js';

const endOfCentralDirectory = 0x06054b50;
const centralFileHeader = 0x02014b50;
const unicodePathExtra = 0x7075;
/**
 * How many bytes at the end of a zip are searched for its end record: the record is 22 bytes and
 * may be followed by a comment of up to 65535 bytes.
 */
export const endSearchLength = 22 + 0xffff;

/**
 * Finds the end-of-central-directory record by searching backwards from the end of the archive,
 * as the format intends: a forward search could stop at the same four bytes inside compressed data
 * or inside the archive comment. A record is accepted if its comment fits in what follows it.
 * unzipper's own search is such a forward search, from a fixed tail (80 bytes unless told); so it
 * is not relied on, and is given the tail that starts at the record found here.
 *
 * @return The record's offset from the start of the archive, or `undefined` if there is none.
 */
export async function findEndOfCentralDirectory(source: RandomAccessSource, size: number): Promise<number | undefined> {
  const start = Math.max(0, size - endSearchLength);
  const tail = await readBytes(source, start, size - start);
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== endOfCentralDirectory) continue;
    if (at + 22 + tail.readUInt16LE(at + 20) <= tail.length) return start + at;
  }
  return undefined;
}

/** What one pass over the raw central directory tells that `unzipper` does not keep. */
export interface CentralDirectoryScan {
  /** SHA-256 of the central directory's bytes: the same archive has the same fingerprint. */
  readonly fingerprint: string;
  /** Names from Info-ZIP Unicode Path extra fields (0x7075), by entry index, where they apply. */
  readonly unicodeNames: ReadonlyMap<number, string>;
  /**
   * Entries whose zip64 extra field (0x0001) is missing or too short for the values their header
   * leaves to it (0xFFFFFFFF). `unzipper` reads such values from whatever bytes follow the field.
   */
  readonly zip64Short: ReadonlySet<number>;
  /** The WinZip AES extra fields (0x9901), by entry index: the real method and the key length. */
  readonly aesFields: ReadonlyMap<number, WinZipAesField>;
}

/** Whether a record's zip64 extra field holds every 8-byte value its header defers to it. */
function zip64Fits(record: Buffer, nameLength: number, extraLength: number): boolean {
  const deferred = [record.readUInt32LE(24), record.readUInt32LE(20), record.readUInt32LE(42)].filter((value) => value === 0xffffffff).length;
  if (deferred === 0) return true;
  const extra = record.subarray(46 + nameLength, 46 + nameLength + extraLength);
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) === 0x0001) return extra.readUInt16LE(at + 2) >= 8 * deferred && at + 4 + 8 * deferred <= extra.length;
  }
  return false;
}

function unicodePathOf(extra: Buffer, rawName: Buffer): string | undefined {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    const body = extra.subarray(at + 4, at + 4 + length);
    // Version 1 with the CRC-32 of the header's own name: a stale field (the name was changed by a
    // tool that did not know the field) must be ignored, as the Info-ZIP note says; so must one
    // with no name in it.
    if (id === unicodePathExtra && body.length > 5 && body[0] === 1 && body.readUInt32LE(1) === crc32(rawName)) {
      return body.subarray(5).toString('utf8');
    }
    at += 4 + length;
  }
  return undefined;
}

/**
 * Reads the central directory once, as a stream, to fingerprint it, to collect the Unicode Path and
 * WinZip AES extra fields that `unzipper` does not interpret, and to find zip64 fields too short to
 * trust.
 *
 * This is a second reading of records `unzipper` has already parsed, and it is needed: unzipper
 * keeps neither the directory's bytes (for the fingerprint) nor the records' extra fields (only
 * the zip64 values it took from them), and its zip64 parse does not check the field's length.
 *
 * @param source The archive.
 * @param offset Where the central directory starts.
 * @param length Its size in bytes.
 */
export async function scanCentralDirectory(
  source: RandomAccessSource,
  offset: number,
  length: number,
): Promise<CentralDirectoryScan> {
  const hash = createHash('sha256');
  const unicodeNames = new Map<number, string>();
  const zip64Short = new Set<number>();
  const aesFields = new Map<number, WinZipAesField>();
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  let parsing = true;
  for await (const chunk of source.stream(offset, length)) {
    hash.update(chunk as Buffer);
    if (!parsing) continue;
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let at = 0;
    while (at + 46 <= pending.length && pending.readUInt32LE(at) === centralFileHeader) {
      const nameLength = pending.readUInt16LE(at + 28);
      const extraLength = pending.readUInt16LE(at + 30);
      const commentLength = pending.readUInt16LE(at + 32);
      const recordLength = 46 + nameLength + extraLength + commentLength;
      if (at + recordLength > pending.length) break;
      if (!zip64Fits(pending.subarray(at, at + recordLength), nameLength, extraLength)) zip64Short.add(index);
      if (extraLength > 0) {
        const rawName = pending.subarray(at + 46, at + 46 + nameLength);
        const name = unicodePathOf(pending.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), rawName);
        if (name !== undefined) unicodeNames.set(index, name);
        const aes = winZipAesField(pending.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
        if (aes !== undefined) aesFields.set(index, aes);
      }
      index++;
      at += recordLength;
    }
    pending = pending.subarray(at);
    // A record without its signature: unzipper reports the directory as broken; stop collecting.
    if (pending.length >= 4 && pending.readUInt32LE(0) !== centralFileHeader) parsing = false;
  }
  return { fingerprint: hash.digest('hex'), unicodeNames, zip64Short, aesFields };
}
