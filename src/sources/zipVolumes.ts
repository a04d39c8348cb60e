import type { Archive } from './archive.js';

/**
 * Opens a local zip that is split into volumes (`x.z01 … x.zip`, `x.zip.001 …`), from any of
 * them; `undefined` when `path` is not such a volume. Not written yet: it never claims a file.
 *
 * @param path The local file the user named.
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the opening early.
 */
export async function openZipVolumes(path: string, name: string, signal?: AbortSignal): Promise<Archive | undefined> {
  void path;
  void name;
  signal?.throwIfAborted();
  return undefined;
}
