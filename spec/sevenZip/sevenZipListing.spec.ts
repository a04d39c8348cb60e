import { describe, expect, it } from 'vitest';
import { dictionaryBytes, maxDictionaryBytes } from '../../src/sources/sevenZip/sevenZipDictionary.js';
import { parseSevenZipListing } from '../../src/sources/sevenZip/sevenZipListing.js';
import { unsupportedMethod } from '../../src/sources/sevenZip/sevenZipMethods.js';
import { failReasonOf } from '../../src/sources/sevenZip/sevenZipPass.js';

/** A listing as 7-Zip 24.09 prints it (`l -slt`), trimmed to what matters. */
const listing = `
7-Zip (z) 24.09 (LE) : Copyright (c) 1999-2024 Igor Pavlov : 2024-11-29

Listing archive: archive.7z

--
Path = archive.7z
Type = 7z
Physical Size = 327129
Method = LZMA2:20
Solid = +
Blocks = 1

----------
Path = emptydir
Size = 0
Packed Size = 0
Attributes = D drwxr-xr-x
CRC = 
Encrypted = -
Method = 
Block = 

Path = a.bin
Size = 300000
Packed Size = 326900
Attributes = A -rw-r--r--
CRC = 677E32AC
Encrypted = +
Method = LZMA2:20 7zAES:19
Block = 0

Path = link
Size = 5
Packed Size = 
Attributes = A lrwxrwxrwx
CRC = ED6F7A7A
Encrypted = -
Method = LZMA2:20
Block = 0

Path = win
Size = 0
Packed Size = 0
Attributes = D
CRC = 
Encrypted = -
Method = 
Block = 
`;

describe('parseSevenZipListing', () => {
  it('reads the archive\'s fields and each item\'s size, CRC, kind, encryption and method', () => {
    const parsed = parseSevenZipListing(listing)!;
    expect(parsed.archive).toMatchObject({ Type: '7z', Method: 'LZMA2:20', Solid: '+' });
    expect(parsed.archive).not.toHaveProperty('Path');
    expect(parsed.items).toEqual([
      { index: 0, name: 'emptydir', size: 0, packedSize: 0, kind: 'directory', encrypted: false, method: '' },
      { index: 1, name: 'a.bin', size: 300000, packedSize: 326900, kind: 'file', crc32: 0x677e32ac, encrypted: true, method: 'LZMA2:20 7zAES:19' },
      { index: 2, name: 'link', size: 5, kind: 'symlink', crc32: 0xed6f7a7a, encrypted: false, method: 'LZMA2:20' },
      { index: 3, name: 'win', size: 0, packedSize: 0, kind: 'directory', encrypted: false, method: '' },
    ]);
  });

  it('finds no listing where 7-Zip could not open the archive', () => {
    expect(parseSevenZipListing('ERROR: x.7z\nOpen ERROR: Cannot open the file as [7z] archive\n')).toBeUndefined();
  });
});

describe('dictionaryBytes', () => {
  it('reads exponents and sizes, and ignores what is no memory', () => {
    expect(dictionaryBytes('LZMA2:24')).toBe(2 ** 24);
    expect(dictionaryBytes('LZMA2:192m BCJ')).toBe(192 * 2 ** 20);
    expect(dictionaryBytes('LZMA:768k')).toBe(768 * 1024);
    expect(dictionaryBytes('PPMD:o6:mem24')).toBe(2 ** 24);
    expect(dictionaryBytes('LZMA2:20 7zAES:19')).toBe(2 ** 20);
    expect(dictionaryBytes('Copy')).toBe(0);
    expect(dictionaryBytes('LZMA2:1536m')).toBe(maxDictionaryBytes);
    expect(dictionaryBytes('LZMA:31')).toBeGreaterThan(maxDictionaryBytes);
  });
});

describe('unsupportedMethod', () => {
  it('names a coder 7-Zip does not decode, in 7z only', () => {
    expect(unsupportedMethod('LZMA2:24 BCJ 7zAES:19', '7z')).toBeUndefined();
    expect(unsupportedMethod('BZip2 Delta:4 ARM64', '7z')).toBeUndefined();
    expect(unsupportedMethod('4F71101:3 BCJ', '7z')).toBe('4F71101:3');
    expect(unsupportedMethod('v5:128K:m3', 'rar')).toBeUndefined();
  });
});

describe('failReasonOf', () => {
  it('maps 7-Zip\'s error lines to the reasons of a failed entry', () => {
    expect(failReasonOf('Data Error in encrypted file. Wrong password? : a.bin')).toBe('wrong-password');
    expect(failReasonOf('CRC Failed : a.bin')).toBe('crc-mismatch');
    expect(failReasonOf('Data Error : a.bin')).toBe('corrupt');
    expect(failReasonOf('Unexpected end of data : a.bin')).toBe('truncated');
    expect(failReasonOf('Unsupported Method : a.bin')).toBe('unreadable');
  });
});
