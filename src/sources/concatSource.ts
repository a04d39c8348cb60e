import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortable, type RandomAccessSource } from './randomAccess.js';

/** One part of a {@link concatSource}: its bytes, and how many there are. */
export interface ConcatPart {
  readonly source: RandomAccessSource;
  /** The part's size in bytes: given, so that no part is asked before it is read. */
  readonly size: number;
}

/** The bytes of one part that a read needs. */
interface Piece {
  readonly source: RandomAccessSource;
  readonly offset: number;
  readonly length: number;
}

/**
 * A {@link RandomAccessSource} over parts one after another, as if they were one file: the volumes
 * of a split archive. A read that stays inside one part is that part's own stream; a read across
 * parts streams each part's piece in turn, with backpressure, and fails as soon as a part fails
 * (a missing volume says which).
 *
 * @param parts The parts, in order.
 */
export function concatSource(parts: readonly ConcatPart[]): RandomAccessSource {
  const starts: number[] = [];
  let total = 0;
  for (const part of parts) {
    starts.push(total);
    total += part.size;
  }
  const piecesOf = (offset: number, end: number): Piece[] =>
    parts.flatMap((part, i) => {
      const from = Math.max(offset, starts[i]!);
      const to = Math.min(end, starts[i]! + part.size);
      return to > from ? [{ source: part.source, offset: from - starts[i]!, length: to - from }] : [];
    });
  return {
    size: async () => total,
    stream(offset, length, signal) {
      const pieces = piecesOf(offset, length === undefined ? total : Math.min(total, offset + length));
      if (pieces.length === 1) return pieces[0]!.source.stream(pieces[0]!.offset, pieces[0]!.length, signal);
      if (pieces.length === 0) return abortable(Readable.from([]), signal);
      const out = new PassThrough();
      // pipeline() destroys the part being read when `out` is destroyed, and `out` when a part fails.
      (async () => {
        for (const piece of pieces) await pipeline(piece.source.stream(piece.offset, piece.length, signal), out, { end: false });
        out.end();
      })().catch((error: unknown) => out.destroy(error as Error));
      return abortable(out, signal);
    },
  };
}
