/**
 * What an archive entry is, as the pipeline sees it: a name, a size, a kind, a media type, and a
 * way to read its bytes once.
 */

/** What an entry is on the file system it was archived from. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/**
 * How Telegram will show an entry, decided by {@link mediaTypeOf} from its name and refined from its
 * first bytes while it is materialised. Photos and videos may share an album; audio only goes with
 * audio and documents only with documents.
 */
export type MediaType = 'photo' | 'video' | 'audio' | 'document';

/**
 * How an encrypted entry is encrypted, and so whether it can be read:
 * - `password`: traditional zip encryption ("ZipCrypto") or WinZip AES, and the source was given a
 *   password: {@link Entry.open} decrypts, and a wrong password fails the entry as `wrong-password`;
 * - `no-password`: either of those, and no password was given: it cannot be read;
 * - `aes`: PKWARE strong encryption (flag bit 6), which unspool cannot read whatever the password.
 *   The name is older than unspool's WinZip AES support, and kept: it is the `encrypted-aes` skip.
 */
export type Encryption = 'password' | 'no-password' | 'aes';

/** The bytes of one entry: an async iterable of chunks that can be abandoned early. */
export interface EntryBytes extends AsyncIterable<Uint8Array> {
  /** Stops reading and releases the underlying file or connection. */
  destroy(error?: Error): void;
}

/** How the caller of {@link Entry.open} uses the chunks, which lets a source read them more cheaply. */
export interface OpenConfig {
  /**
   * The caller is done with each chunk before it asks for the next (it checks it and writes it
   * out, and keeps no reference), so the source may read the next chunk into the same memory: a
   * local zip's stored entries are then read into two buffers taking turns, with no garbage for
   * the collector however large the entry. Sources that cannot, ignore it. Default: false, every
   * chunk is the caller's to keep.
   */
  readonly reuseChunks?: boolean | undefined;
}

/**
 * One entry of an archive, emitted by a source ({@link zipEntries}, {@link tarEntries}).
 *
 * A source emits the next entry only after the current one has been released: that is how the
 * pipeline holds back the reading of an archive while an album is on its way (backpressure, as
 * tar-stream does with its `next` callback).
 */
export interface Entry {
  /** The archive this entry belongs to, as given by the user (for messages). */
  readonly archive: string;
  /** Position in the archive, from 0: central-directory order for zip, stream order for tar. */
  readonly index: number;
  /** The name as stored in the archive, decoded to text. Never used as a path. */
  readonly name: string;
  /** Declared uncompressed size in bytes. The materialised size is checked against it. */
  readonly size: number;
  /** File, directory, link or other special entry. Only files are delivered. */
  readonly kind: EntryKind;
  /** Media type from the name; `materialise` may refine it from the first bytes. */
  readonly media: MediaType;
  /** Zip only: the compressed size, for the zip-bomb ratio check. */
  readonly compressedSize?: number;
  /** Zip only: the CRC-32 the archive declares for the uncompressed bytes. */
  readonly crc32?: number;
  /**
   * Zip only: the compression method as APPNOTE 4.4.5 numbers it (0 stored, 8 deflate, 9 Deflate64,
   * 12 BZip2, 14 LZMA, 93 Zstandard, 95 XZ are read); for a WinZip AES entry, the method inside
   * the encryption (its 0x9901 extra field's), not 99.
   */
  readonly method?: number;
  /**
   * The compression method, by name (`PPMd`, `Implode`, `method 42`), when the source cannot
   * decompress it. Such an entry also has a {@link problem}, and is skipped as
   * `unsupported-method` rather than failed: it is not broken, only out of unspool's reach.
   */
  readonly unsupportedMethod?: string;
  /** Whether the entry is encrypted and, if it is, whether it can be read: see {@link Encryption}. */
  readonly encrypted: false | Encryption;
  /**
   * Why the archive's own headers say this entry cannot be read (an unsupported compression
   * method, sizes missing, data past the end of the archive). Such an entry fails unopened.
   */
  readonly problem?: string;
  /** Opens the entry's bytes. Call at most once. */
  open(config?: OpenConfig): EntryBytes;
  /**
   * Hands the entry back to its source, which then reads the next one. Idempotent. If the bytes
   * were not read to the end, the source drains or closes them itself.
   */
  release(): void;
}

/** The fields of an entry worth keeping after it is gone: for manifests, summaries and messages. */
export interface EntryRef {
  readonly index: number;
  readonly name: string;
  readonly size: number;
}

/** Keeps only the fields of an entry that outlive it. */
export function entryRef(entry: EntryRef): EntryRef {
  return { index: entry.index, name: entry.name, size: entry.size };
}
