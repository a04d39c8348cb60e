import type { Readable } from 'node:stream';
import type { RandomAccessSource } from '../randomAccess.js';

/** The largest window one stream is opened for. */
const maxWindow = 64 * 1024 * 1024;

/**
 * Reads a {@link RandomAccessSource} in pieces, keeping a stream open while the reads follow each
 * other: 7-Zip reads an archive mostly front to back, and over HTTP one request per window is
 * much cheaper than one per read. A stream covers a window: a read elsewhere opens one just as
 * long as the read (a seek to a header must not fetch the rest of the archive), and each window
 * that is read to its end is followed by one twice as long, up to 64 MiB.
 */
export class SequentialReader {
  private stream: Readable | undefined;
  private chunks: AsyncIterator<Buffer> | undefined;
  private position = -1;
  private windowEnd = -1;
  private window = 0;
  private left: Buffer = Buffer.alloc(0);

  /**
   * @param source The bytes.
   * @param size Their size.
   * @param signal Ends every stream the reader opens.
   */
  constructor(
    private readonly source: RandomAccessSource,
    private readonly size: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** Opens the stream of a window at `position`: `length` long, or twice the last when it follows on. */
  private open(position: number, length: number): void {
    const follows = position === this.windowEnd;
    this.close();
    this.window = Math.min(Math.max(length, follows ? this.window * 2 : 0), maxWindow);
    const end = Math.min(this.size, position + this.window);
    this.stream = this.source.stream(position, end - position, this.signal);
    this.chunks = this.stream[Symbol.asyncIterator]();
    this.position = position;
    this.windowEnd = end;
  }

  /**
   * Up to `length` bytes at `position` (fewer only at the end of the source). A read that fails
   * is tried once more on a new stream: a server may drop a connection left idle while the
   * consumer was busy.
   */
  async read(position: number, length: number): Promise<Buffer> {
    const target = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - position)));
    return target.subarray(0, await this.readInto(target, position));
  }

  /**
   * Reads into `target`, from its start, up to its length of bytes at `position`, without a
   * buffer of its own; tried once more as {@link read} is.
   *
   * @return How many bytes it got: `target.length`, fewer only at the end of the source.
   */
  async readInto(target: Uint8Array, position: number): Promise<number> {
    try {
      return await this.readOnce(target, position);
    } catch {
      this.signal?.throwIfAborted();
      this.close();
      return this.readOnce(target, position);
    }
  }

  private async readOnce(target: Uint8Array, position: number): Promise<number> {
    const length = Math.max(0, Math.min(target.length, this.size - position));
    if (length === 0) return 0;
    if (position !== this.position || !this.chunks) this.open(position, length);
    let got = 0;
    while (got < length) {
      if (this.left.length === 0) {
        const next = await this.chunks!.next();
        if (next.done) {
          if (this.position >= this.windowEnd && this.windowEnd < this.size) {
            this.open(this.windowEnd, length - got);
            continue;
          }
          break;
        }
        this.left = next.value;
      }
      const take = Math.min(length - got, this.left.length);
      target.set(this.left.subarray(0, take), got);
      this.left = this.left.subarray(take);
      got += take;
      this.position += take;
    }
    return got;
  }

  /** Closes the open stream, if any. */
  close(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.chunks = undefined;
    this.left = Buffer.alloc(0);
    this.position = -1;
    this.windowEnd = -1;
  }
}
