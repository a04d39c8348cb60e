import type { Entry, EntryKind } from '../entry.js';
import { mediaTypeOf } from '../mediaType.js';
import { decodeZipName } from './cp437.js';
import type { WinZipAesField } from './zipAes.js';
import { zipMethodName, zipMethodSupported } from './zipMethods.js';

/** The fields of an `unzipper` central-directory record that unspool uses. */
export interface ZipRecord {
  signature: number;
  versionMadeBy: number;
  flags: number;
  compressionMethod: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  diskNumber: number;
  externalFileAttributes: number;
  offsetToLocalFileHeader: number;
  pathBuffer: Buffer;
  isUnicode: boolean;
}

/** What an entry is, as its central-directory record says: every field but `open` and `release`. */
export type ZipEntryFields = Omit<Entry, 'open' | 'release'>;

/** What {@link zipEntryFields} needs besides the record. */
export interface ZipEntryRecordConfig {
  /** The archive as the user named it. */
  readonly archive: string;
  /** The archive's size in bytes: an entry whose data would run past it has a `problem`. */
  readonly archiveSize: number;
  /** The entry's name from an Info-ZIP Unicode Path extra field, if it has a valid one. */
  readonly unicodeName?: string | undefined;
  /** Whether the entry's zip64 extra field is missing or too short for what its header defers to it. */
  readonly zip64Short: boolean;
  /** The entry's WinZip AES extra field (0x9901), if it has a well-formed one. */
  readonly aes?: WinZipAesField | undefined;
  /** The password the user gave, if any: it decides between `password` and `no-password`. */
  readonly password?: string | undefined;
}

const unixFileType = 0o170000;

/**
 * The entry's kind from its attributes and name. unzipper's own `type` is not used: it calls an
 * entry a directory only when it is empty and its name ends in a slash, and knows no symlinks.
 */
function kindOf(record: ZipRecord, name: string): EntryKind {
  const host = record.versionMadeBy >> 8;
  // Unix (3) and macOS (19) keep the st_mode in the high half of the external attributes.
  const mode = host === 3 || host === 19 ? record.externalFileAttributes >>> 16 : 0;
  const type = mode & unixFileType;
  if (type === 0o120000) return 'symlink';
  if (type === 0o040000 || /[/\\]$/.test(name) || (record.externalFileAttributes & 0x10) !== 0) return 'directory';
  if (type !== 0 && type !== 0o100000) return 'other';
  return 'file';
}

/** A reason the central directory gives for an entry not to be read at all, if any. */
function problemOf(record: ZipRecord, archiveSize: number, aes: WinZipAesField | undefined): string | undefined {
  // unzipper leaves a size or offset `undefined` (no zip64 field) or `null` (the field runs off the
  // end of the extra data) where the header defers it to a zip64 field it cannot find.
  if (!Number.isSafeInteger(record.uncompressedSize) || !Number.isSafeInteger(record.compressedSize)) {
    return 'the zip64 extra field does not give the entry sizes';
  }
  if (!Number.isSafeInteger(record.offsetToLocalFileHeader)) return 'the zip64 extra field does not give the entry offset';
  if (record.offsetToLocalFileHeader + 30 + record.compressedSize > archiveSize) {
    return `the entry's data (${record.compressedSize} bytes at offset ${record.offsetToLocalFileHeader}) runs past the end of the archive (${archiveSize} bytes)`;
  }
  if (record.compressionMethod === 99 && aes === undefined) return 'WinZip AES (method 99) without a valid 0x9901 extra field';
  return undefined;
}

/** The method the data is compressed with: for WinZip AES, the one its extra field names. */
const methodOf = (record: ZipRecord, aes: WinZipAesField | undefined) => (record.compressionMethod === 99 && aes ? aes.method : record.compressionMethod);

/**
 * How an entry is encrypted, as its central-directory record says, and whether `password` can
 * open it. Bit 6 is PKWARE's strong encryption, which unspool cannot decrypt. Method 99 is WinZip
 * AES, read like traditional encryption: with the password, or not at all.
 */
function encryptionOf(record: ZipRecord, password: string | undefined): Entry['encrypted'] {
  if ((record.flags & 0x40) !== 0) return 'aes';
  if ((record.flags & 0x01) === 0 && record.compressionMethod !== 99) return false;
  return password === undefined ? 'no-password' : 'password';
}

/**
 * Classifies one central-directory record: its name, kind, media type, sizes, encryption, and the
 * `problem` that keeps it from being read, if any. A method unspool cannot decompress is both a
 * `problem` and named as `unsupportedMethod`, so that the entry is skipped rather than failed. A
 * WinZip AES entry gets the method from its 0x9901 extra field, and no CRC-32: see
 * {@link zipEntryBytes}.
 *
 * The name is decoded here from the record's raw bytes rather than taken from unzipper's `path`,
 * which is always decoded as UTF-8: a valid Info-ZIP Unicode Path wins, then the UTF-8 flag, then
 * UTF-8 if the bytes are valid UTF-8, else CP437 (see {@link decodeZipName}).
 *
 * @param record The record as unzipper parsed it.
 * @param index The entry's position in the central directory.
 * @param config The archive's name and size, what the raw scan found, and the password.
 * @return The entry's fields, without `open` and `release`.
 */
export function zipEntryFields(record: ZipRecord, index: number, { archive, archiveSize, unicodeName, zip64Short, aes, password }: ZipEntryRecordConfig): ZipEntryFields {
  const name = unicodeName ?? decodeZipName(record.pathBuffer, record.isUnicode);
  const method = methodOf(record, aes);
  const broken = zip64Short ? 'the zip64 extra field is too short for the sizes and offset the entry leaves to it' : problemOf(record, archiveSize, aes);
  // Only a sound entry is skipped for its method: a broken one fails for what breaks it.
  const unsupported = broken === undefined && !zipMethodSupported(method);
  const problem = unsupported ? `unsupported compression method ${method} (${zipMethodName(method)})` : broken;
  // AE-2 writes 0 for the CRC-32 (the AES authentication code checks the data instead), and
  // zipEntryBytes checks AE-1's itself: a mismatch after the code matched is no wrong password.
  const crc32 = aes === undefined ? record.crc32 : undefined;
  return {
    archive,
    index,
    name,
    size: record.uncompressedSize,
    kind: kindOf(record, name),
    media: mediaTypeOf(name),
    compressedSize: record.compressedSize,
    ...(crc32 === undefined ? {} : { crc32 }),
    method,
    encrypted: encryptionOf(record, password),
    ...(problem ? { problem } : {}),
    ...(unsupported ? { unsupportedMethod: zipMethodName(method) } : {}),
  };
}
