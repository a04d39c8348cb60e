import { findEndOfCentralDirectory } from './centralDirectory.js';
import { type RandomAccessSource, readBytes } from './randomAccess.js';

const centralFileHeader = 0x02014b50;
const zip64EndRecord = 0x06064b50;
const zip64EndLocator = 0x07064b50;
/** A zip64 end record without extensible data, as every writer we know leaves it. */
const zip64EndRecordSize = 56;

/** What a zip's end records say of its central directory (the zip64 record's values where they apply). */
export interface ZipEnd {
  /** The disk holding the end record: the last one, so 0 unless the zip is split into volumes. */
  readonly lastDisk: number;
  /** The disk the central directory starts on. */
  readonly directoryDisk: number;
  /** The number of entries. */
  readonly entryCount: number;
  /** Where the central directory starts, as the end record says: from the start of its disk. */
  readonly directoryOffset: number;
  /** The central directory's size in bytes. */
  readonly directorySize: number;
  /** Where the central directory ends in the source: the zip64 end record, or the end record, starts there. */
  readonly directoryEnd: number;
}

/** Where a zip's central directory is in the source, and how far the zip's own offsets are off. */
export interface ZipDirectoryPlace {
  /** Where the central directory starts in the source. */
  readonly start: number;
  /**
   * What to add to every offset the zip gives (the directory's, each entry's local header's): the
   * bytes before the zip that its offsets do not count, as in a self-extracting zip. Usually 0.
   */
  readonly shift: number;
  /** Whether a central directory (its first record's signature, or an empty one) is really there. */
  readonly found: boolean;
}

/** Whether `values` holds a field that an end record saturates to defer it to the zip64 record. */
const saturated = (values: readonly number[], max: number) => values.some((value) => value === max);

/**
 * Reads a zip's end records: the end of central directory, found backwards from the end, and, when
 * it defers a value to zip64, the zip64 end record that its locator points to. The zip64 record is
 * looked for where the locator says, then right before the locator (where a self-extracting zip
 * whose offsets were not adjusted has it).
 *
 * @param source The zip, or its volumes one after another.
 * @param size The source's size.
 * @param diskStart Where a disk starts in the source: 0 for a zip that is one file.
 * @return The end records' values, or `undefined` when there is no end of central directory.
 * @throws Error when a zip64 end record is needed and cannot be found.
 */
export async function readZipEnd(source: RandomAccessSource, size: number, diskStart: (disk: number) => number = () => 0): Promise<ZipEnd | undefined> {
  const end = await findEndOfCentralDirectory(source, size);
  if (end === undefined) return undefined;
  const record = await readBytes(source, end, 22);
  const classic = {
    lastDisk: record.readUInt16LE(4),
    directoryDisk: record.readUInt16LE(6),
    entryCount: record.readUInt16LE(10),
    directorySize: record.readUInt32LE(12),
    directoryOffset: record.readUInt32LE(16),
    directoryEnd: end,
  };
  const deferred =
    saturated([classic.lastDisk, classic.directoryDisk, record.readUInt16LE(8), classic.entryCount], 0xffff) ||
    saturated([classic.directorySize, classic.directoryOffset], 0xffffffff);
  const locatorAt = end - 20;
  const locator = locatorAt >= 0 ? await readBytes(source, locatorAt, 20) : Buffer.alloc(0);
  if (!deferred || locator.length < 20 || locator.readUInt32LE(0) !== zip64EndLocator) return classic;
  const declared = diskStart(locator.readUInt32LE(4)) + Number(locator.readBigUInt64LE(8));
  for (const at of [declared, locatorAt - zip64EndRecordSize]) {
    if (at < 0 || at + zip64EndRecordSize > locatorAt) continue;
    const zip64 = await readBytes(source, at, zip64EndRecordSize);
    if (zip64.readUInt32LE(0) !== zip64EndRecord) continue;
    return {
      lastDisk: zip64.readUInt32LE(16),
      directoryDisk: zip64.readUInt32LE(20),
      entryCount: Number(zip64.readBigUInt64LE(32)),
      directorySize: Number(zip64.readBigUInt64LE(40)),
      directoryOffset: Number(zip64.readBigUInt64LE(48)),
      directoryEnd: at,
    };
  }
  throw new Error(`no zip64 end of central directory record where its locator says (offset ${declared}) nor right before the locator`);
}

/**
 * Finds the central directory as Info-ZIP's `unzip` does: where the end record says, else right
 * before the end records, in which case every offset of the zip is off by the difference (a zip
 * appended to an executable, or to any other bytes, without adjusting its offsets: unzip's "extra
 * bytes at beginning or within zipfile"). A self-extracting zip whose offsets were adjusted
 * (`zip -A`) has its directory where the end record says, and no shift.
 *
 * When the directory is at neither place, the end record's place is kept, with `found` false: the
 * reader then reports what it finds there.
 *
 * @param source The zip.
 * @param end Its end records.
 * @param diskStart Where the disk that the directory starts on starts in the source.
 */
export async function placeCentralDirectory(source: RandomAccessSource, end: ZipEnd, diskStart: number): Promise<ZipDirectoryPlace> {
  const declared = diskStart + end.directoryOffset;
  const actual = end.directoryEnd - end.directorySize;
  if (end.entryCount === 0 && end.directorySize === 0) return { start: actual, shift: actual - declared, found: true };
  const isDirectory = async (at: number) => {
    const bytes = at >= 0 ? await readBytes(source, at, 4) : Buffer.alloc(0);
    return bytes.length === 4 && bytes.readUInt32LE(0) === centralFileHeader;
  };
  if (await isDirectory(declared)) return { start: declared, shift: 0, found: true };
  if (actual !== declared && (await isDirectory(actual))) return { start: actual, shift: actual - declared, found: true };
  return { start: declared, shift: 0, found: false };
}
