import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files and bytes under a folder. */
export interface Usage {
  readonly files: number;
  readonly bytes: number;
}

/**
 * Counts the files under a folder and adds up their sizes (`st_size`; a hard link counts once per
 * name). Files and folders that vanish while it looks, as temp files do, are simply not counted; a
 * missing folder is empty.
 *
 * @param folder The folder.
 */
export async function diskUsage(folder: string): Promise<Usage> {
  let names;
  try {
    names = await readdir(folder, { withFileTypes: true });
  } catch {
    return { files: 0, bytes: 0 };
  }
  let files = 0;
  let bytes = 0;
  for (const name of names) {
    const path = join(folder, name.name);
    if (name.isDirectory()) {
      const inner = await diskUsage(path);
      files += inner.files;
      bytes += inner.bytes;
    } else {
      const size = await stat(path).then(
        (found) => found.size,
        () => undefined,
      );
      if (size === undefined) continue;
      files++;
      bytes += size;
    }
  }
  return { files, bytes };
}

/**
 * The names of the files under a folder, recursively, relative to it; a missing folder has none.
 *
 * @param folder The folder.
 */
export async function fileNames(folder: string): Promise<string[]> {
  const names = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return names.filter((name) => name.isFile()).map((name) => join(name.parentPath ?? name.path, name.name).slice(folder.length + 1));
}
