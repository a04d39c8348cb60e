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

/** The most a folder held at once, over the samples taken while something runs. */
export interface PeakUsage {
  /** The largest file count and the largest byte count seen (not necessarily at the same sample). */
  readonly peak: Usage;
  /** Takes a sample: the folder's usage now, which also raises the peak. */
  sample(): Promise<Usage>;
}

/**
 * Follows the peak usage of `folder` (a run's temp folder, its downloads): call `sample` on each
 * tick of a measurement, read `peak` at the end.
 */
export function peakUsage(folder: string): PeakUsage {
  let peak: Usage = { files: 0, bytes: 0 };
  return {
    get peak() {
      return peak;
    },
    async sample() {
      const now = await diskUsage(folder);
      peak = { files: Math.max(peak.files, now.files), bytes: Math.max(peak.bytes, now.bytes) };
      return now;
    },
  };
}
