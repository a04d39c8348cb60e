import { describe, expect, it } from 'vitest';
import { decodeZipName } from '../../src/sources/cp437.js';

describe('decodeZipName', () => {
  it('reads flagged names as UTF-8', () => {
    expect(decodeZipName(Buffer.from('fête/été.jpg'), true)).toBe('fête/été.jpg');
  });

  it('reads unflagged names that are valid UTF-8 as UTF-8 (what most tools write)', () => {
    expect(decodeZipName(Buffer.from('日本.txt'), false)).toBe('日本.txt');
  });

  it('reads other unflagged names as CP437', () => {
    expect(decodeZipName(Buffer.from([0x82, 0x74, 0xe9, 0x2e, 0x74]), false)).toBe('étΘ.t');
  });
});
