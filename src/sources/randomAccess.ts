import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';

/**
 * Bytes that can be read from any offset: the seam that `unzipper`'s central-directory reader
 * needs, and that a local file, an HTTP range reader and a Telegram document reader can all fill.
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  size(): Promise<number>;
  /**
   * A stream of `length` bytes from `offset` (to the end when `length` is not given). When
   * `signal` aborts, the stream is destroyed with an `AbortError`, and with it every request,
   * retry and wait behind it: how an unsubscribed run stops reading at once.
   */
  stream(offset: number, length?: number, signal?: AbortSignal): Readable;
  /**
   * Opens the bytes for reads into the caller's own memory, where the source can do that cheaply
   * (a local file): what {@link reusedChunks} reads through. Sources without it are streamed.
   */
  openReader?(): Promise<PositionedReader>;
}

/** Reads of a source into buffers the caller owns and may reuse, as `pread` does. */
export interface PositionedReader {
  /**
   * Reads up to `length` bytes at `position` into the start of `buffer`.
   *
   * @return How many bytes were read: fewer than asked only at the end of the source, 0 past it.
   */
  read(buffer: Uint8Array, length: number, position: number): Promise<number>;
  /** Lets go of the file; the reads under way finish first. */
  close(): Promise<void>;
}

/**
 * The stream, destroyed with an `AbortError` when `signal` aborts (at once if it already has).
 * What a {@link RandomAccessSource} does with the `signal` of its `stream`.
 */
export function abortable(stream: Readable, signal: AbortSignal | undefined): Readable {
  return signal ? addAbortSignal(signal, stream) : stream;
}

/**
 * A view of `source` whose every stream ends when `signal` aborts: for a reader that asks for
 * streams itself (`unzipper`'s central-directory reader), while it opens an archive.
 */
export function boundTo(source: RandomAccessSource, signal: AbortSignal | undefined): RandomAccessSource {
  if (!signal) return source;
  return { size: () => source.size(), stream: (offset, length) => source.stream(offset, length, signal) };
}

/** Read size for archive files: large enough that a stored entry streams at disk speed. */
const readChunk = 256 * 1024;

/**
 * A {@link RandomAccessSource} over a local file. Every `stream` and every reader opens its own
 * descriptor, so an abandoned entry never holds up the next one.
 *
 * @param path The file.
 * @param onRead Called with the number of bytes each read returned (for counting what was read).
 */
export function fileSource(path: string, onRead?: (bytes: number) => void): RandomAccessSource {
  return {
    size: async () => (await stat(path)).size,
    stream(offset, length, signal) {
      if (length === 0) length = 1; // fs streams cannot be empty with an explicit end
      const end = length === undefined ? undefined : offset + length - 1;
      const stream = abortable(createReadStream(path, { start: offset, end, highWaterMark: readChunk }), signal);
      if (onRead) stream.on('data', (chunk) => onRead(chunk.length));
      return stream;
    },
    async openReader() {
      const file = await open(path, 'r');
      return {
        async read(buffer, length, position) {
          const { bytesRead } = await file.read(buffer, 0, length, position);
          onRead?.(bytesRead);
          return bytesRead;
        },
        close: () => file.close(),
      };
    },
  };
}

/**
 * Reads `length` bytes at `offset` (fewer at the end of the source). For small reads only.
 *
 * @param signal Ends the read early (rejecting with an `AbortError`), however long the source
 * would wait or retry: a zip's local header read over HTTP may be waiting out a `Retry-After`.
 */
export async function readBytes(source: RandomAccessSource, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source.stream(offset, length, signal)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).subarray(0, length);
}
