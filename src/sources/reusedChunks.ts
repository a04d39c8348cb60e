import type { PositionedReader } from './randomAccess.js';

/**
 * Size of each of the two buffers: 1 MiB reads take a gigabyte in a thousand system calls, and
 * two of them are all the memory a stored entry of any size needs.
 */
export const reusedChunkSize = 1024 * 1024;

/**
 * Buffer pairs that readers have given back, for the next entry: taking a fresh pair per entry
 * would leave a camera roll's worth of dead megabytes for the garbage collector. A pair is given
 * back only once no read into it is under way. A few are kept for runs that read at once (the
 * bot's jobs); more are left to the collector.
 */
const spare: [Buffer, Buffer][] = [];
const spareLimit = 4;

const takePair = (): [Buffer, Buffer] => spare.pop() ?? [Buffer.allocUnsafeSlow(reusedChunkSize), Buffer.allocUnsafeSlow(reusedChunkSize)];

/**
 * The `length` bytes at `start`, read through `reader` into two buffers taking turns: while the
 * caller checks and writes one chunk, the next is read into the other buffer. No chunk is
 * allocated, so a gigabyte leaves nothing for the garbage collector and no dead buffers in memory.
 *
 * In plain words, each chunk is lent: it is valid only until the next one is asked for, after
 * which its memory holds other bytes. Only a caller that keeps nothing (see `reuseChunks` of
 * `Entry.open`) may read this way. The chunks end early, without an error, where the source does;
 * the caller tells a short entry by its size.
 *
 * Returning the generator early (or the caller's `signal` aborting) waits for the read under way
 * before the buffers are used again; the reader is the caller's to close.
 *
 * @param reader Reads of the source into the caller's memory.
 * @param start Where the bytes start in the source.
 * @param length How many bytes to read.
 * @param signal Ends the reading at the next chunk, with its reason.
 */
export async function* reusedChunks(reader: PositionedReader, start: number, length: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const buffers = takePair();
  const end = start + length;
  let position = start;
  let turn = 0;
  const readInto = (buffer: Buffer): Promise<number> => {
    const reading = reader.read(buffer, Math.min(buffer.length, end - position), position);
    // Its error is taken when it is awaited; until then, it must not count as unhandled.
    reading.catch(() => {});
    return reading;
  };
  let pending: Promise<number> | undefined = position < end ? readInto(buffers[turn]!) : undefined;
  try {
    while (pending) {
      const bytesRead = await pending;
      pending = undefined;
      signal?.throwIfAborted();
      if (bytesRead === 0) return;
      const chunk = buffers[turn]!.subarray(0, bytesRead);
      position += bytesRead;
      turn ^= 1;
      if (position < end) pending = readInto(buffers[turn]!);
      yield chunk;
    }
  } finally {
    await pending?.catch(() => {});
    if (spare.length < spareLimit) spare.push(buffers);
  }
}
