import { ArchiveError } from '../errors.js';
import type { Archive } from './archive.js';
import { concatSource } from './concatSource.js';
import { missingVolumeSource } from './missingVolume.js';
import { fileSource } from './randomAccess.js';
import { findZipVolumeSet, ZipVolumeSetError } from './zipVolumeSet.js';

/**
 * Opens a local zip that is split into volumes (`x.z01 … x.zip`, `x.zip.001 …`), from any of
 * them; `undefined` when `path` is not such a volume (a lone `x.zip` included: it is read the
 * ordinary way). The volumes are read as one source, one after another (see `concatSource`); a
 * spanned set's entries are placed on their disks. A missing volume fails the opening when it holds
 * part of the central directory, and otherwise only the entries whose bytes it holds, as
 * `unreadable` (`missing volume x.z03`).
 *
 * @param path The local file the user named.
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the opening early.
 * @throws ArchiveError when the set's last volume (`x.zip`, which holds the central directory) is
 * missing or is not one, or the central directory cannot be read.
 */
export async function openZipVolumes(path: string, name: string, signal?: AbortSignal): Promise<Archive | undefined> {
  signal?.throwIfAborted();
  const set = await findZipVolumeSet(path).catch((error: unknown) => {
    throw error instanceof ZipVolumeSetError ? new ArchiveError(name, error.message, { cause: error }) : error;
  });
  if (!set) return undefined;
  const parts = set.volumes.map((volume) => ({ source: volume.missing ? missingVolumeSource(volume.path) : fileSource(volume.path), size: volume.size }));
  const diskStarts = set.kind === 'spanned' ? parts.map((_, i) => parts.slice(0, i).reduce((sum, part) => sum + part.size, 0)) : [0];
  const { openZip } = await import('./zipArchive.js');
  return openZip(concatSource(parts), name, signal, diskStarts);
}
