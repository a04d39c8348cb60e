import { describe, expect, it } from 'vitest';
import { getFileRangeError, nextGetFileRange } from '../../src/sources/telegram/getFileRequest.js';

/** The ranges a stream from `start` to `end` asks for, one after the other. */
function plan(start: number, end: number) {
  const ranges = [];
  for (let position = start; position < end; ) {
    const range = nextGetFileRange(position, end);
    ranges.push(range);
    position = range.offset + range.limit;
  }
  return ranges;
}

describe('nextGetFileRange', () => {
  it('asks for whole 1 MiB blocks in the middle of a long read', () => {
    expect(plan(0, 3 * 1024 * 1024)).toEqual([0, 1, 2].map((block) => ({ offset: block * 1024 * 1024, limit: 1024 * 1024 })));
  });

  it('follows every rule of upload.getFile and reads less than 4 KiB for nothing at either end', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let trial = 0; trial < 2000; trial++) {
      const start = next() % 5_000_000;
      const end = start + 1 + (next() % 3_000_000);
      const ranges = plan(start, end);
      for (const range of ranges) expect(getFileRangeError(range)).toBeUndefined();
      expect(ranges[0]!.offset).toBeLessThanOrEqual(start);
      expect(start - ranges[0]!.offset).toBeLessThan(4096);
      const last = ranges.at(-1)!;
      expect(last.offset + last.limit - end).toBeLessThan(4096);
      // Each range starts where the one before ended: no byte is asked for twice.
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.offset).toBe(ranges[i - 1]!.offset + ranges[i - 1]!.limit);
    }
  });

  it('tells the ranges Telegram refuses', () => {
    expect(getFileRangeError({ offset: 1024, limit: 4096 })).toBe('OFFSET_INVALID');
    expect(getFileRangeError({ offset: 0, limit: 12 * 1024 })).toBe('LIMIT_INVALID');
    expect(getFileRangeError({ offset: 1024 * 1024 - 4096, limit: 8192 })).toBe('LIMIT_INVALID');
    expect(getFileRangeError({ offset: 1024 * 1024, limit: 1024 * 1024 })).toBeUndefined();
  });
});
