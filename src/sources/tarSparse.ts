import type { SparseLayout, SparseRegion } from './tarSparseMap.js';

/** Holes are written as zeros in chunks of this size: the pipeline pulls them one at a time. */
const zeroChunk = 64 * 1024;

/**
 * The most bytes a pax 1.0 sparse map may take at the start of the data: tar-stream's own limit on
 * a pax header (4 MiB), since the map is one in all but place.
 */
const maxInlineMap = 4 * 1024 * 1024;

/** Reads a stream of chunks in pieces of at most a given length, keeping what is left over. */
function pieces(chunks: AsyncIterator<Uint8Array>) {
  let left: Uint8Array = new Uint8Array(0);
  return {
    /** At most `max` bytes, or `undefined` at the end of the data. */
    async take(max: number): Promise<Uint8Array | undefined> {
      while (left.length === 0) {
        const next = await chunks.next();
        if (next.done) return undefined;
        left = next.value;
      }
      const piece = left.subarray(0, max);
      left = left.subarray(piece.length);
      return piece;
    },
  };
}

type Pieces = ReturnType<typeof pieces>;

/**
 * Reads the map that starts a pax 1.0 sparse entry's data: decimal numbers, one a line (the number
 * of regions, then an offset and a size for each), padded with NULs to a 512-byte block.
 */
async function readInlineMap(data: Pieces): Promise<SparseRegion[]> {
  const numbers: number[] = [];
  let line = '';
  let read = 0;
  let count: number | undefined;
  while (count === undefined || numbers.length < 1 + 2 * count) {
    const piece = await data.take(1);
    if (!piece) throw new Error('the data ends inside the sparse map');
    if (++read > maxInlineMap) throw new Error(`the sparse map is over ${maxInlineMap} bytes`);
    const char = String.fromCharCode(piece[0]!);
    if (char !== '\n') {
      if (!/\d/.test(char) || line.length >= 16) throw new Error('the sparse map is not decimal numbers, one a line');
      line += char;
      continue;
    }
    numbers.push(Number(line));
    line = '';
    count ??= numbers[0];
  }
  for (let padding = (512 - (read % 512)) % 512; padding > 0; ) {
    const piece = await data.take(padding);
    if (!piece) throw new Error('the data ends inside the sparse map');
    padding -= piece.length;
  }
  const regions: SparseRegion[] = [];
  for (let i = 1; i < numbers.length; i += 2) regions.push({ offset: numbers[i]!, size: numbers[i + 1]! });
  return regions;
}

/**
 * The regions that hold data, in order, or an error naming what is wrong with the map: every
 * number a whole number, each region after the one before, none past the real size. Empty regions
 * are left out (GNU tar ends a map that ends in a hole with one, and old GNU headers pad with them).
 */
function checkedRegions(regions: readonly SparseRegion[], realSize: number): SparseRegion[] {
  if (!Number.isSafeInteger(realSize) || realSize < 0) throw new Error('the sparse file has no valid real size');
  let end = 0;
  const used = regions.filter((region) => region.size !== 0);
  for (const { offset, size } of used) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
      throw new Error('the sparse map has a region that is not a pair of whole numbers');
    }
    if (offset < end) throw new Error(`the sparse map's region at ${offset} overlaps the one before it`);
    end = offset + size;
    if (end > realSize) throw new Error(`the sparse map's region at ${offset} ends past the real size ${realSize}`);
  }
  return used;
}

async function* zeros(length: number): AsyncGenerator<Uint8Array> {
  for (let left = length; left > 0; left -= zeroChunk) yield new Uint8Array(Math.min(left, zeroChunk));
}

/**
 * The real content of a GNU sparse file, made from its stored data as GNU tar and Python's
 * `tarfile` extract it: each region's bytes at its offset, zeros in the holes between them and up
 * to the real size.
 *
 * It streams: a hole becomes 64 KiB chunks of zeros made only as they are pulled, and stored bytes
 * pass through as they come, so neither a large real size nor a long hole is ever held in memory.
 * An inconsistent map (regions out of order, past the real size) or stored data shorter than the
 * map says is an error, raised before or while the entry is read; the bytes the map does not use
 * are left for the caller to drain.
 *
 * It reads `stored` only through `next()`, never `return()`: abandoning the expansion leaves the
 * stored stream open for the tar reader to drain, where tar-stream would take an entry stream's
 * destruction for the whole archive's.
 *
 * @param stored The entry's stored data, as the archive holds it.
 * @param layout The real size, and the regions unless the map starts the data (pax 1.0).
 */
export async function* expandSparse(stored: AsyncIterator<Uint8Array>, layout: SparseLayout): AsyncGenerator<Uint8Array> {
  const data = pieces(stored);
  const regions = checkedRegions(layout.regions ?? (await readInlineMap(data)), layout.realSize);
  let at = 0;
  for (const region of regions) {
    yield* zeros(region.offset - at);
    for (let left = region.size; left > 0; ) {
      const piece = await data.take(left);
      if (!piece) throw new Error(`the stored data ends before the sparse map's ${region.size} bytes at ${region.offset}`);
      left -= piece.length;
      yield piece;
    }
    at = region.offset + region.size;
  }
  yield* zeros(layout.realSize - at);
}
