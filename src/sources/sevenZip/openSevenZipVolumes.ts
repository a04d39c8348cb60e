import type { Archive } from '../archive.js';

/**
 * Opens a local 7z or RAR archive that is one volume of a set (`x.7z.001`, `x.part2.rar`,
 * `x.r00`…), from the set's first volume; `undefined` when `path` is not such a volume. Not
 * written yet: it never claims a file.
 *
 * @param path The local file the user named.
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the opening early.
 */
export async function openSevenZipVolumes(path: string, name: string, signal?: AbortSignal): Promise<Archive | undefined> {
  void path;
  void name;
  signal?.throwIfAborted();
  return undefined;
}
