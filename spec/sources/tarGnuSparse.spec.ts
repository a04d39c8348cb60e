import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/entry.js';
import { fileSource } from '../../src/sources/randomAccess.js';
import { openTarSource } from '../../src/sources/tarArchive.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';

/** GNU tar writes every sparse format; bsdtar and busybox tar write none of them. */
const gnuTar = (() => {
  try {
    return execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar');
  } catch {
    return false;
  }
})();

/** What a reader made of one entry: its bytes as a digest, and the largest chunk it came in. */
interface Read {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly largestChunk: number;
}

async function digest(entry: Entry): Promise<Read> {
  const hash = createHash('sha256');
  let bytes = 0;
  let largestChunk = 0;
  for await (const chunk of entry.open()) {
    hash.update(chunk);
    bytes += chunk.length;
    largestChunk = Math.max(largestChunk, chunk.length);
  }
  return { name: entry.name, size: entry.size, sha256: hash.digest('hex'), bytes, largestChunk };
}

async function readTar(path: string): Promise<Read[]> {
  const archive = await openTarSource(fileSource(path), path, 'tar');
  return firstValueFrom(
    archive.entries().pipe(
      concatMap(async (entry) => {
        const read = await digest(entry);
        entry.release();
        return read;
      }),
      toArray(),
    ),
  );
}

/** The SHA-256 of a file as the file system reads it back: holes read as zeros. */
async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.skipIf(!gnuTar)('GNU sparse files written by GNU tar', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-sparse-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /**
   * A file with `regions` stretches of 8 KiB of data 64 KiB apart, truncated to `realSize`: the
   * file system keeps the rest as holes, which `tar --sparse` finds.
   */
  async function sparseFile(regions: number, realSize: number): Promise<string> {
    const path = join(folder, 'disk.img');
    const file = await open(path, 'w');
    for (let i = 0; i < regions; i++) await file.write(pseudoRandomBytes(8192, `region-${i}`), 0, 8192, 65_536 * (i + 1));
    await file.truncate(realSize);
    await file.close();
    await writeFile(join(folder, 'after.txt'), pseudoRandomBytes(3000, 'after'));
    return path;
  }

  /** Archives the sparse file and `after.txt` with GNU tar, and returns the archive's bytes. */
  async function tar(archive: string, ...options: string[]): Promise<Buffer> {
    execFileSync('tar', ['--sparse', ...options, '-cf', archive, '-C', folder, 'disk.img', 'after.txt']);
    return readFile(archive);
  }

  async function expected(path: string, realSize: number) {
    return [
      { name: 'disk.img', size: realSize, sha256: await fileDigest(path), bytes: realSize },
      { name: 'after.txt', size: 3000, sha256: createHash('sha256').update(await readFile(join(folder, 'after.txt'))).digest('hex'), bytes: 3000 },
    ];
  }

  it.each(['0.0', '0.1', '1.0'])('expands a pax sparse file of --sparse-version=%s to its real bytes', async (version) => {
    const path = await sparseFile(6, 1_000_000);
    const archive = join(folder, `sparse-${version}.tar`);
    const bytes = await tar(archive, `--sparse-version=${version}`, '--format=pax');
    expect(bytes.includes('GNU.sparse.')).toBe(true);
    expect((await readTar(archive)).map(({ largestChunk, ...read }) => read)).toEqual(await expected(path, 1_000_000));
  });

  it('expands an old GNU sparse file whose map goes on in extension headers', async () => {
    const path = await sparseFile(6, 1_000_000);
    const archive = join(folder, 'sparse-gnu.tar');
    const bytes = await tar(archive, '--format=gnu');
    // Type S, and the flag that says more of the map follows than the header's 4 slots hold.
    expect([String.fromCharCode(bytes[156]!), bytes[482]]).toEqual(['S', 1]);
    expect((await readTar(archive)).map(({ largestChunk, ...read }) => read)).toEqual(await expected(path, 1_000_000));
  });

  it('streams a large, mostly empty sparse file in small chunks, without holding it', async () => {
    const realSize = 256 * 1024 * 1024;
    const path = await sparseFile(2, realSize);
    const archive = join(folder, 'large.tar');
    expect((await tar(archive, '--sparse-version=1.0', '--format=pax')).length).toBeLessThan(64 * 1024);
    const before = process.memoryUsage().rss;
    const [disk, after] = await readTar(archive);
    // Held whole, the file would add its 256 MiB; streamed, only chunks waiting for the collector remain.
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
    expect(disk).toEqual({ name: 'disk.img', size: realSize, sha256: await fileDigest(path), bytes: realSize, largestChunk: 64 * 1024 });
    expect(after).toMatchObject({ name: 'after.txt', bytes: 3000 });
  });
});
