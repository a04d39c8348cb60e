import type { Duplex } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { decodeBzip2 } from './bzip2Stream.js';
import type { Decoder } from './decodedStream.js';
import { inflate64 } from './inflate64.js';
import { lzmaDecoder } from './lzmaDecoder.js';
import { decodeXz } from './xzStream.js';
import { decodeZstd } from './zstdStream.js';

/**
 * The compression methods of zip, as APPNOTE 6.3.10 section 4.4.5 numbers them, by name: for
 * messages, and for the `unsupported-method` skip. Method 99 is WinZip AES, whose real method is in
 * its extra field.
 */
const methodNames: ReadonlyMap<number, string> = new Map([
  [0, 'Stored'],
  [1, 'Shrink'],
  [2, 'Reduce (factor 1)'],
  [3, 'Reduce (factor 2)'],
  [4, 'Reduce (factor 3)'],
  [5, 'Reduce (factor 4)'],
  [6, 'Implode'],
  [7, 'Tokenizing'],
  [8, 'Deflate'],
  [9, 'Deflate64'],
  [10, 'PKWARE DCL Implode'],
  [12, 'BZip2'],
  [14, 'LZMA'],
  [16, 'IBM z/OS CMPSC'],
  [18, 'IBM TERSE'],
  [19, 'IBM LZ77 z'],
  [20, 'Zstandard (old method number)'],
  [93, 'Zstandard'],
  [94, 'MP3'],
  [95, 'XZ'],
  [96, 'JPEG'],
  [97, 'WavPack'],
  [98, 'PPMd'],
  [99, 'WinZip AES'],
]);

/** A method's name as users know it (`PPMd`), or `method N` for a number APPNOTE does not list. */
export const zipMethodName = (method: number): string => methodNames.get(method) ?? `method ${method}`;

/** What a decompressor needs to know about the entry besides its bytes. */
export interface DecompressorConfig {
  /** The entry's general-purpose flags: bit 1 says an LZMA stream ends with an end marker. */
  readonly flags: number;
  /** The entry's uncompressed size: an LZMA stream without an end marker stops there. */
  readonly size: number;
}

/** Output buffer of inflate: larger than zlib's 16 KiB default, for fewer, bigger writes. */
const inflateChunk = 256 * 1024;

/**
 * How the data of one method is decompressed: by a Node stream it is piped through (zlib's
 * inflate), or by a {@link Decoder} it is iterated through, which decodes only as its output is
 * asked for (BZip2, Zstandard and XZ are the decoders the compressed tars use).
 */
export type ZipDecompressor = { readonly stream: Duplex } | { readonly decode: Decoder };

/**
 * The decompressor of an entry's data compressed with `method`, or `undefined` for a method
 * unspool cannot decompress (stored data, method 0, needs none: it is passed on as it is).
 *
 * Every decompressor streams: none holds more than its window (64 KiB for Deflate64, the
 * dictionary for LZMA and XZ) and a block (900 KB for BZip2, 128 KiB for Zstandard), however large
 * the entry, and all are JavaScript or WebAssembly, so that any source can feed them.
 *
 * @param method The method from the entry's header (for WinZip AES, from its 0x9901 field).
 * @param config The entry's flags and size, which LZMA needs.
 */
export function zipDecompressor(method: number, config: DecompressorConfig): ZipDecompressor | undefined {
  switch (method) {
    case 8:
      return { stream: createInflateRaw({ chunkSize: inflateChunk }) };
    case 9:
      return { decode: inflate64 };
    case 12:
      return { decode: decodeBzip2 };
    case 14:
      return { decode: lzmaDecoder(config.size, (config.flags & 0x02) !== 0) };
    case 93:
      return { decode: decodeZstd };
    case 95:
      return { decode: decodeXz };
    default:
      return undefined;
  }
}

/** Whether unspool can read data compressed with `method`: stored, or one {@link zipDecompressor} knows. */
export const zipMethodSupported = (method: number): boolean => [0, 8, 9, 12, 14, 93, 95].includes(method);
