import type { Readable } from 'node:stream';
import type { RandomAccessSource } from '../randomAccess.js';

/**
 * Reads a {@link RandomAccessSource} in pieces, keeping one stream open while the reads follow
 * each other: 7-Zip reads an archive mostly front to back, and over HTTP one request for the
 * run is much cheaper than one per megabyte. A read elsewhere opens a new stream there.
 */
export class SequentialReader {
  private stream: Readable | undefined;
  private chunks: AsyncIterator<Buffer> | undefined;
  private position = -1;
  private left: Buffer = Buffer.alloc(0);

  /**
   * @param source The bytes.
   * @param signal Ends every stream the reader opens.
   */
  constructor(
    private readonly source: RandomAccessSource,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * Up to `length` bytes at `position` (fewer only at the end of the source). A read that fails
   * is tried once more on a new stream: a server may drop a connection left idle while the
   * consumer was busy.
   */
  async read(position: number, length: number): Promise<Buffer> {
    try {
      return await this.readOnce(position, length);
    } catch {
      this.signal?.throwIfAborted();
      this.close();
      return this.readOnce(position, length);
    }
  }

  private async readOnce(position: number, length: number): Promise<Buffer> {
    if (position !== this.position || !this.chunks) {
      this.close();
      this.stream = this.source.stream(position, undefined, this.signal);
      this.chunks = this.stream[Symbol.asyncIterator]();
      this.position = position;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      if (this.left.length === 0) {
        const next = await this.chunks.next();
        if (next.done) break;
        this.left = next.value;
      }
      const take = Math.min(length - got, this.left.length);
      parts.push(this.left.subarray(0, take));
      this.left = this.left.subarray(take);
      got += take;
    }
    this.position += got;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Closes the open stream, if any. */
  close(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.chunks = undefined;
    this.left = Buffer.alloc(0);
    this.position = -1;
  }
}
