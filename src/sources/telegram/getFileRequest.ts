/** The most `upload.getFile` returns at once, and the boundary no request may cross: 1 MiB. */
export const getFileBlock = 1024 * 1024;

/** What every `upload.getFile` offset and limit must be a multiple of: 4 KiB. */
export const getFileAlignment = 4096;

/** One `upload.getFile` range: `offset` and `limit` as sent. */
export interface GetFileRange {
  readonly offset: number;
  readonly limit: number;
}

/**
 * The next `upload.getFile` range to send to read on from `position` towards `end`, following
 * Telegram's rules for every request (core.telegram.org/api/files): the offset a multiple of 4 KiB,
 * the limit a multiple of 4 KiB that divides 1 MiB (4 KiB, 8 KiB, … 1 MiB), and the range inside
 * one 1 MiB block. Whole 1 MiB blocks are asked for where the range allows; at its ends, the
 * largest allowed limit that the wanted bytes fill, then smaller ones, so that less than 4 KiB on
 * either side is read for nothing.
 *
 * ## Examples
 * ```ts
 * import { nextGetFileRange } from './getFileRequest.js';
 * nextGetFileRange(0, 5_000_000); // { offset: 0, limit: 1048576 }
 * nextGetFileRange(1_000_000, 1_000_100); // { offset: 999424, limit: 4096 }
 * ```
 *
 * @param position The first byte still wanted.
 * @param end The byte after the last one wanted (more than `position`).
 * @return The range, starting at or before `position`, never past the block `position` is in.
 */
export function nextGetFileRange(position: number, end: number): GetFileRange {
  const offset = position - (position % getFileAlignment);
  const blockEnd = offset - (offset % getFileBlock) + getFileBlock;
  const wanted = Math.min(end, blockEnd) - offset;
  // The largest allowed limit that does not reach past the wanted bytes rounded up to 4 KiB: the
  // rest comes with the next requests, halving each time, rather than read for nothing.
  const rounded = Math.ceil(wanted / getFileAlignment) * getFileAlignment;
  let limit = getFileAlignment;
  while (limit * 2 <= rounded) limit *= 2;
  return { offset, limit };
}

/**
 * Whether Telegram accepts this range, by the rules {@link nextGetFileRange} follows: the answer
 * Telegram gives otherwise (`OFFSET_INVALID` or `LIMIT_INVALID`), or `undefined`.
 *
 * @param range The offset and limit of a request.
 */
export function getFileRangeError(range: GetFileRange): 'OFFSET_INVALID' | 'LIMIT_INVALID' | undefined {
  if (range.offset < 0 || range.offset % getFileAlignment !== 0) return 'OFFSET_INVALID';
  if (range.limit <= 0 || range.limit % getFileAlignment !== 0 || getFileBlock % range.limit !== 0) return 'LIMIT_INVALID';
  if (Math.floor(range.offset / getFileBlock) !== Math.floor((range.offset + range.limit - 1) / getFileBlock)) return 'LIMIT_INVALID';
  return undefined;
}
