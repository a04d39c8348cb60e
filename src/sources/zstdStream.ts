import { Decompress } from 'fzstd';
import { CutShortError, type Decoder } from './decodedStream.js';
import { Xxh64 } from './xxh64.js';

const frameMagic = 0xfd2fb528;
/** Skippable frames have magics 0x184D2A50 to 0x184D2A5F (RFC 8878, 3.1.2). */
const isSkippable = (magic: number) => (magic & 0xfffffff0) === 0x184d2a50;

/** The compressed input as a queue of chunks, read as the frames are walked. */
class ByteQueue {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes waiting. */
  length = 0;
  ended = false;

  constructor(private readonly input: AsyncIterator<Uint8Array>) {}

  /** Reads until `bytes` bytes wait (or the input ends); whether they do. */
  async has(bytes: number): Promise<boolean> {
    while (this.length < bytes && !this.ended) {
      const next = await this.input.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.length += next.value.length;
      }
    }
    return this.length >= bytes;
  }

  /** The next `bytes` bytes (which must wait), left in the queue. */
  peek(bytes: number): Buffer {
    return Buffer.concat(this.chunks, Math.min(this.length, bytes));
  }

  /** Up to `bytes` of the waiting bytes, from the first chunk alone (so without a copy). */
  take(bytes: number): Uint8Array {
    const first = this.chunks[0]!;
    const taken = first.subarray(0, bytes);
    if (taken.length === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(taken.length);
    this.length -= taken.length;
    return taken;
  }

  /** The next `bytes` bytes (which must wait), taken from the queue. */
  read(bytes: number): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let left = bytes; left > 0; left -= parts.at(-1)!.length) parts.push(this.take(left));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Reads and drops `bytes` bytes as they come, throwing {@link CutShortError} if the input ends first. */
  async skip(bytes: number): Promise<void> {
    while (bytes > 0) {
      if (!(await this.has(1))) throw new CutShortError('the zstd stream is cut short');
      bytes -= this.take(bytes).length;
    }
  }
}

/** The largest window zstd decodes without being told to (`--long`, `--memory`): 2^27 bytes. */
const maxWindow = 128 * 1024 * 1024;

/**
 * The window a frame needs, from its header (RFC 8878, 3.1.1.1.2): fzstd allocates it whole, so
 * a frame asking for more than zstd itself allows by default is refused before anything is
 * allocated. A single-segment frame's window is its content size.
 */
function windowOf(header: Buffer): number {
  const descriptor = header[4]!;
  if ((descriptor >> 5) & 1) {
    const at = 5 + [0, 1, 2, 4][descriptor & 3]!;
    const contentSizeBytes = [1, 2, 4, 8][descriptor >> 6]!;
    const contentSize = Buffer.alloc(8);
    header.copy(contentSize, 0, at, at + contentSizeBytes);
    return Number(contentSize.readBigUInt64LE(0)) + (contentSizeBytes === 2 ? 256 : 0);
  }
  const exponent = 10 + (header[5]! >> 3);
  return 2 ** exponent + (2 ** exponent / 8) * (header[5]! & 7);
}

/** The size of a frame header (magic included) from its descriptor byte (RFC 8878, 3.1.1.1). */
function frameHeaderBytes(descriptor: number): number {
  const singleSegment = (descriptor >> 5) & 1;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  const contentSizeBytes = [singleSegment, 2, 4, 8][descriptor >> 6]!;
  return 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
}

/**
 * Decodes a zstd file: any number of frames, skippable frames among them. The frames are walked
 * here, block header by block header, and each frame's bytes go to fzstd (which decodes a block at
 * a time but does not check content checksums): what it decodes is hashed on the way out, and a
 * frame whose checksum does not match fails at its end. The compressed bytes go over a block at a
 * time (at most 128 KiB, and what it decodes to as much), so backpressure reaches the input.
 */
export const decodeZstd: Decoder = async function* decodeZstd(input) {
  const chunks = (async function* () {
    yield* input;
  })();
  const queue = new ByteQueue(chunks);
  let frames = 0;
  try {
    for (;;) {
      if (!(await queue.has(4))) {
        if (frames > 0 && queue.length === 0) return;
        throw new CutShortError('the zstd stream is cut short');
      }
      const magic = queue.peek(4).readUInt32LE(0);
      if (isSkippable(magic)) {
        if (!(await queue.has(8))) throw new CutShortError('the zstd stream is cut short');
        await queue.skip(8 + queue.peek(8).readUInt32LE(4));
        frames++;
        continue;
      }
      if (magic !== frameMagic) throw new Error(frames === 0 ? 'not a zstd stream' : 'the zstd data is corrupt: no frame where one should start');
      if (!(await queue.has(5))) throw new CutShortError('the zstd stream is cut short');
      const descriptor = queue.peek(5)[4]!;
      if (!(await queue.has(frameHeaderBytes(descriptor)))) throw new CutShortError('the zstd stream is cut short');
      if (windowOf(queue.peek(frameHeaderBytes(descriptor))) > maxWindow) throw new Error('the zstd frame needs a window over 128 MiB (made with --long?), more than zstd decodes by default');
      const hash = (descriptor >> 2) & 1 ? new Xxh64() : undefined;
      const decoded: Uint8Array[] = [];
      const fzstd = new Decompress((chunk) => {
        if (chunk.length > 0) decoded.push(chunk);
      });
      // Each block goes over whole (fzstd would join the pieces of one again and again), and the
      // last with `final`: fzstd holds back a frame shorter than 18 bytes until told it is whole.
      const feed = async function* (bytes: number, endsFrame = false) {
        if (!(await queue.has(bytes))) throw new CutShortError('the zstd stream is cut short');
        const piece = queue.read(bytes);
        pushing(() => fzstd.push(piece, endsFrame));
        releaseEmpties(fzstd);
        for (const chunk of decoded.splice(0)) {
          hash?.update(chunk);
          yield chunk;
        }
      };
      yield* feed(frameHeaderBytes(descriptor));
      for (let last = false; !last; ) {
        if (!(await queue.has(3))) throw new CutShortError('the zstd stream is cut short');
        const header = queue.peek(3).readUIntLE(0, 3);
        last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        if (type === 3) throw new Error('the zstd data is corrupt: a block of the reserved type');
        yield* feed(3 + (type === 1 ? 1 : header >>> 3), last && !hash);
      }
      if (hash) {
        if (!(await queue.has(4))) throw new CutShortError('the zstd stream is cut short');
        const stored = queue.peek(4).readUInt32LE(0);
        yield* feed(4, true);
        if (hash.low32() !== stored) throw new Error('the zstd data is corrupt: its checksum does not match what it decodes to');
      }
      frames++;
    }
  } finally {
    await chunks.return();
  }
};

/**
 * Lets go of the empty remainders that fzstd 0.1.1 keeps after each push that ends on a block
 * boundary: it queues the (empty) rest of the pushed bytes in its list of pending input and only
 * empties that list when something is pending, so a push of whole blocks, every time, would keep a
 * view of every block ever pushed, and with them the whole compressed file. With nothing pending
 * (`l`, the pending length, is 0) the list holds only empty views, and dropping them changes
 * nothing else.
 */
function releaseEmpties(fzstd: Decompress): void {
  const pending = fzstd as unknown as { c: Uint8Array[]; l: number };
  if (pending.l === 0) pending.c = [];
}

/** Runs a push into fzstd, giving its errors a message that names the format. */
function pushing(push: () => void): void {
  try {
    push();
  } catch (error) {
    throw new Error(`the zstd data is corrupt: ${(error as Error).message}`, { cause: error });
  }
}
