import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArchiveError, describeError } from '../../errors.js';
import type { Archive } from '../archive.js';
import { detectFormat } from '../detectFormat.js';
import type { SevenZipOpenOptions } from './openSevenZipArchive.js';
import type { SevenZipVolume } from './sevenZipRun.js';
import { volumeNaming } from './sevenZipVolumeNames.js';

/**
 * Opens a local 7z or RAR archive that is one volume of a set (`x.7z.001`, `x.part2.rar`,
 * `x.r00`…), from the set's first volume, whichever volume the user named; `undefined` when
 * `path` is not such a volume (a lone `x.7z` or `x.rar` is opened by its format instead).
 *
 * Volumes are read in place by 7-Zip's worker (no copy); they are found by name in the same
 * folder, from the first on while they follow each other. A volume missing before one that is
 * there is named at once; a set missing its last volumes is refused by 7-Zip when it cannot
 * list it, or breaks where the missing volume starts.
 *
 * @param path The local file the user named.
 * @param name The archive as the user named it, for messages.
 * @param options `signal` ends the opening early; `password` lists a set whose names are encrypted.
 * @throws ArchiveError when the first volume or a middle one is missing, or 7-Zip cannot list the set.
 */
export async function openSevenZipVolumes(path: string, name: string, options: SevenZipOpenOptions = {}): Promise<Archive | undefined> {
  options.signal?.throwIfAborted();
  const folder = dirname(path);
  let present: Set<string>;
  try {
    present = new Set(await readdir(folder));
  } catch {
    return undefined;
  }
  const naming = volumeNaming(basename(path), (file) => present.has(file));
  if (!naming) return undefined;
  const first = naming.name(0);
  if (!present.has(first)) throw new ArchiveError(name, `the first volume of the set, ${join(folder, first)}, is missing`);
  let format;
  try {
    format = await detectFormat(join(folder, first));
  } catch (error) {
    throw new ArchiveError(name, `cannot read ${first}: ${describeError(error)}`, { cause: error });
  }
  // A split zip (`x.zip.001` holds a zip) is another reader's.
  if (format !== naming.format) return undefined;
  const volumes: SevenZipVolume[] = [];
  for (let n = 0; present.has(naming.name(n)); n++) {
    const file = join(folder, naming.name(n));
    volumes.push({ name: naming.name(n), size: (await stat(file)).size, path: file });
  }
  // A volume after the gap, among the next thousand names, says the gap is a volume missing.
  const after = Array.from({ length: 1000 }, (_, n) => naming.name(volumes.length + 1 + n));
  if (after.some((file) => present.has(file))) throw new ArchiveError(name, `a volume is missing: ${join(folder, naming.name(volumes.length))}`);
  // Loaded only for a set: every archive opened comes through here first, and a zip or a tar
  // never needs 7-Zip's reader (its worker thread and WebAssembly runner).
  const { openSevenZipArchive } = await import('./openSevenZipArchive.js');
  return openSevenZipArchive(volumes, name, format, options);
}
