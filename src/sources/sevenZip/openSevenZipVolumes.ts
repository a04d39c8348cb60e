import type { Archive } from '../archive.js';
import type { SevenZipOpenOptions } from './openSevenZip.js';

/**
 * Opens a local 7z or RAR archive that is one volume of a set (`x.7z.001`, `x.part2.rar`,
 * `x.r00`…), from the set's first volume; `undefined` when `path` is not such a volume. Not
 * written yet: it never claims a file.
 *
 * @param path The local file the user named.
 * @param name The archive as the user named it, for messages.
 * @param options `signal` ends the opening early; `password` lists a set whose names are encrypted.
 */
export async function openSevenZipVolumes(path: string, name: string, options: SevenZipOpenOptions = {}): Promise<Archive | undefined> {
  void path;
  void name;
  options.signal?.throwIfAborted();
  return undefined;
}
