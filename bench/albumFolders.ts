import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlbumJson } from '../src/sinks/dirSink.js';

/** One album as the folder sink left it. */
export interface AlbumFolder {
  /** The folder name, `000001`, … */
  readonly folder: string;
  /** The album id from its `album.json`. */
  readonly id: string;
  /** The entry names of its files, in album order. */
  readonly entries: readonly string[];
  /** The bytes of its files (`album.json` not counted). */
  readonly bytes: number;
}

const albumName = /^\d{6,}$/;

/**
 * The album folders of a `dir:` destination, in delivery order. Cheap enough to poll: one
 * `readdir`, nothing opened. Partial folders (`.partial-…`) are not albums yet and are left out.
 *
 * @param out The destination folder.
 */
export async function albumFolderNames(out: string): Promise<string[]> {
  return (await readdir(out).catch(() => [])).filter((name) => albumName.test(name)).sort();
}

/**
 * Reads every album of a `dir:` destination: its id and entries from `album.json`, and the sizes of
 * its files.
 *
 * @param out The destination folder.
 */
export async function albumFolders(out: string): Promise<AlbumFolder[]> {
  const albums: AlbumFolder[] = [];
  for (const folder of await albumFolderNames(out)) {
    const json = JSON.parse(await readFile(join(out, folder, 'album.json'), 'utf8')) as AlbumJson;
    let bytes = 0;
    for (const item of json.items) bytes += (await stat(join(out, folder, item.file))).size;
    albums.push({ folder, id: json.id, entries: json.items.map((item) => item.entry), bytes });
  }
  return albums;
}
