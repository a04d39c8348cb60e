import type { Observable } from 'rxjs';
import type { Entry } from '../entry.js';
import type { ArchiveFormat } from './detectFormat.js';

/** Which entries {@link Archive.entries} leaves out, and how it reads the others. */
export interface EntriesConfig {
  /**
   * Entries for which this returns true are not emitted: a zip does not read them at all, a tar
   * drains them without writing anything. Used to resume. Default: none.
   */
  skip?: ((index: number) => boolean) | undefined;
  /**
   * The password of encrypted entries (zip's ZipCrypto and WinZip AES, 7z, RAR): they are
   * decrypted as they are read. Without it they are emitted as `encrypted: 'no-password'`, and
   * cannot be read. Tar has no encryption and ignores it. Default: none.
   */
  password?: string | undefined;
}

/** Why a file is refused as a whole when its first bytes show none of the formats unspool reads. */
export const notAnArchive = 'not a zip, 7z, RAR or tar archive (a tar may be gzip, xz, bzip2 or zstd compressed)';

/** Where an archive read over HTTP comes from, as far as it may be recorded (no secrets). */
export interface RemoteOrigin {
  /** The address without query string or user info: what identifies the archive across runs. */
  readonly url: string;
  /** Whether the server answers byte ranges (when it does not, a zip is downloaded first). */
  readonly ranged: boolean;
  readonly etag?: string;
  readonly lastModified?: string;
  /** Body bytes received so far, over every request: what reading the archive has cost. */
  readonly bytesFetched: number;
}

/** An opened archive: what is known about it up front, and its entries as an Observable. */
export interface Archive {
  /** The archive as the user named it, for messages. */
  readonly name: string;
  readonly format: ArchiveFormat;
  /** Size of the archive in bytes. */
  readonly size: number;
  /** Number of entries, when the format tells it up front (zip). */
  readonly entryCount?: number;
  /**
   * A fingerprint of the archive's structure (the zip central directory, the first blocks of a
   * tar), so that a different archive under the same name is told apart.
   */
  readonly fingerprint: string;
  /**
   * The entries, one at a time: the next is read only after the current one is released.
   * Each subscription reads the archive anew.
   */
  entries(config?: EntriesConfig): Observable<Entry>;
  /** Set when the archive is read over HTTP. */
  readonly remote?: RemoteOrigin;
  /**
   * Ends what opening the archive started: a copy downloaded to read it (a zip from a server
   * without byte ranges) is deleted. Call it once the run is over; calling it again does nothing.
   */
  close?(): Promise<void>;
}

/**
 * An archive with its origin, whose `close()` also lets go of what its source holds for it (a
 * download to delete, a connection to log out of): `after` runs once, after the archive's own
 * `close()`, however often `close()` is called.
 *
 * @param archive The archive as its reader opened it.
 * @param remote Where it comes from, as recorded (no secrets).
 * @param after What to let go of.
 */
export function closingWith(archive: Archive, remote: RemoteOrigin, after: () => Promise<unknown>): Archive {
  let closed = false;
  return {
    ...archive,
    remote,
    async close() {
      if (closed) return;
      closed = true;
      await archive.close?.();
      await after();
    },
  };
}
