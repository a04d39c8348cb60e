import bzip2 from 'unbzip2-stream/lib/bzip2.js';
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

  /** unbzip2-stream's bit reader over these bytes, throwing {@link OutOfInput} past their end. */
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

/** A block's decoded bytes, grown as needed and reused from block to block. */
class BlockOutput {
  private bytes = new Uint8Array(1024 * 1024);
  length = 0;

  readonly write = (byte: number): void => {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  };

  /** A copy of the block, emptying it. */
  take(): Uint8Array {
    const block = this.bytes.slice(0, this.length);
    this.length = 0;
    return block;
  }
}

/**
 * Compressed bytes to hold before a block is decoded: a block of `blockSize` × 100 kB compresses
 * to at most about that much, with room to spare (unbzip2-stream's own margin).
 */
const blockBytes = (blockSize: number) => 25_000 + 100_000 * blockSize;

/**
 * Decodes a bzip2 file, one stream or several concatenated (as `cat a.bz2 b.bz2` and pbzip2 make),
 * with unbzip2-stream's block decoder; bytes after the last whole stream are ignored, as bzip2 does. A block is decoded once its compressed bytes have all been
 * read, and checked against its CRC before any of it is yielded; each stream's CRC is checked at
 * its end. Memory is one block: the compressed bytes, the decoder's tables and the decoded block.
 */
export const decodeBzip2: Decoder = async function* decodeBzip2(input) {
  const chunks = (async function* () {
    yield* input;
  })();
  const compressed = new BitInput();
  const block = new BlockOutput();
  let ended = false;
  const readAtLeast = async (bytes: number) => {
    while (!ended && compressed.left < bytes) {
      const next = await chunks.next();
      if (next.done) ended = true;
      else compressed.add(next.value);
    }
  };
  let blockSize = 0;
  let streamCrc = 0;
  let table = new Int32Array(0);
  let streams = 0;
  try {
    for (;;) {
      if (blockSize === 0) {
        await readAtLeast(4);
        try {
          blockSize = decoding(() => bzip2.header(compressed.bits), 'not a bzip2 stream');
        } catch (error) {
          // After a whole stream, what is not another one is trailing garbage, which bzip2 ignores too.
          if (streams > 0) return;
          throw error instanceof OutOfInput ? new CutShortError('the bzip2 stream is cut short') : error;
        }
        streams++;
        streamCrc = 0;
        if (table.length !== 100_000 * blockSize) table = new Int32Array(100_000 * blockSize);
        continue;
      }
      let wanted = blockBytes(blockSize);
      let crc: number | null | undefined;
      while (crc === undefined) {
        await readAtLeast(wanted);
        const rewind = compressed.mark();
        try {
          crc = decoding(() => bzip2.decompress(compressed.bits, block.write, table, table.length, streamCrc), 'the bzip2 data is corrupt');
        } catch (error) {
          if (!(error instanceof OutOfInput)) throw error;
          if (ended) throw new CutShortError('the bzip2 stream is cut short');
          // A block larger than the margin: read more and decode it again from its start.
          rewind();
          block.length = 0;
          wanted = compressed.left * 2;
        }
      }
      if (crc === null) {
        blockSize = 0;
      } else {
        streamCrc = crc;
        yield block.take();
      }
    }
  } finally {
    if (!ended) await chunks.return();
  }
};

/** Runs one step of unbzip2-stream's decoder, giving its errors (whimsical words) a plain message. */
function decoding<T>(step: () => T, message: string): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof OutOfInput) throw error;
    throw new Error(message, { cause: error });
  }
}
