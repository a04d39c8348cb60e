import { describe, expect, it } from 'vitest';
import { expandSparse } from '../../src/sources/tarSparse.js';
import type { SparseLayout } from '../../src/sources/tarSparseMap.js';

/** Stored data as an iterator of the given chunks, counting how often it is pulled. */
function stored(...chunks: string[]) {
  const counter = { pulls: 0 };
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      counter.pulls++;
      const chunk = chunks.shift();
      return chunk === undefined ? { done: true, value: undefined } : { done: false, value: Buffer.from(chunk, 'latin1') };
    },
  };
  return { iterator, counter };
}

async function expand(data: AsyncIterator<Uint8Array>, layout: SparseLayout): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of expandSparse(data, layout)) chunks.push(Buffer.from(chunk));
  return chunks;
}

const zeros = (length: number) => '\0'.repeat(length);

describe('expandSparse', () => {
  it('puts each region at its offset and zeros in the holes and up to the real size', async () => {
    const layout = { realSize: 20, regions: [{ offset: 2, size: 3 }, { offset: 10, size: 4 }, { offset: 20, size: 0 }] };
    const chunks = await expand(stored('abcd', 'efg').iterator, layout);
    expect(Buffer.concat(chunks).toString('latin1')).toBe(`${zeros(2)}abc${zeros(5)}defg${zeros(6)}`);
  });

  it('makes a long hole in chunks of 64 KiB', async () => {
    const chunks = await expand(stored('x').iterator, { realSize: 200_001, regions: [{ offset: 200_000, size: 1 }] });
    expect(chunks.map((chunk) => chunk.length)).toEqual([65_536, 65_536, 65_536, 3_392, 1]);
  });

  it('reads a pax 1.0 map from the start of the data, up to its 512-byte block, in any chunks', async () => {
    const map = '2\n1\n2\n6\n1\n';
    const block = map + zeros(512 - map.length);
    const chunks = await expand(stored(block.slice(0, 3), block.slice(3, 500), block.slice(500) + 'ab', 'c').iterator, { realSize: 8 });
    expect(Buffer.concat(chunks).toString('latin1')).toBe(`${zeros(1)}ab${zeros(3)}c${zeros(1)}`);
  });

  it.each([
    ['regions out of order', { realSize: 10, regions: [{ offset: 5, size: 2 }, { offset: 4, size: 1 }] }, 'abc', /overlaps the one before/],
    ['a region past the real size', { realSize: 10, regions: [{ offset: 8, size: 3 }] }, 'abc', /ends past the real size 10/],
    ['stored data shorter than the map', { realSize: 10, regions: [{ offset: 0, size: 5 }] }, 'abc', /stored data ends before/],
    ['a real size that is not a number', { realSize: Number.NaN, regions: [] }, '', /no valid real size/],
    ['a pax 1.0 map that is not numbers', { realSize: 10 }, '1\nx\n', /not decimal numbers/],
  ] as const)('fails on %s', async (_, layout, data, message) => {
    await expect(expand(stored(data).iterator, layout)).rejects.toThrow(message);
  });

  it('pulls the stored data only as far as the bytes asked for', async () => {
    const { iterator, counter } = stored('aa', 'bb', 'cc', 'dd');
    const chunks = expandSparse(iterator, { realSize: 8, regions: [{ offset: 0, size: 8 }] });
    expect((await chunks.next()).value).toEqual(Buffer.from('aa'));
    expect(counter.pulls).toBe(1);
    await chunks.return(undefined);
    expect(counter.pulls).toBe(1);
  });
});
