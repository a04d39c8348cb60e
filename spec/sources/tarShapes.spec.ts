import { Readable } from 'node:stream';
import { concatMap, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/entry.js';
import type { RandomAccessSource } from '../../src/sources/randomAccess.js';
import { openTarSource } from '../../src/sources/tarArchive.js';
import { sha256 } from '../support/sampleBytes.js';
import { after, type ExpectedEntry, shapesArchive, tarShapes } from '../support/tarShapes.js';

/**
 * The archive's bytes in chunks of `chunk` bytes: 333 splits nearly every header between two
 * chunks, as a slow download would.
 */
function memorySource(bytes: Buffer, chunk: number): RandomAccessSource {
  return {
    size: async () => bytes.length,
    stream(offset, length) {
      const end = length === undefined ? bytes.length : offset + length;
      const chunks: Buffer[] = [];
      for (let at = offset; at < end; at += chunk) chunks.push(bytes.subarray(at, Math.min(at + chunk, end)));
      return Readable.from(chunks, { objectMode: false });
    },
  };
}

async function bytesOf(entry: Entry): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.open()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Reads every entry as the pipeline does (files read whole, the rest released unread). */
async function readTar(bytes: Buffer, chunk = 333): Promise<ExpectedEntry[]> {
  const archive = await openTarSource(memorySource(bytes, chunk), 'shapes.tar', false);
  return firstValueFrom(
    archive.entries().pipe(
      concatMap(async (entry) => {
        const data = entry.kind === 'file' ? await bytesOf(entry) : undefined;
        entry.release();
        return { name: entry.name, kind: entry.kind, size: entry.size, ...(data && { data }) };
      }),
      toArray(),
    ),
  );
}

/** Entries with their bytes as SHA-256 digests, so that a mismatch reads as a short diff. */
const digested = (entries: readonly ExpectedEntry[]) => entries.map(({ data, ...rest }) => ({ ...rest, ...(data && { sha256: sha256(data) }) }));

describe('tar shapes of CPython\'s tarfile test archive', () => {
  // The shapes that tar-stream reads right on its own are read in the archive of all shapes below.
  const fixed = tarShapes.filter((shape) => !shape.readByTarStream);

  it.each(fixed.map((shape) => [shape.title, shape] as const))('reads %s as Python does, and the entry after it', async (_, shape) => {
    const { bytes, entries } = shapesArchive([shape]);
    expect(digested(await readTar(bytes))).toEqual(digested(entries));
  });

  it('reads all the shapes in one archive, whole or in odd chunks', async () => {
    const { bytes, entries } = shapesArchive(tarShapes);
    expect(digested(await readTar(bytes, 333))).toEqual(digested(entries));
    expect(digested(await readTar(bytes, bytes.length))).toEqual(digested(entries));
    expect(entries.filter((entry) => entry.name === after.name)).toHaveLength(tarShapes.length);
  });
});
