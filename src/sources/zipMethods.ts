import { type Duplex, Transform, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import unbzip2Stream from 'unbzip2-stream';
import type { Decoder } from './decodedStream.js';
import { inflate64 } from './inflate64.js';
import { lzmaDecoder } from './lzmaDecoder.js';
import { decodeXz } from './xzStream.js';

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
 * BZip2 through `unbzip2-stream`, a `through` stream of the old kind, wrapped in a Transform so
 * that `pipeline` sees a stream of today: it decodes each whole block as soon as it has one, within
 * `write`, so the wrapper only passes the blocks on, and turns its "ended prematurely" into an
 * error of the stream.
 */
function bzip2(): Transform {
  const decoder = unbzip2Stream();
  let failure: Error | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      decoder.write(chunk);
      callback(failure ?? null);
    },
    flush(callback: TransformCallback) {
      decoder.end();
      callback(failure ?? null);
    },
  });
  decoder.on('data', (block: Buffer) => out.push(block));
  decoder.on('error', (error: Error) => {
    failure ??= error;
  });
  return out;
}

/** Zstandard through `fzstd`, which decodes each block as soon as it has it all. */
function zstd(): Transform {
  let out: Transform;
  // fzstd keeps the block it hands over as its window: it is copied before it is passed on.
  const decoder = new ZstdDecompress((block) => out.push(Buffer.from(block)));
  out = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return out;
}

/**
 * How the data of one method is decompressed: by a Node stream it is piped through, or by a
 * {@link Decoder} (the pull decoders that the compressed tars share) it is iterated through.
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
      return { stream: bzip2() };
    case 14:
      return { decode: lzmaDecoder(config.size, (config.flags & 0x02) !== 0) };
    case 93:
      return { stream: zstd() };
    case 95:
      return { decode: decodeXz };
    default:
      return undefined;
  }
}

/** Whether unspool can read data compressed with `method`: stored, or one {@link zipDecompressor} knows. */
export const zipMethodSupported = (method: number): boolean => [0, 8, 9, 12, 14, 93, 95].includes(method);
