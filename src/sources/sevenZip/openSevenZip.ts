import { ArchiveError } from '../../errors.js';
import type { Archive } from '../archive.js';
import type { RandomAccessSource } from '../randomAccess.js';

/**
 * Opens a 7z or RAR archive. Not written yet: every such archive is refused as unreadable.
 *
 * @param source The archive's bytes.
 * @param name The archive as the user named it, for messages.
 * @param format `7z` or `rar`, from its first bytes.
 * @param signal Ends the opening early.
 */
export async function openSevenZip(source: RandomAccessSource, name: string, format: '7z' | 'rar', signal?: AbortSignal): Promise<Archive> {
  void source;
  signal?.throwIfAborted();
  throw new ArchiveError(name, `${format} archives are not supported yet`);
}
