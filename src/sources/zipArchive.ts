import { pipeline, type Readable, type Transform } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { Observable } from 'rxjs';
import unzipper from 'unzipper';
import type { Entry, EntryBytes, EntryKind } from '../entry.js';
import { ArchiveError, describeError, EntryError, TruncatedError } from '../errors.js';
import { mediaTypeOf } from '../mediaType.js';
import { findEndOfCentralDirectory, scanCentralDirectory } from './centralDirectory.js';
import { decodeZipName } from './cp437.js';
import type { Archive } from './archive.js';
import { createLease } from './lease.js';
import { boundTo, type RandomAccessSource, readBytes } from './randomAccess.js';
import { encryptionHeaderSize, WrongPasswordError, zipDecryption } from './zipCrypto.js';

/** The fields of an `unzipper` central-directory record that unspool uses. */
interface ZipRecord {
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

interface ZipDirectory {
  /** The number of the disk holding the end record: 0 unless the archive is split. */
  diskNumber: number;
  files: ZipRecord[];
  offsetToStartOfCentralDirectory: number;
  sizeOfCentralDirectory: number;
}

const unixFileType = 0o170000;
/** Output buffer of inflate: larger than zlib's 16 KiB default, for fewer, bigger writes. */
const inflateChunk = 256 * 1024;
const methodsSupported = new Set([0, 8]);

/**
 * The error an entry's bytes end with, as unspool reports it: a wrong password's as an
 * {@link EntryError}, and inflate's `Z_BUF_ERROR` (its input ended before the deflate stream did)
 * as the {@link TruncatedError} it is.
 */
function readError(error: unknown, archive: string, entry: string): unknown {
  if (error instanceof WrongPasswordError) return new EntryError(archive, entry, 'wrong-password', 'the password is wrong');
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'Z_BUF_ERROR') return new TruncatedError(describeError(error), { cause: error });
  return error;
}

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
function problemOf(record: ZipRecord, archiveSize: number): string | undefined {
  if (!Number.isSafeInteger(record.uncompressedSize) || !Number.isSafeInteger(record.compressedSize)) {
    return 'the zip64 extra field does not give the entry sizes';
  }
  if (!Number.isSafeInteger(record.offsetToLocalFileHeader)) return 'the zip64 extra field does not give the entry offset';
  if (record.offsetToLocalFileHeader + 30 + record.compressedSize > archiveSize) {
    return `the entry's data (${record.compressedSize} bytes at offset ${record.offsetToLocalFileHeader}) runs past the end of the archive (${archiveSize} bytes)`;
  }
  if (!methodsSupported.has(record.compressionMethod) && record.compressionMethod !== 99) {
    return `unsupported compression method ${record.compressionMethod}`;
  }
  return undefined;
}

/**
 * How an entry is encrypted, as its central-directory record says, and whether `password` can
 * open it. Bit 6 is PKWARE's strong encryption and method 99 WinZip's AES (its 0x9901 extra field
 * holds the real method): `unzipper` cannot decrypt either, and unspool does not either.
 */
function encryptionOf(record: ZipRecord, password: string | undefined): Entry['encrypted'] {
  if ((record.flags & 0x40) !== 0 || record.compressionMethod === 99) return 'aes';
  if ((record.flags & 0x01) === 0) return false;
  return password === undefined ? 'no-password' : 'password';
}

/** What {@link entryBytes} needs besides the record: names for messages, and the password. */
interface EntryBytesConfig {
  readonly archive: string;
  readonly entry: string;
  /** Given for an entry with traditional encryption: its data is decrypted before it is inflated. */
  readonly password?: string;
}

/**
 * An entry's bytes, read straight from the archive: the local header is read and checked (unzipper
 * reads it without checking its signature, so a record pointing anywhere else would deliver the
 * wrong bytes), then exactly the compressed bytes are streamed, decrypted if a password is given,
 * and inflated if deflated. Reading the data range directly, rather than through unzipper's entry
 * stream, spares a copy of every chunk and reads with large buffers; the central directory still
 * comes from unzipper. A password whose header check fails is an {@link EntryError}
 * `wrong-password`; data that ends early, a {@link TruncatedError}.
 */
