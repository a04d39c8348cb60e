import { type Duplex, pipeline, type Readable } from 'node:stream';
import { crc32 } from '../crc32.js';
import type { EntryBytes } from '../entry.js';
import { describeError, EntryError, TruncatedError } from '../errors.js';
import { CutShortError } from './decodedStream.js';
import { type PositionedReader, type RandomAccessSource, readBytes } from './randomAccess.js';
import { reusedChunks } from './reusedChunks.js';
import { aesHeaderSize, AuthenticationError, authenticationCodeSize, type WinZipAesField, winZipAesDecryption } from './zipAes.js';
import type { ZipRecord } from './zipEntryRecord.js';
import { encryptionHeaderSize, WrongPasswordError, zipDecryption } from './zipCrypto.js';
import { zipDecompressor, zipMethodName } from './zipMethods.js';

/** What {@link zipEntryBytes} needs besides the record: names for messages, and the password. */
export interface ZipEntryBytesConfig {
  /** The archive as the user named it, for messages. */
  readonly archive: string;
  /** The entry's name, for messages. */
  readonly entry: string;
  /** Given for an encrypted entry: its data is decrypted before it is decompressed. */
  readonly password?: string | undefined;
  /** The entry's WinZip AES extra field: with a password, its data is decrypted with AES. */
  readonly aes?: WinZipAesField | undefined;
  /**
   * Reads of the archive into the caller's memory, opened once and shared by its entries (a local
   * file's descriptor; see `openReader` of {@link RandomAccessSource}): the local header is read
   * through it rather than a stream of its own, and so is stored, unencrypted data when
   * `reuseChunks` is set. Closed by whoever opened it; `undefined` once it is closed. Default:
   * none, every read is a stream.
   */
  readonly reader?: (() => Promise<PositionedReader | undefined>) | undefined;
  /**
   * The caller keeps no chunk past the next (see `reuseChunks` of `Entry.open`): stored,
   * unencrypted data is then read through `reader` into two reused buffers. Default: false.
   */
  readonly reuseChunks?: boolean | undefined;
}

/** The 30 bytes of a local file header at `at`, or fewer at the end of the archive. */
async function localHeader(source: RandomAccessSource, at: number, reader: PositionedReader | undefined, signal: AbortSignal): Promise<Buffer> {
  if (!reader) return readBytes(source, at, 30, signal);
  const header = Buffer.alloc(30);
  return header.subarray(0, await reader.read(header, 30, at));
}

/**
 * The error an entry's bytes end with, as unspool reports it: a wrong password's and a failed AES
 * authentication's as an {@link EntryError}, and inflate's `Z_BUF_ERROR` (its input ended before
 * the deflate stream did) and a decoder's {@link CutShortError} as the {@link TruncatedError}s they
 * are.
 */
function readError(error: unknown, archive: string, entry: string): unknown {
  if (error instanceof WrongPasswordError) return new EntryError(archive, entry, 'wrong-password', 'the password is wrong');
  if (error instanceof AuthenticationError) return new EntryError(archive, entry, 'corrupt', error.message, { cause: error });
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'Z_BUF_ERROR' || error instanceof CutShortError) {
    return new TruncatedError(describeError(error), { cause: error });
  }
  return error;
}

/**
 * An entry's bytes, read straight from the archive: the local header is read and checked, then
 * exactly the compressed bytes are streamed, decrypted if a password is given (WinZip AES if the
 * entry has its extra field, else traditional encryption), and decompressed (see
 * {@link zipDecompressor}).
 *
 * This re-reads the local header that unzipper's own entry stream would read, on purpose: unzipper
 * reads it without checking its signature, so a record pointing anywhere else would deliver the
 * wrong bytes. Reading the data range directly, rather than through unzipper's entry stream, also
 * spares a copy of every chunk and reads with large buffers; the central directory still comes from
 * unzipper. Given a shared `reader` (a local file), the header is read through it, and stored,
 * unencrypted data, for a caller that keeps no chunk (`reuseChunks`), is not streamed but read
 * into two reused buffers (see {@link reusedChunks}).
 * A password whose header check fails is an {@link EntryError} `wrong-password`; AES data
 * whose authentication code does not match, or AE-1 data whose CRC-32 does not, an
 * {@link EntryError} `corrupt`; data that ends early, a {@link TruncatedError}.
 *
 * @param source The archive's bytes.
 * @param record The entry's central-directory record, as unzipper parsed it.
 * @param config Names for messages, the password if the entry is to be decrypted, the shared
 * reader, and whether chunks may be reused.
 * @return The entry's uncompressed bytes; `destroy` stops even a read still waiting on the header.
 */
