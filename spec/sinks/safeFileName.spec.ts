import { describe, expect, it } from 'vitest';
import { safeFileName, uniqueFileName } from '../../src/sinks/safeFileName.js';

describe('safeFileName', () => {
  it('keeps only the base name of the entry', () => {
    expect(safeFileName('photos/2019/IMG_1.jpg', 'x')).toBe('IMG_1.jpg');
    expect(safeFileName('C:\\Users\\me\\x.jpg', 'x')).toBe('x.jpg');
  });

  it('makes path tricks harmless', () => {
    expect(safeFileName('../../etc/passwd', 'x')).toBe('passwd');
    expect(safeFileName('/abs/root.jpg', 'x')).toBe('root.jpg');
    expect(safeFileName('..', 'entry-3')).toBe('entry-3');
    expect(safeFileName('dir/', 'entry-4')).toBe('entry-4');
    expect(safeFileName('.hidden', 'x')).toBe('hidden');
  });

  it('replaces control and reserved characters', () => {
    expect(safeFileName('a\u0000b\u001fc<d>e:f"g|h?i*j.txt', 'x')).toBe('a_b_c_d_e_f_g_h_i_j.txt');
    expect(safeFileName('CON.txt', 'x')).toBe('_CON.txt');
  });

  it('bounds the name to 255 bytes and keeps the extension', () => {
    const name = safeFileName(`${'é'.repeat(300)}.jpeg`, 'x');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith('.jpeg')).toBe(true);
  });
});

describe('uniqueFileName', () => {
  it('adds a number before the extension for repeated names, case-insensitively', () => {
    const taken = new Set<string>();
    expect(['a.jpg', 'A.JPG', 'a.jpg', 'b'].map((name) => uniqueFileName(name, taken))).toEqual(['a.jpg', 'A (2).JPG', 'a (3).jpg', 'b']);
  });

  it('never gives the name of the album index file', () => {
    expect(uniqueFileName('album.json', new Set())).toBe('album (2).json');
  });
});
