import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatOf, isTarHeader } from '../../src/sources/detectFormat.js';

function tarHeader(name: string, magic = true): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'latin1');
  block.write('0000644\0', 100, 'latin1');
  block.write('00000000000\0', 124, 'latin1');
  block.write('0', 156, 'latin1');
  if (magic) block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

describe('formatOf', () => {
  it('tells a zip by its first local header, and an empty zip by its end record', async () => {
    expect(await formatOf(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toBe('zip');
    expect(await formatOf(Buffer.from('PK\u0005\u0006', 'latin1'))).toBe('zip');
  });

  it('tells a plain tar by the ustar magic, and an old tar by its checksum', async () => {
    expect(await formatOf(tarHeader('a.txt'))).toBe('tar');
    expect(await formatOf(tarHeader('a.txt', false))).toBe('tar');
  });

  it('tells a tar.gz only when the gzip inflates to a tar header', async () => {
    expect(await formatOf(gzipSync(Buffer.concat([tarHeader('a.txt'), Buffer.alloc(1024)])))).toBe('tar.gz');
    expect(await formatOf(gzipSync(Buffer.from('just some text, compressed')))).toBeUndefined();
  });

  it('refuses anything else, whatever its name would say', async () => {
    expect(await formatOf(Buffer.from('%PDF-1.7 not an archive'))).toBeUndefined();
    expect(await formatOf(Buffer.alloc(0))).toBeUndefined();
  });

  it('tells 7z and RAR 4 and 5 by their signatures', async () => {
    expect(await formatOf(Buffer.from('377abcaf271c0004', 'hex'))).toBe('7z');
    expect(await formatOf(Buffer.from('Rar!\u001a\u0007\u0000', 'latin1'))).toBe('rar');
    expect(await formatOf(Buffer.from('Rar!\u001a\u0007\u0001\u0000', 'latin1'))).toBe('rar');
    expect(await formatOf(Buffer.from('Rar!\u001a\u0007', 'latin1'))).toBeUndefined();
  });

  it('checks a tar header checksum', () => {
    const header = tarHeader('a.txt', false);
    header[0] = 0x62;
    expect(isTarHeader(header)).toBe(false);
  });
});
