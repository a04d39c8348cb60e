import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crashPoint } from '../crashPoint.js';
import { describeError, SinkError } from '../errors.js';
import type { SinkReason } from '../reasons.js';
import type { Album, Receipt } from '../step.js';
import { safeFileName, uniqueFileName } from './safeFileName.js';
import type { Sink } from './sink.js';

/** What each album folder's `album.json` holds. */
export interface AlbumJson {
  /** The album id; a second delivery of the same id is a no-op. */
  readonly id: string;
  /** The archive the files came from. */
  readonly archive: string;
  readonly items: readonly { readonly entry: string; readonly file: string; readonly type: string }[];
}

const albumFolder = /^\d{6,}$/;
const partialPrefix = '.partial-';

/**
 * Puts a temp file into the album without a second copy where the file system allows: a hard link,
 * so that the temp file is still there if the album fails half way and is attempted again (the
 * `deliver` operator deletes temp files once the album is in place). File systems without links,
 * or another file system, get a copy.
 *
 * @return How the file got there.
 */
async function place(from: string, to: string): Promise<'linked' | 'copied'> {
  try {
    await link(from, to);
    return 'linked';
  } catch (error) {
    if (!['EXDEV', 'EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await copyFile(from, to);
    return 'copied';
  }
}

/**
 * A sink that writes each album to a folder of its own under `root`, named by a six-digit number
 * that sorts in send order (`000001`, `000002`, …), holding the album's files under safe names and
 * an `album.json` that lists them with the entry each came from.
 *
 * An album appears atomically: it is assembled under a hidden `.partial-<id>` name and renamed
 * into place. Temp files are hard-linked in (copied if the sink is on another file system) and
 * deleted by `deliver` once the album is in place.
 * Delivering an album id that is already in the folder is a no-op, which is what makes re-sending
 * an album after a crash harmless. Leftover partial folders from a dead run are removed on open.
 *
 * @param root The folder; created if missing.
 * @return The sink, with the folder's existing albums indexed.
 */
export async function dirSink(root: string): Promise<Sink> {
  const folder = resolve(root);
  await mkdir(folder, { recursive: true });
  const delivered = new Map<string, Receipt>();
  let last = 0;
  for (const name of await readdir(folder)) {
    if (name.startsWith(partialPrefix)) {
      await rm(join(folder, name), { recursive: true, force: true });
      continue;
    }
    if (!albumFolder.test(name)) continue;
    last = Math.max(last, Number(name));
    try {
      const json = JSON.parse(await readFile(join(folder, name, 'album.json'), 'utf8')) as AlbumJson;
      delivered.set(json.id, { items: json.items.map((item) => join(folder, name, item.file)) });
    } catch {
      // A folder without a readable album.json is not ours to index; its number is still taken.
    }
  }

  const deliver = async (album: Album, signal: AbortSignal): Promise<Receipt> => {
    const known = delivered.get(album.id);
    if (known) return known;
    const partial = join(folder, `${partialPrefix}${album.id}`);
    try {
      await rm(partial, { recursive: true, force: true });
      await mkdir(partial);
      const taken = new Set<string>();
      const items = album.files.map((file) => ({
        entry: file.entry.name,
        file: uniqueFileName(safeFileName(file.entry.name, `entry-${file.entry.index}`), taken),
        type: file.media,
      }));
      signal.throwIfAborted();
      const placeAt = (at: number) => place(album.files[at]!.path, join(partial, items[at]!.file));
      // Links cost nothing, and the rest go at once once the first is one; copies (another file
      // system) go one after another, as two copies at once would only make a disk seek.
      if (items.length > 0 && (await placeAt(0)) === 'linked') await Promise.all(items.slice(1).map((_, at) => placeAt(at + 1)));
      else for (let at = 1; at < items.length; at++) await placeAt(at);
      const json: AlbumJson = { id: album.id, archive: album.files[0]?.entry.archive ?? '', items };
      await writeFile(join(partial, 'album.json'), `${JSON.stringify(json, null, 1)}\n`);
      signal.throwIfAborted();
      // Another run may take a number at the same moment: the rename fails and the next is tried.
      for (;;) {
        const name = String(++last).padStart(6, '0');
        try {
          await rename(partial, join(folder, name));
          const receipt = { items: items.map((item) => join(folder, name, item.file)) };
          delivered.set(album.id, receipt);
          crashPoint('after-sink');
          return receipt;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        }
      }
    } catch (error) {
      await rm(partial, { recursive: true, force: true }).catch(() => {});
      throw new SinkError(`cannot write to ${folder}: ${describeError(error)}`, { reason: 'write-error' satisfies SinkReason, cause: error });
    }
  };

  return { name: `dir:${folder}`, deliver };
}
