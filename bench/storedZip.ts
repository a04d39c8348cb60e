import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { fixtureBytes } from './fixtureBytes.js';
import type { FixtureEntry } from './fixtureLayout.js';

/** Bump when the bytes or the layout change: the cached archive is then rebuilt. */
const storedZipVersion = 1;

/** The stored zip of issue 14, with what it holds. */
export interface StoredZip {
  /** `bench/.cache/stored-1gb.zip` */
  readonly path: string;
  readonly entries: readonly FixtureEntry[];
  /** Uncompressed (and, stored, compressed) bytes of all entries. */
  readonly totalBytes: number;
}

/**
 * What the stored zip holds: 200 photos of 2 MB (`Photos/IMG_0001.jpg` …) and one video of 600 MB,
 * 1 GB in all. Stored, as `zip -0` writes it and a phone's exporter writes media: nothing is
 * compressed, so extracting it is reading, checking and writing bytes, nothing else.
 */
export function storedZipLayout(): FixtureEntry[] {
  const photos = Array.from({ length: 200 }, (_, index): FixtureEntry => ({
    index,
    name: `Photos/IMG_${String(index + 1).padStart(4, '0')}.jpg`,
    size: 2_000_000,
    kind: 'photo',
  }));
  return [...photos, { index: photos.length, name: 'Videos/VID_0001.mp4', size: 600_000_000, kind: 'video' }];
}

/**
 * The stored zip, built once into `cacheDir` and reused while its stamp matches: streamed entry by
 * entry (nothing near 1 GB in memory), under a temporary name that is renamed when whole. The bytes
 * are the camera roll's (see {@link fixtureBytes}): incompressible, with the magic bytes that
 * unspool sniffs.
 *
 * @param cacheDir `bench/.cache`.
 * @param log Where progress lines go.
 * @param force Rebuild even when the cached archive is valid.
 */
export async function ensureStoredZip(cacheDir: string, log: (line: string) => void, force = false): Promise<StoredZip> {
  const entries = storedZipLayout();
  const path = join(cacheDir, 'stored-1gb.zip');
  const stampFile = join(cacheDir, 'stored-1gb.json');
  const stamp = JSON.stringify({ version: storedZipVersion, entries: entries.map(({ name, size, kind }) => [name, size, kind]) });
  const size = await stat(path).then((found) => found.size, () => undefined);
  const stamped = (await readFile(stampFile, 'utf8').catch(() => undefined)) === `${stamp}\n${size}`;
  if (force || !stamped) {
    const started = performance.now();
    log(`building ${path} (${entries.length} stored entries; once, then cached) ...`);
    const zip = new yazl.ZipFile();
    const mtime = new Date('2023-12-31T12:00:00Z');
    for (const entry of entries) {
      zip.addReadStreamLazy(entry.name, { size: entry.size, mtime, compress: false }, (callback) =>
        callback(null, Readable.from(fixtureBytes(entry), { objectMode: false })),
      );
    }
    zip.end();
    await rm(path, { force: true });
    await pipeline(zip.outputStream, createWriteStream(`${path}.partial`));
    await rename(`${path}.partial`, path);
    await writeFile(stampFile, `${stamp}\n${(await stat(path)).size}`);
    log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { path, entries, totalBytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
}