export function zipEntryBytes(source: RandomAccessSource, record: ZipRecord, config: ZipEntryBytesConfig): EntryBytes {
  const { archive, entry, password, aes } = config;
  const method = record.compressionMethod === 99 && aes ? aes.method : record.compressionMethod;
  // Stored, unencrypted bytes go to the caller as they are on disk: nothing between needs its own copy.
  const lent = config.reuseChunks === true && method === 0 && password === undefined;
  let inner: Readable | undefined;
  // `destroy` cannot reach the generator while it awaits the local header (`return()` waits for
  // the next `yield`), and over HTTP that read may be waiting out a `Retry-After`: the abort
  // reaches it, and then the data's stream.
  const stopped = new AbortController();
  const chunks = (async function* () {
    const at = record.offsetToLocalFileHeader;
    const reader = await config.reader?.();
    const header = await localHeader(source, at, reader, stopped.signal);
    if (header.length < 30 || header.readUInt32LE(0) !== 0x04034b50) {
      const found = header.length < 4 ? 'the end of the archive' : `0x${header.readUInt32LE(0).toString(16)}`;
      throw new Error(`invalid local file header signature: found ${found} where the central directory points`);
    }
    // The local name and extra field may differ in length from the central directory's copies.
    const dataStart = at + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (lent && reader) {
      let read = 0;
      for await (const chunk of reusedChunks(reader, dataStart, record.compressedSize, stopped.signal)) {
        read += chunk.length;
        yield chunk;
      }
      if (read < record.compressedSize) throw new TruncatedError('unexpected end of the archive');
      return;
    }
    const raw = source.stream(dataStart, record.compressedSize, stopped.signal);
    const stages: (Readable | Duplex)[] = [raw];
    if (password !== undefined && aes !== undefined) {
      stages.push(winZipAesDecryption(password, aes.keyLength, record.compressedSize));
    } else if (password !== undefined) {
      // With the CRC-32 in a data descriptor after the data (bit 3), writers check the DOS time.
      const check = (header.readUInt16LE(6) & 0x08) !== 0 ? header.readUInt16LE(10) >>> 8 : record.crc32 >>> 24;
      stages.push(zipDecryption(password, check));
    }
    const decompressor = method === 0 ? undefined : zipDecompressor(method, { flags: record.flags, size: record.uncompressedSize });
    if (method !== 0 && decompressor === undefined) throw new Error(`unsupported compression method ${method} (${zipMethodName(method)})`);
    if (decompressor !== undefined && 'stream' in decompressor) stages.push(decompressor.stream);
    // pipeline() destroys every stage when one fails, or when the last is destroyed from outside.
    inner = stages.length === 1 ? raw : (pipeline(stages, () => {}) as unknown as Readable);
    const decoded: AsyncIterable<Uint8Array> = decompressor !== undefined && 'decode' in decompressor ? decompressor.decode(inner) : inner;
    // AE-1 keeps the CRC-32 (AE-2 writes 0): checked here rather than by materialise, which would
    // take a mismatch for a wrong password, when the authentication code has already ruled it out.
    const checkCrc = password !== undefined && aes?.version === 1;
    let crc = 0;
    let read = 0;
    try {
      for await (const chunk of decoded) {
        read += chunk.length;
        if (checkCrc) crc = crc32(chunk, crc);
        yield chunk;
      }
    } catch (error) {
      throw readError(error, archive, entry);
    }
    if (checkCrc && crc >>> 0 !== record.crc32 >>> 0) {
      const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
      throw new EntryError(archive, entry, 'corrupt', `CRC-32 ${hex(crc)} does not match the declared ${hex(record.crc32)}, though the AES authentication code does: the zip was written wrong`);
    }
    // A stored entry whose data the archive cuts short ends early here; decompressors notice by
    // themselves, and so does AES decryption.
    const stored = record.compressedSize - (password === undefined ? 0 : aes ? aesHeaderSize(aes.keyLength) + authenticationCodeSize : encryptionHeaderSize);
    if (method === 0 && read < stored) throw new TruncatedError('unexpected end of the archive');
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
