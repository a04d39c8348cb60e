import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from '../src/size.js';

describe('parseSize', () => {
  it('reads decimal and binary units, case-insensitively', () => {
    expect(parseSize('3GB')).toBe(3_000_000_000);
    expect(parseSize('500MiB')).toBe(500 * 2 ** 20);
    expect(parseSize('1.5g')).toBe(1_500_000_000);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('10 kb')).toBe(10_000);
  });

  it('names a value that is not a size', () => {
    expect(() => parseSize('lots')).toThrow('"lots" is not a size: use bytes or a unit such as 500MB, 500MiB, 3GB');
    expect(() => parseSize('-3GB')).toThrow(TypeError);
    expect(() => parseSize('3 parsecs')).toThrow(TypeError);
  });
});

describe('formatBytes', () => {
  it('formats in decimal units', () => {
    expect([formatBytes(17), formatBytes(512_000), formatBytes(3_210_000_000)]).toEqual(['17 B', '512 kB', '3.2 GB']);
  });
});
