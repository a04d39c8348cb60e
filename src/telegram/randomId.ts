import { createHash } from 'node:crypto';

/**
 * The `random_id` of one item of an album: 64 bits of SHA-256 over the album's id and the entry's
 * index. The album id is written to the manifest before the first send, so after a crash the same
 * entry is sent again with the same `random_id`, and Telegram answers with the message it already
 * has instead of posting a second one. Derived per entry, not per position, so that an album rebuilt
 * without an entry that can no longer be read keeps every other item's id. Each piece of a split
 * file has its own.
 *
 * @return A signed 64-bit integer as a decimal string.
 */
export function randomIdOf(albumId: string, entryIndex: number, piece?: number): string {
  const digest = createHash('sha256').update(piece === undefined ? `${albumId}:${entryIndex}` : `${albumId}:${entryIndex}:${piece}`).digest();
  return digest.readBigInt64LE(0).toString();
}
