import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { fixtureBytes } from './fixtureBytes.js';
import { type FixtureEntry, fixtureLayout } from './fixtureLayout.js';

/** Bump when the bytes or the layout of the fixtures change: cached archives are then rebuilt. */
export const fixtureVersion = 2;

/** The two benchmark archives, with what they hold. */
export interface Fixtures {
  /** `bench/.cache/camera-roll.zip` */
  readonly zip: string;
  /** `bench/.cache/camera-roll.tar.gz`, the same entries. */
  readonly tgz: string;
  /** The entries of both, in archive order. */
  readonly entries: readonly FixtureEntry[];
  /** Uncompressed bytes of all entries. */
  readonly totalBytes: number;
}

interface Stamp {
  version: number;
  layout: string;
  sizes: Record<string, number>;
}

const mtime = new Date('2023-12-31T12:00:00Z');
/** Room needed to build both archives (about 1 GB each) next to what a run extracts. */
const roomNeeded = 3.5e9;

/**
 * Writes the zip as `zip -r` or a phone's exporter would: photos, PDFs and text deflated (photos
 * shrink by 1–2 %), videos stored (deflate cannot shrink them). Every entry is streamed in.
 */
async function writeZip(entries: readonly FixtureEntry[], path: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    zip.addReadStreamLazy(entry.name, { size: entry.size, mtime, compress: entry.kind !== 'video' }, (callback) =>
      callback(null, Readable.from(fixtureBytes(entry), { objectMode: false })),
    );
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

/** Writes the tar.gz as `tar -czf` would (ustar, gzip level 6), streaming every entry through. */
async function writeTarGz(entries: readonly FixtureEntry[], path: string): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(Readable.from(pack, { objectMode: false }), createGzip(), createWriteStream(path));
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name: entry.name, size: entry.size, mtime, mode: 0o644 }, (error) => (error ? reject(error) : resolve()));
      (async () => {
        for await (const chunk of fixtureBytes(entry)) if (!sink.write(chunk)) await once(sink, 'drain');
        sink.end(undefined); // streamx types want an argument; undefined writes nothing
      })().catch(reject);
    });
  }
  pack.finalize();
  await written;
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (found) => found.size,
    () => undefined,
  );
}

/**
 * The benchmark archives, built once into `cacheDir` and reused: an archive is rebuilt when it is
 * missing, when its size differs from the stamp, or when {@link fixtureVersion} or the layout
 * changed. Building streams every entry (nothing near 1 GB is held in memory), writes under a
 * temporary name and renames, so a build that is stopped never leaves a fixture that looks whole.
 *
 * @param cacheDir `bench/.cache`.
 * @param log Where progress lines go.
 * @param force Rebuild even when the cache is valid.
 */
export async function ensureFixtures(cacheDir: string, log: (line: string) => void, force = false): Promise<Fixtures> {
  await mkdir(cacheDir, { recursive: true });
  const entries = fixtureLayout();
  const layout = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  const zip = join(cacheDir, 'camera-roll.zip');
  const tgz = join(cacheDir, 'camera-roll.tar.gz');
  const stampFile = join(cacheDir, 'fixtures.json');
  const stamp = (await readFile(stampFile, 'utf8').then(JSON.parse, () => undefined)) as Stamp | undefined;
  const valid = stamp?.version === fixtureVersion && stamp.layout === layout && !force;
  const builders = { [zip]: writeZip, [tgz]: writeTarGz };
  const stale: string[] = [];
  for (const path of [zip, tgz]) {
    const size = await sizeOf(path);
    if (!valid || size === undefined || size !== stamp?.sizes[path]) stale.push(path);
  }
  if (stale.length) {
    const { bavail, bsize } = await statfs(cacheDir);
    if (bavail * bsize < roomNeeded) {
      throw new Error(`${cacheDir}: ${(bavail * bsize / 1e9).toFixed(1)} GB free; the fixtures and one extraction need ${roomNeeded / 1e9} GB`);
    }
    const started = performance.now();
    log(`building ${stale.join(' and ')} (${entries.length} entries; once, then cached) ...`);
    await Promise.all(
      stale.map(async (path) => {
        await rm(path, { force: true });
        await builders[path]!(entries, `${path}.partial`);
        await rename(`${path}.partial`, path);
      }),
    );
    log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const sizes = { [zip]: (await sizeOf(zip))!, [tgz]: (await sizeOf(tgz))! };
  await writeFile(stampFile, `${JSON.stringify({ version: fixtureVersion, layout, sizes } satisfies Stamp, null, 1)}\n`);
  return { zip, tgz, entries, totalBytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
}
