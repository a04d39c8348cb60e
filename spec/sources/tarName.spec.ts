import { describe, expect, it } from 'vitest';
import { decodeTarName } from '../../src/sources/tarName.js';

describe('decodeTarName', () => {
  it('reads names that are valid UTF-8 as UTF-8', () => {
    expect(decodeTarName(Buffer.from('pax/umlauts-ÄÖÜäöüß/日本.txt'))).toBe('pax/umlauts-ÄÖÜäöüß/日本.txt');
  });

  it('reads other names as Latin-1, one character per byte, so that no byte is lost', () => {
    const bytes = Buffer.from([...Buffer.from('misc/'), 0xc4, 0xd6, 0xdc, 0x80, 0xff]);
    const name = decodeTarName(bytes);
    expect(name).toBe('misc/ÄÖÜ\u0080ÿ');
    expect(Buffer.from(name, 'latin1')).toEqual(bytes);
  });

  it('keeps a leading byte order mark, which is part of the name', () => {
    expect(decodeTarName(Buffer.from('\ufeffname.txt'))).toBe('\ufeffname.txt');
  });
});
