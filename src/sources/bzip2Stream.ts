import { Bzip2Blocks, readStreamHeader } from './bzip2Block.js';
import { CutShortError, type Decoder } from './decodedStream.js';

/** Thrown by the bit reader past the end of what has been read so far. */
class OutOfInput extends Error {}

const bitMasks = [0, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/**
 * The compressed bytes read so far and a bit position in them, which a block decode that runs out
 * of input can be rewound to.
 */
class BitInput {
  private bytes = new Uint8Array(0);
  private byte = 0;
  private bit = 0;

  /** Unread bytes. */
  get left(): number {
    return this.bytes.length - this.byte;
  }

  /** Adds what was read, dropping the bytes already decoded. */
  add(chunk: Uint8Array): void {
    this.bytes = Buffer.concat([this.bytes.subarray(this.byte), chunk]);
    this.byte = 0;
  }

  /** The position now, to go back to before anything more is added. */
  mark(): () => void {
    const { byte, bit } = this;
    return () => {
      this.byte = byte;
      this.bit = bit;
    };
  }

  /** A bit reader over these bytes, as {@link Bzip2Blocks} reads them, throwing {@link OutOfInput} past their end. */
  readonly bits = (n: number | null): number => {
    if (n === null) {
      if (this.bit !== 0) {
        this.bit = 0;
        this.byte++;
      }
      return 0;
    }
    let result = 0;
    while (n > 0) {
      if (this.byte >= this.bytes.length) throw new OutOfInput();
      const left = 8 - this.bit;
      const current = this.bytes[this.byte]!;
      if (n >= left) {
        result = (result << left) | (current & bitMasks[left]!);
        this.byte++;
        this.bit = 0;
        n -= left;
      } else {
        result = (result << n) | ((current >> (left - n)) & bitMasks[n]!);
        this.bit += n;
        n = 0;
      }
    }
    return result;
  };
}

/**
 * Compressed bytes to hold before a block is decoded: a block of `blockSize` × 100 kB compresses
 * to at most about that much, with room to spare (the margin unbzip2-stream keeps).
 */
const blockBytes = (blockSize: number) => 25_000 + 100_000 * blockSize;

/**
 * Decodes a bzip2 file, one stream or several concatenated (as `cat a.bz2 b.bz2` and pbzip2 make),
 * with {@link Bzip2Blocks}; bytes after the last whole stream are ignored, as bzip2 does. A block
 * is decoded once its compressed bytes have all been read, and checked against its CRC before any of it is yielded; each stream's CRC is checked at
 * its end. Memory is one block: the compressed bytes, the decoder's tables and the decoded block.
 */
export const decodeBzip2: Decoder = async function* decodeBzip2(input) {
  const chunks = (async function* () {
    yield* input;
  })();
  const compressed = new BitInput();
  let ended = false;
  const readAtLeast = async (bytes: number) => {
    while (!ended && compressed.left < bytes) {
      const next = await chunks.next();
      if (next.done) ended = true;
      else compressed.add(next.value);
    }
  };
  let stream: { blocks: Bzip2Blocks; blockSize: number; crc: number } | undefined;
  let blocks: Bzip2Blocks | undefined;
  let streams = 0;
  try {
    for (;;) {
      if (!stream) {
        await readAtLeast(4);
        let blockSize: number;
        try {
          blockSize = readStreamHeader(compressed.bits);
        } catch (error) {
          // After a whole stream, what is not another one is trailing garbage, which bzip2 ignores too.
          if (streams > 0) return;
          throw error instanceof OutOfInput ? new CutShortError('the bzip2 stream is cut short') : error;
        }
        streams++;
        // pbzip2 writes a stream per block: their tables and buffers are shared when their sizes are.
        blocks = blocks?.blockSize === blockSize ? blocks : new Bzip2Blocks(blockSize);
        stream = { blocks, blockSize, crc: 0 };
        continue;
      }
      let wanted = blockBytes(stream.blockSize);
      let block: ReturnType<Bzip2Blocks['next']> | undefined;
      while (block === undefined) {
        await readAtLeast(wanted);
        const rewind = compressed.mark();
        try {
          block = stream.blocks.next(compressed.bits, stream.crc);
        } catch (error) {
          if (!(error instanceof OutOfInput)) throw error;
          if (ended) throw new CutShortError('the bzip2 stream is cut short');
          // A block larger than the margin: read more and decode it again from its start.
          rewind();
          wanted = compressed.left * 2;
        }
      }
      if (block === null) {
        stream = undefined;
      } else {
        stream.crc = block.streamCrc;
        yield block.bytes.slice();
      }
    }
  } finally {
    if (!ended) await chunks.return();
  }
};
