import { ArchiveError } from '../../errors.js';
import type { Archive } from '../archive.js';
import type { RandomAccessSource } from '../randomAccess.js';

/** Options of {@link openSevenZip} and `openSevenZipVolumes`. */
export interface SevenZipOpenOptions {
  /** Ends the opening early. Default: none. */
  signal?: AbortSignal | undefined;
  /** The password, needed at once for an archive whose names are encrypted. Default: none. */
  password?: string | undefined;
}

/**
 * Opens a 7z or RAR archive. Not written yet: every such archive is refused as unreadable.
 *
 * @param source The archive's bytes.
 * @param name The archive as the user named it, for messages.
 * @param format `7z` or `rar`, from its first bytes.
 * @param options `signal` ends the opening early; `password` lists an archive whose names are encrypted.
 */
export async function openSevenZip(source: RandomAccessSource, name: string, format: '7z' | 'rar', options: SevenZipOpenOptions = {}): Promise<Archive> {
  void source;
  options.signal?.throwIfAborted();
  throw new ArchiveError(name, `${format} archives are not supported yet`);
}
