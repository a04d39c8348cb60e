import { Readable } from 'node:stream';
import type { EntryBytes } from '../entry.js';
import { EntryError } from '../errors.js';
import type { RandomAccessSource } from './randomAccess.js';

/** A volume of a split archive that is not there: reading its bytes fails with this, naming it. */
export class MissingVolumeError extends Error {
  override readonly name = 'MissingVolumeError';
  /** @param volume The file the volume was expected in. */
  constructor(readonly volume: string) {
    super(`missing volume ${volume}`);
  }
}

/**
 * Stands in for a volume that is not there, so that the volumes after it keep their offsets: every
 * read of it fails with a {@link MissingVolumeError}.
 *
 * @param volume The file the volume was expected in.
 */
export function missingVolumeSource(volume: string): RandomAccessSource {
  return {
    size: () => Promise.reject(new MissingVolumeError(volume)),
    stream: () =>
      new Readable({
        read() {
          this.destroy(new MissingVolumeError(volume));
        },
      }),
  };
}

/**
 * An entry's bytes whose reading fails as `unreadable`, naming the missing volume, where they run
 * into a volume that is not there: the entry cannot be read from this set, but it is not corrupt.
 *
 * @param bytes The entry's bytes.
 * @param archive The archive as the user named it.
 * @param entry The entry's name.
 */
export function failingOnMissingVolume(bytes: EntryBytes, archive: string, entry: string): EntryBytes {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* bytes;
      } catch (error) {
        throw error instanceof MissingVolumeError ? new EntryError(archive, entry, 'unreadable', error.message, { cause: error }) : error;
      }
    },
    destroy: (error) => bytes.destroy(error),
  };
}
