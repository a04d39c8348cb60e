import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeBzip2 } from '../../src/sources/bzip2Stream.js';
import { type Decoder, decodedStream } from '../../src/sources/decodedStream.js';
import { decodeXz } from '../../src/sources/xzStream.js';
import { Xxh64 } from '../../src/sources/xxh64.js';
import { decodeZstd } from '../../src/sources/zstdStream.js';
import { compress, type Compression, run } from '../support/compressedTars.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';

const decoders: Record<Compression, Decoder> = { 'tar.xz': decodeXz, 'tar.bz2': decodeBzip2, 'tar.zst': decodeZstd };
const compressions = Object.keys(decoders) as Compression[];
/** 6 MB that no compressor can shrink: the compressed file is as long, so reading ahead would show. */
const plain = pseudoRandomBytes(6_000_000, 'decoded stream');
const compressed = {} as Record<Compression, Buffer>;

/**
 * How far into the input a decoder may have read when its reader stopped after one chunk: a few
 * 64 KiB chunks in the streams' buffers, and for bzip2 the block being read and the next one
 * (decoded to refill the output buffer), each up to 925 kB.
 */
const readAhead: Record<Compression, number> = { 'tar.xz': 400_000, 'tar.bz2': 2_200_000, 'tar.zst': 400_000 };

/** `bytes` as a stream of 64 KiB chunks that counts what has been read from it. */
function countedSource(bytes: Buffer): { source: Readable; read: () => number } {
  let read = 0;
  const source = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 65_536) {
        read += Math.min(65_536, bytes.length - at);
        yield bytes.subarray(at, at + 65_536);
      }
    })(),
    { objectMode: false, highWaterMark: 65_536 },
  );
  return { source, read: () => read };
}

describe('decodedStream', () => {
  beforeAll(async () => {
    for (const compression of compressions) compressed[compression] = await compress(plain, compression);
  });

  it.each(compressions)('decodes a whole %s', async (compression) => {
    const chunks: Buffer[] = [];
    for await (const chunk of decodedStream(countedSource(compressed[compression]).source, decoders[compression])) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(plain));
  });

  it.each(compressions)('reads no further into a %s than its reader asks for', async (compression) => {
    const { source, read } = countedSource(compressed[compression]);
    const stream = decodedStream(source, decoders[compression]);
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(read()).toBeLessThan(readAhead[compression]);
    stream.destroy();
  });

  it.each(compressions)('stops the %s decoder and its source when the stream is destroyed', async (compression) => {
    const { source } = countedSource(compressed[compression]);
    let returned = false;
    const watched: Decoder = async function* (input) {
      try {
        yield* decoders[compression](input);
      } finally {
        returned = true;
      }
    };
    const stream = decodedStream(source, watched);
    await stream[Symbol.asyncIterator]().next();
    stream.destroy();
    await vi.waitFor(() => expect(returned && source.destroyed).toBe(true));
  });

  it('ends quietly where a cut-short input ends, after every byte it could decode', async () => {
    const cut = compressed['tar.xz'].subarray(0, 3_000_000);
    const chunks: Buffer[] = [];
    for await (const chunk of decodedStream(countedSource(cut).source, decodeXz)) chunks.push(chunk as Buffer);
    const decoded = Buffer.concat(chunks);
    expect(decoded.length).toBeGreaterThan(2_900_000);
    expect(decoded.equals(plain.subarray(0, decoded.length))).toBe(true);
  });
});

describe('decodeZstd', () => {
  it('refuses a frame that needs a window over 128 MiB before allocating it', async () => {
    const frame = await run('zstd', ['-c', '-q'], plain.subarray(0, 1_000));
    // From stdin the frame has a window descriptor (byte 5): exponent 18 + 10 asks for 256 MiB.
    frame[5] = 18 << 3;
    const reading = (async () => {
      for await (const chunk of decodedStream(Readable.from([frame]), decodeZstd)) void chunk;
    })();
    await expect(reading).rejects.toThrow(/window over 128 MiB/);
  });
});

describe('Xxh64', () => {
  it.each([
    ['', 0x51d8e999],
    ['abc', 0xad770999],
  ])('hashes %j as XXH64 does', (text, low32) => {
    const hash = new Xxh64();
    hash.update(Buffer.from(text));
    expect(hash.low32()).toBe(low32);
  });
});