function entryBytes(source: RandomAccessSource, record: ZipRecord, { archive, entry, password }: EntryBytesConfig): EntryBytes {
  let inner: Readable | undefined;
  // `destroy` cannot reach the generator while it awaits the local header (`return()` waits for
  // the next `yield`), and over HTTP that read may be waiting out a `Retry-After`: the abort
  // reaches it, and then the data's stream.
  const stopped = new AbortController();
  const chunks = (async function* () {
    const at = record.offsetToLocalFileHeader;
    const header = await readBytes(source, at, 30, stopped.signal);
    if (header.length < 30 || header.readUInt32LE(0) !== 0x04034b50) {
      const found = header.length < 4 ? 'the end of the archive' : `0x${header.readUInt32LE(0).toString(16)}`;
      throw new Error(`invalid local file header signature: found ${found} where the central directory points`);
    }
    const dataStart = at + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = source.stream(dataStart, record.compressedSize, stopped.signal);
    const stages: (Readable | Transform)[] = [raw];
    if (password !== undefined) {
      // With the CRC-32 in a data descriptor after the data (bit 3), writers check the DOS time.
      const check = (header.readUInt16LE(6) & 0x08) !== 0 ? header.readUInt16LE(10) >>> 8 : record.crc32 >>> 24;
      stages.push(zipDecryption(password, check));
    }
    if (record.compressionMethod === 8) stages.push(createInflateRaw({ chunkSize: inflateChunk }));
    // pipeline() destroys every stage when one fails, or when the last is destroyed from outside.
    inner = stages.length === 1 ? raw : (pipeline(stages, () => {}) as unknown as Readable);
    let read = 0;
    try {
      for await (const chunk of inner) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } catch (error) {
      throw readError(error, archive, entry);
    }
    // A stored entry whose data the archive cuts short ends early here; inflate notices by itself.
    const stored = record.compressedSize - (password === undefined ? 0 : encryptionHeaderSize);
    if (record.compressionMethod === 0 && read < stored) throw new TruncatedError('unexpected end of the archive');
  })();
  return {
    [Symbol.asyncIterator]: () => chunks,
    destroy(error) {
      stopped.abort(error);
      inner?.destroy(error);
      void chunks.return(undefined).catch(() => {});
    },
  };
}

async function openDirectory(source: RandomAccessSource, archive: string): Promise<{ directory: ZipDirectory; size: number }> {
  const size = await source.size();
  const end = await findEndOfCentralDirectory(source, size);
  if (end === undefined) throw new ArchiveError(archive, 'no end of central directory: the zip is truncated or not a zip');
  let directory: ZipDirectory;
  try {
    // Starting the tail at the record we found makes unzipper's forward search land on it.
    directory = (await unzipper.Open.custom(source, { tailSize: size - end })) as unknown as ZipDirectory;
  } catch (error) {
    throw new ArchiveError(archive, `unreadable central directory: ${describeError(error)}`, { cause: error });
  }
  if (directory.diskNumber !== 0) throw new ArchiveError(archive, `multi-disk zip archives are not supported (this is disk ${directory.diskNumber})`);
  for (const record of directory.files) {
    if (record.signature !== 0x02014b50) {
      throw new ArchiveError(archive, `invalid central directory record signature 0x${record.signature.toString(16)}`);
    }
    if (record.diskNumber !== 0) throw new ArchiveError(archive, 'multi-disk zip archives are not supported');
  }
  return { directory, size };
}

/**
 * Opens a zip archive through its central directory with `unzipper`. The directory is read (and
 * fingerprinted) here, once; a directory that cannot be read is an {@link ArchiveError}.
 *
 * The archive's entries come in central-directory order. Each entry's bytes are opened on their
 * own (one ranged read from its local header on), so an entry can be read without reading any
 * before it: resuming costs nothing. The next entry is emitted only after the current one is
 * released. Names are decoded as the zip says (UTF-8 flag, Info-ZIP Unicode Path extra field,
 * else UTF-8 if valid, else CP437). Problems of one entry (unsupported method, sizes missing,
 * data past the end) travel with the entry as `problem`, and that entry fails without stopping
 * the others.
 *
 * @param source The archive's bytes (a local file, or any random-access source).
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the reading of the central directory early.
 */
export async function openZip(source: RandomAccessSource, name: string, signal?: AbortSignal): Promise<Archive> {
  const opening = boundTo(source, signal);
  const { directory, size } = await openDirectory(opening, name);
  const scan = await scanCentralDirectory(opening, directory.offsetToStartOfCentralDirectory, directory.sizeOfCentralDirectory);
  return {
    name,
    format: 'zip',
    size,
    entryCount: directory.files.length,
    fingerprint: scan.fingerprint,
    entries: ({ skip = () => false, password } = {}) =>
      new Observable<Entry>((subscriber) => {
        let stopped = false;
        let releaseCurrent = () => {};
        const opened = new Set<EntryBytes>();
        (async () => {
          for (const [index, record] of directory.files.entries()) {
            if (stopped) return;
            if (skip(index)) continue;
            const entryName = scan.unicodeNames.get(index) ?? decodeZipName(record.pathBuffer, record.isUnicode);
            const lease = createLease();
            releaseCurrent = lease.release;
            const encrypted = encryptionOf(record, password);
            const problem = scan.zip64Short.has(index)
              ? 'the zip64 extra field is too short for the sizes and offset the entry leaves to it'
              : problemOf(record, size);
            subscriber.next({
              archive: name,
              index,
              name: entryName,
              size: record.uncompressedSize,
              kind: kindOf(record, entryName),
              media: mediaTypeOf(entryName),
              compressedSize: record.compressedSize,
              crc32: record.crc32,
              method: record.compressionMethod,
              encrypted,
              ...(problem ? { problem } : {}),
              open() {
                const bytes = entryBytes(source, record, { archive: name, entry: entryName, password: encrypted === 'password' ? password : undefined });
                opened.add(bytes);
                return bytes;
              },
              release: lease.release,
            });
            await lease.released;
            for (const bytes of opened) bytes.destroy();
            opened.clear();
          }
          subscriber.complete();
        })().catch((error: unknown) => subscriber.error(new ArchiveError(name, describeError(error), { cause: error })));
        return () => {
          stopped = true;
          for (const bytes of opened) bytes.destroy();
          releaseCurrent();
        };
      }),
  };
}
