import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { vi } from 'vitest';
import type { ManifestData } from '../../src/state/manifest.js';
import type { AlbumJson } from '../../src/sinks/dirSink.js';
import { sha256 } from './sampleBytes.js';

/**
 * A fresh temp folder per test, laid out as a user would: the archive beside an `out` folder (the
 * sink) and a `state` folder. Anything else that shows up in `root` was written where it must not be.
 */
export interface Workspace {
  readonly root: string;
  /** The folder sink's root. */
  readonly out: string;
  /** The state folder (manifests, locks, `tmp`). */
  readonly state: string;
}

/** Creates a workspace under `os.tmpdir()`; `out` and `state` are left for unspool to create. */
export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'unspool-it-'));
  return { root, out: join(root, 'out'), state: join(root, 'state') };
}

/** Removes a workspace and everything in it. */
export async function removeWorkspace(workspace: Workspace | undefined): Promise<void> {
  if (workspace) await rm(workspace.root, { recursive: true, force: true });
}

/** Every file under a folder, as sorted paths relative to it; `[]` if the folder does not exist. */
export async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

/** One file as the folder sink delivered it. */
export interface DeliveredFile {
  /** The entry's name as stored in the archive. */
  readonly entry: string;
  /** Its file name in the album folder. */
  readonly file: string;
  readonly type: string;
  readonly sha256: string;
  readonly size: number;
}

/** One album folder of the folder sink. */
export interface DeliveredAlbum {
  /** The folder's name (`000001`, …). */
  readonly folder: string;
  readonly id: string;
  readonly archive: string;
  readonly files: readonly DeliveredFile[];
}

/**
 * Reads every album the folder sink wrote, in folder order, with the bytes of each file hashed.
 * Fails if an album lists a file that is missing.
 */
export async function readAlbums(out: string): Promise<DeliveredAlbum[]> {
  const folders = (await readdir(out).catch(() => [])).filter((name) => /^\d{6,}$/.test(name)).sort();
  return Promise.all(
    folders.map(async (folder) => {
      const json = JSON.parse(await readFile(join(out, folder, 'album.json'), 'utf8')) as AlbumJson;
      const files = await Promise.all(
        json.items.map(async (item) => {
          const bytes = await readFile(join(out, folder, item.file));
          return { entry: item.entry, file: item.file, type: item.type, sha256: sha256(bytes), size: bytes.length };
        }),
      );
      return { folder, id: json.id, archive: json.archive, files };
    }),
  );
}

/** Every delivered file, album after album, in album order. */
export const deliveredFiles = (albums: readonly DeliveredAlbum[]): DeliveredFile[] => albums.flatMap((album) => album.files);

/** The albums as lists of entry names: the shape of a delivery at a glance. */
export const albumEntries = (albums: readonly DeliveredAlbum[]): string[][] => albums.map((album) => album.files.map((file) => file.entry));

/** Every delivered file as its entry name and SHA-256, sorted by name: the delivery, order aside. */
export async function deliveredDigests(out: string): Promise<{ entry: string; sha256: string }[]> {
  return deliveredFiles(await readAlbums(out))
    .map(({ entry, sha256 }) => ({ entry, sha256 }))
    .sort((a, b) => a.entry.localeCompare(b.entry));
}

/** The one manifest in a state folder, as it is on disk now. */
export function manifestOnDisk(state: string): ManifestData {
  const folder = join(state, 'manifests');
  const file = readdirSync(folder).find((name) => name.endsWith('.json'));
  if (!file) throw new Error(`no manifest in ${folder}`);
  return JSON.parse(readFileSync(join(folder, file), 'utf8')) as ManifestData;
}

/**
 * Waits until a run has let go of its lock (its clean-up's last step), so the next run may start:
 * for a run in another process, or one dropped by unsubscribing, whose clean-up cannot be awaited.
 * A run stopped through its signal has let go once it completes (`runSendUntil`).
 */
export async function lockReleased(state: string): Promise<void> {
  await vi.waitFor(async () => {
    if ((await readdir(join(state, 'locks')).catch(() => [])).length > 0) throw new Error('the stopped run never released its lock');
  }, { timeout: 2_000, interval: 10 });
}
