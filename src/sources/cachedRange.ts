import { Readable } from 'node:stream';
import { abortable, type RandomAccessSource, readBytes } from './randomAccess.js';

/** Bytes read once and kept: where they start in the source, and the bytes. */
interface HeldBytes {
  readonly offset: number;
  readonly bytes: Buffer;
}

/** A {@link RandomAccessSource} that answers from bytes it holds, told by {@link CachedRange.hold} what to hold. */
export interface CachedRange extends RandomAccessSource {
  /**
   * Holds the `length` bytes at `offset` (fewer at the end of the source) and returns them. It
   * reads one range at most: nothing when they are held already, only the bytes before a held
   * range that covers their end, else all of them.
   */
  hold(offset: number, length: number): Promise<Buffer>;
}

/**
 * A view of `source` for opening an archive over a source where every read is a round trip (an
 * HTTP range request, a Telegram file request): the few ranges it is told to hold are read once,
 * and every read that falls inside one of them is answered from memory, without asking the
 * source. Any other read goes to the source as it is.
 *
 * A zip's opening holds the 64 KiB tail that the search for its end record reads, and its central
 * directory: its end records, its directory's first signature, unzipper's parse of the directory
 * and the scan of its extra fields then read nothing more. The view lives as long as the opening:
 * what it holds is let go with it.
 *
 * @param source The archive.
 * @param size The source's size in bytes (what `size()` answers, without asking the source again).
 */
export function cachedRange(source: RandomAccessSource, size: number): CachedRange {
  const held: HeldBytes[] = [];
  const holding = (from: number, to: number) => held.find(({ offset, bytes }) => offset <= from && to <= offset + bytes.length);
  const slice = ({ offset, bytes }: HeldBytes, from: number, to: number) => bytes.subarray(from - offset, to - offset);
  return {
    size: async () => size,
    stream(offset, length, signal) {
      const end = Math.min(size, length === undefined ? size : offset + length);
      const range = holding(offset, end);
      if (!range) return source.stream(offset, length, signal);
      const bytes = slice(range, offset, end);
      return abortable(Readable.from(bytes.length ? [bytes] : [], { objectMode: false }), signal);
    },
    async hold(offset, length) {
      const end = Math.min(size, offset + length);
      const within = holding(offset, end);
      if (within) return slice(within, offset, end);
      const after = held.find((range) => offset < range.offset && range.offset <= end && end <= range.offset + range.bytes.length);
      const bytes = await readBytes(source, offset, (after?.offset ?? end) - offset);
      if (!after || offset + bytes.length !== after.offset) {
        // A source shorter than it said leaves a gap before `after`: what was read is held on its own.
        held.push({ offset, bytes });
        return bytes;
      }
      const joined = { offset, bytes: Buffer.concat([bytes, after.bytes]) };
      held.splice(held.indexOf(after), 1, joined);
      return slice(joined, offset, end);
    },
  };
}
