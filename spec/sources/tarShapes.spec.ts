import { Readable } from 'node:stream';
import { concatMap, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Entry, EntryKind } from '../../src/entry.js';
import type { RandomAccessSource } from '../../src/sources/randomAccess.js';
import { openTarSource } from '../../src/sources/tarArchive.js';
import { sha256 } from '../support/sampleBytes.js';
import { dataBlocks, endOfArchive, headerBlock, octal, paxHeader, tarEntry } from '../support/tarBlocks.js';
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

/** An entry's bytes, or the message of the error reading them ends with. */
async function bytesOf(entry: Entry): Promise<Buffer | string> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of entry.open()) chunks.push(chunk);
  } catch (error) {
    return (error as Error).message;
  }
  return Buffer.concat(chunks);
}

/** An entry as read: its bytes, or the error reading them ended with. */
interface ReadEntry extends Omit<ExpectedEntry, 'kind' | 'data'> {
  readonly kind: EntryKind;
  readonly data?: Buffer | string;
}

/** Reads every entry as the pipeline does (files read whole, the rest released unread). */
async function readTar(bytes: Buffer, chunk = 333): Promise<ReadEntry[]> {
  const archive = await openTarSource(memorySource(bytes, chunk), 'shapes.tar', 'tar');
  return firstValueFrom(
    archive.entries().pipe(
      concatMap(async (entry) => {
        // The pipeline fails an entry with a problem without opening it.
        const data = entry.problem ? `problem: ${entry.problem}` : entry.kind === 'file' ? await bytesOf(entry) : undefined;
        entry.release();
        return { name: entry.name, kind: entry.kind, size: entry.size, ...(data && { data }) };
      }),
      toArray(),
    ),
  );
}

/** Entries with their bytes as SHA-256 digests, so that a mismatch reads as a short diff. */
const digested = (entries: readonly ReadEntry[]) =>
  entries.map(({ data, ...rest }) => ({ ...rest, ...(data !== undefined && (typeof data === 'string' ? { error: data } : { sha256: sha256(data) })) }));

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

  it('fails a sparse file whose map runs past its real size when it is read, and reads the entry after it', async () => {
    const bytes = Buffer.concat([
      paxHeader([
        ['GNU.sparse.size', '100'],
        ['GNU.sparse.map', '90,20'],
      ]),
      tarEntry({ name: 'bad-map' }, Buffer.alloc(20, 1)),
      tarEntry({ name: after.name }, after.data),
      endOfArchive,
    ]);
    expect(digested(await readTar(bytes))).toEqual(
      digested([{ name: 'bad-map', kind: 'file', size: 100, data: "the sparse map's region at 90 ends past the real size 100" }, after]),
    );
  });

  it('fails unopened an old GNU sparse file whose map is over 4 MiB, and reads the entry after it', async () => {
    const slot = octal(4096, 12) + octal(1, 12);
    const extension = (last: boolean) => {
      const block = Buffer.alloc(512);
      block.write(slot.repeat(21), 0, 'latin1');
      block[504] = last ? 0 : 1;
      return block;
    };
    const blocks = Math.ceil((4 * 1024 * 1024) / (21 * 24)) + 1;
    const bytes = Buffer.concat([
      headerBlock({ name: 'huge-map', typeflag: 'S', dialect: 'gnu', size: 1, fields: [[386, slot], [482, '\u0001'], [483, octal(8192, 12)]] }),
      ...Array.from({ length: blocks }, (_, i) => extension(i === blocks - 1)),
      dataBlocks(Buffer.from('x')),
      tarEntry({ name: after.name }, after.data),
      endOfArchive,
    ]);
    expect(digested(await readTar(bytes, 64 * 1024))).toEqual(
      digested([{ name: 'huge-map', kind: 'file', size: 8192, data: 'problem: its sparse map is over 4194304 bytes' }, after]),
    );
  });
});
